"""One-class VAD on UCSD Ped2: fit on train, evaluate on test, raw and under every LA3D method (motion targets).

Prints JSON (one row per setting) and, with --md, a Markdown table. Usage:
    python benchmarks/bench_vad.py [--methods all|LIST] [--md docs/vad_table.md]

Peak memory is this process's maximum RSS after each setting (cumulative over the run).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from privad.protect.methods import METHODS
from privad.protect.config import AnonymizeConfig
from privad.data import load_dataset
from privad.io.sample_data import data_path
from privad.engine.evaluate import evaluate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", default="all", help="'all', 'none' or a comma list of anonymization methods")
    parser.add_argument("--md", type=Path, default=None)
    args = parser.parse_args()
    dataset = load_dataset("ucsd_ped2", data_path("ucsd_ped2"))
    settings: list[tuple[str, AnonymizeConfig | None, dict]] = [
        ("raw, default (median regions, speed)", None, {}),
        ("raw, median regions, speed + appearance", None, {"use_appearance": True}),
        ("raw, MOG2 regions, speed", None, {"regions": "mog2"}),
        ("raw, MOG2 regions, speed + appearance", None, {"regions": "mog2", "use_appearance": True}),
    ]
    methods = [m for m in METHODS if m != "no-an"] if args.methods == "all" else (
        [] if args.methods == "none" else args.methods.split(","))
    settings += [(f"{m} on motion, default model", AnonymizeConfig(method=m, targets=["motion"]), {})
                 for m in methods]
    rows = {}
    for name, anon, config in settings:
        r = evaluate(dataset, anonymize=anon, config=config)
        rows[name] = {
            "micro_auc": round(100 * r.micro_auc, 1), "macro_auc": round(100 * r.macro_auc, 1),
            "ap": round(100 * r.ap, 1), "eer": round(100 * r.eer, 1), "rbdc": round(100 * r.rbdc, 1),
            "tbdc": round(100 * r.tbdc, 1), "fit_s": round(r.fit_seconds), "score_fps": round(r.score_fps, 1),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "macro_excluded_videos": r.macro_excluded_videos,
        }
        print(name, rows[name], file=sys.stderr, flush=True)
    print(json.dumps(rows, indent=2))
    if args.md:
        head = "| setting | micro AUC | macro AUC | AP | EER | RBDC | TBDC | fit s | score fps |\n|---|---|---|---|---|---|---|---|---|\n"
        body = "".join(f"| {k} | {v['micro_auc']} | {v['macro_auc']} | {v['ap']} | {v['eer']} | {v['rbdc']} | "
                       f"{v['tbdc']} | {v['fit_s']} | {v['score_fps']} |\n" for k, v in rows.items())
        args.md.write_text(head + body)


if __name__ == "__main__":
    main()
