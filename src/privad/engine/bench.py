"""Cost of the pipeline on one input, stage by stage (LA3D's cost analysis): decode, detect, track, anonymize,
score, encode — ms per frame, end-to-end fps and peak memory.

Stages run one after another on the whole input (decode everything, then anonymize, then score, then encode), so
each is timed alone; a real `privad anonymize` run overlaps decoding and encoding with the rest and is faster than
the sum. Peak memory is the process's maximum resident size; `bench_isolated` runs in a fresh process so the figure
belongs to that one configuration.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from privad.protect.config import AnonymizeConfig
from privad.errors import PrivadError

STAGES = ("decode", "detect", "track", "anonymize", "score", "encode")


def _peak_mib() -> float:
    """This process's peak resident memory. Linux: VmHWM, which starts afresh in a spawned process (ru_maxrss
    carries the parent's peak over fork + exec, which would charge the parent's memory to every child)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(input: str | Path, config: AnonymizeConfig, model: Path | None = None,
          max_frames: int | None = None) -> dict:
    """Time every stage of anonymizing (and, with a model file, scoring) `input`."""
    from privad.io.sinks import VideoSink
    from privad.io.sources import open_source
    from privad.protect.pipeline import Anonymizer

    seconds = dict.fromkeys(STAGES, 0.0)
    start = time.perf_counter()
    source = open_source(input, max_frames=max_frames)
    frames = [f.image for f in source if f.image is not None]
    source.close()
    seconds["decode"] = time.perf_counter() - start
    if not frames:
        raise PrivadError(f"no frame could be decoded from {input}")
    anonymizer = Anonymizer(config, fps=float(source.info.fps))
    anonymizer.prime(frames)
    out = [anonymizer.process(f).image for f in frames]
    seconds.update(anonymizer.stats.seconds)
    if model is not None:
        from privad.vad import load_model

        m, _ = load_model(model)
        start = time.perf_counter()
        m.score(out)
        seconds["score"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        info = source.info
        info.width, info.height = out[0].shape[1], out[0].shape[0]
        start = time.perf_counter()
        with VideoSink(Path(tmp) / "bench.mp4", info, crf=config.video_crf, preset=config.video_preset) as sink:
            for image in out:
                sink.write(image)
        seconds["encode"] = time.perf_counter() - start
    n = len(frames)
    total = sum(seconds.values())
    return {
        "input": str(input), "method": config.method, "targets": list(config.targets), "frames": n,
        "ms_per_frame": {k: 1000 * v / n for k, v in seconds.items()},
        "total_ms_per_frame": 1000 * total / n, "fps": n / total, "peak_mib": _peak_mib(),
        "incidents": len(anonymizer.stats.incidents), "compute": anonymizer.compute,
    }


def bench_isolated(input: str | Path, config: AnonymizeConfig, model: Path | None = None,
                   max_frames: int | None = None) -> dict:
    """`bench` in a fresh Python process (`python -m privad.engine.bench`), so its peak memory is this configuration's
    alone and callers need no `if __name__ == "__main__"` guard."""
    import json

    args = json.dumps({"input": str(input), "config": config.model_dump(mode="json"),
                       "model": str(model) if model else None, "max_frames": max_frames})
    from privad.device import ENV, resolve

    env = {**os.environ, ENV: resolve()}  # the child runs on this process's device
    done = subprocess.run([sys.executable, "-m", "privad.engine.bench", args], capture_output=True, text=True,
                          check=False, env=env)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise PrivadError(f"bench failed: {lines[-1] if lines else f'exit code {done.returncode}'}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_deface(input: str | Path, max_seconds: float = 1800) -> dict | None:
    """Wall time and frame rate of the `deface` command on the same input (None when it is not installed)."""
    exe = shutil.which("deface") or (shutil.which("deface", path=str(Path(sys.executable).parent)))
    if exe is None:
        return None
    from privad.io.sources import open_source

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([exe, str(input), "-o", str(Path(tmp) / "out.mp4")], capture_output=True, check=False,
                              timeout=max_seconds)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise PrivadError(f"deface failed: {done.stderr.decode(errors='replace').strip().splitlines()[-1:]}")
    source = open_source(input)
    n = sum(1 for _ in source)
    source.close()
    return {"seconds": wall, "fps": n / wall, "frames_in": n}


def format_table(rows: list[dict]) -> str:
    """A Markdown table: one row per configuration, ms/frame per stage, fps and peak MiB."""
    head = "| method | targets | " + " | ".join(f"{s} ms" for s in STAGES) + " | total ms | fps | peak MiB |"
    lines = [head, "|" + "---|" * (len(STAGES) + 5)]
    for r in rows:
        ms = r["ms_per_frame"]
        lines.append(f"| {r['method']} | {','.join(r['targets'])} | " + " | ".join(f"{ms[s]:.2f}" for s in STAGES)
                     + f" | {r['total_ms_per_frame']:.2f} | {r['fps']:.1f} | {r['peak_mib']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # the child of bench_isolated: one JSON argument in, one JSON line out
    import json

    spec = json.loads(sys.argv[1])
    try:
        result = bench(spec["input"], AnonymizeConfig.model_validate(spec["config"]),
                       Path(spec["model"]) if spec["model"] else None, spec["max_frames"])
    except PrivadError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(result))
