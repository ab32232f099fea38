"""The main job: anonymize a fixed-camera video, score it, find events, write a report.

The video goes through the protect stream once (the same `Anonymizer.stream` as `privad anonymize`: timestamps kept,
a frame that fails to decode or to anonymize is written fully obfuscated) and through the stream scorer that
`privad serve` uses, chunk by chunk, so memory stays bounded for long videos. Anonymizing and writing run on a
thread of their own, up to `frames_ahead` frames ahead of the scorer, so they go on while a chunk is scored.
"""

from __future__ import annotations

import functools
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from privad.engine.executor import Executor, LocalExecutor
from privad.engine.outputs import write_csv, write_event_clips, write_scores
from privad.engine.stream import StreamScorer, check_calibration_settings
from privad.engine.views import DEFAULT_ANONYMIZATION
from privad.engine.workdir import WorkDir
from privad.io.atomic import missing_parents, remove_empty, write_text
from privad.errors import PrivadError
from privad.io.corpus import video_name
from privad.io.sinks import open_sink
from privad.io.sources import decoded_ahead, open_source, prefetch
from privad.protect.pipeline import Anonymizer
from privad.report.html import thumbnail, write_report
from privad.types import VideoScore
from privad.vad import load_model


# what a run writes into its folder (a folder holding any of them holds an earlier run)
OUTPUTS = ("anonymized.mp4", "scores.csv", "regions.csv", "events.csv", "events.json", "summary.json", "report.html",
           "events")


# frames anonymized ahead of the scorer: up to this many bytes of them (the frame the scorer sees, one each; 21
# frames at 1080p: twice that measured no faster there and 0.3 GiB more at peak)
AHEAD_BYTES = 128 << 20


def frames_ahead(height: int, width: int) -> int:
    """How many anonymized frames may wait for the scorer: 8 to 64, within AHEAD_BYTES."""
    return int(np.clip(AHEAD_BYTES // (3 * height * width), 8, 64))


@dataclass
class JobSummary:
    input: str
    output: str
    frames: int
    events: int
    threshold: float
    seconds: float
    model: str
    calibration_frames: list[int] | None = None  # first and last frame used as the normal reference
    incidents: int = 0  # frames written fully obfuscated (decode or anonymization failures)
    compute: dict = field(default_factory=dict)  # device and ONNX Runtime providers used (Anonymizer.compute)

    def line(self) -> str:
        text = (f"{self.frames} frames, {self.events} events above {self.threshold:.2f}, {self.seconds:.1f} s "
                f"→ {self.output}/report.html")
        if self.calibration_frames:
            text += f" (normal reference: frames {self.calibration_frames[0]}–{self.calibration_frames[1]})"
        return text + (f"; {self.incidents} frames obfuscated after errors" if self.incidents else "")


def run_job(input: str | Path, outdir: str | Path, model_path: Path | None = None,
            calibrate_seconds: float | None = None, fps: float | None = None, model_config: dict | None = None,
            chunk_frames: int = 1500, context_frames: int = 30, calibrate_frames: int | None = None,
            overwrite: bool = False) -> JobSummary:
    """Anonymize `input`, score it with a fitted model (or one calibrated on its first seconds or frames), write
    outputs.

    Frame folders and images have no frame rate of their own: `fps` gives it (25 when not given), and calibrating
    on seconds of such an input needs it given — a wrong guess would move the normal reference.

    OUTDIR gets anonymized.mp4, scores.csv, regions.csv, events.csv, events.json, events/event_N.mp4 (a short
    anonymized clip per event), summary.json and report.html.
    The model sees the frames anonymized as it was fitted; the video written is always anonymized (the model's
    anonymization, or the default method on moving objects when the model was fitted on raw footage). Frames are scored
    in chunks of `chunk_frames`, each with the last `context_frames` of the previous chunk in front.
    """
    start = time.perf_counter()
    if model_path is None and calibrate_seconds is None and calibrate_frames is None:
        raise PrivadError("give --model FILE, --calibrate SECONDS or --calibrate-frames N")
    check_calibration_settings(model_path, model_config)  # before anything is read or written
    if calibrate_seconds is not None and calibrate_frames is not None:
        raise PrivadError("give --calibrate SECONDS or --calibrate-frames N, not both")
    if chunk_frames < 100 or context_frames < 0 or context_frames >= chunk_frames:
        raise PrivadError("--chunk-frames must be >= 100 and larger than the context")
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PrivadError(f"output {outdir} exists and is not a folder")
    earlier = [n for n in OUTPUTS if (outdir / n).exists()]
    if earlier and not overwrite:
        raise PrivadError(f"{outdir} already holds a run ({', '.join(earlier[:3])}): give --overwrite to replace it, "
                          "or another output folder")
    model, view = load_model(model_path) if model_path is not None else (None, DEFAULT_ANONYMIZATION)
    source = open_source(input, fps=fps or 25.0)
    info, rate = source.info, float(source.info.fps)
    calibrate = 0
    if model is None and calibrate_frames is not None:
        calibrate, asked = calibrate_frames, f"--calibrate-frames {calibrate_frames}"
    elif model is None:
        if fps is None and info.kind in ("frames", "image"):
            source.close()
            raise PrivadError(f"{input} has no frame rate of its own: give --fps with --calibrate SECONDS "
                              "(UCSD Ped2 is 10 fps), or --calibrate-frames N")
        calibrate, asked = int(round(calibrate_seconds * rate)), f"--calibrate {calibrate_seconds} s"
    if model is None and calibrate < 10:
        source.close()
        raise PrivadError(f"{asked} is only {calibrate} frames; give at least 10")
    anonymizer = Anonymizer((view or DEFAULT_ANONYMIZATION).model_copy(update={"on_error": "obfuscate"}), fps=rate)
    scorer = StreamScorer(model, rate, chunk_frames, context_frames, calibrate_frames=calibrate,
                          calibrate_width=None, model_config=model_config, score_calibration=True,
                          min_run=1)
    scores: dict[int, float] = {}
    regions: list[tuple] = []
    events = []

    def take(out) -> None:
        events.extend(out.events)
        for index, s in out.scores:
            scores[index] = s
            regions.extend(out.regions.get(index, []))

    created = [outdir, *missing_parents(outdir)] if not outdir.exists() else []
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        # one BLAS thread for the whole stream: the blur limits BLAS to one thread while it runs (a process-wide
        # setting), so a scorer beside it would otherwise sum its products over one thread or two as the timing
        # falls, and the scores of two runs would differ in their 6th decimal
        with (threadpool_limits(limits=1, user_api="blas"), decoded_ahead(source) as frames,
              open_sink(outdir / "anonymized.mp4", info) as sink):
            def anonymized():  # on a thread of its own (prefetch): anonymizing runs on while a chunk is scored
                for frame, result in anonymizer.stream(frames, (info.height, info.width)):
                    sink.write(result.image, pts=frame.pts)
                    yield frame.index, (result.image if view is not None or frame.image is None else frame.image)

            for index, seen in prefetch(anonymized(), frames_ahead(info.height, info.width)):
                take(scorer.push(index, seen))
            if anonymizer.stats.frames_in == 0:
                raise PrivadError(f"no frames could be read from {input}")
            if scorer.calibrating:
                raise PrivadError(f"{asked} is {calibrate} frames; the input has {anonymizer.stats.frames_in}")
            take(scorer.end())
    except BaseException:
        if created:  # a failed run leaves no folder it made
            shutil.rmtree(outdir, ignore_errors=True)
            remove_empty(created[1:])
        raise
    finally:
        source.close()
    total = anonymizer.stats.frames_in
    frame_scores = np.array([scores[i] for i in range(total)])
    threshold = scorer.threshold
    name = Path(str(input)).stem
    write_scores(outdir, VideoScore(name, frame_scores, sorted(regions)))
    write_csv(outdir / "events.csv", ["start", "end", "peak", "peak_score", "start_s", "end_s"],
              ((e.start, e.end, e.peak, f"{e.peak_score:.4f}", f"{e.start_s:.3f}", f"{e.end_s:.3f}") for e in events))
    (outdir / "events.json").write_text(json.dumps([e.to_dict() for e in events], indent=2))
    shutil.rmtree(outdir / "events", ignore_errors=True)  # an earlier run's clips
    # each event's picture is drawn from its peak as written, in the clips' one pass over the anonymized video, so
    # no frame is held for it while the video is scored
    peaks = {e.peak for e in events}
    at: dict[int, list[tuple]] = {}
    for r in regions:
        if r[0] in peaks:
            at.setdefault(r[0], []).append(r)
    pictures: dict[int, bytes] = {}

    def draw(index: int, image: np.ndarray) -> None:
        pictures[index] = thumbnail(image, at.get(index, []))

    clips = write_event_clips(outdir / "anonymized.mp4", events, rate, outdir / "events", on_peak=draw)
    span = list(scorer.calibration_span) if scorer.calibration_span else None
    described = ((f"calibrated on the first {calibrate} frames" + (f" ({calibrate_seconds:g} s)"
                  if calibrate_seconds is not None else "")) if model_path is None else str(model_path))
    write_report(outdir / "report.html", f"privad run: {Path(str(input)).name}", frame_scores, threshold, rate,
                 events, pictures, {"input": input, "frames": total, "fps": round(rate, 2), "model": described,
                                    "anonymization": (view or DEFAULT_ANONYMIZATION).method,
                                    "threshold": round(threshold, 3), "events": len(events)},
                 calibration=tuple(span) if span else None, clips=clips)
    # the job's time includes every output it writes, the report too
    summary = JobSummary(str(input), str(outdir), total, len(events), threshold, time.perf_counter() - start,
                         described, span, len(anonymizer.stats.incidents), anonymizer.compute)
    (outdir / "summary.json").write_text(json.dumps(asdict(summary), indent=2))
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


def run_many(inputs: list[str], outdir: str | Path, executor: Executor | None = None, on_done=None,
             **job) -> BatchSummary:
    """`run_job` for every input into OUTDIR/NAME/ as one task each (see `privad.engine.executor`). A video finished
    by an earlier run *with the same settings* (model file and its content, calibration, chunking) is skipped, so a
    rerun resumes; other settings redo it. A failed video is reported and the others go on.
    OUTDIR/runs.json records each video's status."""
    start = time.perf_counter()
    executor = executor or LocalExecutor()
    settings = dict(job)
    if job.get("model_path") is not None and Path(job["model_path"]).is_file():
        settings["model_stamp"] = Path(job["model_path"]).stat().st_mtime_ns
    work = WorkDir(Path(outdir), settings, record="run-settings.json")
    names = {video_name(i): i for i in inputs}
    results = {name: work.folder / name / "summary.json" for name in names}
    todo = work.pending({name: (item, work.folder / name) for name, item in names.items()}, results)
    status = {name: "skipped" for name in names if name not in todo}

    def done(outcome) -> None:
        status[outcome.key] = "done" if outcome.ok else outcome.error
        if outcome.ok:
            work.mark(outcome.key)
        if on_done:
            on_done(outcome)

    executor.run(functools.partial(_run_one, job=job), todo, done)
    summary = BatchSummary(str(work.folder), {name: status[name] for name in names}, time.perf_counter() - start,
                           executor.name)
    write_text(work.folder / "runs.json", json.dumps(asdict(summary), indent=2))
    return summary


def _run_one(input: str, outdir: Path, job: dict) -> JobSummary:
    # a corpus redoes a video whose settings changed (WorkDir decides what is pending), so it may replace it
    return run_job(input, outdir, **(job | {"overwrite": True}))
