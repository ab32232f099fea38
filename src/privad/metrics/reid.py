"""Person re-identification as a privacy measure: can anonymized people be found again in raw footage?

Protocol of Market-1501: each query is ranked against the gallery by cosine distance of MobileNetV2 (ImageNet)
embeddings; gallery images of the same person *and* the same camera are left out, as are junk images (id -1).
Rank-1 = share of queries whose nearest kept gallery image is the same person; mAP = mean over queries of the
(non-interpolated) average precision. Queries without any true match in the kept gallery are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    from privad.vad.appearance import AppearanceEncoder

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
