"""Synthetic objects pasted into normal video: anomalies for label-free validation (`privad.engine.validate`, whose
docstring gives the protocols) and normal walkers, to crowd a video (validation's protocol 5, and a model's
crowded training copies: `AttributeConfig.crowd`).

An object is cut from a moving region of a training frame (`donors`) and moves across a span of frames (`paste`)
- `fast`: at 4x the scene's walking pace (a car or cyclist among walkers),
- `brisk`: at 2x the pace (a jogger or skater),
- `turned`: at the pace, turned on its side (a shape the scene never shows),
- `flipped`: at the pace, upside down (same box, fill and motion as a walker: only its look differs),
- `walker`: upright at the pace, from the first frame (normal traffic, `traffic`),
along a row where the video has moving objects, scaled to the height the video's objects have at that row; and, from
protocol 11,
- `across`: upright at the pace, up or down a column from where one of the video's objects is (across its rows, where
  every other object goes along them), as tall at each row as the video's objects are there (`_across`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from privad.errors import PrivadError
from privad.vad.regions import ORIENTATION_BINS, RegionExtractor
from privad.vad.tracks import track_ids, track_speeds

KINDS = ("fast", "brisk", "turned", "flipped")  # protocols 2-10
ACROSS = "across"  # protocol 11's fifth kind
# protocol 2: frames to cross a width; protocols 3-6: times the scene's pace
CROSSING = {"fast": 20.0, "brisk": 60.0, "turned": 200.0, "flipped": 200.0, "walker": 200.0}
PACE = {"fast": 4.0, "brisk": 2.0, "turned": 1.0, "flipped": 1.0, "walker": 1.0, ACROSS: 1.0}
WALKER = "walker"  # protocol 5: a normal object, upright at the scene's pace, for the whole video (labelled 0)
PROTOCOL = 11
PROTOCOLS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
STEPS = 24  # protocol 6: a donor's sightings along its track, at most (about two strides of a walker)
AREA_SPAN = 1.5  # protocol 6: a sighting whose box is over 1.5x larger or smaller than the first's ends the track
MIN_STEPS = 12  # protocol 9: a donor's track followed over at least this many frames (half of STEPS: about a stride)
CROWD_PROTOCOL = 8  # the crowded training copies of `AttributeConfig.crowd` paste as protocol 8 did (a model setting)
STRIDE_WINDOW = 5  # protocol 4: a region's displacement is measured over its track within this many frames either side
_ELLIPSE3 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
_ELLIPSE5 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


@dataclass
class Donor:
    """An object to paste: its pixels and mask (cut from a training frame)."""

    patch: np.ndarray
    mask: np.ndarray
    # protocol 6: the object's sightings along its track, in order, each (patch, mask) scaled to the first's height
    # (protocol 8: cut along its track's path, not scaled), and the way it walked (+1: rightwards); pasted in turn, so
    # its limbs move as they did
    steps: list[tuple[np.ndarray, np.ndarray]] | None = None
    heading: int = 1


@dataclass
class Scene:
    """What a video's moving regions say about it: their boxes per frame, and over all frames their centre rows,
    heights and pace (median mean-flow speed per px of box height, per frame: protocol 3) and stride (median
    displacement of their boxes along their tracks, in box heights per frame: protocol 4)."""

    boxes: list[np.ndarray]
    rows: np.ndarray
    heights: np.ndarray
    pace: float
    stride: float = 0.0
    tracks: list[np.ndarray] | None = None  # the track id of each box, frame by frame (as `boxes`)

    def speed(self, protocol: int) -> float:
        """The scene's walking speed in box heights per frame, as `protocol` measures it."""
        return self.stride if protocol >= 4 else self.pace

    def height_at(self, row: float, frame_height: int) -> float | None:
        """Median height of the regions centred within a tenth of the frame's height of `row` (None: none there)."""
        near = np.abs(self.rows - row) <= 0.1 * frame_height
        return float(np.median(self.heights[near])) if near.any() else None


def kinds(protocol: int = PROTOCOL) -> tuple[str, ...]:
    """The kinds of anomaly `protocol` pastes, in the order it draws them."""
    return KINDS + ((ACROSS,) if protocol >= 11 else ())


def scene(frames: list[np.ndarray]) -> Scene:
    """The `Scene` of a video, from its moving regions (DESIGN.md's median rule), found once per video."""
    found = list(RegionExtractor(source="median")(frames))
    if not found:
        return scene_of(np.zeros(0, int), np.zeros((0, 4), np.float32), np.zeros(0), len(frames))
    index = np.concatenate([np.full(len(fr.boxes), fr.index) for fr in found])
    return scene_of(index, np.concatenate([fr.boxes for fr in found]),
                    np.concatenate([fr.velocity[:, ORIENTATION_BINS] for fr in found]), len(frames))


def scene_of(index: np.ndarray, boxes: np.ndarray, speeds: np.ndarray, num_frames: int) -> Scene:
    """The `Scene` of a video from its moving regions: each one's frame (`index`, ascending), box and mean flow
    speed."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    cuts = np.searchsorted(index, np.arange(1, num_frames))  # where each frame's regions start
    per_frame = np.split(boxes, cuts)
    heights = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
    pace = float(np.median(speeds / heights)) if len(heights) else 0.0
    ids = track_ids(index, boxes, num_frames) if len(boxes) else np.zeros(0, int)
    shift = track_speeds(index, boxes, ids, STRIDE_WINDOW) / 10 if len(boxes) else boxes
    stride = float(np.nanmedian(shift)) if np.isfinite(shift).any() else 0.0
    return Scene(per_frame, 0.5 * (boxes[:, 1] + boxes[:, 3]), heights, pace, stride,
                 np.split(ids, cuts))


class Pasted(NamedTuple):
    """A video with an object pasted in: its `frames`, `labels` (1 where the object is visible) and `boxes` (its
    visible pixels' box per frame, (x1, y1, x2, y2) with exclusive x2, y2; NaN where it is not visible)."""

    frames: list[np.ndarray]
    labels: np.ndarray
    boxes: np.ndarray


class Traffic(NamedTuple):
    """A video crowded with normal walkers (`traffic`): its `frames`, and each walker's box per frame (walkers,
    frames, 4), as `Pasted.boxes`."""

    frames: list[np.ndarray]
    boxes: np.ndarray


def _solid(mask: np.ndarray) -> np.ndarray:
    """A thresholded object mask closed and opened, its largest piece kept (protocol 3: one whole object)."""
    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, _ELLIPSE5)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, _ELLIPSE3)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) if n > 1 else mask


def _cut(frame: np.ndarray, box: np.ndarray, background: np.ndarray, protocol: int) -> tuple[np.ndarray, np.ndarray]:
    """An object's pixels in `box`: where the frame differs from the video's median `background` (protocol 3: made
    solid); its whole box when nothing differs."""
    x1, y1, x2, y2 = (int(v) for v in box)
    patch = frame[y1:y2, x1:x2]
    mask = np.abs(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) - background[y1:y2, x1:x2]) > 25
    if protocol >= 3 and mask.any():
        mask = _solid(mask)
    return patch.copy(), mask if mask.any() else np.ones(mask.shape, bool)


def _area(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], 1) * max(box[3] - box[1], 1))


def _followed(sc: Scene, index: int, pick: int) -> tuple[list[int], list[np.ndarray]]:
    """Protocol 6: the frames and boxes of the track of box `pick` of frame `index` over the next `STEPS` frames,
    until the track is lost or its box's area leaves `AREA_SPAN` of the first's (it merged with a neighbour, or lost a
    part)."""
    track = sc.tracks[index][pick]
    area = _area(sc.boxes[index][pick])
    times, boxes = [index], [sc.boxes[index][pick]]
    for t in range(index + 1, min(len(sc.boxes), index + STEPS)):
        seen = np.flatnonzero(sc.tracks[t] == track)
        if not len(seen) or not 1 / AREA_SPAN <= _area(sc.boxes[t][seen[0]]) / area <= AREA_SPAN:
            break
        times.append(t)
        boxes.append(sc.boxes[t][seen[0]])
    return times, boxes


def _steps(frames: list[np.ndarray], sc: Scene, index: int, pick: int, background: np.ndarray,
           protocol: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """Protocol 6: the sightings of the track of box `pick` of frame `index` (`_followed`), each scaled to the first's
    height, and the way it walked. Protocol 8: each cut in a window that follows the track's smooth path
    (`_along_path`)."""
    times, boxes = _followed(sc, index, pick)
    if protocol >= 8:
        steps = _along_path(frames, times, np.asarray(boxes, float), background)
    else:
        steps = [_cut(frames[index], boxes[0], background, 6)]  # the donor's own cut (protocols 3-7 cut alike)
        for t, box in zip(times[1:], boxes[1:]):
            patch, mask = _cut(frames[t], box, background, 6)
            steps.append(_resize(patch, mask, steps[0][0].shape[0] / patch.shape[0]))
    return steps, 1 if boxes[-1][0] + boxes[-1][2] >= boxes[0][0] + boxes[0][2] else -1


def _along_path(frames: list[np.ndarray], times: list[int], boxes: np.ndarray,
                background: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Protocol 8: an object's sightings (frames `times`, its `boxes` there), each cut in a window the size of the
    first box, centred on a straight line fitted to the boxes' centres (the body's smooth path), not rescaled. A box
    jitters with the limbs; cut on the box, as protocol 6 does, the body jitters in its steps instead (figures:
    `privad.engine.validate`'s docstring, protocol 8)."""
    x1, y1, x2, y2 = (int(v) for v in boxes[0])
    w, h = x2 - x1, y2 - y1
    centres = 0.5 * (boxes[:, :2] + boxes[:, 2:])
    k = np.asarray(times, float) - times[0]
    path = (np.stack([np.polyval(np.polyfit(k, centres[:, j], 1), k) for j in (0, 1)], axis=1)
            if len(k) > 1 else centres)
    height, width = frames[0].shape[:2]
    steps = []
    for t, (cx, cy) in zip(times, path):
        left = int(np.clip(round(cx - w / 2), 0, width - w))
        top = int(np.clip(round(cy - h / 2), 0, height - h))
        steps.append(_cut(frames[t], np.array([left, top, left + w, top + h]), background, 6))
    return steps


def donors(videos: list[list[np.ndarray]], scenes: list[Scene], per_video: int = 3, seed: int = 0,
           protocol: int = PROTOCOL) -> list[Donor]:
    """Objects cut from moving regions of a few frames of each video (`scenes`: the `scene` of each). Protocol 2: the
    frame's largest region, its pixels as thresholded; protocol 3: the region nearest the video's median area (one
    object, not a group), its mask made solid; protocol 6: also its next sightings along its track (protocol 8: cut
    along its smooth path); protocol 9: of the regions whose track is followed over at least `MIN_STEPS` frames, the
    one nearest the median area, and frames without one are passed over (a track of a few sightings, played forth and
    back, swings its limbs to and fro every frame or two)."""
    rng = np.random.default_rng(seed)
    out = []
    for frames, sc in zip(videos, scenes):
        per_frame = sc.boxes
        areas = [(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) for b in per_frame]
        typical = float(np.median(np.concatenate(areas))) if any(len(a) for a in areas) else 0.0
        background = np.median(np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames[:30]]), axis=0)
        found = [i for i, b in enumerate(per_frame) if len(b)]
        taken = 0
        for index in (found[i] for i in rng.permutation(len(found))) if found else []:
            if taken == per_video:
                break
            if protocol < 3:
                pick = int(np.argmax(areas[index]))
            elif protocol < 9 or sc.tracks is None:
                pick = int(np.argmin(np.abs(areas[index] - typical)))
            else:
                nearest = np.argsort(np.abs(areas[index] - typical), kind="stable")
                long = next((int(j) for j in nearest if len(_followed(sc, index, int(j))[0]) >= MIN_STEPS), None)
                if long is None:
                    continue
                pick = long
            donor = Donor(*_cut(frames[index], per_frame[index][pick], background, protocol))
            if protocol >= 6 and sc.tracks is not None:
                donor.steps, donor.heading = _steps(frames, sc, index, pick, background, protocol)
            out.append(donor)
            taken += 1
    if not out:
        raise PrivadError("no moving objects found in the training videos to paste as synthetic anomalies")
    return out


def check_protocol(protocol: int) -> None:
    """A clear error for an unknown validation protocol (`privad.engine.validate`)."""
    if protocol not in PROTOCOLS:
        raise PrivadError(f"unknown validation protocol {protocol}; choose from {', '.join(map(str, PROTOCOLS))}")


def _resize(patch: np.ndarray, mask: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A patch and its mask scaled by `scale` (the mask by nearest neighbour, so it stays a mask)."""
    size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
    return cv2.resize(patch, size), cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0


def paste(frames: list[np.ndarray], donor: Donor, kind: str, rng: np.random.Generator,
          scene: Scene | None = None, protocol: int = PROTOCOL) -> Pasted:
    """A copy of `frames` with `donor` moving across a span of them, centred on one of the scene's rows (a random row
    without a scene), at the protocol's speed and (protocol 3) the row's height; labelled and boxed where it is
    visible (`Pasted`). A `WALKER` (protocol 5's traffic) moves from the first frame to the last, or until it leaves
    the frame. Protocols 2-9 place the object at whole pixels (its position truncated each frame); protocol 10 places
    it where it is, its pixels and mask shifted by the fraction (`_placed`), so it moves as smoothly as it should."""
    if kind not in kinds(protocol) + (WALKER,):
        raise PrivadError(f"unknown synthetic anomaly '{kind}' for protocol {protocol}; choose from "
                          f"{', '.join(kinds(protocol))}")
    check_protocol(protocol)
    if kind == ACROSS:
        return _across(frames, donor, rng, scene)
    turn = {"turned": np.rot90, "flipped": lambda a: a[::-1]}.get(kind, lambda a: a)
    steps = donor.steps if protocol >= 6 and donor.steps else [(donor.patch, donor.mask)]
    steps = [(turn(p).copy(), turn(m).copy()) for p, m in steps] if kind in ("turned", "flipped") else steps
    patch, mask = steps[0]
    h, w = frames[0].shape[:2]
    relative = protocol >= 3 and scene is not None and scene.speed(protocol) > 0

    def pick_row() -> float | None:
        return float(scene.rows[int(rng.integers(len(scene.rows)))]) if scene is not None and len(scene.rows) else None

    row = pick_row() if relative else None  # protocol 3 sizes by the row; protocol 2 drew it after the start
    scale = 1.0
    if relative and row is not None and (height := scene.height_at(row, h)):
        scale = height / donor.patch.shape[0]  # upright, as tall as the row's objects (turned: the same area)
    ph, pw = patch.shape[:2]
    if ph * scale >= h or pw * scale >= w:  # too large for the frame: half of it
        scale = 0.5 * min(h / ph, w / pw)
    if scale != 1.0:
        steps = [_resize(p, m, scale) for p, m in steps]
        ph, pw = steps[0][0].shape[:2]
    # pixels per frame: protocols 3-4 in paces of the object's upright height, protocol 2 in frame widths
    speed = (max(PACE[kind] * scene.speed(protocol) * donor.patch.shape[0] * scale, 0.25) if relative
             else w / CROSSING[kind])
    if kind == WALKER:
        span, start = len(frames), 0
    else:
        span = min(len(frames) // 2, int(np.ceil((w + pw) / speed)))
        start = int(rng.integers(0, max(1, len(frames) - span)))
    row = row if relative else pick_row()
    y = int(np.clip(row - ph / 2, 0, h - ph)) if row is not None else int(rng.integers(0, h - ph + 1))
    direction = rng.choice([-1, 1])
    if len(steps) > 1 and direction != donor.heading:  # protocol 6: it faces the way it goes
        steps = [(p[:, ::-1], m[:, ::-1]) for p, m in steps]
    # protocol 2 enters at an edge; protocol 3 starts anywhere along the row (a slow object would not get far in)
    x_start = float(rng.uniform(0, max(0, w - pw))) if relative else (-pw if direction > 0 else w)
    out, labels = [f.copy() for f in frames], np.zeros(len(frames), np.int8)
    boxes = np.full((len(frames), 4), np.nan)
    for t in range(start, start + span):
        patch, mask = steps[_bounce(t - start, len(steps))]
        sh, sw = patch.shape[:2]  # a step of protocol 6 may be narrower or wider than the first: centred on it
        x = x_start + direction * speed * (t - start) + (pw - sw) / 2
        top = y if sh == ph else int(np.clip(y + (ph - sh) / 2, 0, max(0, h - sh)))
        if protocol >= 10:
            x0, top, m = _placed(out[t], patch, mask, x, top)
        else:
            x0, x1 = max(0, int(x)), min(w, int(x) + sw)
            if x1 <= x0:
                continue
            region = out[t][top:top + sh, x0:x1]
            m = mask[:region.shape[0], x0 - int(x):x1 - int(x)]
            region[m] = patch[:region.shape[0], x0 - int(x):x1 - int(x)][m]
        if m.any():
            labels[t], boxes[t] = 1, _box_of(m, x0, top)
    return Pasted(out, labels, boxes)


def _box_of(m: np.ndarray, x0: int, y0: int) -> tuple[int, int, int, int]:
    """The box (x1, y1, x2, y2; x2, y2 exclusive) of the true pixels of mask `m`, whose top-left is at (x0, y0)."""
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    return x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1


def _placed(frame: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: float,
            top: float) -> tuple[int, int, np.ndarray]:
    """`patch` blended into `frame` (in place) with its left edge at column `x` and its top at row `top` (either
    fractional): the patch and its mask are shifted right and down by the fractions (bilinear), and the shifted mask
    is the blend's alpha; what falls outside the frame is cut. Returns the first column and row written and where the
    alpha is above one half (the object's pixels), in that window."""
    xi, yi = int(np.floor(x)), int(np.floor(top))
    shift = np.float32([[1, 0, x - xi], [0, 1, top - yi]])
    sh, sw = patch.shape[:2]
    size = (sw + 1, sh + (1 if top != yi else 0))  # a whole row: as tall as the patch
    moved = cv2.warpAffine(patch, shift, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpAffine(mask.astype(np.float32), shift, size, flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
    x0, x1 = max(0, xi), min(frame.shape[1], xi + size[0])
    y0, y1 = max(0, yi), min(frame.shape[0], yi + size[1])
    if x1 <= x0 or y1 <= y0:
        return x0, y0, np.zeros((0, 0), bool)
    region = frame[y0:y1, x0:x1]
    a = alpha[y0 - yi:y1 - yi, x0 - xi:x1 - xi]
    region[:] = np.round(a[..., None] * moved[y0 - yi:y1 - yi, x0 - xi:x1 - xi]
                         + (1 - a[..., None]) * region).astype(np.uint8)
    return x0, y0, a > 0.5


def _across(frames: list[np.ndarray], donor: Donor, rng: np.random.Generator, scene: Scene | None) -> Pasted:
    """Protocol 11's `across` object: `donor` upright, its sightings played forth and back, from the centre of one of
    the scene's regions up or down its column (towards the farther edge) at the scene's stride, as tall at each row as
    a straight line fitted to the scene's region heights by row has it (perspective, also where no object walked);
    over a random span of at most half the video, until it leaves the frame. Placed at fractional rows and columns
    (`_placed`), labelled and boxed as `paste`'s objects. A video without moving regions (or stride): from a random
    column's top, the donor's own height, down a height in `CROSSING["walker"]` frames (protocol 2's way)."""
    h, w = frames[0].shape[:2]
    seen = [b for b in scene.boxes if len(b)] if scene is not None else []
    if seen and len(scene.rows) and scene.stride > 0:
        boxes = np.concatenate(seen)
        start_box = boxes[int(rng.integers(len(boxes)))]
        cx, y = 0.5 * (start_box[0] + start_box[2]), 0.5 * (start_box[1] + start_box[3])
        line = np.polyfit(scene.rows, scene.heights, 1) if np.ptp(scene.rows) > 0 else [0.0, np.median(scene.heights)]
        lowest, pace, unit = float(np.min(scene.heights)), PACE[ACROSS] * scene.stride, None
    else:
        cx, y = float(rng.uniform(0, w)), 0.0
        line, lowest, pace, unit = [0.0, float(donor.patch.shape[0])], 1.0, 1.0 / CROSSING[WALKER], float(h)

    def height(row: float) -> float:  # never below the scene's shortest region, never taller than half the frame
        return float(np.clip(np.polyval(line, row), lowest, h / 2))

    def step(row: float) -> float:  # px a frame: `pace` object heights at the row (no scene: frame heights)
        return pace * (height(row) if unit is None else unit)

    direction = 1.0 if y < h / 2 else -1.0
    centres = [y]  # the object's centre row, frame by frame, while some of it is in view
    while len(centres) < len(frames) // 2 and -height(centres[-1]) / 2 < centres[-1] < h + height(centres[-1]) / 2:
        centres.append(centres[-1] + direction * step(centres[-1]))
    start = int(rng.integers(0, max(1, len(frames) - len(centres))))
    steps = donor.steps or [(donor.patch, donor.mask)]
    out, labels = [f.copy() for f in frames], np.zeros(len(frames), np.int8)
    placed = np.full((len(frames), 4), np.nan)
    for k, row in enumerate(centres[: len(frames) - start]):
        t = start + k
        patch, mask = steps[_bounce(k, len(steps))]
        patch, mask = _resize(patch, mask, height(row) / steps[0][0].shape[0])
        sh, sw = patch.shape[:2]
        x0, y0, m = _placed(out[t], patch, mask, cx - sw / 2, row - sh / 2)
        if m.any():
            labels[t], placed[t] = 1, _box_of(m, x0, y0)
    return Pasted(out, labels, placed)


def _bounce(t: int, n: int) -> int:
    """The step shown at frame `t` of `n` steps played forth and back (0, 1, .., n-1, n-2, .., 1, 0, 1, ..)."""
    period = 2 * (n - 1)
    return 0 if n == 1 else min(t % period, period - t % period)


def traffic(frames: list[np.ndarray], pool: list[Donor], rng: np.random.Generator, scene: Scene,
            walkers: int | None = None, protocol: int = PROTOCOL) -> Traffic:
    """A copy of `frames` with `walkers` donors from `pool` added as normal traffic (protocol 5; default: as many as
    the scene has regions in a median frame): each upright, at the scene's stride, along one of its rows at the
    row's height, from the first frame; and where each walker is."""
    if walkers is None:
        walkers = round(float(np.median([len(b) for b in scene.boxes]))) if scene.boxes else 0
    boxes = []
    for _ in range(walkers):
        frames, _, walked = paste(frames, pool[int(rng.integers(len(pool)))], WALKER, rng, scene, protocol)
        boxes.append(walked)
    return Traffic(frames, np.stack(boxes) if boxes else np.zeros((0, len(frames), 4)))


def crowded(frames: list[np.ndarray], index: np.ndarray, boxes: np.ndarray, speeds: np.ndarray, crowd: float,
            rng: np.random.Generator) -> list[np.ndarray] | None:
    """A copy of a normal video with `crowd` times as many more walkers as it has moving regions in a median frame,
    cut from its own regions (frame `index`, `boxes`, mean flow `speeds`: `scene_of`) and pasted as `traffic`; None
    when it has no moving region to cut or to count."""
    sc = scene_of(index, boxes, speeds, len(frames))
    walkers = round(crowd * float(np.median([len(b) for b in sc.boxes])))
    if not walkers or not len(boxes):
        return None
    pool = donors([frames], [sc], seed=int(rng.integers(2**31)), protocol=CROWD_PROTOCOL)
    return traffic(frames, pool, rng, sc, walkers, CROWD_PROTOCOL).frames
