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


class OnlineEvents:
    """`find_events` on a stream: feed scores frame by frame; an event is returned once it can no longer grow
    (more than `merge_gap` frames below the threshold after it). Same segments as `find_events` on the whole."""

    def __init__(self, threshold: float, fps: float, min_frames: int = 5, merge_gap: int = 5):
        self.threshold, self.fps, self.min_frames, self.merge_gap = threshold, fps, min_frames, merge_gap
        self._open: list | None = None  # [start, last frame above, peak, peak score]

    def push(self, index: int, score: float) -> Event | None:
        """The frame `index` scored `score` (indices increase); returns an event that just closed, if any."""
        closed = None
        if self._open is not None and index - self._open[1] > self.merge_gap + (score > self.threshold):
            closed = self._close()
        if score > self.threshold:
            if self._open is None:
                self._open = [index, index, index, score]
            else:
                self._open[1] = index
                if score > self._open[3]:
                    self._open[2:] = [index, score]
        return closed

    @property
    def peak(self) -> tuple[int, float] | None:
        """(frame, score) of the open event's peak so far."""
        return None if self._open is None else (self._open[2], self._open[3])

    def flush(self) -> Event | None:
        """Close the open event at the end of the stream."""
        return self._close() if self._open is not None else None

    def _close(self) -> Event | None:
        start, end, peak, score = self._open
        self._open = None
        if end - start + 1 < self.min_frames:
            return None
        return Event(start, end, peak, float(score), start / self.fps, (end + 1) / self.fps)
