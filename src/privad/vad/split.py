"""Splitting merged foreground blobs into object regions.

Background subtraction joins objects that touch or overlap in the view (a cyclist among walkers becomes one blob with
them), which dilutes each object's motion and shape. Fixed rules split a blob:
- `flow`: two motions. The blob's flow vectors are clustered in two (k-means); the blob is split when the two centres
  differ by at least `max(1.5 px/frame, 0.75 x the faster centre's speed)`, so limbs of one walker stay together but a
  fast object beside slow ones comes apart.
- `shape`: two bodies. Cores of the blob (its distance transform above half its maximum) become seeds; each pixel
  goes to the nearest seed, so blobs joined by a narrow neck come apart.
- `both`: by motion first, then each part by shape (walkers side by side move alike but have a core each).
- `all`: as `both`, then each part at its column valleys: read left to right, the blob's height (its pixels per
  column) falls to at most a third of the lower of the tallest columns on either side (walkers side by side that
  touch by an arm, or overlap too broadly for two cores; a walker's stride leaves the upper body, about half its
  height, between its legs, and a car's profile has no valley).
Each part is kept if it has at least `min_area` pixels; a blob that yields fewer than two parts stays whole.
"""

from __future__ import annotations

from typing import Literal, get_args

import cv2
import numpy as np

Split = Literal["none", "flow", "shape", "both", "all"]  # the rules above; settings name them with this type
SPLITS: tuple[str, ...] = get_args(Split)
VALLEY = 1 / 3  # `all`: a column at most this share of the lower flanking peak is a gap between objects

_OPEN = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def window(box: np.ndarray, shape: tuple[int, int], margin: int = 0) -> tuple[slice, slice]:
    """Row and column slices of `box` (exclusive max) grown by `margin` px, inside a frame of `shape`."""
    h, w = shape[:2]
    x1, y1, x2, y2 = box
    return (slice(max(0, int(y1) - margin), min(h, int(np.ceil(y2)) + margin)),
            slice(max(0, int(x1) - margin), min(w, int(np.ceil(x2)) + margin)))


def _box(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def _parts(mask: np.ndarray, labels: np.ndarray, n: int, min_area: int) -> list[np.ndarray]:
    """Connected pieces (>= min_area) of each labelled part of `mask`."""
    out = []
    for k in range(n):
        part = cv2.morphologyEx((mask & (labels == k)).astype(np.uint8), cv2.MORPH_OPEN, _OPEN)
        count, comp, stats, _ = cv2.connectedComponentsWithStats(part, connectivity=8)
        out += [comp == c for c in range(1, count) if stats[c, cv2.CC_STAT_AREA] >= min_area]
    return out


def split_by_flow(mask: np.ndarray, flow: np.ndarray, min_area: int) -> list[np.ndarray]:
    """Parts of `mask` that move differently (see the module docstring); [mask] when it is one motion."""
    vectors = np.ascontiguousarray(flow[mask], np.float32)
    if len(vectors) < 2 * min_area:
        return [mask]
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 0.05)
    _, assign, centres = cv2.kmeans(vectors, 2, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    gap = float(np.linalg.norm(centres[0] - centres[1]))
    if gap < max(1.5, 0.75 * float(np.linalg.norm(centres, axis=1).max())):
        return [mask]
    labels = np.full(mask.shape, -1, np.int32)
    labels[mask] = assign.ravel()
    parts = _parts(mask, labels, 2, min_area)
    return parts if len(parts) >= 2 else [mask]


def split_by_shape(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
    """Parts of `mask` around its separate cores (see the module docstring); [mask] when it has one core."""
    if mask.sum() < 2 * min_area:
        return [mask]
    m = mask.astype(np.uint8)
    dist = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    cores = (dist >= 0.5 * dist.max()).astype(np.uint8)
    n, _ = cv2.connectedComponents(cores, connectivity=8)
    if n <= 2:  # background + one core
        return [mask]
    # each pixel to its nearest core: the label of the nearest zero of the inverted core image
    _, nearest = cv2.distanceTransformWithLabels(1 - cores, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_CCOMP)
    labels = np.where(mask, nearest, 0)
    parts = _parts(mask, labels - 1, int(labels.max()), min_area)
    return parts if len(parts) >= 2 else [mask]


def split_by_columns(mask: np.ndarray, min_area: int, valley: float = VALLEY) -> list[np.ndarray]:
    """Parts of `mask` side by side, cut at its column valleys (see the module docstring); [mask] when it has none."""
    if mask.sum() < 2 * min_area:
        return [mask]
    profile = np.convolve(mask.sum(axis=0).astype(np.float64), np.ones(3) / 3, mode="same")
    flank = np.minimum(np.maximum.accumulate(profile), np.maximum.accumulate(profile[::-1])[::-1])
    deep = (flank > 0) & (profile <= valley * flank)
    edges = np.flatnonzero(np.diff(np.r_[0, deep.astype(np.int8), 0]))  # starts and ends of runs of deep columns
    cuts = [start + int(np.argmin(profile[start:end])) for start, end in zip(edges[::2], edges[1::2])]
    if not cuts:
        return [mask]
    labels = np.broadcast_to(np.searchsorted(cuts, np.arange(mask.shape[1])), mask.shape)
    parts = _parts(mask, labels, len(cuts) + 1, min_area)
    return parts if len(parts) >= 2 else [mask]


def split_regions(boxes: np.ndarray, masks: np.ndarray, flow: np.ndarray, rule: str,
                  min_area: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Boxes (N, 4, exclusive max) and masks of the regions after splitting each blob by `rule`.

    Both rules work on the blob's box grown by 2 px, which gives the same parts as the whole frame (a box holds its
    mask) at a fraction of the cost: 2 px is the reach of the 3x3 opening and of the 5x5 distance-transform mask, so
    the zero margin stands for everything outside the box."""
    if rule == "none":
        return boxes, list(masks)
    out_boxes, out_masks = [], []
    for box, mask in zip(boxes, masks):
        sy, sx = window(box, mask.shape, margin=2)
        local = mask[sy, sx]
        parts = split_by_flow(local, flow[sy, sx], min_area) if rule != "shape" else [local]
        if rule != "flow":  # shape, both or all: each part by its cores
            parts = [q for part in parts for q in split_by_shape(part, min_area)]
        if rule == "all":
            parts = [q for part in parts for q in split_by_columns(part, min_area)]
        if len(parts) == 1:
            out_boxes.append(box)
            out_masks.append(mask)
            continue
        offset = np.array([sx.start or 0, sy.start or 0] * 2, np.float32)
        for part in parts:
            full = np.zeros(mask.shape, bool)
            full[sy, sx] = part
            out_boxes.append(_box(part) + offset)
            out_masks.append(full)
    return np.asarray(out_boxes, np.float32).reshape(-1, 4), out_masks
