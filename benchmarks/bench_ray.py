"""Speed-up of the Ray executor: `run_many` (the main job per video) on 8 Ped2 test videos with 1 and 2 local Ray
workers, and with the local executor. Prints JSON. Usage:
    python benchmarks/bench_ray.py [--videos 8] [--train 4]

The model is the attribute model fitted on the first --train Ped2 training videos under adaptive_blur on moving
objects (the main job's anonymization). Each run writes into a fresh folder, so nothing is resumed. Ray's start-up
(a few seconds) is inside the timed wall time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from privad.device import resolve
from privad.protect.config import AnonymizeConfig
from privad.engine.executor import make_executor
from privad.io.sample_data import data_path
from privad.engine.fit import fit
from privad.engine.run import run_many


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--train", type=int, default=4)
    args = parser.parse_args()
    ped2 = data_path("ucsd_ped2")
    work = Path(tempfile.mkdtemp(prefix="privad-bench-ray-"))
    model = work / "model.pkl"
    fit(sorted((ped2 / "training" / "frames").iterdir())[:args.train],
        anonymize=AnonymizeConfig(method="adaptive_blur", targets=["motion"]), output=model)
    videos = [str(p) for p in sorted((ped2 / "testing" / "frames").iterdir())[:args.videos]]
    frames = sum(len(list(Path(v).iterdir())) for v in videos)
    rows = {}
    for label, name, workers in (("local", "local", None), ("ray_1", "ray", 1), ("ray_2", "ray", 2)):
        start = time.perf_counter()
        runner = make_executor(name, workers=workers)
        try:
            summary = run_many(videos, work / label, runner, model_path=model)
        finally:
            runner.close()
        seconds = time.perf_counter() - start
        assert not summary.failed, summary.failed
        rows[label] = {"seconds": round(seconds, 1), "fps": round(frames / seconds, 1)}
    print(json.dumps({"videos": len(videos), "frames": frames, "runs": rows, "device": resolve(),
                      "speedup_ray2_over_ray1": round(rows["ray_1"]["seconds"] / rows["ray_2"]["seconds"], 2),
                      "speedup_ray2_over_local": round(rows["local"]["seconds"] / rows["ray_2"]["seconds"], 2)},
                     indent=2))


if __name__ == "__main__":
    main()
