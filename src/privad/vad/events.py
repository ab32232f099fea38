"""Events: contiguous stretches of frame scores above a threshold, found online (live) or over a whole video."""

from __future__ import annotations

import numpy as np

from privad.types import Event


class OnlineEvents:
    """Feed scores frame by frame; an event is returned once it can no longer grow (more than `merge_gap` frames
    below the threshold after it). Events shorter than `min_frames` are dropped."""

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


def find_events(scores: np.ndarray, threshold: float, fps: float, min_frames: int = 5,
                merge_gap: int = 5) -> list[Event]:
    """Segments where `scores > threshold`, gaps of <= `merge_gap` frames bridged, shorter than `min_frames` dropped
    (`OnlineEvents` over the whole video)."""
    online = OnlineEvents(threshold, fps, min_frames, merge_gap)
    found = [online.push(i, float(s)) for i, s in enumerate(scores)] + [online.flush()]
    return [e for e in found if e is not None]
