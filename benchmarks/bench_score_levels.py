"""How far a normal video's score level moves from video to video, and which cue moves it: training data only.

Micro AUC ranks every test frame of every video together, so a model whose *normal* frames score higher in some
videos than in others loses micro AUC that macro AUC (per video) does not see. This measures that on the normal
training videos alone, with no label: k-fold leave-videos-out, each held-out video scored by a model fitted on the
others (`privad.vad.oneclass.attribute.AttributeModel.explain`). Per held-out video it prints the mean number of
regions a frame holds, its frame scores' median, 95th percentile and maximum, and each cue's part of the top region
of a frame (median over frames). The summary gives the spread of the per-video medians and their rank correlation
with the region count. Prints JSON.

    python benchmarks/bench_score_levels.py [--dataset ucsd_ped2] [--root PATH] [--folds 4] [--set KEY=VALUE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from privad.cli.options import key_values
from privad.data import load_dataset
from privad.io.sources import read_all
from privad.io.sample_data import data_path
from privad.vad.registry import DEFAULT, build_model
from privad.vad.scoring import top_regions


def top_parts(index: np.ndarray, total: np.ndarray, cues: dict[str, np.ndarray]) -> dict[str, float]:
    """Each cue's part of each frame's top region, as the median over the frames that have a region."""
    first = top_regions(index, total)
    return {name: round(float(np.median(part[first])), 2) for name, part in cues.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="ucsd_ped2")
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--kind", default=DEFAULT)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="a model setting (the same parser as privad --set)")
    args = parser.parse_args()
    if not hasattr(build_model(args.kind), "explain"):
        parser.error(f"--kind {args.kind} cannot tell its cues apart (objects and attribute can)")
    dataset = load_dataset(args.dataset, args.root or data_path("ucsd_ped2"))
    videos = [read_all(v.source)[0] for v in dataset.train]
    rows = []
    for fold in range(args.folds):
        held = set(range(fold, len(videos), args.folds))
        model = build_model(args.kind, key_values(args.settings))
        model.fit([v for i, v in enumerate(videos) if i not in held])
        for i in sorted(held):
            score, cues = model.explain(videos[i])
            regions = np.array(score.regions, float).reshape(-1, 6)
            index, total = regions[:, 0].astype(int), regions[:, 5]
            frames = np.asarray(score.frames)
            rows.append({"video": dataset.train[i].name, "frames": len(frames),
                         "regions_per_frame": round(len(index) / len(frames), 1),
                         "median": round(float(np.median(frames)), 2),
                         "p95": round(float(np.percentile(frames, 95)), 2), "max": round(float(frames.max()), 2),
                         "top_region_parts": top_parts(index, total, cues) if len(index) else {}})
    medians = [r["median"] for r in rows]
    rho = spearmanr([r["regions_per_frame"] for r in rows], medians)
    print(json.dumps({
        "dataset": args.dataset, "kind": args.kind, "settings": key_values(args.settings), "folds": args.folds,
        "videos": rows,
        "summary": {"median_of_medians": round(float(np.median(medians)), 2),
                    "spread_of_medians": round(float(np.max(medians) - np.min(medians)), 2),
                    "spearman_regions_vs_median": round(float(rho.statistic), 2),
                    "spearman_p": round(float(rho.pvalue), 4)},
    }, indent=1))


if __name__ == "__main__":
    main()
