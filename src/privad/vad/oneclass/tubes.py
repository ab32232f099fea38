"""Object tubes: the same square box cropped from the frames around an object's frame (SSMTL's input)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Tubes:
    """Tubes of one or more videos.

    `consecutive` and `skipped` are uint8 (N, 2r+1, S, S) gray tubes with frame steps 1 and 2 around each region's
    frame; `middle` holds the colour crop of the region's own frame (for the appearance teacher); `frame` and `boxes`
    say where each tube came from.
    """

    consecutive: np.ndarray
    skipped: np.ndarray
    middle: list[np.ndarray]
    frame: np.ndarray
    boxes: np.ndarray


def square_box(box: np.ndarray, width: int, height: int, pad: float = 0.15) -> tuple[int, int, int, int]:
    """A square around the box centre, side = longest box side * (1 + 2*pad), clipped to the frame."""
    x1, y1, x2, y2 = (float(v) for v in box)
    half = max(x2 - x1, y2 - y1) * (0.5 + pad)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return (int(max(0, cx - half)), int(max(0, cy - half)), int(min(width, np.ceil(cx + half))),
            int(min(height, np.ceil(cy + half))))


def _tube(gray: list[np.ndarray], index: int, crop: tuple[int, int, int, int], radius: int, step: int,
          size: int) -> np.ndarray:
    x1, y1, x2, y2 = crop
    last = len(gray) - 1
    return np.stack([cv2.resize(gray[min(max(index + k * step, 0), last)][y1:y2, x1:x2], (size, size),
                                interpolation=cv2.INTER_AREA) for k in range(-radius, radius + 1)])


def extract_tubes(frames: list[np.ndarray], regions, radius: int, size: int) -> Tubes:
    """Tubes for every region of `regions` (FrameRegions of `frames`); frame indices clamp at the video's ends."""
    gray = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
    height, width = gray[0].shape
    cons, skip, middle, index, boxes = [], [], [], [], []
    for fr in regions:
        for box in fr.boxes:
            crop = square_box(box, width, height)
            if crop[2] - crop[0] < 2 or crop[3] - crop[1] < 2:
                continue
            cons.append(_tube(gray, fr.index, crop, radius, 1, size))
            skip.append(_tube(gray, fr.index, crop, radius, 2, size))
            middle.append(frames[fr.index][crop[1]:crop[3], crop[0]:crop[2]])
            index.append(fr.index)
            boxes.append(box)
    shape = (-1, 2 * radius + 1, size, size)
    return Tubes(np.asarray(cons, np.uint8).reshape(shape), np.asarray(skip, np.uint8).reshape(shape), middle,
                 np.asarray(index, int), np.asarray(boxes, np.float32).reshape(-1, 4))
