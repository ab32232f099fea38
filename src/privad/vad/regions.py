"""Object regions and their motion for one-class VAD: background-subtraction regions + dense optical flow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from privad.config import MotionConfig
from privad.detect.motion import MotionDetector

ORIENTATION_BINS = 8


@dataclass
class FrameRegions:
    """Regions of one frame: boxes (N, 4, exclusive max), velocity descriptors (N, D) and crops for appearance."""

    index: int
    boxes: np.ndarray
    velocity: np.ndarray
    crops: list[np.ndarray]


def velocity_descriptor(flow: np.ndarray, mask: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Orientation histogram of flow magnitude inside the mask (per pixel), plus speed statistics.

    [8 bins: summed magnitude / area, mean speed, 90th-percentile speed, 90th-percentile speed / box height]
    """
    v = flow[mask]
    mag = np.hypot(v[:, 0], v[:, 1])
    ang = np.arctan2(v[:, 1], v[:, 0])
    bins = ((ang + np.pi) / (2 * np.pi) * ORIENTATION_BINS).astype(int) % ORIENTATION_BINS
    hist = np.bincount(bins, weights=mag, minlength=ORIENTATION_BINS) / max(len(mag), 1)
    p90 = float(np.percentile(mag, 90)) if len(mag) else 0.0
    height = max(float(box[3] - box[1]), 1.0)
    return np.concatenate([hist, [mag.mean() if len(mag) else 0.0, p90, 10 * p90 / height]]).astype(np.float32)


class RegionExtractor:
    """Moving-object regions (MOG2 foreground components) with DIS optical flow, frame by frame."""

    def __init__(self, motion: MotionConfig | None = None, min_area: int = 40, pad: float = 0.1):
        self.motion = motion or MotionConfig()
        self.min_area = min_area
        self.pad = pad

    def __call__(self, frames: Iterable[np.ndarray], warmup: list[np.ndarray] | None = None) -> Iterator[FrameRegions]:
        detector = MotionDetector(self.motion)
        if warmup:
            detector.prime(warmup)
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        prev = None
        for i, frame in enumerate(frames):
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            flow = dis.calc(prev if prev is not None else gray, gray, None)
            prev = gray
            dets = detector(frame)
            h, w = gray.shape
            boxes, vel, crops = [], [], []
            for box, mask in zip(dets.xyxy, dets.mask):
                if mask.sum() < self.min_area:
                    continue
                vel.append(velocity_descriptor(flow, mask, box))
                x1, y1, x2, y2 = box
                px, py = (x2 - x1) * self.pad, (y2 - y1) * self.pad
                cx1, cy1 = int(max(0, x1 - px)), int(max(0, y1 - py))
                cx2, cy2 = int(min(w, np.ceil(x2 + px))), int(min(h, np.ceil(y2 + py)))
                crops.append(frame[cy1:cy2, cx1:cx2])
                boxes.append(box)
            yield FrameRegions(
                i,
                np.asarray(boxes, np.float32).reshape(-1, 4),
                np.asarray(vel, np.float32).reshape(-1, ORIENTATION_BINS + 3),
                crops,
            )
