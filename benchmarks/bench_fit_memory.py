"""Fitting the default model on a corpus the size of another public dataset: fit time, frames read and peak memory.

The corpus is made from Ped2's training frames (no other dataset is on this machine), resized to the other
dataset's frame size and looped (forward, then backward, so motion stays smooth) to its video lengths, and written
as H.264 videos in a temporary folder:
- `avenue`: 16 videos of 958 frames at 640x360 (CUHK Avenue's training split: 15,328 frames);
- `shanghaitech`: 330 videos of 830 frames at 856x480 (ShanghaiTech's: ~274,000 frames); 16 distinct videos, the
  rest links to them (the fit reads each file like any other).
`privad fit` runs in a child process; its peak RSS is the kernel's (ru_maxrss). Prints JSON.

`--length N` makes every video N frames long instead (e.g. 1250: Avenue's frame budget spent on 16 videos as long
as its longer ones, each read whole). `--count N` fits on N videos; `--method M` fits on frames anonymized by M
(`privad fit --method`).

    python benchmarks/bench_fit_memory.py [--shape avenue|shanghaitech] [--length N] [--count N] [--method M]
                                          [--max-train-frames N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2

from privad.data import load_dataset
from privad.io.sample_data import data_path

SHAPES = {"avenue": (16, 958, (640, 360)), "shanghaitech": (330, 830, (856, 480))}


def write_video(frames: list, length: int, size: tuple[int, int], path: Path) -> None:
    """`frames` resized to `size` and looped forward and backward to `length` frames, as H.264."""
    cycle = frames + frames[-2:0:-1]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for i in range(length):
            image = cv2.resize(cycle[i % len(cycle)], size, interpolation=cv2.INTER_LINEAR)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        out.mux(stream.encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", choices=sorted(SHAPES), default="avenue")
    parser.add_argument("--length", type=int, default=None, help="frames per video (default: the shape's)")
    parser.add_argument("--max-train-frames", type=int, default=None, help="passed to privad fit (0: all)")
    parser.add_argument("--count", type=int, default=None, help="training videos (default: the shape's)")
    parser.add_argument("--method", default=None, help="passed to privad fit: fitted on frames anonymized so")
    args = parser.parse_args()
    count, length, size = SHAPES[args.shape]
    count = args.count or count
    length = args.length or length
    ped2 = load_dataset("ucsd_ped2", data_path("ucsd_ped2"))
    with tempfile.TemporaryDirectory(prefix="privad-corpus-") as tmp:
        folder = Path(tmp) / "train"
        folder.mkdir()
        made = time.perf_counter()
        distinct = []
        for k, video in enumerate(ped2.train[:count]):
            distinct.append(folder / f"{k:03d}.mp4")
            write_video(video.frames(), length, size, distinct[-1])
        for k in range(len(distinct), count):
            (folder / f"{k:03d}.mp4").symlink_to(distinct[k % len(distinct)])
        made = time.perf_counter() - made
        files = [str(folder / f"{k:03d}.mp4") for k in range(count)]
        command = [sys.executable, "-m", "privad", "fit", *files, "-o", str(Path(tmp) / "m.privad")]
        if args.max_train_frames is not None:
            command += ["--max-train-frames", str(args.max_train_frames)]
        if args.method is not None:
            command += ["--method", args.method]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"shape": args.shape, "method": args.method, "videos": count, "frames_per_video": length,
                      "size": list(size), "corpus_frames": count * length, "corpus_seconds_to_make": round(made, 1),
                      "returncode": done.returncode, "fit_wall_s": round(seconds, 1), "peak_rss_mib": round(peak),
                      "stdout": done.stdout.strip()[-300:], "stderr": done.stderr.strip()[-300:]}, indent=2))


if __name__ == "__main__":
    main()
