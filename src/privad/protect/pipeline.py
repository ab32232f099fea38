"""The protect half of the pipeline: detect → track → anonymize, one frame at a time, failing closed."""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np
from supervision import Detections

from privad.protect.methods import get_method
from privad.protect.methods.filters import flatten
from privad.protect.config import AnonymizeConfig
from privad.protect.detect import Detector, build_detector, check_targets, merge
from privad.protect.detect.base import CLASS_IDS, empty, make, mask_boxes
from privad.errors import PrivadError
from privad.io.images import to_bgr
from privad.protect.track import RegionTracker
from privad.types import Frame, Incident

log = logging.getLogger("privad")

DETECT_AHEAD = 2  # frames `stream` detects ahead of the one it anonymizes, on worker threads
DETECT_WORKERS = 2  # frames detected at once when every detector is reentrant (else one, in frame order)


@dataclass
class FrameResult:
    """What came out for one frame: the image (None if dropped) and the regions anonymized."""

    image: np.ndarray | None
    detections: Detections | None
    incident: Incident | None = None


@dataclass
class Stats:
    frames_in: int = 0
    frames_out: int = 0
    regions: int = 0
    held: int = 0
    incidents: list[Incident] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("detect", "track", "anonymize"), 0.0))


class Anonymizer:
    """Anonymize frames one by one. No raw frame leaves `process` unless the method is `no-an`.

    >>> anon = Anonymizer(AnonymizeConfig(method="adaptive_blur", targets=["faces"]))   # doctest: +SKIP
    >>> out = anon.process(frame).image                                                 # doctest: +SKIP
    """

    def __init__(self, config: AnonymizeConfig | None = None, detectors: list[Detector] | None = None,
                 fps: float = 30.0):
        self.config = config or AnonymizeConfig()
        self.method = get_method(self.config.method)
        self.active = self.method.name != "no-an"
        self._apply = self.method.bind(self.config) if self.active else self.method.fn
        if detectors is None and self.active and self.method.uses_regions(self.config):
            check_targets(self.config.targets)
            detectors = [build_detector(t, self.config) for t in self.config.targets]
        self.detectors = detectors or []
        k = self.config.detect_every
        self.tracker = RegionTracker(hold=self.config.hold + k - 1, fps=fps) if self.detectors else None
        self.stats = Stats()
        self._index = 0
        self._primed = not self.detectors
        self._dilate = (
            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * self.config.mask_dilate + 1,) * 2)
            if self.config.mask_dilate else None
        )

    @property
    def compute(self) -> dict:
        """Where this anonymizer's networks run: the torch device and the ONNX Runtime providers in use."""
        from privad.device import resolve

        onnx = sorted({p for d in self.detectors for p in getattr(d, "providers", [])})
        return {"device": resolve(self.config.device), "onnx_providers": onnx}

    @property
    def warmup(self) -> int:
        """Frames the detectors want to see ahead of the first output (background models)."""
        return max((d.warmup for d in self.detectors), default=0)

    def prime(self, frames: list[np.ndarray]) -> None:
        """Show the detectors up to `warmup` frames ahead of time, once (later calls do nothing); the pipeline then
        processes the same frames normally. `stream` primes itself."""
        if self._primed:
            return
        self._primed = True
        frames = [to_bgr(f) for f in frames[: self.warmup] if f is not None]
        for d in self.detectors:
            d.prime(frames)

    def stream(self, frames: Iterable[Frame], shape: tuple[int, int] | None = None
               ) -> Iterator[tuple[Frame, FrameResult]]:
        """Each source frame with what came out of it: `warmup` frames are read ahead to prime the detectors, then
        every frame is processed in order (decode failures included, so they fail closed).

        Detection runs `DETECT_AHEAD` frames ahead on a worker thread (in frame order, so stateful detectors see
        what they would see one by one), overlapping the tracking, anonymizing and encoding of earlier frames; when
        every detector is reentrant, `DETECT_WORKERS` threads detect frames at once. The results are those of
        `process` called frame by frame."""
        frames = iter(frames)
        ahead = list(itertools.islice(frames, self.warmup))
        self.prime([f.image for f in ahead])
        frames = itertools.chain(ahead, frames)
        if not (self.active and self.detectors):
            for frame in frames:
                yield frame, self.process(frame.image, decode_error=frame.error, shape=shape)
            return
        workers = DETECT_WORKERS if all(getattr(d, "reentrant", False) for d in self.detectors) else 1
        with ThreadPoolExecutor(workers, thread_name_prefix="privad-detect") as pool:
            pending: deque[tuple[Frame, Future | None]] = deque()
            for frame in itertools.chain(frames, [None] * DETECT_AHEAD):
                if frame is not None:
                    index = self._index + len(pending)
                    due = frame.image is not None and frame.error is None and index % self.config.detect_every == 0
                    pending.append((frame, pool.submit(self._detect, frame.image) if due else None))
                if pending and (frame is None or len(pending) > DETECT_AHEAD):
                    done, found = pending.popleft()
                    yield done, self.process(done.image, decode_error=done.error, shape=shape, found=found)

    def _detect(self, frame: np.ndarray) -> tuple[Detections, float]:
        """Every detector's regions on one frame, merged, and the seconds it took."""
        start = time.perf_counter()
        frame = to_bgr(frame)
        return merge([d(frame) for d in self.detectors], frame.shape[:2]), time.perf_counter() - start

    def regions(self, frame: np.ndarray, found: Future | None = None) -> Detections:
        """Detections (with held regions) for the current frame index; `found`: this frame's `_detect`, already
        running (`stream`), else detection runs here."""
        shape = frame.shape[:2]
        if not self.detectors:
            return empty(shape)
        seconds = self.stats.seconds
        if self._index % self.config.detect_every == 0:
            dets, took = found.result() if found is not None else self._detect(frame)
            seconds["detect"] += took
            start = time.perf_counter()
            dets = self.tracker.update(dets, shape)
        else:
            start = time.perf_counter()
            dets = self.tracker.predict(shape)
        dets = self._grow(dets, shape)
        seconds["track"] += time.perf_counter() - start
        return dets

    def still(self, image: np.ndarray, whole: bool = False) -> np.ndarray:
        """Anonymize one unrelated still image: detection without tracking (or, with `whole`, the whole image as one
        region — e.g. a person crop). Fails closed: any error gives a flat image."""
        image = to_bgr(image)
        if not self.active:
            return image
        shape = image.shape[:2]
        try:
            if whole:
                h, w = shape
                dets = make(np.array([[0, 0, w, h]]), np.ones((1, h, w), bool), np.ones(1), CLASS_IDS["people"])
            else:
                dets = self._grow(merge([d(image) for d in self.detectors], shape), shape)
            return self._apply(image, dets, self.config.params)
        except Exception as exc:  # noqa: BLE001 — fail closed, logged
            log.warning("still image: anonymization failed (%s); flattened", exc)
            return flatten(image)

    def _grow(self, dets: Detections, shape: tuple[int, int]) -> Detections:
        c = self.config
        if len(dets) == 0 or (not c.mask_dilate and not c.box_pad):
            return dets
        masks = dets.mask.copy()
        if c.box_pad:
            h, w = shape
            for i, (x1, y1, x2, y2) in enumerate(dets.xyxy):
                px, py = (x2 - x1) * c.box_pad, (y2 - y1) * c.box_pad
                ys = slice(max(0, int(y1 - py)), min(h, int(np.ceil(y2 + py))))
                xs = slice(max(0, int(x1 - px)), min(w, int(np.ceil(x2 + px))))
                masks[i, ys, xs] = True
        if self._dilate is not None:
            for i in range(len(masks)):
                masks[i] = cv2.dilate(masks[i].view(np.uint8), self._dilate).view(bool)
        grown = dets[np.arange(len(dets))]
        grown.mask = masks
        grown.xyxy = mask_boxes(masks)
        return grown

    def process(self, frame: np.ndarray | None, decode_error: str | None = None,
                shape: tuple[int, int] | None = None, found: Future | None = None) -> FrameResult:
        """Anonymize one frame. `frame=None` stands for a frame that failed to decode (`shape` gives its size); a
        frame with a `decode_error` (decoded from damaged data) is an incident too: handled as `on_error` says.
        `found`: its detection, already running (`stream`); a detector's error surfaces here, failing closed."""
        index = self._index
        self.stats.frames_in += 1
        try:
            if frame is None or decode_error is not None:
                raise _DecodeFailure(decode_error or "frame could not be decoded")
            frame = to_bgr(frame)
            if not self.active:
                return self._emit(FrameResult(frame, None))
            dets = self.regions(frame, found)
            start = time.perf_counter()
            out = self._apply(frame, dets, self.config.params)
            self.stats.seconds["anonymize"] += time.perf_counter() - start
            self.stats.regions += len(dets)
            if len(dets) and dets.data.get("held") is not None:
                self.stats.held += int(np.count_nonzero(dets.data["held"]))
            return self._emit(FrameResult(out, dets))
        except Exception as exc:
            stage = "decode" if isinstance(exc, _DecodeFailure) else "detect/track/anonymize"
            return self._emit(self._fail(index, frame, shape, stage, exc))
        finally:
            self._index += 1

    def _fail(self, index: int, frame: np.ndarray | None, shape: tuple[int, int] | None, stage: str,
              exc: Exception) -> FrameResult:
        action = self.config.on_error
        message = (str(exc) if isinstance(exc, _DecodeFailure) else f"{type(exc).__name__}: {exc}").splitlines()[0]
        incident = Incident(index, stage, message, action)
        self.stats.incidents.append(incident)
        log.warning("frame %d: %s failed (%s); %s", index, stage, message, action)
        if action == "abort":
            raise PrivadError(f"frame {index}: {stage} failed ({message}); aborted (--on-error abort)") from exc
        if action == "drop":
            return FrameResult(None, None, incident)
        if frame is not None:
            return FrameResult(flatten(to_bgr(frame)), None, incident)
        if shape is None:
            raise PrivadError(f"frame {index}: {stage} failed and its size is unknown") from exc
        return FrameResult(np.full((*shape, 3), 128, np.uint8), None, incident)

    def _emit(self, result: FrameResult) -> FrameResult:
        if result.image is not None:
            self.stats.frames_out += 1
        return result


class _DecodeFailure(Exception):
    pass


def tracked_regions(frames: list[np.ndarray], targets: tuple[str, ...] = ("motion",)) -> Iterator[Detections]:
    """Per frame the tracked detections of `targets` (detect → track every frame, nothing held), without
    anonymizing: the regions `privad anonymize --targets ...` would hide."""
    finder = Anonymizer(AnonymizeConfig(method="fill", targets=list(targets), hold=0))
    finder.prime(frames)
    for frame in frames:
        yield finder.regions(frame)
