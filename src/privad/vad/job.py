"""The main job: anonymize a fixed-camera video, score it, find events, write a report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path


from privad.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.io.sinks import open_sink
from privad.report.html import thumbnail, write_report
from privad.vad.base import build_model, load_model
from privad.io.sources import read_all
from privad.vad.engine import anonymized, write_csv, write_scores
from privad.vad.events import find_events

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


def run_job(input: str | Path, outdir: str | Path, model_path: Path | None = None,
            calibrate_seconds: float | None = None, fps: float = 25.0, model_config: dict | None = None) -> JobSummary:
    """Anonymize `input`, score it with a fitted model (or one calibrated on its first seconds), write outputs.

    OUTDIR gets anonymized.mp4, scores.csv, regions.csv, events.csv, events.json, summary.json and report.html.
    The model sees the frames anonymized as it was fitted; the video written is always anonymized (the model's
    anonymization, or adaptive_blur on moving objects when the model was fitted on raw footage).
    """
    start = time.perf_counter()
    if model_path is None and calibrate_seconds is None:
        raise PrivadError("give --model FILE or --calibrate SECONDS")
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PrivadError(f"output {outdir} exists and is not a folder")
    frames, info = read_all(input, fps)
    rate = float(info.fps)
    if model_path is not None:
        model, view = load_model(model_path)
    else:
        n = int(round(calibrate_seconds * rate))
        if n < 10 or n >= len(frames):
            raise PrivadError(f"--calibrate {calibrate_seconds} s is {n} frames; the input has {len(frames)}")
        view = DEFAULT_ANONYMIZATION
        model = build_model("attribute", model_config).fit([anonymized(frames[:n], view)])
    shown = anonymized(frames, view or DEFAULT_ANONYMIZATION)
    seen = shown if view is not None else frames
    result = model.score(seen, Path(str(input)).stem)
    threshold = float(model.state["threshold"])
    events = find_events(result.frames, threshold, rate)
    outdir.mkdir(parents=True, exist_ok=True)
    with open_sink(outdir / "anonymized.mp4", info) as sink:
        for image in shown:
            sink.write(image)
    write_scores(outdir, result)
    write_csv(outdir / "events.csv", ["start", "end", "peak", "peak_score", "start_s", "end_s"],
               ((e.start, e.end, e.peak, f"{e.peak_score:.4f}", f"{e.start_s:.3f}", f"{e.end_s:.3f}") for e in events))
    (outdir / "events.json").write_text(json.dumps([e.to_dict() for e in events], indent=2))
    by_frame: dict[int, list[tuple]] = {}
    for r in result.regions:
        by_frame.setdefault(r[0], []).append(r)
    thumbs = {e.peak: thumbnail(shown[e.peak], by_frame.get(e.peak, [])) for e in events}
    summary = JobSummary(str(input), str(outdir), len(frames), len(events), threshold,
                         time.perf_counter() - start, "calibrated on the first "
                         f"{calibrate_seconds} s" if model_path is None else str(model_path))
    write_report(outdir / "report.html", f"privad run: {Path(str(input)).name}", result.frames, threshold, rate, events,
                 thumbs, {"input": input, "frames": len(frames), "fps": round(rate, 2), "model": summary.model,
                          "anonymization": (view or DEFAULT_ANONYMIZATION).method, "threshold": round(threshold, 3),
                          "events": len(events)})
    (outdir / "summary.json").write_text(json.dumps(summary.__dict__, indent=2))
    return summary
