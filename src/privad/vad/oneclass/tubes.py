"""Object tubes: the same square box cropped from the frames around an object's frame (SSMTL's input)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from privad.vad.scoring import height_at


@dataclass
class Tubes:
    """Tubes of one or more videos.

    `consecutive` and `skipped` are uint8 (N, 2r+1, S, S) gray tubes with frame steps 1 and 2 around each region's
    frame; `middle` holds the colour crop of the region's own frame (for the appearance teacher; empty in tubes cut
    while fitting, whose teacher features are taken as each video is read); `frame` and `boxes`
    say where each tube came from.
    """

    consecutive: np.ndarray
    skipped: np.ndarray
    middle: list[np.ndarray]
    frame: np.ndarray
    boxes: np.ndarray


def square_box(box: np.ndarray, width: int, height: int, pad: float = 0.15,
               least: float = 0.0) -> tuple[int, int, int, int]:
    """A square around the box centre, side = max(longest box side, `least`) * (1 + 2*pad), clipped to the frame."""
    x1, y1, x2, y2 = (float(v) for v in box)
    half = max(x2 - x1, y2 - y1, least) * (0.5 + pad)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return (int(max(0, cx - half)), int(max(0, cy - half)), int(min(width, np.ceil(cx + half))),
            int(min(height, np.ceil(cy + half))))


def _tube(gray: list[np.ndarray], index: int, crop: tuple[int, int, int, int], radius: int, step: int,
          size: int) -> np.ndarray:
    x1, y1, x2, y2 = crop
    last = len(gray) - 1
    return np.stack([cv2.resize(gray[min(max(index + k * step, 0), last)][y1:y2, x1:x2], (size, size),
                                interpolation=cv2.INTER_AREA) for k in range(-radius, radius + 1)])


@dataclass
class Sightings:
    """What tubes are cut from, kept without the colour frames: a video's gray frames, its regions' frames and boxes
    (those whose square has an area) and the colour crop of each region's own square (the appearance teacher's)."""

    gray: list[np.ndarray]
    frame: np.ndarray
    boxes: np.ndarray
    middle: list[np.ndarray]


def sightings(frames: list[np.ndarray], regions) -> Sightings:
    """The `Sightings` of `regions` (FrameRegions of `frames`)."""
    gray = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
    height, width = gray[0].shape
    middle, index, boxes = [], [], []
    for fr in regions:
        for box in fr.boxes:
            x1, y1, x2, y2 = square_box(box, width, height)
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            middle.append(frames[fr.index][y1:y2, x1:x2].copy())  # a copy: a view would keep the frame alive
            index.append(fr.index)
            boxes.append(box)
    return Sightings(gray, np.asarray(index, int), np.asarray(boxes, np.float32).reshape(-1, 4), middle)


def extract_tubes(seen: Sightings, radius: int, size: int, heights: np.ndarray | None = None) -> Tubes:
    """Tubes for every sighting; frame indices clamp at the video's ends. With `heights` (per row of the frame, the
    typical object height there: `privad.vad.scoring.row_heights`), a square is at least that tall at its box
    centre's row, so a fragment of an object (a limb, half a group) is seen at its object's scale."""
    height, width = seen.gray[0].shape
    least = np.zeros(len(seen.boxes)) if heights is None else height_at(seen.boxes, heights)
    cons, skip = [], []
    for index, box, side in zip(seen.frame, seen.boxes, least):
        crop = square_box(box, width, height, least=float(side))
        cons.append(_tube(seen.gray, index, crop, radius, 1, size))
        skip.append(_tube(seen.gray, index, crop, radius, 2, size))
    shape = (-1, 2 * radius + 1, size, size)
    return Tubes(np.asarray(cons, np.uint8).reshape(shape), np.asarray(skip, np.uint8).reshape(shape), seen.middle,
                 seen.frame, seen.boxes)
