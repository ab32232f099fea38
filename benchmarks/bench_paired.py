"""How firm a validation difference is: two settings validated on the same draws (`privad.engine.validate`, training
videos only, no test label), then a paired bootstrap over the held-out videos of the difference in micro AUC (each
resample draws videos with replacement, each with its copies of every kind). Prints JSON.

    python benchmarks/bench_paired.py --a '{"border": "apart"}' --b '{"border": "skip"}' [--kind objects]
                                      [--dataset ucsd_ped2 --root PATH] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from privad.data import load_dataset
from privad.engine.validate import paired_difference, validate
from privad.io.sample_data import data_path


def _copies(dataset: str, root: Path | None, kind: str, config: dict) -> dict:
    """One validation, one thread (the two share the cores), with its copies."""
    import cv2
    import torch

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    videos = [v.source for v in load_dataset(dataset, root or data_path("ucsd_ped2")).train]
    return validate(videos, kind, config, copies=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=json.loads, required=True, help="settings A (JSON)")
    parser.add_argument("--b", type=json.loads, default={}, help="settings B (JSON; default: the kind's defaults)")
    parser.add_argument("--kind", default="objects")
    parser.add_argument("--dataset", default="ucsd_ped2")
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    with ProcessPoolExecutor(2) as pool:
        ra, rb = pool.map(_copies, *zip(*[(args.dataset, args.root, args.kind, c) for c in (args.a, args.b)]))
    ca, cb = ra.pop("copies"), rb.pop("copies")
    diff = 100 * paired_difference(ca, cb, args.resamples)
    low, high = np.percentile(diff, [2.5, 97.5])
    print(json.dumps({"a": args.a, "b": args.b, "micro_a": round(100 * ra["micro_auc"], 1),
                      "micro_b": round(100 * rb["micro_auc"], 1), "difference": round(float(diff.mean()), 2),
                      "sd": round(float(diff.std()), 2), "interval_95": [round(float(low), 2), round(float(high), 2)],
                      "share_above_0": round(float((diff > 0).mean()), 3), "resamples": args.resamples,
                      "videos": len({c[0] for c in ca}), "protocol": ra["protocol"]}, indent=2))


if __name__ == "__main__":
    main()
