"""Choose one-class defaults without test labels: greedy forward selection on the label-free validation score.

The rule, fixed before any run: start from the given settings; each round, add to them each candidate change not yet
taken and run `privad.engine.validate` (k-fold over the normal *training* videos with pasted anomalies); keep the
change with the highest validation micro AUC if it beats the current settings by at least `--min-gain` points; stop
when none does. Ties go to the earlier candidate. Results are cached by settings in `--cache`. Prints JSON.

    python benchmarks/select_defaults.py [--dataset ucsd_ped2 --root PATH] [--kind attribute] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from privad.data import load_dataset
from privad.engine.validate import validate
from privad.io.sample_data import data_path

# each candidate: a name and the settings it changes (appearance as AI-VAD uses it: 1-NN on normalized features)
CANDIDATES = [
    ("medium flow", {"flow_preset": "medium"}),
    ("min/99.9 calibration", {"calibration": "minmax"}),
    ("place", {"position": True}),
    ("shape", {"shape": True}),
    ("appearance 1-NN", {"use_appearance": True, "whiten": False, "knn_k": 1}),
    ("appearance whitened 3-NN", {"use_appearance": True}),
    ("no orientation", {"orientation": False}),
    ("MOG2 regions", {"regions": "mog2"}),
]


def run(videos: list, kind: str, config: dict, folds: int, cache: Path) -> dict:
    key = hashlib.sha256(json.dumps([kind, config, folds], sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    start = time.perf_counter()
    result = validate(videos, kind, config, folds=folds)
    out = {"config": config, **{k: round(100 * v, 1) if isinstance(v, float) else v for k, v in result.items()},
           "seconds": round(time.perf_counter() - start)}
    path.write_text(json.dumps(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="ucsd_ped2")
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--kind", default="attribute")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--min-gain", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, default=Path("select-cache"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    from privad.io.sources import read_all

    dataset = load_dataset(args.dataset, args.root or data_path("ucsd_ped2"))
    videos = [read_all(v.source)[0] for v in dataset.train]
    config: dict = {}
    best = run(videos, args.kind, config, args.folds, args.cache)
    rounds, taken = [{"taken": None, "result": best}], set()
    while True:
        tried = []
        for name, change in CANDIDATES:
            if name in taken or all(config.get(k) == v for k, v in change.items()):
                continue
            result = run(videos, args.kind, {**config, **change}, args.folds, args.cache)
            tried.append((result["micro_auc"], -len(tried), name, change, result))
            print(f"{name}: {result['micro_auc']}", file=sys.stderr, flush=True)
        if not tried:
            break
        micro, _, name, change, result = max(tried)
        rounds.append({"tried": {t[2]: t[0] for t in tried}, "taken": name if micro >= best["micro_auc"] + args.min_gain
                       else None})
        if micro < best["micro_auc"] + args.min_gain:
            break
        config, best = {**config, **change}, result
        taken.add(name)
        rounds[-1]["result"] = result
    print(json.dumps({"dataset": args.dataset, "kind": args.kind, "chosen": config, "validation": best,
                      "rounds": rounds}, indent=2))


if __name__ == "__main__":
    main()
