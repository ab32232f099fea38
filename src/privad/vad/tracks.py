"""Region scores averaged along object tracks: one object's score should not jump from frame to frame.

Regions of consecutive frames are linked into tracks by ByteTrack (the `trackers` package; IoU association with a
Kalman box model). A region's score becomes the mean of its track's scores within `window` frames either side, so a
one-frame flow glitch on a walker is diluted while an object that is anomalous all along keeps its score. A region
ByteTrack leaves unmatched is a track of its own. Tracks also give each region its object's speed (`track_speeds`) and
velocity (`track_velocities`), and let a costly descriptor be computed for every k-th sighting only (`track_samples`).
"""

from __future__ import annotations

import numpy as np
from supervision import Detections, box_iou_batch
from trackers import ByteTrackTracker


def track_ids(index: np.ndarray, boxes: np.ndarray, num_frames: int) -> np.ndarray:
    """A track id for each region (frame `index`, `boxes` (N, 4) xyxy); regions left unmatched get ids of their own."""
    index = np.asarray(index, int)
    ids = np.full(len(index), -1, np.int64)
    tracker = ByteTrackTracker(lost_track_buffer=3, minimum_consecutive_frames=1, minimum_iou_threshold=0.1)
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(num_frames + 1))
    for t in range(num_frames):
        rows = order[bounds[t]:bounds[t + 1]]
        if not len(rows):
            tracker.update(Detections.empty())
            continue
        tracked = tracker.update(Detections(xyxy=np.asarray(boxes[rows], np.float32), data={"row": rows}))
        ids[np.asarray(tracked.data["row"], int)] = np.asarray(tracked.tracker_id, np.int64)
    _adopt_first_sightings(index, boxes, ids)
    lone = ids < 0
    ids[lone] = -1 - np.arange(lone.sum())  # distinct negative ids
    return ids


def _adopt_first_sightings(index: np.ndarray, boxes: np.ndarray, ids: np.ndarray, iou: float = 0.3) -> None:
    """ByteTrack names a track from its second sighting: give each track's first sighting the id, in place (the
    unnamed region of the frame before its first named one that overlaps it most, if by at least `iou`; tracks in id
    order, a region adopted once stays adopted)."""
    named = np.flatnonzero(ids >= 0)
    order = named[np.lexsort((index[named], ids[named]))]  # by track, then by frame
    firsts = order[np.r_[True, ids[order][1:] != ids[order][:-1]]] if len(order) else order
    unnamed: dict[int, list[int]] = {}
    for row in np.flatnonzero(ids < 0):
        unnamed.setdefault(int(index[row]), []).append(int(row))
    for first in firsts:
        before = np.array([r for r in unnamed.get(int(index[first]) - 1, []) if ids[r] < 0], int)
        if len(before):
            overlap = box_iou_batch(boxes[first][None], boxes[before])[0]
            if overlap.max() >= iou:
                ids[before[int(np.argmax(overlap))]] = ids[first]


def _tracks(index: np.ndarray, ids: np.ndarray) -> list[np.ndarray]:
    """The rows of each track (`ids`), in frame order (`index`)."""
    order = np.lexsort((index, ids))  # by track, then by frame
    if not len(order):
        return []
    return np.split(order, np.flatnonzero(ids[order][1:] != ids[order][:-1]) + 1)


def along_tracks(index: np.ndarray, ids: np.ndarray, scores: np.ndarray, window: int) -> np.ndarray:
    """Each region's score replaced by the mean of its track's scores within `window` frames either side."""
    scores = np.asarray(scores, float)
    if window <= 0 or not len(scores):
        return scores.copy()
    index = np.asarray(index, int)
    out = np.empty_like(scores)
    for rows in _tracks(index, ids):
        t, s = index[rows], scores[rows]
        total = np.r_[0.0, np.cumsum(s)]
        lo, hi = np.searchsorted(t, t - window, "left"), np.searchsorted(t, t + window, "right")
        out[rows] = (total[hi] - total[lo]) / (hi - lo)
    return out


def _displacements(index: np.ndarray, boxes: np.ndarray, ids: np.ndarray, window: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per region its track's box-centre displacement (dx, dy) from the earliest to the latest sighting within
    `window` frames either side, the frames between them (0: no other sighting there) and the track's mean box height
    there."""
    index = np.asarray(index, int)
    boxes = np.asarray(boxes, float)
    shift, span, mean_h = np.zeros((len(index), 2)), np.zeros(len(index), int), np.ones(len(index))
    centre = 0.5 * (boxes[:, :2] + boxes[:, 2:])
    height = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
    for rows in _tracks(index, ids):
        t = index[rows]
        lo = np.searchsorted(t, t - window, "left")
        hi = np.searchsorted(t, t + window, "right") - 1
        span[rows] = t[hi] - t[lo]
        shift[rows] = centre[rows][hi] - centre[rows][lo]
        total = np.r_[0.0, np.cumsum(height[rows])]
        mean_h[rows] = (total[hi + 1] - total[lo]) / (hi - lo + 1)
    return shift, span, mean_h


def track_speeds(index: np.ndarray, boxes: np.ndarray, ids: np.ndarray, window: int) -> np.ndarray:
    """Per region the speed of its track within `window` frames either side: the box centre's displacement from the
    track's earliest to its latest sighting there, per frame between them, in the track's mean box height there, x 10
    (the unit of the velocity descriptor's p90 / height column). NaN for a region its track has no other sighting of
    in the window."""
    shift, span, mean_h = _displacements(index, boxes, ids, window)
    out = np.full(len(span), np.nan)
    ok = span > 0
    out[ok] = 10 * np.hypot(*shift[ok].T) / span[ok] / mean_h[ok]
    return out


def track_velocities(index: np.ndarray, boxes: np.ndarray, ids: np.ndarray, window: int) -> np.ndarray:
    """Per region its track's velocity (x, y) within `window` frames either side, in the unit of `track_speeds`
    (whose figure is its length); NaN rows where the track has no other sighting in the window."""
    shift, span, mean_h = _displacements(index, boxes, ids, window)
    out = np.full((len(span), 2), np.nan)
    ok = span > 0
    out[ok] = 10 * shift[ok] / span[ok, None] / mean_h[ok, None]
    return out


def track_samples(index: np.ndarray, ids: np.ndarray, every: int) -> np.ndarray:
    """Per region the row of the sighting that stands for it, so a costly descriptor is computed once for `every`
    sightings of a track: each track's sightings in frame order, its 1st, (every+1)-th, ... stand for themselves, the
    others take the nearest of those (the later on a tie). `every` <= 1: each region stands for itself."""
    out = np.arange(len(index))
    if every <= 1:
        return out
    for rows in _tracks(np.asarray(index, int), ids):
        nearest = np.minimum((np.arange(len(rows)) + every // 2) // every * every, (len(rows) - 1) // every * every)
        out[rows] = rows[nearest]
    return out
