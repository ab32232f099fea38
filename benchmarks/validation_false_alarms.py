"""Where `objects`' validation false alarms come from (training videos only, no test label): `privad.engine.validate`'s
folds and pasted copies (the current protocol) on Ped2's training videos, one fold per process, keeping every scored
region's box, motion descriptor and calibrated cues, and where each held-out video's pasted normal traffic walks.

    # per process (two share the 2 cores), then once:
    python benchmarks/validation_false_alarms.py fit --folds 0,2 --out DIR [--set JSON]
    python benchmarks/validation_false_alarms.py summarize --out DIR

`summarize` takes each normal frame's top region (the highest sum of its cues, as the model scores it), ranks the
frames by it and prints JSON for the top 10 % of them against all normal frames and regions: which cue is the largest
part of the top region; how often its 90th-percentile flow speed is below the normal regions' median or above their
99th percentile, and its box wider (log width / height) than their 90th percentile; how often it lies on a pasted
walker (IoU >= 0.1 with the walker's box in that frame); its 90th-percentile flow speed and height; and how fast
the walkers under it were pasted (their box centres' straight-line pace, px a frame).
"""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

import numpy as np

from privad.engine.validate import fitted_folds, training_videos, walker_under
from privad.vad.oneclass.attribute import _along_tracks
from privad.vad.regions import ORIENTATION_BINS
from privad.vad.scoring import top_regions
from privad.vad.synthetic import KINDS

TOP = 0.1  # the share of normal frames, by their top region's score, looked at


def _fit(args: argparse.Namespace) -> None:
    videos = training_videos()
    walkers: dict[int, np.ndarray] = {}
    wanted = {int(f) for f in args.folds.split(",")}
    for f, model, seconds, drawn in fitted_folds(videos, "objects", json.loads(args.set), wanted, walkers):
        out: dict[str, np.ndarray] = {}
        for i, k, pasted in drawn:
            score, regions, cues = model._score(pasted.frames, "copy")
            key = f"{i}_{k}"
            out |= {key + "_regions": np.asarray(score.regions, float).reshape(-1, 6), key + "_vel": regions.vel,
                    key + "_labels": np.asarray(pasted.labels),
                    key + "_walkers": walkers.get(i, np.zeros((0, len(pasted.labels), 4)))}
            window = model.config.track_window
            out |= {f"{key}_cue_{name}": _along_tracks(regions, v, window) for name, v in cues.items()}
        np.savez_compressed(Path(args.out) / f"fold{f}.npz", **out)
        print(json.dumps({"fold": f, "fit_seconds": round(seconds)}), flush=True)


def _copies(out: str) -> dict[str, dict[str, np.ndarray]]:
    copies: dict[str, dict[str, np.ndarray]] = {}
    for path in sorted(glob.glob(str(Path(out) / "fold*.npz"))):
        with np.load(path) as z:
            for key in z.files:
                video, kind, field = key.split("_", 2)
                copies.setdefault(f"{video}_{kind}", {})[field] = z[key]
    return copies


def _pace(boxes: np.ndarray) -> float:
    """A walker's straight-line pace (px a frame) from its box centres where it is seen."""
    seen = np.flatnonzero(np.isfinite(boxes).all(axis=1))
    if len(seen) < 5:
        return float("nan")
    return abs(float(np.polyfit(seen, 0.5 * (boxes[seen, 0] + boxes[seen, 2]), 1)[0]))


def _summarize(args: argparse.Namespace) -> None:
    copies = _copies(args.out)
    names = sorted({k[len("cue_"):] for c in copies.values() for k in c if k.startswith("cue_")})
    tops, regions = [], []  # per normal frame: its top region's figures; per normal region: its figures
    for c in copies.values():
        frame = c["regions"][:, 0].astype(int)
        cues = np.stack([c["cue_" + n] for n in names], axis=1)
        total = cues.sum(axis=1)
        normal = np.flatnonzero(c["labels"][frame] == 0)
        under = walker_under(frame[normal], c["regions"][normal, 1:5], c["walkers"])
        pace = [_pace(c["walkers"][w]) if w >= 0 else np.nan for w in under]
        rows = np.c_[frame[normal], total[normal], np.argmax(cues[normal], axis=1), under >= 0,
                     c["vel"][normal, ORIENTATION_BINS + 1], (c["regions"][normal, 4] - c["regions"][normal, 2]), pace,
                     c["vel"][normal, ORIENTATION_BINS + 5]]
        regions.append(rows)
        tops.append(rows[top_regions(rows[:, 0], rows[:, 1])])
    tops, regions = np.concatenate(tops), np.concatenate(regions)
    top = tops[np.argsort(-tops[:, 1], kind="stable")][: int(TOP * len(tops))]
    walkers = [w for name, c in copies.items() if name.endswith(KINDS[0]) for w in c["walkers"]]  # once a video

    p50, p99, wide = np.median(regions[:, 4]), np.percentile(regions[:, 4], 99), np.percentile(regions[:, 7], 90)

    def figures(rows: np.ndarray) -> dict:
        return {"p90_flow_below_the_normal_regions_median": round(float(np.mean(rows[:, 4] < p50)), 3),
                "p90_flow_above_the_normal_regions_99th_percentile": round(float(np.mean(rows[:, 4] > p99)), 3),
                "aspect_above_the_normal_regions_90th_percentile": round(float(np.mean(rows[:, 7] > wide)), 3),
                "led_by": {n: round(float(np.mean(rows[:, 2] == i)), 3) for i, n in enumerate(names)},
                "on_a_pasted_walker": round(float(np.mean(rows[:, 3])), 3),
                "p90_flow_px_a_frame_median": round(float(np.median(rows[:, 4])), 2),
                "height_px_median": float(np.median(rows[:, 5])),
                "pace_of_the_walker_under_it_median": round(float(np.nanmedian(rows[:, 6])), 2)
                if np.isfinite(rows[:, 6]).any() else None}

    print(json.dumps({"copies": len(copies), "normal_frames": len(tops), "top_share": TOP,
                      f"top_{int(100 * TOP)}pct_normal_frames_top_region": figures(top),
                      "all_normal_frames_top_region": figures(tops), "all_normal_regions": figures(regions),
                      "normal_region_p90_flow_median_p99": [round(float(p50), 2), round(float(p99), 2)],
                      "pasted_walkers": len(walkers),
                      "pasted_walkers_pace_median": round(float(np.nanmedian([_pace(w) for w in walkers])), 2)},
                     indent=2))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit")
    fit.add_argument("--folds", default="0,1,2,3")
    fit.add_argument("--set", default="{}", help="Settings of `objects` (JSON).")
    fit.add_argument("--out", required=True)
    summarize = sub.add_parser("summarize")
    summarize.add_argument("--out", required=True)
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (_fit if args.command == "fit" else _summarize)(args)


if __name__ == "__main__":
    main()
