"""Choosing settings without test labels: k-fold leave-videos-out on the *normal training* videos, with synthetic
anomalies pasted into the held-out ones.

Each fold fits a model on the other training videos and scores its held-out videos, each once per kind of anomaly,
after pasting into a span of its frames an object cut from another training video (its moving-region mask) that
- `fast`: moves 4x the scene's walking pace (a car or cyclist among walkers),
- `brisk`: moves 2x the pace (a jogger or skater),
- `turned`: moves at the pace but turned on its side (a shape the scene never shows), or
- `flipped`: moves at the pace upside down (same box, fill and motion as a walker: only its look differs).
The object moves along a row where the held-out video has moving objects (the walkways), so it often touches them,
scaled to the height the video's objects have at that row (perspective). The pace is the video's own: the median over
its moving regions of how far their boxes move along their tracks, per frame, in box heights (protocol 4; protocol 3
took the mean optical-flow speed inside the regions, which is about half of that on Ped2's walkers).
Frames where the pasted object is visible are labelled 1. The micro and macro AUC over all held-out copies is a
validation score that needs no test label; the rule (kinds, factors, rows, spans) is fixed here, for every dataset
alike.

Protocols: 1 alternated fast and turned objects at fixed speeds (a width in 20 or 200 frames); 2 (2026-12-02) added
`brisk` (60 frames a width), `flipped`, the rows and one copy per kind; 3 (2026-12-02, night) makes speeds relative
to the scene's pace and sizes to the row's, because protocol 2's "walking pace" was 2-3x the walkers' own and its sizes
ignored perspective, so pasted objects were easier than real ones (validation ~95 against ~88 on Ped2's test); 4
(2026-12-05) measures the pace as the walkers' displacement: the flow inside a walker's region averages moving limbs
with a body whose plain texture the flow does not follow, and came to 0.37-0.66 of the displacement on every one of
Ped2's 16 training videos, so protocol 3's `brisk` objects moved at about the walkers' own speed and `fast` ones at
about twice it, while its `turned` and `flipped` ones crept at half of it; 5 (2026-12-05, eighth session) adds normal
traffic: every second held-out video of a fold gets as many more walkers as it has moving regions in a median frame
(its crowding doubled; donors, upright, at the scene's stride, from its first frame), labelled 0, in its copies of
every kind. Two reasons: held-out videos should differ in crowding as much as a scene's videos can (under protocol 4
micro sat 2.6 under macro, on Ped2's test 7.6), and pasted objects are rigid patches that a model could find by their
pasting alone, which pasted walkers, being normal, do not reward.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from privad.engine.fit import fit_model
from privad.engine.views import anonymized
from privad.errors import PrivadError
from privad.metrics import frame_auc
from privad.protect.config import AnonymizeConfig
from privad.vad.regions import ORIENTATION_BINS, RegionExtractor
from privad.vad.registry import DEFAULT
from privad.vad.tracks import track_ids, track_speeds

KINDS = ("fast", "brisk", "turned", "flipped")
# protocol 2: frames to cross a width; protocols 3-5: times the scene's pace
CROSSING = {"fast": 20.0, "brisk": 60.0, "turned": 200.0, "flipped": 200.0, "walker": 200.0}
PACE = {"fast": 4.0, "brisk": 2.0, "turned": 1.0, "flipped": 1.0, "walker": 1.0}
WALKER = "walker"  # protocol 5: a normal object, upright at the scene's pace, for the whole video (labelled 0)
PROTOCOL = 5
PROTOCOLS = (2, 3, 4, 5)
STRIDE_WINDOW = 5  # protocol 4: a region's displacement is measured over its track within this many frames either side
_ELLIPSE3 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
_ELLIPSE5 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


@dataclass
class Donor:
    """An object to paste: its pixels and mask (cut from a training frame)."""

    patch: np.ndarray
    mask: np.ndarray


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

    def speed(self, protocol: int) -> float:
        """The scene's walking speed in box heights per frame, as `protocol` measures it."""
        return self.stride if protocol >= 4 else self.pace

    def height_at(self, row: float, frame_height: int) -> float | None:
        """Median height of the regions centred within a tenth of the frame's height of `row` (None: none there)."""
        near = np.abs(self.rows - row) <= 0.1 * frame_height
        return float(np.median(self.heights[near])) if near.any() else None


def scene(frames: list[np.ndarray]) -> Scene:
    """The `Scene` of a video, from its moving regions (DESIGN.md's median rule), found once per video."""
    found = list(RegionExtractor(source="median")(frames))
    boxes = [fr.boxes for fr in found]
    allb = np.concatenate(boxes) if boxes else np.zeros((0, 4), np.float32)
    heights = np.maximum(allb[:, 3] - allb[:, 1], 1.0)
    speeds = np.concatenate([fr.velocity[:, ORIENTATION_BINS] for fr in found]) if found else np.zeros(0)
    pace = float(np.median(speeds / heights)) if len(heights) else 0.0
    index = np.concatenate([np.full(len(b), i) for i, b in enumerate(boxes)]) if boxes else np.zeros(0, int)
    shift = track_speeds(index, allb, track_ids(index, allb, len(frames)), STRIDE_WINDOW) / 10 if len(allb) else allb
    stride = float(np.nanmedian(shift)) if np.isfinite(shift).any() else 0.0
    return Scene(boxes, 0.5 * (allb[:, 1] + allb[:, 3]), heights, pace, stride)


def _solid(mask: np.ndarray) -> np.ndarray:
    """A thresholded object mask closed and opened, its largest piece kept (protocol 3: one whole object)."""
    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, _ELLIPSE5)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, _ELLIPSE3)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) if n > 1 else mask


def donors(videos: list[list[np.ndarray]], scenes: list[Scene], per_video: int = 3, seed: int = 0,
           protocol: int = PROTOCOL) -> list[Donor]:
    """Objects cut from moving regions of a few frames of each video (`scenes`: the `scene` of each). Protocol 2: the
    frame's largest region, its pixels as thresholded; protocol 3: the region nearest the video's median area (one
    object, not a group), its mask made solid."""
    rng = np.random.default_rng(seed)
    out = []
    for frames, sc in zip(videos, scenes):
        per_frame = sc.boxes
        areas = [(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) for b in per_frame]
        typical = float(np.median(np.concatenate(areas))) if any(len(a) for a in areas) else 0.0
        background = np.median(np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames[:30]]), axis=0)
        found = [i for i, b in enumerate(per_frame) if len(b)]
        for index in (found[i] for i in rng.permutation(len(found))[:per_video]) if found else []:
            pick = int(np.argmin(np.abs(areas[index] - typical)) if protocol >= 3 else np.argmax(areas[index]))
            x1, y1, x2, y2 = (int(v) for v in per_frame[index][pick])
            patch = frames[index][y1:y2, x1:x2]
            # the object's pixels: where the frame differs from the video's median background
            mask = np.abs(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) - background[y1:y2, x1:x2]) > 25
            if protocol >= 3 and mask.any():
                mask = _solid(mask)
            out.append(Donor(patch.copy(), mask if mask.any() else np.ones(mask.shape, bool)))
    if not out:
        raise PrivadError("no moving objects found in the training videos to paste as synthetic anomalies")
    return out


def _check_protocol(protocol: int) -> None:
    if protocol not in PROTOCOLS:
        raise PrivadError(f"unknown validation protocol {protocol}; choose from {', '.join(map(str, PROTOCOLS))}")


def _resize(patch: np.ndarray, mask: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A patch and its mask scaled by `scale` (the mask by nearest neighbour, so it stays a mask)."""
    size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
    return cv2.resize(patch, size), cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0


def paste(frames: list[np.ndarray], donor: Donor, kind: str, rng: np.random.Generator,
          scene: Scene | None = None, protocol: int = PROTOCOL) -> tuple[list[np.ndarray], np.ndarray]:
    """A copy of `frames` with `donor` moving across a span of them, centred on one of the scene's rows (a random row
    without a scene), at the protocol's speed and (protocol 3) the row's height; labels 1 where it is visible. A
    `WALKER` (protocol 5's traffic) moves from the first frame to the last, or until it leaves the frame."""
    if kind not in KINDS + (WALKER,):
        raise PrivadError(f"unknown synthetic anomaly '{kind}'; choose from {', '.join(KINDS)}")
    _check_protocol(protocol)
    patch, mask = donor.patch, donor.mask
    if kind == "turned":
        patch, mask = np.rot90(patch).copy(), np.rot90(mask).copy()
    elif kind == "flipped":
        patch, mask = patch[::-1].copy(), mask[::-1].copy()
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
        patch, mask = _resize(patch, mask, scale)
        ph, pw = patch.shape[:2]
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
    # protocol 2 enters at an edge; protocol 3 starts anywhere along the row (a slow object would not get far in)
    x_start = float(rng.uniform(0, max(0, w - pw))) if relative else (-pw if direction > 0 else w)
    out, labels = [f.copy() for f in frames], np.zeros(len(frames), np.int8)
    for t in range(start, start + span):
        x = x_start + direction * speed * (t - start)
        x0, x1 = max(0, int(x)), min(w, int(x) + pw)
        if x1 <= x0:
            continue
        region = out[t][y:y + ph, x0:x1]
        m = mask[:, x0 - int(x):x1 - int(x)]
        region[m] = patch[:, x0 - int(x):x1 - int(x)][m]
        labels[t] = int(m.any())
    return out, labels


def traffic(frames: list[np.ndarray], pool: list[Donor], rng: np.random.Generator, scene: Scene,
            walkers: int | None = None) -> list[np.ndarray]:
    """A copy of `frames` with `walkers` donors from `pool` added as normal traffic (protocol 5; default: as many as
    the scene has regions in a median frame): each upright, at the scene's stride, along one of its rows at the
    row's height, from the first frame."""
    if walkers is None:
        walkers = round(float(np.median([len(b) for b in scene.boxes]))) if scene.boxes else 0
    for _ in range(walkers):
        frames, _ = paste(frames, pool[int(rng.integers(len(pool)))], WALKER, rng, scene, 5)
    return frames


def validate(train: list, kind: str = DEFAULT, config: dict | None = None,
             anonymize: AnonymizeConfig | None = None, folds: int = 4, seed: int = 0, progress=None,
             protocol: int = PROTOCOL) -> dict:
    """Micro/macro AUC of `kind` on the training videos (paths or frame lists) with pasted anomalies, k-fold, by
    `protocol` (the module docstring)."""
    from privad.io.sources import read_all

    _check_protocol(protocol)
    videos = [v if isinstance(v, list) else read_all(v)[0] for v in train]
    if len(videos) < 2:
        raise PrivadError("validation needs at least 2 training videos")
    folds = min(folds, len(videos))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(videos))
    scenes = [scene(v) for v in videos]  # once per video: donors, rows, sizes and paces all come from them
    pool = donors(videos, scenes, seed=seed, protocol=protocol)
    scores, labels, per_kind = [], [], {k: ([], []) for k in KINDS}
    for f in range(folds):
        held = [int(i) for i in order[f::folds]]
        fitted = fit_model(kind, config, [anonymized(videos[i], anonymize) for i in range(len(videos))
                                          if i not in held])
        # protocol 5: every second held-out video crowded by normal traffic, the same in its copies of every kind
        base = {i: traffic(videos[i], pool, rng, scenes[i]) if protocol >= 5 and j % 2 else videos[i]
                for j, i in enumerate(held)}
        for i, k in ((i, k) for i in held for k in KINDS):
            pasted, lab = paste(base[i], pool[int(rng.integers(len(pool)))], k, rng, scenes[i], protocol)
            s = fitted.score(anonymized(pasted, anonymize)).frames
            scores.append(s)
            labels.append(lab)
            per_kind[k][0].append(s)
            per_kind[k][1].append(lab)
        if progress:
            progress(f + 1, folds)
    return {"micro_auc": frame_auc(scores, labels), "macro_auc": frame_auc(scores, labels, "macro"),
            **{f"{k}_micro_auc": frame_auc(*per_kind[k]) for k in KINDS if per_kind[k][0]},
            "videos": len(scores), "folds": folds, "protocol": protocol}
