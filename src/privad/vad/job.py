"""The main job: anonymize a fixed-camera video, score it, find events, write a report."""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from privad.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.io.sinks import open_sink
from privad.io.sources import open_source
from privad.report.html import thumbnail, write_report
from privad.vad.base import build_model, load_model
from privad.vad.engine import AnonymizedView, write_csv, write_scores
from privad.vad.events import find_events
from privad.vad.scoring import VideoScore

DEFAULT_ANONYMIZATION = AnonymizeConfig(method="adaptive_blur", targets=["motion"])


@dataclass
class JobSummary:
    input: str
    output: str
    frames: int
    events: int
    threshold: float
    seconds: float
    model: str

    def line(self) -> str:
        return (f"{self.frames} frames, {self.events} events above {self.threshold:.2f}, {self.seconds:.1f} s "
                f"→ {self.output}/report.html")


def _chunks(source, size: int) -> Iterator[list[np.ndarray]]:
    """Consecutive lists of `size` decoded frames (analysis needs every frame: a decode failure is an error)."""
    buf: list[np.ndarray] = []
    for f in source:
        if f.image is None:
            raise PrivadError(f"frame {f.index} could not be decoded: {f.error}")
        buf.append(f.image)
        if len(buf) == size:
            yield buf
            buf = []
    if buf:
        yield buf


def _frames_at(video: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """Decode only the wanted frames of a (written, anonymized) video."""
    found: dict[int, np.ndarray] = {}
    if not wanted:
        return found
    source = open_source(video)
    try:
        for f in source:
            if f.index in wanted and f.image is not None:
                found[f.index] = f.image
            if len(found) == len(wanted) or f.index > max(wanted):
                break
    finally:
        source.close()
    return found


def run_job(input: str | Path, outdir: str | Path, model_path: Path | None = None,
            calibrate_seconds: float | None = None, fps: float = 25.0, model_config: dict | None = None,
            chunk_frames: int = 1500, context_frames: int = 30) -> JobSummary:
    """Anonymize `input`, score it with a fitted model (or one calibrated on its first seconds), write outputs.

    OUTDIR gets anonymized.mp4, scores.csv, regions.csv, events.csv, events.json, summary.json and report.html.
    The model sees the frames anonymized as it was fitted; the video written is always anonymized (the model's
    anonymization, or adaptive_blur on moving objects when the model was fitted on raw footage).
    The input is streamed in chunks of `chunk_frames`, each scored with the last `context_frames` of the previous
    chunk in front (their scores are dropped), so memory stays bounded for long videos.
    """
    start = time.perf_counter()
    if model_path is None and calibrate_seconds is None:
        raise PrivadError("give --model FILE or --calibrate SECONDS")
    if chunk_frames < 100 or context_frames < 0 or context_frames >= chunk_frames:
        raise PrivadError("--chunk-frames must be >= 100 and larger than the context")
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PrivadError(f"output {outdir} exists and is not a folder")
    if model_path is not None:
        model, view = load_model(model_path)
    source = open_source(input, fps=fps)
    info, rate = source.info, float(source.info.fps)
    try:
        if model_path is None:
            n = int(round(calibrate_seconds * rate))
            if n < 10:
                raise PrivadError(f"--calibrate {calibrate_seconds} s is only {n} frames; give at least 10")
            chunk_frames = max(chunk_frames, n + 1)
        chunks = _chunks(source, chunk_frames)
        first = next(chunks, [])
        if model_path is None:
            if n >= len(first):
                raise PrivadError(f"--calibrate {calibrate_seconds} s is {n} frames; the input has {len(first)}")
            view = DEFAULT_ANONYMIZATION
            model = build_model("attribute", model_config).fit([AnonymizedView(view)(first[:n])])
        shown_view = AnonymizedView(view or DEFAULT_ANONYMIZATION)
        seen_view = shown_view if view is not None else None
        outdir.mkdir(parents=True, exist_ok=True)
        scores, regions, context, total = [], [], [], 0
        with open_sink(outdir / "anonymized.mp4", info) as sink:
            for frames in itertools.chain([first], chunks):
                shown = shown_view(frames)
                for image in shown:
                    sink.write(image)
                seen = shown if seen_view is not None else frames
                result = model.score(context + seen, Path(str(input)).stem)
                k = len(context)
                scores.append(result.frames[k:])
                regions += [(f - k + total, *rest) for f, *rest in result.regions if f >= k]
                context = seen[-context_frames:] if context_frames else []
                total += len(frames)
    finally:
        source.close()
    frame_scores = np.concatenate(scores)
    threshold = float(model.state["threshold"])
    events = find_events(frame_scores, threshold, rate)
    write_scores(outdir, VideoScore(Path(str(input)).stem, frame_scores, regions))
    write_csv(outdir / "events.csv", ["start", "end", "peak", "peak_score", "start_s", "end_s"],
              ((e.start, e.end, e.peak, f"{e.peak_score:.4f}", f"{e.start_s:.3f}", f"{e.end_s:.3f}") for e in events))
    (outdir / "events.json").write_text(json.dumps([e.to_dict() for e in events], indent=2))
    by_frame: dict[int, list[tuple]] = {}
    for r in regions:
        by_frame.setdefault(r[0], []).append(r)
    peaks = _frames_at(outdir / "anonymized.mp4", {e.peak for e in events})
    thumbs = {p: thumbnail(image, by_frame.get(p, [])) for p, image in peaks.items()}
    summary = JobSummary(str(input), str(outdir), total, len(events), threshold,
                         time.perf_counter() - start, "calibrated on the first "
                         f"{calibrate_seconds} s" if model_path is None else str(model_path))
    write_report(outdir / "report.html", f"privad run: {Path(str(input)).name}", frame_scores, threshold, rate,
                 events, thumbs, {"input": input, "frames": total, "fps": round(rate, 2), "model": summary.model,
                                  "anonymization": (view or DEFAULT_ANONYMIZATION).method,
                                  "threshold": round(threshold, 3), "events": len(events)})
    (outdir / "summary.json").write_text(json.dumps(summary.__dict__, indent=2))
    return summary


@dataclass
class BatchSummary:
    """`run_many`: per video 'done', 'skipped' (finished by an earlier run) or the error that stopped it."""

    output: str
    status: dict[str, str]
    seconds: float
    executor: str

    @property
    def failed(self) -> dict[str, str]:
        return {k: v for k, v in self.status.items() if v not in ("done", "skipped")}

    def line(self) -> str:
        done = sum(v == "done" for v in self.status.values())
        skipped = sum(v == "skipped" for v in self.status.values())
        text = (f"{len(self.status)} videos: {done} done, {skipped} already done, {len(self.failed)} failed, "
                f"{self.seconds:.1f} s ({self.executor}) → {self.output}/NAME/report.html")
        return text + "".join(f"\n  {k}: {v}" for k, v in self.failed.items())


def run_many(inputs: list[str], outdir: str | Path, executor=None, on_done=None, **job) -> BatchSummary:
    """`run_job` for every input into OUTDIR/NAME/ as one task each (see `privad.executor`). A video whose
    summary.json exists is skipped (a rerun resumes); a failed video is reported and the others go on.
    OUTDIR/runs.json records each video's status."""
    from privad.executor import LocalExecutor
    from privad.io.corpus import video_name

    start = time.perf_counter()
    executor = executor or LocalExecutor()
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PrivadError(f"output {outdir} exists and is not a folder")
    outdir.mkdir(parents=True, exist_ok=True)
    status: dict[str, str] = {}
    todo: dict[str, tuple] = {}
    for item in inputs:
        name = video_name(item)
        if (outdir / name / "summary.json").is_file():
            status[name] = "skipped"
        else:
            todo[name] = (item, outdir / name)

    def done(outcome) -> None:
        status[outcome.key] = "done" if outcome.ok else outcome.error
        if on_done:
            on_done(outcome)

    executor.run(functools.partial(_run_one, job=job), todo, done)
    summary = BatchSummary(str(outdir), {video_name(i): status[video_name(i)] for i in inputs},
                           time.perf_counter() - start, executor.name)
    (outdir / "runs.json").write_text(json.dumps(summary.__dict__, indent=2))
    return summary


def _run_one(input: str, outdir: Path, job: dict) -> JobSummary:
    return run_job(input, outdir, **job)
