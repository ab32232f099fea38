"""Person re-identification as a privacy measure: can anonymized people be found again in raw footage?

Protocol of Market-1501: each query is ranked against the gallery by cosine distance of MobileNetV2 (ImageNet)
embeddings; gallery images of the same person *and* the same camera are left out, as are junk images (id -1).
Rank-1 = share of queries whose nearest kept gallery image is the same person; mAP = mean over queries of the
(non-interpolated) average precision. Queries without any true match in the kept gallery are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from supervision import Detections

from privad.errors import PrivadError
from privad.io.images import IMAGE_EXTS, read_image

MARKET_NAME = re.compile(r"^(-?\d+)_c(\d+)")


@dataclass
class ReidSet:
    """Images with person ids and camera ids."""

    paths: list[Path]
    ids: np.ndarray
    cams: np.ndarray


def load_market_split(folder: Path) -> ReidSet:
    """A Market-1501 folder (`query/` or `bounding_box_test/`): names PPPP_cC..., id -1 = junk, 0000 = distractor."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PrivadError(f"ReID folder not found: {folder}")
    paths, ids, cams = [], [], []
    for p in sorted(folder.iterdir()):
        m = MARKET_NAME.match(p.name)
        if p.suffix.lower() in IMAGE_EXTS and m:
            paths.append(p)
            ids.append(int(m.group(1)))
            cams.append(int(m.group(2)))
    if not paths:
        raise PrivadError(f"no Market-1501 style images (PPPP_cC....jpg) in {folder}")
    return ReidSet(paths, np.array(ids), np.array(cams))


def rank1_map(query: np.ndarray, q_ids: np.ndarray, q_cams: np.ndarray, gallery: np.ndarray, g_ids: np.ndarray,
              g_cams: np.ndarray) -> dict:
    """Rank-1 and mAP (both in [0, 1]) of feature rows; see the module docstring for the protocol."""
    q = query / (np.linalg.norm(query, axis=1, keepdims=True) + 1e-12)
    g = gallery / (np.linalg.norm(gallery, axis=1, keepdims=True) + 1e-12)
    dist = 1.0 - q @ g.T
    hits, aps = [], []
    for i in range(len(q)):
        keep = (g_ids != -1) & ~((g_ids == q_ids[i]) & (g_cams == q_cams[i]))
        order = np.argsort(dist[i][keep], kind="stable")
        good = (g_ids[keep] == q_ids[i])[order]
        if not good.any():
            continue
        ranks = np.flatnonzero(good) + 1
        hits.append(bool(good[0]))
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    if not hits:
        raise PrivadError("no query has a true match in the gallery")
    return {"rank1": float(np.mean(hits)), "map": float(np.mean(aps)), "queries": len(hits)}


def reid_leakage(query: ReidSet, gallery: ReidSet, anonymize: Callable[[np.ndarray], np.ndarray] | None = None,
                 size: tuple[int, int] = (128, 64)) -> dict:
    """Rank-1/mAP of (anonymized) query crops against the raw gallery, MobileNetV2 embeddings at `size` (h, w)."""
    from privad.backbones.appearance import AppearanceEncoder

    encoder = AppearanceEncoder(size=size)

    def embed(paths: list[Path], fn) -> np.ndarray:
        images = []
        for p in paths:
            image = read_image(str(p))
            if image is None:
                raise PrivadError(f"cannot read image {p}")
            images.append(fn(image) if fn else image)
        return encoder(images)

    return rank1_map(embed(query.paths, anonymize), query.ids, query.cams, embed(gallery.paths, None), gallery.ids,
                     gallery.cams)


def track_crops(regions: Iterable[Detections], min_length: int = 16, per_half: int = 8
                ) -> list[tuple[int, list, list]]:
    """Tracks (from per-frame tracked detections, e.g. `privad.protect.pipeline.tracked_regions`) that last at least
    `min_length` frames: (track id, boxes of the first half, boxes of the second half), each half evenly subsampled
    to `per_half` (frame, box) pairs. Held (predicted) boxes are left out."""
    tracks: dict[int, list] = {}
    for i, dets in enumerate(regions):
        if len(dets) == 0:
            continue
        held = dets.data.get("held", np.zeros(len(dets), bool))
        for box, tid, h in zip(dets.xyxy, dets.tracker_id, held):
            if tid >= 0 and not h:
                tracks.setdefault(int(tid), []).append((i, box))
    out = []
    for tid, items in tracks.items():
        if len(items) < min_length:
            continue
        half = len(items) // 2
        pick = lambda part: [part[j] for j in np.linspace(0, len(part) - 1, min(per_half, len(part))).astype(int)]  # noqa: E731
        out.append((tid, pick(items[:half]), pick(items[half:])))
    return out


def track_reid(frames: list[np.ndarray], regions: Iterable[Detections], anonymized: list[np.ndarray] | None = None,
               min_length: int = 16, size: tuple[int, int] = (128, 64)) -> dict:
    """ReID on our own video: each track's first half (crops of the anonymized frames) is queried against every
    track's second half (raw crops). A track is one identity; the halves count as two cameras. `regions` are the
    tracked detections of each raw frame."""
    from privad.backbones.appearance import AppearanceEncoder

    tracks = track_crops(regions, min_length)
    if len(tracks) < 2:
        raise PrivadError(f"ReID on tracks needs at least 2 tracks of {min_length}+ frames; found {len(tracks)}")
    anonymized = frames if anonymized is None else anonymized
    if len(anonymized) != len(frames):
        raise PrivadError("the anonymized frames do not match the raw ones in number")

    def crop(images, f, box):
        h, w = images[f].shape[:2]
        x1, y1, x2, y2 = (int(v) for v in (max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])))
        return images[f][y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]

    encoder = AppearanceEncoder(size=size)
    q = [(tid, crop(anonymized, f, b)) for tid, first, _ in tracks for f, b in first]
    g = [(tid, crop(frames, f, b)) for tid, _, second in tracks for f, b in second]
    out = rank1_map(encoder([c for _, c in q]), np.array([t for t, _ in q]), np.ones(len(q), int),
                    encoder([c for _, c in g]), np.array([t for t, _ in g]), np.full(len(g), 2))
    return out | {"tracks": len(tracks)}
