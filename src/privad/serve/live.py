"""One live source in three threads: read → (anonymize → publish JPEG) and (model's view → score → events).

Only anonymized frames are ever published or stored; raw frames stay in this process. The reader offers every
frame to both sides through bounded queues. A live source (or a file read at its frame rate) drops what a full
queue cannot take, counted, so memory stays flat: the page may skip frames to keep its latency low, while the scorer,
with a longer queue, sees runs of consecutive frames (see `privad.engine.stream`).
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from privad.protect.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.io.sources import open_source
from privad.protect.pipeline import Anonymizer
from privad.engine.stream import EventThumbnails, StreamScorer, shrink
from privad.engine.views import DEFAULT_ANONYMIZATION
from privad.vad import load_model

log = logging.getLogger("privad")


@dataclass
class SourceSpec:
    """What to run: a source, how to anonymize what is shown, and the model (file, or calibration seconds)."""

    uri: str
    name: str
    anonymize: AnonymizeConfig
    model: Path | None = None
    calibrate_seconds: float = 10.0
    model_config: dict | None = None  # settings of the model calibrated here (none: the default model's)
    loop: bool = True  # a video file starts again at its end
    realtime: bool = True  # a file is read at its frame rate (False: as fast as it is processed, nothing dropped)
    queue_frames: int = 2  # frames waiting for the anonymizer before new ones are dropped (latency stays low)
    window_seconds: float = 2.0  # frames scored together (plus the previous window as context)
    jpeg_quality: int = 80
    calibrate_width: int = 320  # a calibrated model works on frames this wide (cheaper; boxes map back)
    score_queue_frames: int = 100  # frames waiting for the scorer (in this process only) before new ones are dropped


@dataclass
class Published:
    """The newest anonymized frame: its JPEG, frame number, and when it was read and published (time.time())."""

    index: int
    jpeg: bytes
    t_in: float
    t_out: float


@dataclass
class Metrics:
    frames_in: int = 0
    frames_shown: int = 0
    dropped: int = 0  # not shown: the anonymizer was behind
    score_dropped: int = 0  # not scored: the scorer was behind (each gap ends a run of consecutive frames)
    unscored: int = 0  # runs too short to score alone
    incidents: int = 0
    source_errors: int = 0
    frames_scored: int = 0
    events: int = 0
    latency_ms: collections.deque = field(default_factory=lambda: collections.deque(maxlen=100))
    shown_times: collections.deque = field(default_factory=lambda: collections.deque(maxlen=100))

    def summary(self) -> dict:
        times = list(self.shown_times)
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        lat = sorted(self.latency_ms)
        return {"fps": round(fps, 2), "frames_in": self.frames_in, "frames_shown": self.frames_shown,
                "dropped_frames": self.dropped, "score_dropped_frames": self.score_dropped,
                "unscored_frames": self.unscored, "fail_closed_incidents": self.incidents,
                "source_errors": self.source_errors, "frames_scored": self.frames_scored, "events": self.events,
                "latency_ms_median": round(lat[len(lat) // 2], 1) if lat else None}


def lower_priority(niceness: int = 10) -> None:
    """Raise the calling thread's nice value by `niceness` (Linux: threads have their own); a no-op elsewhere."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except (AttributeError, OSError):
        pass


class LiveSource:
    """A running source. `on_event(source, event, thumbnail_jpeg, threshold)` stores an event when it closes."""

    def __init__(self, spec: SourceSpec, on_event, history: int = 3000):
        self.spec = spec
        self.on_event = on_event
        self.metrics = Metrics()
        self.status = "starting"
        self.error: str | None = None
        self.fps = 25.0
        self.threshold: float | None = None
        self.latest: Published | None = None
        self.scores: collections.deque = collections.deque(maxlen=history)  # (frame, score)
        self._new_frame = threading.Condition()
        self._frames: queue.Queue = queue.Queue(maxsize=spec.queue_frames)
        self._raw: queue.Queue = queue.Queue(maxsize=max(2, spec.score_queue_frames))
        self._jpegs: collections.OrderedDict[int, bytes] = collections.OrderedDict()
        self._jpeg_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guard, args=(f,), name=f"privad-{spec.name}-{f.__name__}",
                                          daemon=True) for f in (self._read, self._show, self._score)]
        self._anonymizer: Anonymizer | None = None

    def start(self) -> LiveSource:
        probe = open_source(self.spec.uri)  # a bad source fails here, as a user error
        try:
            self.fps = float(probe.info.fps) or 25.0
            self._shape = (probe.info.height, probe.info.width)
            self._file = probe.info.kind in ("video", "frames", "image")
            self._anonymizer = Anonymizer(self.spec.anonymize, fps=self.fps)
            # Background models learn from frames read ahead, so the first frames shown already hide what moves in
            # them (a file is then read again from its start, as `privad anonymize` replays them).
            self._ahead = list(itertools.islice((f.image for f in probe if f.image is not None),
                                                self._anonymizer.warmup))
            self._anonymizer.prime(self._ahead)
        finally:
            probe.close()
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._new_frame:
            self._new_frame.notify_all()
        for t in self._threads:
            if t.is_alive():
                t.join(timeout)

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def wait_frame(self, after: int, timeout: float = 5.0) -> Published | None:
        """The newest published frame with index > `after` (None on timeout or stop)."""
        deadline = time.monotonic() + timeout
        with self._new_frame:
            while not self._stop.is_set():
                if self.latest is not None and self.latest.index > after:
                    return self.latest
                left = deadline - time.monotonic()
                if left <= 0 or not self._new_frame.wait(left):
                    return None
        return None

    def info(self) -> dict:
        return {"name": self.spec.name, "uri": self.spec.uri, "status": self.status, "error": self.error,
                "fps": self.fps, "threshold": self.threshold, "method": self.spec.anonymize.method,
                "targets": list(self.spec.anonymize.targets),
                "model": str(self.spec.model) if self.spec.model else f"calibrated on {self.spec.calibrate_seconds} s",
                "metrics": self.metrics.summary()}

    # -- threads ---------------------------------------------------------------------------------------------------
    def _guard(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 — a dead thread stops the source; its reason is shown
            log.warning("source %s: %s stopped: %s", self.spec.name, fn.__name__, exc)
            self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            self.status = "failed"
            self._stop.set()

    def _read(self) -> None:
        index, backoff = 0, 0.5
        while not self._stop.is_set():
            try:
                source = open_source(self.spec.uri)
            except PrivadError as exc:
                self.metrics.source_errors += 1
                self.error = str(exc)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff, start, first = 0.5, time.monotonic(), index
            try:
                for frame in source:
                    if self._stop.is_set():
                        return
                    if self._file and self.spec.realtime:  # pace a file at its frame rate
                        delay = start + (index - first) / self.fps - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    self.metrics.frames_in += 1
                    now = time.time()
                    shown = self._offer(self._frames, (index, frame.image, frame.error, now))
                    scored = self._offer(self._raw, (index, frame.image, frame.error))
                    self.metrics.dropped += not shown
                    self.metrics.score_dropped += not scored
                    index += 1
            finally:
                source.close()
            if self._file and not self.spec.loop:
                break
            if not self._file:  # a stream or camera that ended: reconnect
                self.metrics.source_errors += 1
                time.sleep(backoff)
        for q in (self._frames, self._raw):  # the end, for both threads
            self._offer(q, None, wait=True)

    def _offer(self, q: queue.Queue, item, wait: bool | None = None) -> bool:
        """Put `item` on `q`; a live source (or a file read in real time) drops it when `q` is full."""
        if wait is None:
            wait = self._file and not self.spec.realtime
        if not wait:
            try:
                q.put_nowait(item)
                return True
            except queue.Full:
                return False
        while not self._stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _show(self) -> None:
        anon, q = self._anonymizer, self.spec.jpeg_quality
        while not self._stop.is_set():
            try:
                item = self._frames.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                return
            index, image, error, t_in = item
            result = anon.process(image, decode_error=error, shape=self._shape)
            if result.incident is not None:
                self.metrics.incidents += 1
            if result.image is None:  # --on-error drop
                continue
            if self.status == "starting":
                self.status = "running"
            jpeg = cv2.imencode(".jpg", result.image, [cv2.IMWRITE_JPEG_QUALITY, q])[1].tobytes()
            now = time.time()
            with self._jpeg_lock:
                self._jpegs[index] = jpeg
                while len(self._jpegs) > 4 * self._window_frames():
                    self._jpegs.popitem(last=False)
            with self._new_frame:
                self.latest = Published(index, jpeg, t_in, now)
                self._new_frame.notify_all()
            m = self.metrics
            m.frames_shown += 1
            m.latency_ms.append(1000 * (now - t_in))
            m.shown_times.append(now)

    def _window_frames(self) -> int:
        return max(10, round(self.spec.window_seconds * self.fps))

    def _score(self) -> None:
        """Score the frames as the model sees them (its own anonymization, or the default method on moving objects when
        calibrating; raw frames stay in this process), independently of what the page is shown. The thread runs at a
        lower CPU priority where the system allows it: showing frames on time comes first, scoring takes what is
        left (frames it cannot keep up with are dropped and counted)."""
        lower_priority()
        model, view = load_model(self.spec.model) if self.spec.model else (None, DEFAULT_ANONYMIZATION)
        see = Anonymizer(view, fps=self.fps) if view is not None and view.method != "no-an" else None
        # a calibrated model sees frames `calibrate_width` wide: they are anonymized at that size (a quarter of the
        # work at 640 px), then put back to the source's size so its boxes map onto the frames shown
        width = self.spec.calibrate_width if model is None else None

        def seen(image: np.ndarray) -> np.ndarray:
            if see is None:  # the scorer shrinks for itself
                return image
            small = shrink(image, width)
            out = see.process(small).image
            return out if out.shape == image.shape else cv2.resize(out, image.shape[1::-1],
                                                                   interpolation=cv2.INTER_NEAREST)

        if see is not None:
            see.prime([shrink(f, width) for f in self._ahead])
        self._ahead = []
        window = self._window_frames()
        scorer = StreamScorer(model, self.fps, window, calibrate_frames=max(window + 1, round(
            self.spec.calibrate_seconds * self.fps)), calibrate_width=self.spec.calibrate_width,
                              model_config=self.spec.model_config)
        thumbs = EventThumbnails(self._shown_near, keep=round(30 * self.fps))
        self.threshold = scorer.threshold
        while True:
            try:
                item = self._raw.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if item is None:
                if scorer.calibrating:  # the source ended before calibration finished
                    self.status = "ended"
                    return
                out = scorer.end()
            else:
                index, image, error = item
                if image is None:  # undecodable: a gap for the model
                    continue
                out = scorer.push(index, seen(image))
            if scorer.calibrating:
                self.status = "calibrating"
            elif self.status == "calibrating":
                self.status = "running"
            self.threshold = scorer.threshold
            self.metrics.unscored = scorer.unscored
            for index, s in out.scores:
                self.scores.append((index, s))
                self.metrics.frames_scored += 1
            for event, jpeg in thumbs.update(out, scorer):
                self.metrics.events += 1
                self.on_event(self.spec.name, event, jpeg, self.threshold)
            if item is None:
                self.status = "ended"
                return

    def _shown_near(self, frame: int) -> np.ndarray | None:
        """The shown (anonymized) frame nearest to `frame`, decoded."""
        with self._jpeg_lock:
            shown = min(self._jpegs, key=lambda i: abs(i - frame), default=None)
            jpeg = None if shown is None else self._jpegs[shown]
        return None if jpeg is None else cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
