"""Run outputs: scores.csv (frame, score), regions.csv (frame, x1, y1, x2, y2, score[, each cue's part]), event
clips."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from privad.types import Event, VideoScore


def write_csv(path: Path, header: list[str], rows) -> None:
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_scores(folder: Path, result: VideoScore, parts: dict[str, np.ndarray] | None = None) -> None:
    """FOLDER/scores.csv (frame, score) and FOLDER/regions.csv (frame, x1, y1, x2, y2, score), with a column for
    each cue's part of the region's score when `parts` has them (`AttributeModel.explain`; they add up to it)."""
    parts = parts or {}
    write_csv(folder / "scores.csv", ["frame", "score"], ((i, f"{s:.6f}") for i, s in enumerate(result.frames)))
    write_csv(folder / "regions.csv", ["frame", "x1", "y1", "x2", "y2", "score", *parts],
              ((f, round(a, 1), round(b, 1), round(c, 1), round(d, 1), f"{s:.6f}",
                *(f"{part[k]:.6f}" for part in parts.values()))
               for k, (f, a, b, c, d, s) in enumerate(result.regions)))


def clip_span(event: Event, fps: float, seconds: float = 6.0) -> tuple[int, int]:
    """Frames (first, last) of an event's clip: the event with half a second either side, at most `seconds` long,
    centred on the peak when the event is longer."""
    half, margin = int(round(seconds * fps / 2)), int(round(fps / 2))
    return max(0, event.start - margin, event.peak - half), min(event.end + margin, event.peak + half)


def write_event_clips(video: Path, events: list[Event], fps: float, folder: Path,
                      on_peak: Callable[[int, np.ndarray], None] | None = None) -> dict[int, str]:
    """Short clips of each event cut from the written (anonymized) video into FOLDER/event_N.mp4, in one pass over
    it; returns {event peak: path relative to FOLDER's parent}. `on_peak(index, image)` is called with each event's
    peak frame as the pass reads it."""
    from privad.io.sinks import open_sink
    from privad.io.sources import open_source

    if not events:
        return {}
    spans = [clip_span(e, fps) for e in events]
    peaks = {e.peak for e in events}
    last = max(b for _, b in spans)
    folder.mkdir(parents=True, exist_ok=True)
    open_clips: dict = {}
    out: dict[int, str] = {}
    source = open_source(video)
    try:
        for frame in source:
            if frame.index > last:
                break
            if on_peak is not None and frame.index in peaks and frame.image is not None:
                on_peak(frame.index, frame.image)
            for i, (a, b) in enumerate(spans):
                if i in open_clips and frame.index > b:
                    open_clips.pop(i).close()  # committed: the clip is complete
                elif a <= frame.index <= b and frame.image is not None:
                    if i not in open_clips:
                        path = folder / f"event_{i + 1}.mp4"
                        open_clips[i] = open_sink(path, source.info)
                        out[events[i].peak] = f"{folder.name}/{path.name}"
                    open_clips[i].write(frame.image)
        for sink in open_clips.values():
            sink.close()
    except BaseException:
        for sink in open_clips.values():
            sink.abort()  # no half-written clip
        raise
    finally:
        source.close()
    return out


def write_video_report(path: Path, title: str, score: VideoScore, frames: list, threshold: float, fps: float,
                       shown: str, labels=None) -> None:
    """A report page for one scored video whose frames are at hand: its events above `threshold`, their peak frames
    with the top regions, and the ground-truth spans when `labels` are given."""
    from privad.report.html import thumbnail, write_report
    from privad.vad.events import find_events

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    events = find_events(score.frames, threshold, fps)
    regions: dict[int, list[tuple]] = {}
    for r in score.regions:
        regions.setdefault(r[0], []).append(r)
    thumbs = {e.peak: thumbnail(frames[e.peak], regions.get(e.peak, [])) for e in events}
    write_report(Path(path), title, score.frames, threshold, fps, events, thumbs,
                 {"frames": len(score.frames), "threshold": round(threshold, 3), "events": len(events),
                  "pictures": shown}, labels=labels, shown=shown)
