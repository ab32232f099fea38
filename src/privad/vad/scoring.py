"""From region scores to frame scores, shared by the one-class models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np

from privad.postprocess import smooth

FrameScore = Literal["max", "corrected", "crowd"]  # how a frame's score comes from its regions': frame_maxima
# (max, crowd: with crowd_slope) or frame_surprise (corrected)


def frame_peaks(region_scores: np.ndarray, frame_index: np.ndarray, num_frames: int, floor: float) -> np.ndarray:
    """Per frame the maximum of its regions' scores; a frame without objects counts as normal as the most normal
    training region (`floor`)."""
    out = np.full(num_frames, -np.inf)
    if len(region_scores):
        np.maximum.at(out, np.asarray(frame_index, int), np.asarray(region_scores, float))
    return np.where(np.isfinite(out), out, floor)


def region_counts(frame_index: np.ndarray, num_frames: int) -> np.ndarray:
    """How many regions each frame has."""
    return np.bincount(np.asarray(frame_index, int), minlength=num_frames)[:num_frames]


def crowd_slope(peaks: np.ndarray, counts: np.ndarray) -> float:
    """How much a normal frame's peak rises per unit of log(1 + its regions): the least-squares slope over the
    frames that have a region (0 when their counts do not vary)."""
    x, y = np.log1p(counts[counts > 0]), peaks[counts > 0]
    if len(x) < 2 or np.ptp(x) == 0:
        return 0.0
    return float(np.polyfit(x, y, 1)[0])


def frame_maxima(region_scores: np.ndarray, frame_index: np.ndarray, num_frames: int, floor: float,
                 sigma: float, slope: float | None = None) -> np.ndarray:
    """Per frame the maximum of its regions' scores (`frame_peaks`), Gaussian-smoothed over time. With a `slope`
    (`crowd_slope` of the training frames), less slope * log(1 + the frame's regions): the level a normal frame
    that crowded reaches anyway."""
    out = frame_peaks(region_scores, frame_index, num_frames, floor)
    if slope is not None:
        out = out - slope * np.log1p(region_counts(frame_index, num_frames))
    return smooth([out], sigma)[0]


TAIL = 0.99  # above this quantile of the training region scores, the survival is an exponential tail


def tail_model(train: np.ndarray, levels: int = 1000) -> np.ndarray:
    """The training region scores' distribution as data: `levels` + 1 quantiles (0 to 1), then the mean excess over
    the `TAIL` quantile (the exponential tail's scale, its maximum-likelihood fit)."""
    train = np.asarray(train, float)
    knot = np.quantile(train, TAIL)
    excess = train[train > knot] - knot
    return np.r_[np.quantile(train, np.linspace(0, 1, levels + 1)), excess.mean() if len(excess) else 1.0]


def log_survival(scores: np.ndarray, model: np.ndarray) -> np.ndarray:
    """log P(a normal region scores at least `scores`), by `tail_model`: the empirical distribution up to the `TAIL`
    quantile, an exponential tail above it (continuous at the knot)."""
    quantiles, scale = model[:-1], max(float(model[-1]), 1e-9)
    levels = np.linspace(0, 1, len(quantiles))
    knot = float(np.interp(TAIL, levels, quantiles))
    scores = np.asarray(scores, float)
    below = np.log(np.clip(1 - np.interp(scores, quantiles, levels), 1 - TAIL, 1))
    return np.where(scores > knot, np.log(1 - TAIL) - (scores - knot) / scale, below)


def frame_surprise(region_scores: np.ndarray, frame_index: np.ndarray, num_frames: int, model: np.ndarray,
                   sigma: float) -> np.ndarray:
    """Per frame -log P(the most anomalous of its n regions scores this high if all n were normal), Gaussian-smoothed
    over time: the maximum corrected for the number of regions (Sidak), so a crowded normal frame does not outscore
    a sparse one by its count alone. A frame without regions scores 0.

    With p the survival of the frame's top region, P = 1 - (1 - p)^n."""
    frame_index = np.asarray(frame_index, int)
    count = region_counts(frame_index, num_frames)
    best = np.zeros(num_frames)  # per frame the lowest log survival of its regions (0: none)
    if len(region_scores):
        np.minimum.at(best, frame_index, log_survival(region_scores, model))
    p = np.exp(np.minimum(best, -1e-12))
    with np.errstate(divide="ignore"):  # frames without regions: replaced by 0
        out = -np.log(-np.expm1(count * np.log1p(-p)))  # -log(1 - (1 - p)^n), stable for small p
    # where p underflows (log survival under ~-745: a region far beyond every training score), 1 - (1 - p)^n = n p
    # to within n p, so -log(n) - log p: finite, and still rising with the region's score
    tiny = (p == 0) & (count > 0)
    out[tiny] = -np.log(count[tiny]) - best[tiny]
    out[count == 0] = 0.0
    return smooth([out], sigma)[0]


def top_regions(frame_index: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The row of each frame's highest-scoring region, frames in order (frames without a region have none)."""
    frame_index = np.asarray(frame_index, int)
    order = np.lexsort((-np.asarray(scores, float), frame_index))  # by frame, the highest score first
    return order[np.r_[True, frame_index[order][1:] != frame_index[order][:-1]]] if len(order) else order


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


def resized(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`frame` at (height, width) `size` (area interpolation), or itself when it is that size already."""
    import cv2

    h, w = size
    return frame if frame.shape[:2] == (h, w) else cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)


def to_training_size(frames: Iterable[np.ndarray], size: tuple[int, int],
                     source_size: tuple[int, int] | None = None) -> tuple[list[np.ndarray], float, float]:
    """Frames resized to the training (height, width) — speeds and sizes are in training pixels — and the factors
    (sx, sy) that map boxes back to the input's pixels. `frames` may be any iterable: each is resized as it comes, so
    a stream's full-size frames are never all held at once. `source_size` (height, width): the input's size when the
    frames were already `resized` from it (a stream scorer holds them so); else the first frame's."""
    out, first = [], source_size
    for f in frames:
        first = f.shape[:2] if first is None else first
        out.append(resized(f, size))
    if first is None:
        return out, 1.0, 1.0
    return out, first[1] / size[1], first[0] / size[0]


ROW_REACH = 0.1  # regions centred within this share of the frame's height of a row describe that row


def row_heights(boxes: np.ndarray, frame_height: int) -> np.ndarray:
    """Per row of the frame (0 .. frame_height - 1), the median height of the `boxes` (N, 4 xyxy) centred within
    `ROW_REACH` of the frame's height of it (perspective: how tall objects are there); the median of all where none
    is."""
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    heights = boxes[:, 3] - boxes[:, 1]
    if not len(heights):
        return np.zeros(frame_height)
    centres = 0.5 * (boxes[:, 1] + boxes[:, 3])
    order = np.argsort(centres)
    centres, heights = centres[order], heights[order]
    reach = ROW_REACH * frame_height
    rows = np.arange(frame_height)
    lo, hi = np.searchsorted(centres, rows - reach, "left"), np.searchsorted(centres, rows + reach, "right")
    overall = float(np.median(heights))
    return np.array([np.median(heights[a:b]) if b > a else overall for a, b in zip(lo, hi)])


def height_at(boxes: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """The typical height (`row_heights`) at each of `boxes`' centre row."""
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    return heights[np.clip((0.5 * (boxes[:, 1] + boxes[:, 3])).astype(int), 0, len(heights) - 1)]


def fragments(boxes: np.ndarray, heights: np.ndarray, share: float) -> np.ndarray:
    """Which `boxes` are shorter than `share` of the typical height at their centre's row (`row_heights`)."""
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    if share <= 0 or not len(boxes):
        return np.zeros(len(boxes), bool)
    return boxes[:, 3] - boxes[:, 1] < share * height_at(boxes, heights)


def box_cells(boxes: np.ndarray, grid: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
    """(N, 4) rows and columns [r0, r1, c0, c1) of the cells of a `grid` (rows, columns) that boxes cover (at least
    one cell each); `scale` (rows, columns): cells per px of the boxes."""
    gh, gw = grid
    b = np.asarray(boxes, float).reshape(-1, 4) * np.array([scale[1], scale[0], scale[1], scale[0]])
    c0 = np.minimum(b[:, 0].astype(int), gw - 1)
    r0 = np.minimum(b[:, 1].astype(int), gh - 1)
    c1 = np.minimum(np.maximum(np.ceil(b[:, 2]).astype(int), b[:, 0].astype(int) + 1), gw)
    r1 = np.minimum(np.maximum(np.ceil(b[:, 3]).astype(int), b[:, 1].astype(int) + 1), gh)
    return np.stack([r0, r1, c0, c1], axis=1)


def region_cue(z: np.ndarray, frame_index: np.ndarray, boxes: np.ndarray, size: tuple[int, int],
               cell: int, analysed: tuple[int, int]) -> np.ndarray:
    """Per region, the highest of `z` ((T, rows, columns) cell scores) over the cells its box covers; boxes are in
    px of frames of `size` (height, width), cells of `cell` px of `analysed` frames. Regions whose cells are not
    finite (a frame without a prediction) get NaN."""
    if len(boxes) == 0:
        return np.zeros(0)
    spans = box_cells(boxes, z.shape[1:], (analysed[0] / size[0] / cell, analysed[1] / size[1] / cell))
    out = np.array([z[t, r0:r1, c0:c1].max() for t, (r0, r1, c0, c1) in zip(np.asarray(frame_index, int), spans)])
    return np.where(np.isfinite(out), out, np.nan)
