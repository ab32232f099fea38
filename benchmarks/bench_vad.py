"""One-class VAD on UCSD Ped2: fit on train, evaluate on test, raw and under every anonymization method (motion
targets), with the default model (`objects`); `--raw-baselines` adds the earlier `attribute` settings.

Prints JSON (one row per setting) and, with --md, a Markdown table. Usage:
    python benchmarks/bench_vad.py [--methods all|LIST] [--raw-baselines] [--md docs/vad_table.md]

Peak memory is this process's maximum RSS after each setting (cumulative over the run).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from privad.device import resolve
from privad.protect.methods import METHODS
from privad.protect.config import AnonymizeConfig
from privad.data import load_dataset
from privad.io.sample_data import data_path
from privad.engine.evaluate import evaluate
from privad.vad.registry import DEFAULT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", default="all", help="'all', 'none' or a comma list of anonymization methods")
    parser.add_argument("--raw-baselines", action="store_true", help="also the attribute model's raw rows")
    parser.add_argument("--md", type=Path, default=None)
    args = parser.parse_args()
    dataset = load_dataset("ucsd_ped2", data_path("ucsd_ped2"))
    settings: list[tuple[str, str, AnonymizeConfig | None, dict]] = [(f"raw, {DEFAULT} (default)", DEFAULT, None, {})]
    if args.raw_baselines:
        settings += [
            ("raw, attribute (median regions, speed + orientation)", "attribute", None, {}),
            ("raw, attribute, speed only (the first default)", "attribute", None, {"orientation": False}),
        ]
    methods = [m for m in METHODS if m != "no-an"] if args.methods == "all" else (
        [] if args.methods == "none" else args.methods.split(","))
    settings += [(f"{m} on motion, default model", DEFAULT, AnonymizeConfig(method=m, targets=["motion"]), {})
                 for m in methods]
    rows = {}
    for name, kind, anon, config in settings:
        r = evaluate(dataset, kind, anonymize=anon, config=config)
        rows[name] = {
            "micro_auc": round(100 * r.micro_auc, 1), "macro_auc": round(100 * r.macro_auc, 1),
            "ap": round(100 * r.ap, 1), "eer": round(100 * r.eer, 1), "rbdc": round(100 * r.rbdc, 1),
            "tbdc": round(100 * r.tbdc, 1), "fit_s": round(r.fit_seconds), "score_fps": round(r.score_fps, 1),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "macro_excluded_videos": r.macro_excluded_videos, "device": resolve(),
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
