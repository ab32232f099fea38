"""Run outputs: scores.csv (frame, score), regions.csv (frame, x1, y1, x2, y2, score), event clips."""

from __future__ import annotations

import csv
from pathlib import Path

from privad.types import Event, VideoScore


def write_csv(path: Path, header: list[str], rows) -> None:
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_scores(folder: Path, result: VideoScore) -> None:
    """FOLDER/scores.csv (frame, score) and FOLDER/regions.csv (frame, x1, y1, x2, y2, score)."""
    write_csv(folder / "scores.csv", ["frame", "score"], ((i, f"{s:.6f}") for i, s in enumerate(result.frames)))
    write_csv(folder / "regions.csv", ["frame", "x1", "y1", "x2", "y2", "score"],
              ((f, round(a, 1), round(b, 1), round(c, 1), round(d, 1), f"{s:.6f}")
               for f, a, b, c, d, s in result.regions))


def clip_span(event: Event, fps: float, seconds: float = 6.0) -> tuple[int, int]:
    """Frames (first, last) of an event's clip: the event with half a second either side, at most `seconds` long,
    centred on the peak when the event is longer."""
    half, margin = int(round(seconds * fps / 2)), int(round(fps / 2))
    return max(0, event.start - margin, event.peak - half), min(event.end + margin, event.peak + half)


def write_event_clips(video: Path, events: list[Event], fps: float, folder: Path) -> dict[int, str]:
    """Short clips of each event cut from the written (anonymized) video into FOLDER/event_N.mp4, in one pass over
    it; returns {event peak: path relative to FOLDER's parent}."""
    from privad.io.sinks import open_sink
    from privad.io.sources import open_source

    if not events:
        return {}
    spans = [clip_span(e, fps) for e in events]
    folder.mkdir(parents=True, exist_ok=True)
    open_clips: dict = {}
    out: dict[int, str] = {}
    source = open_source(video)
    try:
        for frame in source:
            if frame.index > max(b for _, b in spans):
                break
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
