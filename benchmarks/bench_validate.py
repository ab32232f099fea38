"""Label-free validation of one-class settings (`privad.engine.validate`): k-fold over the normal *training* videos
of a dataset, synthetic anomalies pasted into the held-out ones. No test label is read: this is the score to choose
settings by. Prints JSON.

    python benchmarks/bench_validate.py [--dataset ucsd_ped2 --root ../shared/data/ucsd_ped2] [--kind attribute]
                                        [--set KEY=VALUE ...] [--folds 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from privad.device import resolve
from privad.cli.options import key_values
from privad.data import load_dataset
from privad.engine.validate import validate
from privad.io.sample_data import data_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="ucsd_ped2")
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--kind", default="objects")
    parser.add_argument("--set", dest="options", action="append", default=[], help="KEY=VALUE (JSON value)")
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    dataset = load_dataset(args.dataset, args.root or data_path("ucsd_ped2"))
    config = key_values(args.options)
    start = time.perf_counter()
    result = validate([v.source for v in dataset.train], args.kind, config, folds=args.folds,
                      progress=lambda f, n: print(f"fold {f}/{n}", file=sys.stderr, flush=True))
    print(json.dumps({"dataset": args.dataset, "kind": args.kind, "config": config, "device": resolve(),
                      **{k: round(100 * v, 1) if isinstance(v, float) else v for k, v in result.items()},
                      "seconds": round(time.perf_counter() - start)}, indent=2))


if __name__ == "__main__":
    main()
