"""From region scores to frame scores, shared by the one-class models."""

from __future__ import annotations

import numpy as np

from privad.postprocess import smooth


def frame_maxima(region_scores: np.ndarray, frame_index: np.ndarray, num_frames: int, floor: float,
                 sigma: float) -> np.ndarray:
    """Per frame the maximum of its regions' scores (`floor` when it has none), Gaussian-smoothed over time.

    A frame without objects counts as normal as the most normal training region (`floor`).
    """
    out = np.full(num_frames, -np.inf)
    if len(region_scores):
        np.maximum.at(out, np.asarray(frame_index, int), np.asarray(region_scores, float))
    out = np.where(np.isfinite(out), out, floor)
    return smooth([out], sigma)[0]


def scored_regions(index: np.ndarray, boxes: np.ndarray, scores: np.ndarray, sx: float = 1.0,
                   sy: float = 1.0) -> list[tuple]:
    """(frame, x1, y1, x2, y2, score) tuples, boxes scaled back to the input's pixels."""
    return [(int(i), float(b[0] * sx), float(b[1] * sy), float(b[2] * sx), float(b[3] * sy), float(s))
            for i, b, s in zip(index, boxes, scores)]


def analysis_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """(height, width) shrunk, keeping the aspect, so the longer side is at most `max_side` (None: unchanged)."""
    h, w = size
    if max_side is None or max(h, w) <= max_side:
        return h, w
    f = max_side / max(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


def to_training_size(frames: list[np.ndarray], size: tuple[int, int]) -> tuple[list[np.ndarray], float, float]:
    """Frames resized to the training (height, width) — speeds and sizes are in training pixels — and the factors
    (sx, sy) that map boxes back to the input's pixels."""
    import cv2

    h, w = size
    if not frames or frames[0].shape[:2] == (h, w):
        return frames, 1.0, 1.0
    sy, sx = frames[0].shape[0] / h, frames[0].shape[1] / w
    return [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames], sx, sy
