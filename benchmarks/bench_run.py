"""Speed of `privad run` end to end (anonymize + score + write every output, the report included) at 640x360: the
sample face clip as it is (275 frames, 3 s of them the calibration: a third of the clip is fitted on), and the same
clip looped to `--minutes` (video packets copied, `bench_memory.looped`), where the calibration is a small part of the
work as on real footage. Each input runs `--repeats` times, one after the other in child processes; fps is frames
over the job's own seconds (summary.json; start-up not counted), and the median is reported. The issue's target is
>= 25 fps. `--against KEY=VALUE` (repeatable) also runs the model with those settings (`privad run --set`),
alternating with the default run by run, and reports the ratio of the medians: on a shared machine a side-by-side
ratio says more than either figure. Prints JSON.

    python benchmarks/bench_run.py [--repeats 3] [--minutes 1] [--calibrate 3] [--against patches=null ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_memory import looped
from privad.device import resolve
from privad.io.sample_data import data_path

TARGET_FPS = 25.0


def timed(video: Path, calibrate: float, out: Path, settings: list[str] = ()) -> dict:
    """One `privad run` (with model `settings`, KEY=VALUE) in a child process; its frames, seconds and fps."""
    subprocess.run([sys.executable, "-m", "privad", "run", str(video), "-o", str(out), "--calibrate",
                    str(calibrate), "--overwrite", *[a for kv in settings for a in ("--set", kv)]],
                   check=True, capture_output=True)
    summary = json.loads((out / "summary.json").read_text())
    return {"frames": summary["frames"], "seconds": round(summary["seconds"], 2),
            "fps": round(summary["frames"] / summary["seconds"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=1.0, help="the looped input's length")
    parser.add_argument("--calibrate", type=float, default=3.0, help="seconds of normal reference (--calibrate)")
    parser.add_argument("--against", action="append", default=[], metavar="KEY=VALUE",
                        help="also run with these model settings, alternating with the default (repeatable)")
    args = parser.parse_args()
    clip = data_path("faces", "short_hamilton_clip.mp4")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        frames, seconds = looped(clip, args.minutes, work / "looped.mp4")
        for name, video in (("clip", clip), (f"clip looped to {seconds / 60:.1f} min", work / "looped.mp4")):
            runs, other = [], []
            for _ in range(args.repeats):
                runs.append(timed(video, args.calibrate, work / "out"))
                if args.against:
                    other.append(timed(video, args.calibrate, work / "out", args.against))
            fps = statistics.median(r["fps"] for r in runs)
            rows.append({"input": name, "frames": runs[0]["frames"], "fps_median": fps, "runs": runs,
                         "target_met": fps >= TARGET_FPS})
            if other:
                against = statistics.median(r["fps"] for r in other)
                rows[-1]["against"] = {"settings": args.against, "fps_median": against, "runs": other,
                                       "default_over_against": round(fps / against, 3)}
            print(rows[-1], file=sys.stderr, flush=True)
    print(json.dumps({"target_fps": TARGET_FPS, "calibrate_s": args.calibrate, "device": resolve(None), "rows": rows},
                     indent=2))


if __name__ == "__main__":
    main()
