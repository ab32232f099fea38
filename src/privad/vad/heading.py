"""Which way objects go, by place: a fixed camera's walkways have their directions, and an object going across or
against them (UCSD Ped1's walking across the grass, Avenue's wrong direction) is unusual even at a normal pace and
with a normal look.

A region's heading is one of `BINS` directions of a velocity: its track's (`track`: the box centre's displacement,
`privad.vad.tracks.track_velocities`, over `WINDOW` frames either side) or its optical flow's (`flow`: the resultant
of its flow orientation histogram, `flow_velocity`, which follows the object's own pixels where a box merged with a
neighbour's follows the group), read only when it is at least `MOVING` times the training regions' median (a standing
or shuffling object has no heading worth reading: NaN). The frame is cut into a `GRID` of
cells by the box's centre; each cell holds the training regions' headings as smoothed votes (a quarter to each
neighbouring direction), shrunk towards the whole frame's headings by `PRIOR` pseudo-regions, so a cell few objects
crossed in training reads like the frame as a whole, not like a blank. The cue is -log p(heading | cell). A training
region is read against the other training videos' votes (its own video's left out), as an unseen video's are.
All of these are fixed beforehand, for every scene alike.
"""

from __future__ import annotations

import numpy as np

from privad.vad.regions import ORIENTATION_BINS

WINDOW = 5  # frames either side over which a track's velocity is measured (the validation's stride window)
BINS = 8
GRID = (4, 6)  # cells: rows, columns of the analysed frame
PRIOR = 5.0  # pseudo-regions of the frame's headings in each cell
MOVING = 0.5  # a region slower than this share of the training regions' median speed has no heading
_SPREAD = (0.25, 0.5, 0.25)  # a heading's vote to the direction before, its own, the one after


def flow_velocity(descriptor: np.ndarray) -> np.ndarray:
    """The mean flow vector (x, y) of regions, in px a frame, from their motion descriptors' orientation histogram
    (`privad.vad.regions.velocity_descriptor`: each bin's summed flow magnitude over the region's area), each bin at
    its centre angle."""
    centre = (np.arange(ORIENTATION_BINS) + 0.5) * 2 * np.pi / ORIENTATION_BINS - np.pi
    hist = np.asarray(descriptor, float)[:, :ORIENTATION_BINS]
    return np.c_[hist @ np.cos(centre), hist @ np.sin(centre)]


def directions(velocity: np.ndarray) -> np.ndarray:
    """The direction bin (0..BINS-1) of each (x, y) velocity (NaN rows: 0; mask them with `moving`)."""
    angle = np.arctan2(np.nan_to_num(velocity[:, 1]), np.nan_to_num(velocity[:, 0]))
    return np.round((angle + np.pi) / (2 * np.pi) * BINS).astype(int) % BINS


def cells(boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The grid cell (row-major) of each box's centre in a frame of `size` (height, width)."""
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    h, w = size
    row = np.clip((0.5 * (boxes[:, 1] + boxes[:, 3]) / h * GRID[0]).astype(int), 0, GRID[0] - 1)
    col = np.clip((0.5 * (boxes[:, 0] + boxes[:, 2]) / w * GRID[1]).astype(int), 0, GRID[1] - 1)
    return row * GRID[1] + col


def votes(cell: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Smoothed heading votes per cell: (cells, BINS)."""
    out = np.zeros((GRID[0] * GRID[1], BINS))
    for step, share in zip((-1, 0, 1), _SPREAD):
        np.add.at(out, (cell, (direction + step) % BINS), share)
    return out


def surprise(counts: np.ndarray, cell: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """-log p(direction | cell) under `counts` (cells, BINS), each cell shrunk towards the frame's headings."""
    frame = (counts.sum(axis=0) + 1.0) / (counts.sum() + BINS)  # Laplace: a heading never seen is not impossible
    p = (counts[cell, direction] + PRIOR * frame[direction]) / (counts[cell].sum(axis=1) + PRIOR)
    return -np.log(p)


def moving(velocity: np.ndarray, threshold: float) -> np.ndarray:
    """Which regions move fast enough for their heading to count."""
    speed = np.hypot(velocity[:, 0], velocity[:, 1])
    return np.isfinite(speed) & (speed >= threshold)


def fit(velocity: np.ndarray, boxes: np.ndarray, size: tuple[int, int], video: np.ndarray
        ) -> tuple[np.ndarray, float, np.ndarray]:
    """The heading memory of training regions (their `velocity`, track's or flow's, `boxes`, each one's training
    `video`): the cells' votes, the speed under which a heading is not read, and each training region's cue against
    the other videos' votes (NaN where it has no heading)."""
    speed = np.hypot(velocity[:, 0], velocity[:, 1])
    finite = np.isfinite(speed)
    threshold = MOVING * float(np.median(speed[finite])) if finite.any() else 0.0  # no track moved: none will
    go = moving(velocity, threshold)
    cell, direction = cells(boxes, size), directions(velocity)
    counts = votes(cell[go], direction[go])
    raw = np.full(len(speed), np.nan)
    for v in np.unique(video[go]):
        mine = go & (video == v)
        raw[mine] = surprise(counts - votes(cell[mine], direction[mine]), cell[mine], direction[mine])
    return counts, threshold, raw


def score(counts: np.ndarray, threshold: float, velocity: np.ndarray, boxes: np.ndarray,
          size: tuple[int, int]) -> np.ndarray:
    """The heading cue of regions (NaN where a region has no heading)."""
    raw = np.full(len(velocity), np.nan)
    go = moving(velocity, threshold)
    raw[go] = surprise(counts, cells(boxes[go], size), directions(velocity[go]))
    return raw
