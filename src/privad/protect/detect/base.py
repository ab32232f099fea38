"""The `Detections` type (supervision's) and the helpers every detector shares.

Every privad detector returns `supervision.Detections` with `xyxy`, `confidence`, `class_id` and a full-frame
boolean `mask` per instance (rectangles or ellipses where the model has no masks), so anonymizers always work on masks.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
import supervision as sv
from supervision import Detections

# class ids by target, so one merged Detections still tells what found each region
CLASS_IDS = {"faces": 0, "people": 1, "motion": 2, "yolo": 3}


class Detector(Protocol):
    """Finds regions to anonymize in one BGR frame."""

    name: str
    warmup: int  # frames this detector wants to see before its first answer (0: none)
    reentrant: bool  # __call__ keeps no state between frames and may run on several threads at once (absent: no)

    def __call__(self, frame: np.ndarray) -> Detections: ...

    def prime(self, frames: list[np.ndarray]) -> None: ...


def empty(shape: tuple[int, int]) -> Detections:
    """No regions, with every field present (so merges with non-empty results work)."""
    h, w = shape
    return Detections(
        xyxy=np.zeros((0, 4), np.float32),
        mask=np.zeros((0, h, w), bool),
        confidence=np.zeros(0, np.float32),
        class_id=np.zeros(0, int),
        tracker_id=np.zeros(0, int),
    )


def make(xyxy: np.ndarray, masks: np.ndarray, scores: np.ndarray, class_id: int) -> Detections:
    """Build Detections of one class from boxes, full-frame masks and scores."""
    n = len(xyxy)
    if n == 0:
        return empty(masks.shape[1:] if masks.ndim == 3 else (0, 0))
    return Detections(
        xyxy=np.asarray(xyxy, np.float32).reshape(n, 4),
        mask=np.asarray(masks, bool),
        confidence=np.asarray(scores, np.float32),
        class_id=np.full(n, class_id, int),
        tracker_id=np.full(n, -1, int),
    )


def merge(parts: list[Detections], shape: tuple[int, int]) -> Detections:
    """Concatenate the results of several detectors."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty(shape)
    return parts[0] if len(parts) == 1 else Detections.merge(parts)


def box_masks(xyxy: np.ndarray, shape: tuple[int, int], ellipse: bool = False,
              scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Full-frame masks for boxes — filled rectangles, or ellipses inscribed in the box — scaled about the box
    centre by `scale`; returns (boxes, masks) where each box is exactly its mask's extent (clipped to the frame)."""
    h, w = shape
    masks = np.zeros((len(xyxy), h, w), np.uint8)
    boxes = np.zeros((len(xyxy), 4), np.float32)
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(xyxy, np.float32)):
        cx, cy = round(float(x1 + x2) / 2), round(float(y1 + y2) / 2)
        ax, ay = max(1, round(float(x2 - x1) * scale / 2)), max(1, round(float(y2 - y1) * scale / 2))
        if ellipse:
            cv2.ellipse(masks[i], (cx, cy), (ax, ay), 0, 0, 360, 1, -1)
        else:
            cv2.rectangle(masks[i], (cx - ax, cy - ay), (cx + ax, cy + ay), 1, -1)
        boxes[i] = (cx - ax, cy - ay, cx + ax + 1, cy + ay + 1)
    return sv.clip_boxes(boxes, (w, h)), masks.astype(bool)


def mask_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight xyxy boxes (exclusive max) of full-frame masks; empty masks give a zero box."""
    out = np.zeros((len(masks), 4), np.float32)
    for i, m in enumerate(masks):
        ys, xs = np.nonzero(m.any(axis=1))[0], np.nonzero(m.any(axis=0))[0]
        if len(ys):
            out[i] = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
    return out
