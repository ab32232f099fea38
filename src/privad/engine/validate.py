"""Choosing settings without test labels: k-fold leave-videos-out on the *normal training* videos, with synthetic
anomalies pasted into the held-out ones.

Each fold fits a model on the other training videos and scores its held-out videos, each once per kind of anomaly,
after pasting into a span of its frames an object cut from another training video (its moving-region mask) that
- `fast`: crosses the frame in 20 frames (a car among walkers),
- `brisk`: crosses it in 60 frames, a few times walking pace (a cyclist or skater among walkers), or
- `turned`: moves at walking pace (200 frames a width) but turned on its side (a shape the scene never shows), or
- `flipped`: moves at walking pace upside down (same box, fill and motion as a walker: only its look differs).
The object moves along a row where the held-out video has moving objects (the walkways), so it often touches them.
Frames where the pasted object is visible are labelled 1. The micro and macro AUC over all held-out copies is a
validation score that needs no test label; the rule (kinds, speeds, rows, spans) is fixed here, for every dataset
alike. Protocol 2 (2026-12-02) added `brisk`, `flipped`, the rows and one copy per kind; protocol 1 alternated fast
and turned.
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
from privad.vad.regions import RegionExtractor
from privad.vad.registry import DEFAULT

KINDS = ("fast", "brisk", "turned", "flipped")
CROSSING = {"fast": 20.0, "brisk": 60.0, "turned": 200.0, "flipped": 200.0}  # frames to cross one frame width
PROTOCOL = 2


@dataclass
class Donor:
    """An object to paste: its pixels and mask (cut from a training frame)."""

    patch: np.ndarray
    mask: np.ndarray


def region_boxes(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The moving-region boxes (N, 4) of every frame (DESIGN.md's median rule), found once per video."""
    return [fr.boxes for fr in RegionExtractor(source="median")(frames)]


def moving_rows(boxes: list[np.ndarray]) -> np.ndarray:
    """Centre rows of a video's moving regions (`region_boxes`, all frames): where its objects move."""
    return np.asarray([0.5 * (b[1] + b[3]) for per_frame in boxes for b in per_frame], np.float32)


def donors(videos: list[list[np.ndarray]], boxes: list[list[np.ndarray]], per_video: int = 3,
           seed: int = 0) -> list[Donor]:
    """Objects cut from moving regions of the videos (`boxes`: `region_boxes` of each): the largest region of a few
    frames of each."""
    rng = np.random.default_rng(seed)
    out = []
    for frames, per_frame in zip(videos, boxes):
        background = np.median(np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames[:30]]), axis=0)
        found = [i for i, b in enumerate(per_frame) if len(b)]
        for index in (found[i] for i in rng.permutation(len(found))[:per_video]) if found else []:
            frame_boxes = per_frame[index]
            big = int(np.argmax([(b[2] - b[0]) * (b[3] - b[1]) for b in frame_boxes]))
            x1, y1, x2, y2 = (int(v) for v in frame_boxes[big])
            patch = frames[index][y1:y2, x1:x2]
            # the object's pixels: where the frame differs from the video's median background
            mask = np.abs(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) - background[y1:y2, x1:x2]) > 25
            out.append(Donor(patch.copy(), mask if mask.any() else np.ones(mask.shape, bool)))
    if not out:
        raise PrivadError("no moving objects found in the training videos to paste as synthetic anomalies")
    return out


def paste(frames: list[np.ndarray], donor: Donor, kind: str, rng: np.random.Generator,
          rows: np.ndarray | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """A copy of `frames` with `donor` moving across a span of them, centred on one of `rows` (a random row when
    none is given); labels 1 where it is visible."""
    if kind not in KINDS:
        raise PrivadError(f"unknown synthetic anomaly '{kind}'; choose from {', '.join(KINDS)}")
    patch, mask = donor.patch, donor.mask
    if kind == "turned":
        patch, mask = np.rot90(patch).copy(), np.rot90(mask).copy()
    elif kind == "flipped":
        patch, mask = patch[::-1].copy(), mask[::-1].copy()
    h, w = frames[0].shape[:2]
    ph, pw = patch.shape[:2]
    if ph >= h or pw >= w:
        scale = 0.5 * min(h / ph, w / pw)
        patch = cv2.resize(patch, (max(1, int(pw * scale)), max(1, int(ph * scale))))
        mask = cv2.resize(mask.astype(np.uint8), (patch.shape[1], patch.shape[0])) > 0
        ph, pw = patch.shape[:2]
    speed = w / CROSSING[kind]  # pixels per frame
    span = min(len(frames) // 2, int(np.ceil((w + pw) / speed)))
    start = int(rng.integers(0, max(1, len(frames) - span)))
    if rows is not None and len(rows):
        y = int(np.clip(rows[int(rng.integers(len(rows)))] - ph / 2, 0, h - ph))
    else:
        y = int(rng.integers(0, h - ph + 1))
    direction = rng.choice([-1, 1])
    out, labels = [f.copy() for f in frames], np.zeros(len(frames), np.int8)
    for t in range(start, start + span):
        x = -pw + speed * (t - start) if direction > 0 else w - speed * (t - start)
        x0, x1 = max(0, int(x)), min(w, int(x) + pw)
        if x1 <= x0:
            continue
        region = out[t][y:y + ph, x0:x1]
        m = mask[:, x0 - int(x):x1 - int(x)]
        region[m] = patch[:, x0 - int(x):x1 - int(x)][m]
        labels[t] = int(m.any())
    return out, labels


def validate(train: list, kind: str = DEFAULT, config: dict | None = None,
             anonymize: AnonymizeConfig | None = None, folds: int = 4, seed: int = 0, progress=None) -> dict:
    """Micro/macro AUC of `kind` on the training videos (paths or frame lists) with pasted anomalies, k-fold."""
    from privad.io.sources import read_all

    videos = [v if isinstance(v, list) else read_all(v)[0] for v in train]
    if len(videos) < 2:
        raise PrivadError("validation needs at least 2 training videos")
    folds = min(folds, len(videos))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(videos))
    boxes = [region_boxes(v) for v in videos]  # once per video: donors and rows both come from them
    pool = donors(videos, boxes, seed=seed)
    rows = [moving_rows(b) for b in boxes]
    scores, labels, per_kind = [], [], {k: ([], []) for k in KINDS}
    for f in range(folds):
        held = [int(i) for i in order[f::folds]]
        fitted = fit_model(kind, config, [anonymized(videos[i], anonymize) for i in range(len(videos))
                                          if i not in held])
        for i, k in ((i, k) for i in held for k in KINDS):
            pasted, lab = paste(videos[i], pool[int(rng.integers(len(pool)))], k, rng, rows[i])
            s = fitted.score(anonymized(pasted, anonymize)).frames
            scores.append(s)
            labels.append(lab)
            per_kind[k][0].append(s)
            per_kind[k][1].append(lab)
        if progress:
            progress(f + 1, folds)
    return {"micro_auc": frame_auc(scores, labels), "macro_auc": frame_auc(scores, labels, "macro"),
            **{f"{k}_micro_auc": frame_auc(*per_kind[k]) for k in KINDS if per_kind[k][0]},
            "videos": len(scores), "folds": folds, "protocol": PROTOCOL}
