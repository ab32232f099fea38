"""Where `privad run`'s time goes on one input: when the calibration starts and ends (its `fit_score`), when the
last frame reaches the scorer, how long the final scoring (`StreamScorer.end`) and the outputs take, and the
process's CPU seconds against the wall clock (what two cores could at best make of the work). One run in this
process, timed by wrapping the stream scorer's methods (the run itself is unchanged). Prints JSON.

    python benchmarks/bench_run_timeline.py [VIDEO] [--calibrate 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from privad.engine import stream
from privad.engine.run import run_job
from privad.io.sample_data import data_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", nargs="?", default=None, help="default: the sample face clip")
    parser.add_argument("--calibrate", type=float, default=3.0, help="seconds of normal reference (--calibrate)")
    args = parser.parse_args()
    video = args.video or data_path("faces", "short_hamilton_clip.mp4")
    marks: dict[str, float] = {}
    scorer = stream.StreamScorer
    calibrate, push, end = scorer._calibrate, scorer.push, scorer.end

    def timed_calibrate(self, index, frame, out):
        was = self.calibrating
        marks.setdefault("first_frame_s", time.perf_counter() - start)
        before = time.perf_counter()
        calibrate(self, index, frame, out)
        if was and not self.calibrating:
            marks["calibration_start_s"] = before - start
            marks["calibration_end_s"] = time.perf_counter() - start

    def timed_push(self, index, frame):
        marks["last_frame_s"] = time.perf_counter() - start
        return push(self, index, frame)

    def timed_end(self):
        marks["end_start_s"] = time.perf_counter() - start
        out = end(self)
        marks["end_done_s"] = time.perf_counter() - start
        return out

    scorer._calibrate, scorer.push, scorer.end = timed_calibrate, timed_push, timed_end
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, start = os.times(), time.perf_counter()
        summary = run_job(video, Path(tmp) / "out", calibrate_seconds=args.calibrate, overwrite=True)
        wall, cpu1 = time.perf_counter() - start, os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    rows = {k: round(v, 2) for k, v in marks.items()}
    rows |= {"calibration_s": round(marks["calibration_end_s"] - marks["calibration_start_s"], 2),
             "final_scoring_s": round(marks["end_done_s"] - marks["end_start_s"], 2),
             "outputs_s": round(wall - marks["end_done_s"], 2)}
    print(json.dumps({"input": str(video), "frames": summary.frames, "wall_s": round(wall, 2),
                      "fps": round(summary.frames / wall, 1), "cpu_s": round(cpu, 1),
                      "cores_busy": round(cpu / wall, 2), "fps_if_two_cores_were_always_busy": round(
                          summary.frames / (cpu / 2), 1), "phases": rows}, indent=2))


if __name__ == "__main__":
    main()
