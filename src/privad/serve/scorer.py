"""Scoring a live stream: windows of consecutive frames, each scored with the previous window as context.

Motion features need consecutive frames: a dropped frame doubles every velocity across it. So a gap ends the run:
what is pending is scored (or left unscored when too short to score alone) and the next run starts without context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from privad.vad.events import Event, OnlineEvents


@dataclass
class Scored:
    """What one push produced: frame scores, regions by frame, and events that closed."""

    scores: list[tuple[int, float]] = field(default_factory=list)
    regions: dict[int, list[tuple]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


class StreamScorer:
    """Feed `push(index, frame)` in order (indices may skip); `end()` at the end of the stream.

    With no model, the first `calibrate_seconds` of frames (in runs of ≥ 10 consecutive frames, at most
    `calibrate_width` wide) fit the default attribute model first."""

    def __init__(self, model, fps: float, window: int, calibrate_seconds: float = 10.0, calibrate_width: int = 320):
        self.model, self.fps, self.n = model, fps, window
        self.threshold = None if model is None else float(model.state["threshold"])
        self.calibrate_need = max(window + 1, round(calibrate_seconds * fps))
        self.calibrate_width = calibrate_width
        self._segments: list[list[np.ndarray]] = [[]]
        self._run: list[tuple[int, np.ndarray]] = []
        self._context: list[np.ndarray] = []
        self._last: int | None = None
        self.events: OnlineEvents | None = None if model is None else OnlineEvents(self.threshold, fps)
        self.unscored = 0

    @property
    def calibrating(self) -> bool:
        return self.model is None

    def push(self, index: int, frame: np.ndarray) -> Scored:
        out = Scored()
        if self._last is not None and index != self._last + 1:
            self._flush(out)
            self._context = []
            self._segments.append([])
        self._last = index
        if self.model is None:
            self._calibrate(frame)
            return out
        self._run.append((index, frame))
        if len(self._run) >= (self.n if self._context else 2 * self.n):  # the first call: two windows
            self._flush(out)
        return out

    def end(self) -> Scored:
        out = Scored()
        self._flush(out)
        if self.events is not None and (event := self.events.flush()) is not None:
            out.events.append(event)
        return out

    def _calibrate(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if w > self.calibrate_width:
            frame = cv2.resize(frame, (self.calibrate_width, round(h * self.calibrate_width / w)),
                               interpolation=cv2.INTER_AREA)
        self._segments[-1].append(frame)
        usable = [s for s in self._segments if len(s) >= 10]
        if sum(map(len, usable)) >= self.calibrate_need:
            from privad.vad.base import build_model

            self.model = build_model("attribute").fit(usable)
            self.threshold = float(self.model.state["threshold"])
            self.events = OnlineEvents(self.threshold, self.fps)
            self._segments = []

    def _flush(self, out: Scored) -> None:
        run, self._run = self._run, []
        if not run or self.model is None:
            return
        if not self._context and len(run) < self.n:  # too short to score without context
            self.unscored += len(run)
            return
        k = len(self._context)
        frames = [f for _, f in run]
        result = self.model.score(self._context + frames)
        for p, *rest in result.regions:
            if p >= k:
                out.regions.setdefault(run[p - k][0], []).append((run[p - k][0], *rest))
        for (index, _), s in zip(run, result.frames[k:]):
            out.scores.append((index, float(s)))
            if (event := self.events.push(index, float(s))) is not None:
                out.events.append(event)
        self._context = frames[-self.n:]
