"""The `learned` anonymizer end to end: train it on the sample data (timed), then measure it like every other method
(privacy on the face clip, Ped2 micro AUC with the default model, ms/frame) through the trade-off harness, next to
the raw video and LA3D's best method. Prints JSON.

    python benchmarks/bench_learned.py [--weights anonymizer.pt] [--out DIR] [--steps N]

With --weights it skips training. --out keeps the trade-off cache, so a rerun only measures what changed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from privad.device import resolve
from privad.protect.train import TrainConfig, load_data, sample_inputs, train_anonymizer
from privad.report.plots import curves_plot
from privad.io.sample_data import data_path
from privad.engine.tradeoff import Setting, TradeoffInputs, run_tradeoff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--steps", type=int, default=TrainConfig().steps)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-learned-"))
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {}
    weights = args.weights
    if weights is None:
        config = TrainConfig(steps=args.steps)
        videos, stills = sample_inputs()
        start = time.perf_counter()
        data = load_data(videos, stills, config.size, config.clip_len)
        trainer = train_anonymizer(data, out / "anonymizer.pt", config)
        result["train"] = {"seconds": time.perf_counter() - start, "steps": trainer.step,
                           "config": config.model_dump(), "final": trainer.history[-1]}
        curves_plot(trainer.history, out / "anonymizer_curves.png")
        weights = out / "anonymizer.pt"
    faces = data_path("faces")
    inputs = TradeoffInputs("ucsd_ped2", data_path("ucsd_ped2"), faces / "short_hamilton_clip.mp4",
                            [faces / "lin-manuel-miranda.png", faces / "alex-lacamoire.png"], weights=weights)
    rows = run_tradeoff(inputs, [Setting("no-an"), Setting("adaptive_max_blur"), Setting("learned")], out)
    result["tradeoff"] = rows
    result["device"] = resolve()
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
