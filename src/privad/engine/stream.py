"""The one stream scorer of `run` and `serve`: windows of consecutive frames, each scored with the frames before it
as context, and events found as scores arrive.

Motion features need consecutive frames: a dropped frame doubles every velocity across it. So a gap (a skipped
index) ends the run: what is pending is scored (or left unscored when too short to score alone) and the next run
starts without context.

Without a model, the first frames calibrate one (the default one-class model, on frames resized to at most
`calibrate_width` wide). Runs of consecutive frames are kept until they hold `calibrate_frames` frames; runs of at
least `MIN_SEGMENT` frames are preferred, but once the stream has gone on for twice the calibration time (frame
drops leave only short runs) every run of two or more frames counts, so calibration finishes on time. The buffer
never holds more than `calibrate_frames` frames (the oldest runs go first), each at the size the model will analyse
it (as every frame the scorer holds). With `score_calibration`, the calibration frames are scored too, as the model
is fitted on them and at the size it saw them (a file: every frame gets a score); live, they are not.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from privad.device import release_memory
from privad.errors import PrivadError
from privad.types import Event, VideoScore
from privad.vad import AnomalyModel, build_model
from privad.vad.events import OnlineEvents
from privad.vad.model import analysed_size
from privad.vad.registry import DEFAULT
from privad.vad.scoring import resized

MIN_SEGMENT = 10


@dataclass
class Scored:
    """What one push produced: frame scores, regions by frame, and events that closed."""

    scores: list[tuple[int, float]] = field(default_factory=list)
    regions: dict[int, list[tuple]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def add(self, other: Scored) -> None:
        self.scores += other.scores
        self.regions.update(other.regions)
        self.events += other.events


def shrink(frame: np.ndarray, width: int | None) -> np.ndarray:
    """`frame` resized (area interpolation) to `width` px wide when it is wider; None: as it is."""
    h, w = frame.shape[:2]
    if width is None or w <= width:
        return frame
    return cv2.resize(frame, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)


def check_calibration_settings(model_path: str | Path | None, model_config: dict | None) -> None:
    """A clear error, before anything starts, for settings (`--set`) given with a model file, or invalid ones."""
    if model_config:
        if model_path is not None:
            raise PrivadError("--set applies to a model calibrated here; a model file keeps the settings it was "
                              "fitted with")
        build_model(DEFAULT, model_config)


class StreamScorer:
    """Feed `push(index, frame)` in order (indices may skip); `end()` at the end of the stream.

    `window`: frames scored together; `context`: frames of the previous window put in front of the next (their
    scores are dropped). Memory stays bounded by `window + context` frames (plus the calibration buffer), held at the
    size the model analyses them (`privad.vad.model.analysed_size`; shrunk as they come, as the model would shrink
    them: the same scores and boxes as the whole frames give). A run of fewer than `min_run` consecutive frames
    (default: `window`) with no context is left unscored (counted).
    """

    def __init__(self, model: AnomalyModel | None, fps: float, window: int, context: int | None = None,
                 calibrate_frames: int = 250, calibrate_width: int | None = 320, model_config: dict | None = None,
                 score_calibration: bool = False, min_run: int | None = None):
        if window < 1:
            raise PrivadError("the scoring window must hold at least one frame")
        self.model, self.fps, self.n = model, fps, window
        self.context_frames = window if context is None else context
        self.calibrate_need = max(MIN_SEGMENT, calibrate_frames)
        self.calibrate_width, self.model_config = calibrate_width, model_config
        self.score_calibration = score_calibration
        self.min_run = window if min_run is None else min_run
        self.threshold = None if model is None else model.fitted_.threshold
        self.events = None if model is None else OnlineEvents(self.threshold, fps)
        self.calibration_span: tuple[int, int] | None = None  # first and last frame the calibration used
        self.unscored = 0
        self._segments: list[list[tuple[int, np.ndarray]]] = [[]]
        self._run: list[tuple[int, np.ndarray]] = []
        self._context: list[np.ndarray] = []
        self._last: int | None = None
        self._start: int | None = None  # the first frame calibration saw
        self._built: Future | AnomalyModel | None = None  # the model to calibrate, while it is built and unfitted
        self._source: tuple[int, int] | None = None  # the pushed frames' size, when they are held shrunk
        if model is None:  # the model's modules are imported while the first frames arrive, not after them
            pool = ThreadPoolExecutor(1, thread_name_prefix="privad-model")
            self._built = pool.submit(build_model, DEFAULT, model_config)
            pool.shutdown(wait=False)  # the thread ends once the model is built

    @property
    def calibrating(self) -> bool:
        return self.model is None

    def push(self, index: int, frame: np.ndarray) -> Scored:
        """Add the frame `index` (as the model sees it); returns what could be scored so far."""
        out = Scored()
        if self._last is not None and index != self._last + 1:
            self._flush(out)
            self._context = []
            if self.model is None:
                self._new_segment()
        self._last = index
        if self.model is None:
            self._calibrate(index, frame, out)
            return out
        self._run.append((index, self._held(frame)))
        if len(self._run) >= (self.n if self._context else self.n + self.context_frames):
            self._flush(out)
        return out

    def end(self) -> Scored:
        """Score what is pending and close the open event."""
        out = Scored()
        if self.model is None:
            usable = sum(map(len, self._usable()))
            raise PrivadError(f"the input ended while calibrating: {usable} usable frames of "
                              f"{self.calibrate_need} needed")
        self._flush(out)
        if (event := self.events.flush()) is not None:
            out.events.append(event)
        return out

    def _usable(self) -> list[list[tuple[int, np.ndarray]]]:
        shortest = 2 if self._late() else MIN_SEGMENT
        return [s for s in self._segments if len(s) >= shortest]

    def _late(self) -> bool:
        """The stream has run twice the calibration time (by frame index) without enough long runs."""
        return self._start is not None and self._last - self._start >= 2 * self.calibrate_need

    def _new_segment(self) -> None:
        if len(self._segments[-1]) < 2:  # a lone frame gives no motion: dropped at once
            self._segments[-1] = []
        else:
            self._segments.append([])

    def _calibrate(self, index: int, frame: np.ndarray, out: Scored) -> None:
        self._start = index if self._start is None else self._start
        self._segments[-1].append((index, self._held(self._small(frame), self._unfitted())))
        while sum(map(len, self._segments)) > self.calibrate_need:  # bounded: the oldest frames go first
            self._segments[0].pop(0)
            if not self._segments[0] and len(self._segments) > 1:
                self._segments.pop(0)
        usable = self._usable()
        if not usable or (sum(map(len, usable)) < self.calibrate_need
                          and not (self._late() and index % MIN_SEGMENT == 0)):
            return
        videos = [[f for _, f in s] for s in usable]
        model, scored, self._built = self._unfitted(), [], None  # a retry fits a model built anew
        try:
            if self.score_calibration:  # scored as the model is fitted on them: their regions are found once
                scored = model.fit_score(videos, **self._sized())
            else:
                model.fit(videos)
        except PrivadError:
            if sum(map(len, usable)) < self.calibrate_need:  # late, and still too little: keep collecting
                return
            raise
        self._segments = []
        self.model, self.threshold = model, model.fitted_.threshold
        self.events = OnlineEvents(self.threshold, self.fps)
        self.calibration_span = (usable[0][0][0], usable[-1][-1][0])
        for segment, result in zip(usable, scored):
            self._run, self._context = list(segment), []
            self._flush(out, result)
        if scored:
            self._last = index

    def _small(self, frame: np.ndarray) -> np.ndarray:
        return shrink(frame, self.calibrate_width)

    def _unfitted(self) -> AnomalyModel:
        """The model to calibrate (built on a thread of its own from the start)."""
        if isinstance(self._built, Future):
            self._built = self._built.result()
        if self._built is None:
            self._built = build_model(DEFAULT, self.model_config)
        return self._built

    def _held(self, frame: np.ndarray, model: AnomalyModel | None = None) -> np.ndarray:
        """`frame` as it is held: at the size the model (`model`, or the fitted one) analyses it at, when it says
        (the input's size kept for the boxes)."""
        size = analysed_size(model or self.model, frame.shape[:2])
        if size is None or frame.shape[:2] == size:
            return frame
        self._source = frame.shape[:2]
        return resized(frame, size)

    def _sized(self) -> dict:
        """What the model is told of the frames' size: the input's, when they are held shrunk."""
        return {} if self._source is None else {"source_size": self._source}

    def _flush(self, out: Scored, result: VideoScore | None = None) -> None:
        """Score the pending run (with the context before it) into `out`; `result`: its score, already known."""
        run, self._run = self._run, []
        if not run or self.model is None:
            return
        if not self._context and len(run) < self.min_run:  # too short to score without context
            self.unscored += len(run)
            return
        k = len(self._context)
        frames = [f for _, f in run]
        result = self.model.score(self._context + frames, **self._sized()) if result is None else result
        for p, *rest in result.regions:
            if p >= k:
                out.regions.setdefault(run[p - k][0], []).append((run[p - k][0], *rest))
        for (index, _), s in zip(run, result.frames[k:]):
            out.scores.append((index, float(s)))
            if (event := self.events.push(index, float(s))) is not None:
                out.events.append(event)
        self._context = frames[-self.context_frames:] if self.context_frames else []  # held already
        release_memory()  # what scoring the window made and let go, given back before the next one


class EventThumbnails:
    """Thumbnails of events' peak frames, taken while the peak frame is still at hand: the open event's peak is
    drawn each time it moves, so a closed event already has its picture. `frame_at(index)` gives the (anonymized)
    frame to draw, or None when it is gone. Regions are kept for the last `keep` frames."""

    def __init__(self, frame_at, keep: int = 3000):
        self.frame_at, self.keep = frame_at, keep
        self.regions: dict[int, list[tuple]] = {}
        self._peak: tuple[int, bytes | None] | None = None

    def update(self, out: Scored, scorer: StreamScorer) -> list[tuple[Event, bytes | None]]:
        """Take in one push's output; returns the events that closed, each with its thumbnail (JPEG)."""
        self.regions.update(out.regions)
        while len(self.regions) > self.keep:
            self.regions.pop(next(iter(self.regions)))
        closed = [(e, self._peak[1] if self._peak and self._peak[0] == e.peak else self._draw(e.peak))
                  for e in out.events]
        open_peak = scorer.events.peak if scorer.events is not None else None
        if open_peak is not None and (self._peak is None or self._peak[0] != open_peak[0]):
            self._peak = (open_peak[0], self._draw(open_peak[0]))
        return closed

    def _draw(self, index: int) -> bytes | None:
        from privad.report.html import thumbnail

        image = self.frame_at(index)
        return None if image is None else thumbnail(image, self.regions.get(index, []))
