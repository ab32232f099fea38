"""How often the `objects` model can afford to embed a region's appearance: scoring speed per `appearance_every`.

The rule, fixed before any run (2026-12-05): `appearance_every` is the smallest K of (1, 2, 4, 8, 16) at which the
`objects` model with the appearance cue (AI-VAD's: 1-NN on L2-normalized MobileNetV2 features), fitted on Ped2's
training videos 1-12, scores training videos 13-16 at >= 55 fps (the issue's 50 fps at 360x240 and a 10 % margin for
this shared machine; the median of 3 timings). No test video and no label is used. Prints JSON.

    python benchmarks/bench_appearance_cost.py [--root PATH] [--every 1,2,4,8,16] [--repeats 3] [--crop-size 64]

`--crop-size` (2026-12-05, third session): the same rule for larger encoder inputs (set 18 of select_defaults.py).
`--set KEY=VALUE` (2026-12-05, fourth session): any other setting, for candidates that change the cost (set 20).
`--on test` (the same session): the model fitted on all training videos scores Ped2's *test* videos, their frames read
inside the timing, as `privad evaluate` reports its scoring fps (the issue's target is on that figure). Only the
frames are read, never a label. Added after crops of 128 px every 2nd sighting (68 fps by the rule above) scored the
test at 42-45 fps: the held-out training videos, read beforehand, scored faster than the test videos do.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from privad.cli.options import key_values
from privad.data import load_dataset
from privad.device import resolve
from privad.io.sample_data import data_path
from privad.io.sources import read_all
from privad.vad.registry import build_model

APPEARANCE = {"use_appearance": True, "whiten": False, "knn_k": 1}
TARGET_FPS = 55.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--every", default="1,2,4,8,16")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--crop-size", type=int, default=None, help="the encoder's input side (default: the model's)")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="another model setting (as `privad --set`), e.g. pca_dim=256")
    parser.add_argument("--on", choices=["held-out", "test"], default="held-out",
                        help="score training videos 13-16 (fitted on 1-12), or the test videos read as evaluate does")
    args = parser.parse_args()
    dataset = load_dataset("ucsd_ped2", args.root or data_path("ucsd_ped2"))
    train = [read_all(v.source)[0] for v in dataset.train]
    if args.on == "test":
        fit_on, held_out = train, [lambda v=v: v.frames() for v in dataset.test]
    else:
        fit_on, held_out = train[:12], [lambda v=v: v for v in train[12:]]
    extra = key_values(args.settings)
    rows = []
    for every in (int(k) for k in args.every.split(",")):
        crop = {} if args.crop_size is None else {"crop_size": args.crop_size}
        model = build_model("objects", {**APPEARANCE, **crop, **extra, "appearance_every": every})
        start = time.perf_counter()
        model.fit(fit_on)
        fit_s = time.perf_counter() - start
        fps = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            frames = sum(len(model.score(list(video())).frames) for video in held_out)
            fps.append(frames / (time.perf_counter() - start))
        rows.append({"appearance_every": every, "fit_s": round(fit_s, 1), "score_fps": round(statistics.median(fps), 1),
                     "fps_runs": [round(f, 1) for f in fps]})
        print(rows[-1], file=sys.stderr, flush=True)
    chosen = next((r["appearance_every"] for r in rows if r["score_fps"] >= TARGET_FPS), None)
    print(json.dumps({"target_fps": TARGET_FPS, "crop_size": args.crop_size, "on": args.on, "settings": extra,
                      "frames": frames,
                      "device": resolve(), "rows": rows, "chosen": chosen}, indent=2))


if __name__ == "__main__":
    main()
