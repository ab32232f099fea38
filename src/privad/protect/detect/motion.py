"""Moving objects for static cameras: background subtraction, morphology, connected components."""

from __future__ import annotations

import cv2
import numpy as np
from supervision import Detections

from privad.protect.config import MotionConfig
from privad.protect.detect.base import CLASS_IDS, make


class MotionDetector:
    """OpenCV MOG2/KNN foreground → one instance mask per connected component.

    Before the first answer the model is primed with the per-pixel median of up to `warmup` frames read ahead (the
    pipeline replays them afterwards), so the first output frames already have a background without the objects
    that were moving in them. Shadow detection is off: on gray footage it labels dark people "shadow", and for
    anonymization covering a shadow beats missing a person.
    """

    name = "motion"
    reentrant = False  # its background model learns from every frame, in order

    def __init__(self, config: MotionConfig | None = None):
        self.config = config or MotionConfig()
        self.warmup = self.config.warmup
        self._model = self._new_model()
        self._open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        k = self.config.close_kernel
        self._close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))

    def _new_model(self) -> cv2.BackgroundSubtractor:
        c = self.config
        if c.algorithm == "knn":
            return cv2.createBackgroundSubtractorKNN(history=c.history, detectShadows=False)
        return cv2.createBackgroundSubtractorMOG2(history=c.history, varThreshold=c.var_threshold, detectShadows=False)

    def prime(self, frames: list[np.ndarray]) -> None:
        """Learn the background from frames seen ahead of time: their median first, then each frame."""
        if not frames:
            return
        self._model.apply(np.median(np.stack(frames), axis=0).astype(np.uint8), learningRate=1.0)
        for frame in frames:
            self._model.apply(frame, learningRate=0.0)  # fills the model's other statistics without learning movers

    def foreground(self, frame: np.ndarray) -> np.ndarray:
        """Cleaned binary foreground (uint8 0/1)."""
        fg = self._model.apply(frame)
        fg = (fg > 200).astype(np.uint8)
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, self._open)
        return cv2.morphologyEx(fg, cv2.MORPH_CLOSE, self._close)

    def __call__(self, frame: np.ndarray) -> Detections:
        fg = self.foreground(frame)
        h, w = fg.shape
        boxes, masks = components(fg, max(1.0, self.config.min_area * h * w))
        return make(boxes, masks, np.ones(len(boxes), np.float32), CLASS_IDS["motion"])


def components(fg: np.ndarray, min_area: float) -> tuple[np.ndarray, np.ndarray]:
    """The 8-connected components of a binary image with at least `min_area` pixels: boxes (N, 4: x1, y1, x2, y2,
    exclusive max; int) and frame-size masks (N, H, W), each written only inside its box, where all of it lies."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    x, y = stats[keep, cv2.CC_STAT_LEFT], stats[keep, cv2.CC_STAT_TOP]
    boxes = np.stack([x, y, x + stats[keep, cv2.CC_STAT_WIDTH], y + stats[keep, cv2.CC_STAT_HEIGHT]], axis=1)
    masks = np.zeros((len(keep), *fg.shape), bool)
    for j, (i, (x1, y1, x2, y2)) in enumerate(zip(keep, boxes)):
        masks[j, y1:y2, x1:x2] = labels[y1:y2, x1:x2] == i
    return boxes, masks
