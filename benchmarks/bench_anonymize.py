"""Anonymization benchmark: privad vs deface on the face clip, and per-method speed on Ped2.

Prints one JSON document. Usage:
    python benchmarks/bench_anonymize.py [--repeats 3] [--out bench-out] [--skip-deface]

Face clip (../shared/data/faces/short_hamilton_clip.mp4, 640x360, 275 frames): wall time, fps and peak RSS of
`privad anonymize` (faces + adaptive_max_blur / adaptive_blur) and of `deface` (both of its backends), each as its
own process, median of --repeats runs; identity leakage of every output judged by dlib (frames where a face is
found and matches a reference photo at distance < 0.6).
Ped2 (testing/frames/01-04, 360x240, motion targets): frames per second of detect+track+method in one process, per
method; the method alone in ms/frame on the same regions, and the adaptive overhead against its plain counterpart.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from privad.device import resolve
from privad.protect.config import AnonymizeConfig
from privad.io.sources import open_source
from privad.metrics.privacy.identity import IdentityJudge
from privad.protect.pipeline import Anonymizer
from privad.io.sample_data import data_path


# A small launcher forks the measured command, so its peak RSS is not inflated by this (large) process's pages.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
err = proc.stderr.read().decode()[-500:]
print(json.dumps({"status": status, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_mib": usage.ru_maxrss / 1024, "stderr": err}))
"""


def timed_process(cmd: list[str]) -> dict:
    """Run a command; wall seconds, CPU seconds and peak RSS of that process alone (os.wait4)."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result.pop("status") != 0:
        raise RuntimeError(f"{cmd[0]} failed: {result['stderr']}")
    result.pop("stderr")
    return result


def median_runs(cmd: list[str], repeats: int, frames: int) -> dict:
    runs = [timed_process(cmd) for _ in range(repeats)]
    wall = statistics.median(r["wall_s"] for r in runs)
    return {
        "wall_s": round(wall, 2), "fps": round(frames / wall, 1),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 1),
        "peak_mib": round(max(r["peak_mib"] for r in runs)), "runs_wall_s": [round(r["wall_s"], 2) for r in runs],
    }


def leakage(judge: IdentityJudge, video: Path) -> dict:
    report = judge.leakage(f.image for f in open_source(video))
    return {"frames_out": report.frames, "frames_with_faces": report.frames_with_faces,
            "frames_matched": report.frames_matched}


def face_clip_bench(out: Path, repeats: int, skip_deface: bool) -> dict:
    clip = data_path("faces", "short_hamilton_clip.mp4")
    faces = data_path("faces")
    judge = IdentityJudge([faces / "lin-manuel-miranda.png", faces / "alex-lacamoire.png"])
    frames = 275
    privad = [sys.executable, "-m", "privad", "anonymize", str(clip), "--targets", "faces", "-q"]
    full = ["--detect-scale", "1", "--detect-every", "1"]
    configs = {
        "privad, the default settings": [],
        "privad adaptive_max_blur (full-res detection)": ["--method", "adaptive_max_blur", *full],
        "privad adaptive_blur (full-res detection)": ["--method", "adaptive_blur", *full],
        "privad adaptive_max_blur --detect-every 2": ["--method", "adaptive_max_blur", "--detect-scale", "1",
                                                      "--detect-every", "2"],
        "privad adaptive_max_blur --detect-scale 0.5": ["--method", "adaptive_max_blur", "--detect-scale", "0.5",
                                                        "--detect-every", "1"],
        "privad adaptive_blur --detect-scale 0.5": ["--method", "adaptive_blur", "--detect-scale", "0.5",
                                                    "--detect-every", "1"],
        "privad adaptive_max_blur --detect-scale 0.5 --detect-every 2":
            ["--method", "adaptive_max_blur", "--detect-scale", "0.5", "--detect-every", "2"],
        "privad adaptive_blur --detect-scale 0.5 --detect-every 2":
            ["--method", "adaptive_blur", "--detect-scale", "0.5", "--detect-every", "2"],
    }
    results = {"raw clip": {"frames_out": frames, **leakage(judge, clip)}}
    for i, (name, extra) in enumerate(configs.items()):
        target = out / f"privad_{i}.mp4"
        results[name] = median_runs([*privad, "-o", str(target), *extra], repeats, frames) | leakage(judge, target)
    deface = shutil.which("deface")
    if deface and not skip_deface:
        for backend in ("onnxrt", "opencv"):
            target = out / f"deface_{backend}.mp4"
            cmd = [deface, str(clip), "-o", str(target), "--backend", backend]
            results[f"deface --backend {backend}"] = median_runs(cmd, repeats, frames) | leakage(judge, target)
        best = max((v["fps"] for k, v in results.items() if k.startswith("deface")))
        for k, v in results.items():
            if k.startswith("privad"):
                v["speedup_vs_best_deface"] = round(v["fps"] / best, 2)
    return results


def ped2_bench(repeats: int) -> dict:
    from privad.protect.methods import METHODS

    videos = [data_path("ucsd_ped2", "testing", "frames", f"{v:02d}") for v in (1, 2, 3, 4)]
    clips = [[f.image for f in open_source(v)] for v in videos]
    n = sum(len(c) for c in clips)
    results: dict = {"frames": n, "size": "360x240", "targets": "motion", "methods": {}}
    cached: dict = {}
    warm = Anonymizer(AnonymizeConfig(method="mask", targets=["motion"]))  # first-call costs out of the timings
    for frame in clips[0][:50]:
        warm.process(frame)
    for name, method in METHODS.items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            regions = []
            for frames in clips:
                anon = Anonymizer(AnonymizeConfig(method=name, targets=["motion"]))
                anon.prime(frames)
                for frame in frames:
                    result = anon.process(frame)
                    regions.append(result.detections)
            best = min(best, time.perf_counter() - start)
            if name == "mask":
                cached["regions"] = regions
        results["methods"][name] = {"pipeline_fps": round(n / best, 1)}
    # the method alone on identical regions
    frames = [f for c in clips for f in c]
    params = AnonymizeConfig().params
    for name, method in METHODS.items():
        start = time.perf_counter()
        for frame, dets in zip(frames, cached["regions"]):
            method.fn(frame, dets, params)
        results["methods"][name]["method_ms_per_frame"] = round((time.perf_counter() - start) / n * 1000, 3)
    ms = {k: v["method_ms_per_frame"] for k, v in results["methods"].items()}
    results["adaptive_overhead_ms"] = {
        "adaptive_blur - blur": round(ms["adaptive_blur"] - ms["blur"], 3),
        "adaptive_full_blur - blur": round(ms["adaptive_full_blur"] - ms["blur"], 3),
        "adaptive_max_blur - blur": round(ms["adaptive_max_blur"] - ms["blur"], 3),
        "adaptive_pixelization - pixelization": round(ms["adaptive_pixelization"] - ms["pixelization"], 3),
        "adaptive_max_pixelization - pixelization": round(ms["adaptive_max_pixelization"] - ms["pixelization"], 3),
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--skip-deface", action="store_true")
    parser.add_argument("--only", choices=["faces", "ped2"], default=None)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"machine": {"cpus": os.cpu_count(), "device": resolve()}}
    if args.only in (None, "faces"):
        report["face_clip"] = face_clip_bench(args.out, args.repeats, args.skip_deface)
    if args.only in (None, "ped2"):
        report["ped2_motion"] = ped2_bench(args.repeats)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
