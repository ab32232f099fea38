"""Memory of `privad anonymize` (and optionally `privad run`) on a long input: the sample face clip looped to
`--minutes` (video packets copied, no re-encoding), run in a child process whose RSS is sampled every few seconds
(Linux /proc). Memory is flat when the RSS at the end is within a few MiB of the RSS after the first minute of
input. Prints JSON.

    python benchmarks/bench_memory.py [--minutes 30] [--command anonymize|run]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

from privad.device import resolve
from privad.io.sample_data import data_path


def looped(clip: Path, minutes: float, out: Path) -> tuple[int, float]:
    """`clip`'s video stream repeated until it lasts `minutes`; returns (frames, seconds)."""
    with av.open(str(clip)) as src:
        stream = src.streams.video[0]
        packets = [p for p in src.demux(stream) if p.size]
        rate = float(stream.average_rate)
        with av.open(str(out), "w") as dst:
            ostream = dst.add_stream_from_template(stream)
            span = max(p.pts for p in packets) + packets[-1].duration - min(p.pts for p in packets)
            repeats = max(1, int(round(minutes * 60 * rate / len(packets))))
            for k in range(repeats):
                for p in packets:
                    copy = av.Packet(bytes(p))
                    copy.pts, copy.dts = p.pts + k * span, p.dts + k * span
                    copy.duration, copy.time_base, copy.stream = p.duration, p.time_base, ostream
                    copy.is_keyframe = p.is_keyframe
                    dst.mux(copy)
    return repeats * len(packets), repeats * len(packets) / rate


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--command", choices=("anonymize", "run"), default="anonymize")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="privad-bench-memory-"))
    frames, seconds = looped(data_path("faces", "short_hamilton_clip.mp4"), args.minutes, work / "long.mp4")
    cmd = [sys.executable, "-m", "privad", args.command, str(work / "long.mp4"), "-o"]
    cmd += [str(work / "out.mp4"), "--targets", "faces"] if args.command == "anonymize" else [
        str(work / "run"), "--calibrate", "10"]
    start = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    while child.poll() is None:
        time.sleep(args.every)
        if (rss := rss_mib(child.pid)) is not None:
            samples.append({"t": round(time.monotonic() - start, 1), "rss_mib": round(rss, 1)})
    out, err = child.communicate()
    wall = time.monotonic() - start
    shutil.rmtree(work, ignore_errors=True)
    rss = [s["rss_mib"] for s in samples]
    after_minute = next((s["rss_mib"] for s in samples if s["t"] >= 60), rss[-1] if rss else None)
    print(json.dumps({
        "command": " ".join(["privad", *cmd[3:]]), "device": resolve(None), "input_minutes": round(seconds / 60, 2),
        "input_frames": frames, "returncode": child.returncode, "wall_s": round(wall, 1),
        "fps": round(frames / wall, 1), "rss_mib_after_1_min": after_minute, "rss_mib_at_end": rss[-1] if rss else None,
        "rss_mib_max": max(rss) if rss else None, "growth_mib": round(rss[-1] - after_minute, 1) if rss else None,
        "summary": out.strip().splitlines()[-1] if out.strip() else err.strip()[-300:],
        "samples": samples[:: max(1, len(samples) // 60)],
    }, indent=2))


if __name__ == "__main__":
    main()
