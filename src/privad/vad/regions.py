"""Object regions and their motion for one-class VAD: background-subtraction regions + dense optical flow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from privad.errors import PrivadError
from privad.io.sources import prefetch
from privad.protect.config import MotionConfig
from privad.protect.detect.motion import MotionDetector, components
from privad.vad.split import SPLITS, split_regions, window

ORIENTATION_BINS = 8
DESCRIPTOR = ORIENTATION_BINS + 7  # bins, three speeds, two place shares, two shape figures

SILHOUETTE = (16, 8)  # rows, columns: a region's mask in its box at this grid (share of each cell the object fills)

FLOW_PRESETS = {"fast": cv2.DISOPTICAL_FLOW_PRESET_FAST, "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}

MIN_SIDE = 16  # DIS optical flow needs frames of at least 12 px; a margin over that


@dataclass
class FrameRegions:
    """Regions of one frame: boxes (N, 4, exclusive max), velocity descriptors (N, D), crops for appearance and
    silhouettes (N, 16 * 8: `silhouette`)."""

    index: int
    boxes: np.ndarray
    velocity: np.ndarray
    crops: list[np.ndarray]
    silhouettes: np.ndarray


def percentile_90(values: np.ndarray) -> float:
    """`np.percentile(values, 90)` (linear, the same float to the bit) by a partial sort: a tenth of its cost on a
    region's few hundred flow vectors."""
    at = 0.9 * (len(values) - 1)
    lo = int(at)
    hi = min(lo + 1, len(values) - 1)
    part = np.partition(values, [lo, hi])
    a, b, t = part[lo], part[hi], at - lo
    return float(b - (b - a) * (1 - t)) if t >= 0.5 else float(a + (b - a) * t)


def velocity_descriptor(flow: np.ndarray, mask: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Orientation histogram of flow magnitude inside the mask (per pixel), speed statistics and the box's place.

    [8 bins: summed magnitude / area, mean speed, 90th-percentile speed, 90th-percentile speed / box height,
    box height / frame height, box centre y / frame height, log(box width / height), mask area / box area]
    """
    sy, sx = window(box, mask.shape)
    v = flow[sy, sx][mask[sy, sx]]  # the box holds its mask: same vectors, in the same order, as flow[mask]
    mag = np.hypot(v[:, 0], v[:, 1])
    ang = np.arctan2(v[:, 1], v[:, 0])
    bins = ((ang + np.pi) / (2 * np.pi) * ORIENTATION_BINS).astype(int) % ORIENTATION_BINS
    hist = np.bincount(bins, weights=mag, minlength=ORIENTATION_BINS) / max(len(mag), 1)
    p90 = percentile_90(mag) if len(mag) else 0.0
    height = max(float(box[3] - box[1]), 1.0)
    frame_h = flow.shape[0]
    width = max(float(box[2] - box[0]), 1.0)
    place = [height / frame_h, 0.5 * (box[1] + box[3]) / frame_h, np.log(width / height), len(mag) / (width * height)]
    return np.concatenate([hist, [mag.mean() if len(mag) else 0.0, p90, 10 * p90 / height], place]).astype(np.float32)


def silhouette(mask: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The object's mask in its box on a `SILHOUETTE` grid: the share of each cell it fills (a shape descriptor that
    tells an upright walker from a turned, upside-down or wheeled object, whatever its size), flattened."""
    sy, sx = window(box, mask.shape)
    rows, cols = SILHOUETTE
    return cv2.resize(mask[sy, sx].astype(np.float32), (cols, rows), interpolation=cv2.INTER_AREA).ravel()


def median_background(frames: list[np.ndarray], samples: int = 50) -> np.ndarray:
    """Per-pixel median of up to `samples` gray frames spread over the whole clip."""
    return scene_background([frames], samples)


def scene_background(videos: list[list[np.ndarray]], samples: int = 50,
                     size: tuple[int, int] | None = None) -> np.ndarray:
    """Per-pixel median of up to `samples` gray frames spread evenly over all the `videos` (of one camera) together,
    each shrunk to `size` (height, width) first when given."""
    where = [(v, i) for v, frames in enumerate(videos) for i in range(len(frames))]
    idx = np.linspace(0, len(where) - 1, min(samples, len(where))).astype(int)
    picked = [videos[where[k][0]][where[k][1]] for k in idx]
    if size is not None and picked[0].shape[:2] != tuple(size):
        picked = [cv2.resize(f, (size[1], size[0]), interpolation=cv2.INTER_AREA) for f in picked]
    return np.median(np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in picked]), axis=0).astype(np.uint8)


class _MedianForeground:
    """Foreground = |frame - median background| > diff or flow speed > speed; opened, closed, components."""

    def __init__(self, background: np.ndarray, diff: int = 25, speed: float = 0.8, min_area: int = 80):
        self.background, self.diff, self.speed, self.min_area = background, diff, speed, min_area
        self._open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))

    def __call__(self, gray: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fg = (cv2.absdiff(gray, self.background) > self.diff) | (np.hypot(flow[..., 0], flow[..., 1]) > self.speed)
        fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, self._open)
        fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, self._close)
        boxes, masks = components(fg, self.min_area)
        return boxes.astype(np.float32), masks


class RegionExtractor:
    """Moving-object regions with DIS optical flow, frame by frame.

    `source="mog2"`: components of the MOG2 foreground (causal; primed on the warm-up frames).
    `source="median"`: DESIGN.md's fixed rule for static cameras — |frame - median background| > 25 or flow speed >
    0.8 px/frame, opened and closed, components >= 80 px; the background is the clip's own median (needs the whole
    clip up front) or one given (`scene_background` of the training videos).
    `split`: how merged blobs are split into objects (`privad.vad.split`: none, flow, shape).
    """

    def __init__(self, motion: MotionConfig | None = None, min_area: int = 40, pad: float = 0.1,
                 source: str = "mog2", flow_preset: str = "fast", split: str = "none"):
        if split not in SPLITS:
            raise PrivadError(f"unknown region split '{split}'; choose from {', '.join(SPLITS)}")
        self.split = split
        self.motion = motion or MotionConfig()
        self.flow_preset = flow_preset
        self.min_area = min_area
        self.pad = pad
        self.source = source

    def _detector(self, frames, warmup, background):
        if self.source == "median":
            if background is not None:
                return frames, _MedianForeground(background)
            frames = frames if isinstance(frames, list) else list(frames)
            return frames, _MedianForeground(median_background(frames))
        detector = MotionDetector(self.motion)
        if warmup:
            detector.prime(warmup)

        def detect(gray: np.ndarray, flow: np.ndarray, frame: np.ndarray):
            dets = detector(frame)
            return dets.xyxy, dets.mask

        return frames, detect

    def __call__(self, frames: Iterable[np.ndarray], warmup: list[np.ndarray] | None = None,
                 background: np.ndarray | None = None) -> Iterator[FrameRegions]:
        """Regions of each frame, in order. Frame t's motion is the flow from frame t-1 to t; the first frame has none
        before it, so it takes the flow to the second (a lone frame: no motion). `background` (gray, the frames'
        size): the median source's background, in place of the clip's own median."""
        frames, detect = self._detector(frames, warmup, background)
        first = None
        for i, frame, gray, flow in prefetch(self._flows(frames)):  # flow of the next frames while this one is cut
            if flow is None:
                first = (frame, gray)
                continue
            if first is not None:
                yield self._regions(0, *first, flow, detect)
                first = None
            yield self._regions(i, frame, gray, flow, detect)
        if first is not None:
            yield self._regions(0, *first, np.zeros((*first[1].shape, 2), np.float32), detect)

    def _flows(self, frames: Iterable[np.ndarray]) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]]:
        """(index, frame, gray, DIS flow from the frame before; None for the first frame)."""
        dis = cv2.DISOpticalFlow_create(FLOW_PRESETS[self.flow_preset])
        prev = None
        for i, frame in enumerate(frames):
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            if min(gray.shape) < MIN_SIDE:
                raise PrivadError(f"frames of {gray.shape[1]}x{gray.shape[0]} are too small for optical flow "
                                  f"(need at least {MIN_SIDE} px on each side)")
            yield i, frame, gray, None if prev is None else dis.calc(prev, gray, None)
            prev = gray

    def _regions(self, i: int, frame: np.ndarray, gray: np.ndarray, flow: np.ndarray, detect) -> FrameRegions:
        found_boxes, found_masks = (detect(gray, flow) if self.source == "median" else detect(gray, flow, frame))
        found_boxes, found_masks = split_regions(found_boxes, found_masks, flow, self.split, self.min_area)
        h, w = gray.shape
        boxes, vel, crops, shapes = [], [], [], []
        for box, mask in zip(found_boxes, found_masks):
            if np.count_nonzero(mask[window(box, mask.shape)]) < self.min_area:
                continue
            vel.append(velocity_descriptor(flow, mask, box))
            shapes.append(silhouette(mask, box))
            x1, y1, x2, y2 = box
            px, py = (x2 - x1) * self.pad, (y2 - y1) * self.pad
            cx1, cy1 = int(max(0, x1 - px)), int(max(0, y1 - py))
            cx2, cy2 = int(min(w, np.ceil(x2 + px))), int(min(h, np.ceil(y2 + py)))
            crops.append(frame[cy1:cy2, cx1:cx2])
            boxes.append(box)
        return FrameRegions(
            i,
            np.asarray(boxes, np.float32).reshape(-1, 4),
            np.asarray(vel, np.float32).reshape(-1, DESCRIPTOR),
            crops,
            np.asarray(shapes, np.float32).reshape(-1, SILHOUETTE[0] * SILHOUETTE[1]),
        )
