"""Events: contiguous stretches of frame scores above a threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Event:
    start: int  # first frame (inclusive)
    end: int  # last frame (inclusive)
    peak: int  # frame of the highest score
    peak_score: float
    start_s: float
    end_s: float

    def to_dict(self) -> dict:
        return asdict(self)


def find_events(scores: np.ndarray, threshold: float, fps: float, min_frames: int = 5,
                merge_gap: int = 5) -> list[Event]:
    """Segments where `scores > threshold`, gaps of <= `merge_gap` frames bridged, shorter than `min_frames` dropped."""
    above = np.asarray(scores) > threshold
    segments: list[list[int]] = []
    for i in np.flatnonzero(above):
        if segments and i - segments[-1][1] <= merge_gap + 1:
            segments[-1][1] = int(i)
        else:
            segments.append([int(i), int(i)])
    events = []
    for s, e in segments:
        if e - s + 1 < min_frames:
            continue
        peak = s + int(np.argmax(scores[s: e + 1]))
        events.append(Event(s, e, peak, float(scores[peak]), s / fps, (e + 1) / fps))
    return events
