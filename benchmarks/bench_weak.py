"""Weakly-supervised VAD: planted features, UCSD Ped2 with the fixed weak split (raw and anonymized), and training
speed/memory at UCF-Crime size (1,900 videos x 32 segments x 2048-d, generated). Prints JSON.

    python benchmarks/bench_weak.py [--parts planted,ped2,ucf] [--epochs N] [--ped2-features avg,max,regions,velocity]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from privad.device import resolve
from privad.protect.config import AnonymizeConfig
from privad.data import load_dataset
from privad.io.sample_data import data_path
from privad.vad import build_model
from privad.data.synthetic import planted_features
from privad.engine.weak import evaluate_weak

MODELS = ("mil", "mgfn", "pel")


def planted(epochs: int) -> dict:
    train, test = planted_features(seed=0), planted_features(20, 20, seed=1)
    labels = np.concatenate([lab for _, _, lab in test])
    out = {}
    for name in MODELS:
        m = build_model(name, {"epochs": epochs}).fit_features([(f, y) for f, y, _ in train])
        out[name] = {"auc": roc_auc_score(labels, np.concatenate([m.clip_scores(f) for f, _, _ in test])),
                     "train_seconds": m.state["train_seconds"]}
    return out


FEATURES = {"avg": {"pool": "avg"}, "max": {"pool": "max"}, "regions": {"extractor": "regions"},
            "velocity": {"extractor": "regions", "appearance": False}}


def ped2(epochs: int, kinds: list[str]) -> dict:
    dataset = load_dataset("ucsd_ped2", data_path("ucsd_ped2"))
    out = {}
    for view, anon in (("raw", None), ("adaptive_blur on motion", AnonymizeConfig(method="adaptive_blur",
                                                                                  targets=["motion"]))):
        for kind in kinds:
            cache: dict = {}
            for name in MODELS:
                start = time.perf_counter()
                r = evaluate_weak(dataset, name, {"epochs": epochs, "features": FEATURES[kind]}, anon,
                                  use_weak_split=True, cache=cache)
                key = f"{name}, {view}, {kind} features"
                out[key] = {"micro_auc": r.micro_auc, "macro_auc": r.macro_auc, "ap": r.ap,
                            "train_seconds": r.extra["train_seconds"], "wall_seconds": time.perf_counter() - start}
                print(key, out[key], file=sys.stderr, flush=True)
    return out


def ucf_size(epochs: int) -> dict:
    rng = np.random.default_rng(0)
    items = [(rng.normal(size=(32, 2048)).astype(np.float32), int(i % 2)) for i in range(1900)]
    out = {"feature_mib": sum(f.nbytes for f, _ in items) / 2**20}
    for name in MODELS:
        m = build_model(name, {"epochs": epochs})
        m.fit_features(items)
        out[name] = {"seconds_per_epoch": m.state["train_seconds"] / epochs,
                     "peak_mib_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="planted,ped2,ucf")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--ped2-features", default="avg,max,regions,velocity", help="Comma list of: avg, max, regions, velocity.")
    args = parser.parse_args()
    parts = args.parts.split(",")
    result = {}
    if "planted" in parts:
        result["planted"] = planted(args.epochs)
    if "ped2" in parts:
        result["ped2_weak_split"] = ped2(args.epochs, args.ped2_features.split(","))
    if "ucf" in parts:
        result["ucf_crime_size"] = ucf_size(3)
    result["device"] = resolve()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
