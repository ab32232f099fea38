"""`objects` (the default) and `attribute`: one-class VAD from per-object attributes (in the spirit of AI-VAD, Reiss
& Hoshen). Both are one model with different defaults; `attribute` keeps the earlier ones, so its files score as
before.

Per region: a motion descriptor (dense-flow speeds: mean, 90th percentile, 90th percentile / box height; optionally
an orientation histogram, the box's place in the frame and its shape) and, optionally, an appearance descriptor
(MobileNetV2). Fitted on normal video only: a Gaussian mixture on the motion descriptor (negative log-likelihood),
optionally a one-sided speed cue (the 90th-percentile speed itself: only *fast* is unusual, where the density also
flags slow objects), a kNN on PCA-reduced appearance (mean distance to the k nearest training regions) and the
other optional cues: silhouette, predictor, patch memory (privad.vad.oneclass.patches) and heading by place
(privad.vad.heading). Each cue
is calibrated by the training regions' own scores (z-score, or AI-VAD's min / 99.9th percentile; kNN training scores
leave the region itself out), the cues are summed (and optionally averaged along object tracks), a frame scores the
maximum over its regions, and frame scores are smoothed in time (Gaussian, sigma in frames).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from privad.backbones.appearance import AppearanceEncoder
from privad.errors import PrivadError
from privad.io.cache import file_digest
from privad.types import VideoScore
from privad.vad import heading as headings
from privad.vad.estimators import gmm_arrays, gmm_from, pca_arrays, pca_from
from privad.vad.model import Fitted, calibration, require_fitted
from privad.vad.oneclass.patches import (PartMemory, PatchConfig, RegionCells, RegionMaps, embed, fit_memory,
                                        memory_from, video_features)
from privad.vad.oneclass.predictor import PredictorConfig, PredictorModel
from privad.vad.regions import MIN_SIDE, ORIENTATION_BINS, RegionExtractor, scene_background
from privad.vad.scoring import (FrameScore, analysis_size, crowd_slope, fragments, frame_maxima, frame_peaks,
                                frame_surprise, region_counts, region_cue, row_heights, scored_regions, tail_model,
                                to_training_size)
from privad.vad.split import Split
from privad.vad.synthetic import crowded
from privad.vad.tracks import along_tracks, track_ids, track_samples, track_speeds, track_velocities

if TYPE_CHECKING:
    from privad.backbones.vit import CropEncoder

Border = Literal["keep", "skip", "apart"]


class AttributeConfig(BaseModel):
    """Settings of the attribute model.

    `regions`, `use_appearance` and `orientation` were chosen without test labels, by the label-free validation of
    `privad.engine.validate` (k-fold over the normal training videos with pasted anomalies; rule fixed beforehand:
    the highest validation micro AUC of the 8 combinations; docs/benchmarks.md lists them). The others were fixed
    beforehand.
    """

    model_config = ConfigDict(extra="forbid")
    # what a model file written before a setting existed had (privad.vad.persistence): the earlier behaviour
    FILE_DEFAULTS: ClassVar[dict] = {"split": "none", "max_side": None, "border": "keep", "track_window": 0,
                                     "speed_cue": "none", "predictor": None, "frame_score": "max",
                                     "background": "clip", "track_speed": 0,
                                     "fragments": 0.0, "silhouette": False, "appearance_every": 1, "crowd": 0.0,
                                     "patches": None, "knn_calibration": "self", "appearance_checkpoint": None,
                                     "speed_scale": "box", "slow": "density", "heading": "none"}

    gmm_components: int = Field(8, ge=1)
    knn_k: int = Field(3, ge=1, description="Neighbours of the appearance and silhouette cues (a region scores its "
                                             "mean distance to its knn_k nearest training regions).")
    pca_dim: int = Field(64, ge=2)
    max_train_regions: int = Field(40_000, ge=100, description="Subsample for the kNN index (seeded).")
    bank_trim: float = Field(
        0.0, ge=0, lt=1, description="Drop this share of the appearance and silhouette kNN banks first: the training "
                                     "regions farthest from the rest of the bank (fragments, merged groups), so "
                                     "that they do not vouch for odd regions (privad.vad.oneclass.attribute._bank).")
    knn_calibration: Literal["self", "video"] = Field(
        "self", description="How a training region's kNN distance (appearance, silhouette), which puts those cues on "
                            "their scale, is measured: against the bank without the region itself (self), or without "
                            "its whole training video (video: as an unseen video's regions are, not against the same "
                            "object's other sightings a few frames away).")
    crop_size: int = Field(64, ge=32)
    smoothing_sigma: float = Field(3.0, ge=0)
    combine: Literal["sum", "max", "excess"] = Field(
        "sum", description="How a region's calibrated cues make its score: added up (AI-VAD), the largest of them "
                           "(one cue far out is not diluted by the others' spread), or what each lies above its "
                           "training mean, added up (excess: a cue more typical than usual does not cancel another "
                           "far out, and cues far out together still add up).")
    frame_score: FrameScore = Field(
        "max", description="A frame's score: its highest region score (max); how unlikely that highest score is "
                           "among as many normal regions as the frame has (corrected: -log of the Sidak-corrected "
                           "tail probability under the training regions' scores; privad.vad.scoring.frame_surprise); "
                           "or the highest score less the rise with log(1 + regions) that the training frames show "
                           "(crowd: a least-squares slope; privad.vad.scoring.crowd_slope).")
    use_appearance: bool = Field(False, description="Add an appearance cue: MobileNetV2 features of the region's crop "
                                                    "by their mean distance to the knn_k nearest training crops.")
    appearance_checkpoint: str | None = Field(
        None, description="Embed the appearance crops with the image encoder of the local CLIP checkpoint at this path "
                          "(a ViT, in a layout `privad features extract --extractor clip` reads), as AI-VAD does, not "
                          "with MobileNetV2: each crop takes the network's input size, so crop_size and "
                          "appearance_grid do not apply. The model file keeps the path and the file's digest, and "
                          "scoring needs the same file. Slow on a CPU (a ViT-B/16 is ~17 GFLOPs a crop). None: "
                          "MobileNetV2. A relative path is made absolute when the settings are made, so the model "
                          "scores from any folder.")
    appearance_every: int = Field(
        1, ge=1, description="Embed one sighting in this many of each object track (ByteTrack; the 1st, the "
                             "(k+1)-th, ...); the others take the nearest embedded sighting's appearance "
                             "(privad.vad.tracks.track_samples), for a k-th of the cost; 1: every region.")
    appearance_grid: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] = Field(
        (1, 1), description="The appearance features pooled over each cell of this grid (rows, columns) of the crop's "
                            "last feature map, not over the whole map: (2, 1) keeps a crop's top apart from its "
                            "bottom (an upside-down or wheeled object); (1, 1): the network's own pooling.")
    use_velocity: bool = Field(True, description="The Gaussian-mixture density of the motion features.")
    silhouette: bool = Field(
        False, description="Add a shape cue: the region's silhouette (its mask in its box on a 16x8 grid, "
                           "privad.vad.regions.silhouette) by its mean distance to the knn_k nearest training "
                           "silhouettes, calibrated like the other cues: a turned, upside-down or wheeled shape the "
                           "scene never shows (the part of AI-VAD's pose cue a mask can tell).")
    speed_cue: Literal["none", "pixels", "heights"] = Field(
        "none", description="Add a one-sided speed cue: the region's 90th-percentile flow speed in px/frame (pixels) "
                            "or in box heights per frame (heights), calibrated like the other cues; none: off.")
    predictor: PredictorConfig | None = Field(
        None, description="Add a cue trained on the scene: the future-frame predictor's error "
                          "(privad.vad.oneclass.predictor; these are its settings, {} for its defaults) in the "
                          "cells the region covers, its highest cell, calibrated like the other cues; None: off.")
    patches: PatchConfig | None = Field(
        None, description="Add a cue of how the cells a region covers look (MobileNetV2's stride-8 and -16 features): "
                           "their distance to the training frames' features at the same cells (place cell: a "
                           "location-aware patch memory), or to those under any training region's box (place "
                           "objects); its highest cell, calibrated like the other cues (privad.vad.oneclass.patches; "
                           "these are its settings, {} for its defaults); None: off. Fitting keeps the embedded "
                           "training frames' features until the memory is built: ~0.35 MB a 360x240 frame embedded.")
    orientation: bool = Field(True, description="Add the flow orientation histogram to the speed features.")
    warmup: int = Field(30, ge=0, description="Frames used to prime each video's background model.")
    regions: Literal["mog2", "median"] = Field("median", description="Region source (see RegionExtractor).")
    background: Literal["clip", "scene"] = Field(
        "clip", description="The median regions' background: each clip's own median (clip), or the median of the "
                            "training videos, saved with the model (scene: no per-clip state, so a clip's level "
                            "does not move with who stands in it).")
    flow_preset: Literal["fast", "medium"] = Field("fast", description="DIS optical-flow preset.")
    split: Split = Field(
        "none", description="Split merged blobs into objects: by two motions (flow), by their cores (shape), or "
                            "by motion and then each part by its cores (both), and then at its column valleys "
                            "(all); privad.vad.split.")
    position: bool = Field(False, description="Add the box's height and vertical centre (shares of the frame) to "
                                              "the velocity features: speeds by place in a fixed camera's view.")
    shape: bool = Field(False, description="Add the box's aspect (log width / height) and the share of it the "
                                           "object fills to the velocity features.")
    calibration: Literal["zscore", "minmax"] = Field(
        "zscore", description="How each cue is put on one scale: z-score of the training regions, or AI-VAD's "
                              "(score - training minimum) / (99.9th percentile - minimum).")
    whiten: bool = Field(True, description="Whiten the appearance PCA (else: L2-normalized features, plain PCA).")
    border: Border = Field(
        "keep", description="Regions touching the frame's edge (objects partly out of view: their box and fill are cut, "
                            "and flow is least reliable there): kept, skipped (neither fitted nor scored), or kept and "
                            "calibrated apart (apart: each cue put on its scale by the training regions at the edge, "
                            "so an object entering the view is compared with others entering it).")
    track_window: int = Field(
        0, ge=0, description="Average each region's score along its object track (ByteTrack) over this many frames "
                             "either side (privad.vad.tracks); 0: each region on its own.")
    track_speed: int = Field(
        0, ge=0, description="Add the speed of the region's object track (ByteTrack) to the velocity features: its box "
                             "centre's displacement over this many frames either side, in box heights per frame "
                             "(privad.vad.tracks.track_speeds; the flow's where a track has one sighting); 0: off.")
    speed_scale: Literal["box", "row"] = Field(
        "box", description="The unit of the motion features' relative speed (90th-percentile flow speed per height): "
                           "the region's box height (box), or the larger of it and the training regions' typical "
                           "height at its row (row; privad.vad.scoring.row_heights), so that a fragment of an object "
                           "(a limb, a head) moving at its object's pace does not look fast for its small box.")
    slow: Literal["density", "usual"] = Field(
        "density", description="How the motion density reads a region slower than the training regions typically "
                               "move: as the density has it (density: moving unusually slowly is unusual too), or as "
                               "moving at their typical pace (usual: each speed feature is raised to its training "
                               "median before the density is read, so a slow region scores by its shape alone; the "
                               "density is fitted on the speeds as they are; privad.vad.oneclass.attribute.floored).")
    heading: Literal["none", "track", "flow"] = Field(
        "none", description="Add a cue of which way a region goes for its place: the direction (one of 8) of its "
                            "track's displacement (track) or of its mean optical flow (flow), against the training "
                            "regions' directions in its cell of a 4x6 grid of the frame, as -log p(direction | cell) "
                            "(privad.vad.heading): an object crossing or going against a walkway; regions slower "
                            "than half the training median add nothing; none: off.")
    fragments: float = Field(
        0.0, ge=0, lt=1, description="Regions shorter than this share of the typical height of the training regions "
                                     "at their row (privad.vad.scoring.row_heights) are fragments of objects (a "
                                     "limb, an edge piece): neither fitted nor scored; 0: all regions count.")
    crowd: float = Field(
        0.0, ge=0, description="Also fit on a crowded copy of each training video: this many times as many more "
                               "walkers as it has moving regions in a median frame, cut from its own regions and "
                               "pasted upright at its walking pace along its rows (privad.vad.synthetic.traffic), so "
                               "that objects meeting and merging in a crowd are seen in training; 0: off.")
    max_side: int | None = Field(
        None, ge=MIN_SIDE, description="Analyse frames shrunk to at most this many px on their longer side (never "
                                       "enlarged; boxes map back to the input's pixels). None: the input's size.")
    seed: int = 0

    @field_validator("appearance_checkpoint")
    @classmethod
    def _absolute(cls, path: str | None) -> str | None:
        return None if path is None else str(Path(path).expanduser().absolute())


# appearance crops a network call while fitting (scoring: the encoder's 64, ~4 % faster in `privad run`):
# onnxruntime's arena keeps what the largest call needed until a video's last call: ~140 MB more at a Ped2 fit's
# peak with 64 (2026-12-08, the arena given back after each video; 260 MB before), as fast, same features
FIT_BATCH = 16
MIN_EDGE_REGIONS = 50  # `border: apart`: fewer training regions at the edge than this take the inner calibration


def _calibration(train: np.ndarray, rule: str, edge: np.ndarray | None = None) -> list[float]:
    """[offset, scale] that put a cue's training scores on one scale: (score - offset) / scale. With `edge` (which
    regions touch the frame's edge; `border: apart`): [offset, scale] of the inner regions, then of the edge regions
    (the inner ones' again where fewer than `MIN_EDGE_REGIONS` touch it)."""
    if edge is not None:
        inner = _calibration(train[~edge], rule) if (~edge).any() else _calibration(train, rule)
        return inner + (_calibration(train[edge], rule) if edge.sum() >= MIN_EDGE_REGIONS else inner)
    if rule == "minmax":
        lo = float(train.min())
        return [lo, float(np.percentile(train, 99.9) - lo) + 1e-9]
    return [float(train.mean()), float(train.std() + 1e-9)]


def _calibrated(raw: np.ndarray, calib: list[float], edge: np.ndarray | None = None) -> np.ndarray:
    """A cue's raw scores on the common scale, by its `_calibration` [offset, scale] (or, calibrated apart at the
    edge, [inner offset, inner scale, edge offset, edge scale], chosen by `edge`)."""
    if len(calib) == 4:
        offset, scale = np.where(edge, calib[2], calib[0]), np.where(edge, calib[3], calib[1])
    else:
        offset, scale = calib
    return (raw - offset) / scale


def inside(boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Which boxes (N, 4, exclusive max) keep off the edge of a frame of `size` (height, width)."""
    h, w = size
    return (boxes[:, 0] > 0) & (boxes[:, 1] > 0) & (boxes[:, 2] < w) & (boxes[:, 3] < h)


@dataclass
class VideoRegions:
    """The regions of one video: frame `index`, `boxes`, motion descriptors `vel` (with the track speed as a last
    column where the model uses it), silhouettes `sil`, `crops`, track `ids` (None when no setting needs tracks), and
    appearance: `app` embeds the sightings that stand for the others (`privad.vad.tracks.track_samples`), `parts`
    are their crops' part features (`patches` place crops), `slot` is each region's row in them."""

    index: np.ndarray
    boxes: np.ndarray
    vel: np.ndarray
    sil: np.ndarray
    crops: list[np.ndarray]
    ids: np.ndarray | None = None
    app: np.ndarray | None = None
    slot: np.ndarray | None = None
    parts: np.ndarray | None = None
    heading: np.ndarray | None = None  # each region's velocity (x, y) its heading is read from (`heading`)
    at_edge: int = 0  # regions left out because they touch the frame's edge (`border: skip`)

    def subset(self, keep: np.ndarray) -> VideoRegions:
        """The regions where `keep` is true (before tracks and appearance)."""
        return VideoRegions(self.index[keep], self.boxes[keep], self.vel[keep], self.sil[keep],
                            [c for c, k in zip(self.crops, keep) if k], at_edge=self.at_edge)


def _features(extractor: RegionExtractor, frames: list[np.ndarray], config: AttributeConfig,
              background: np.ndarray | None = None) -> VideoRegions:
    """Regions of one video (frames at the analysed size) with their motion and shape (tracks and appearance:
    `_tracked`)."""
    index, boxes, vel, sil, crops, at_edge = [], [], [], [], [], 0
    for fr in extractor(frames, warmup=frames[:config.warmup], background=background):
        keep = inside(fr.boxes, frames[0].shape[:2]) if config.border == "skip" else np.ones(len(fr.boxes), bool)
        at_edge += int(len(keep) - keep.sum())
        vel.append(fr.velocity[keep])
        sil.append(fr.silhouettes[keep])
        boxes.append(fr.boxes[keep])
        index.append(np.full(int(keep.sum()), fr.index))
        crops += [c for c, k in zip(fr.crops, keep) if k]
    return VideoRegions(*(np.concatenate(x) for x in (index, boxes, vel, sil)), crops, at_edge=at_edge)


def _tracked(regions: VideoRegions, config: AttributeConfig, num_frames: int, heights: np.ndarray | None = None,
             encoder: AppearanceEncoder | CropEncoder | None = None) -> VideoRegions:
    """The regions without fragments (by the row `heights`, when the model has them), with the track ids, track
    speeds and (with an `encoder`) appearance the settings need."""
    if heights is not None:
        regions = regions.subset(~fragments(regions.boxes, heights, config.fragments))
    sampled = encoder is not None and config.appearance_every > 1
    if config.track_window or config.track_speed or sampled or config.heading == "track":
        regions.ids = track_ids(regions.index, regions.boxes, num_frames)
    if config.heading == "track":
        regions.heading = track_velocities(regions.index, regions.boxes, regions.ids, headings.WINDOW)
    elif config.heading == "flow":
        regions.heading = headings.flow_velocity(regions.vel)
    if config.track_speed:
        regions.vel = np.c_[regions.vel, track_speeds(regions.index, regions.boxes, regions.ids, config.track_speed)]
    if encoder is not None:
        stand = (track_samples(regions.index, regions.ids, config.appearance_every) if sampled
                 else np.arange(len(regions.index)))
        picked, regions.slot = np.unique(stand, return_inverse=True)
        regions.app, regions.parts = encoder.embed([regions.crops[i] for i in picked])
    regions.crops = []
    return regions


def _bank(features: np.ndarray, idx: np.ndarray, k: int, trim: float = 0.0,
          source: np.ndarray | None = None) -> tuple[np.ndarray, NearestNeighbors, np.ndarray]:
    """A kNN memory of the training regions `idx` (a seeded subsample) and every training region's mean distance to
    its `k` nearest there, leaving itself out where it is in the bank; with `source` (each region's training video),
    leaving its whole video out, as an unseen video's regions are measured (not against the same object's other
    sightings; a video whose others hold fewer than `k` keeps the first way). `trim`: first drop from the bank this
    share of its regions, those farthest from the rest of it (fragments and merged groups), so that they no longer
    stand beside odd regions as their normal neighbours."""
    features = np.asarray(features, np.float32)
    if trim:
        own, _ = NearestNeighbors(n_neighbors=k + 1).fit(features[idx]).kneighbors(features[idx])
        order = np.argsort(own[:, 1:].mean(axis=1), kind="stable")
        idx = idx[np.sort(order[: len(idx) - int(trim * len(idx))])]
    bank = np.ascontiguousarray(features[idx])
    nn = NearestNeighbors(n_neighbors=k + 1).fit(bank)
    out = np.empty(len(features))
    self_out = np.ones(len(features), bool)  # the regions measured with only themselves left out
    for v in [] if source is None else np.unique(source):
        others, mine = source[idx] != v, source == v
        if others.sum() >= k:
            out[mine] = NearestNeighbors(n_neighbors=k).fit(bank[others]).kneighbors(features[mine])[0].mean(axis=1)
            self_out[mine] = False
    if self_out.any():
        dist, _ = nn.kneighbors(features[self_out])
        in_bank = np.zeros(len(features), bool)
        in_bank[idx] = True
        out[self_out] = np.where(in_bank[self_out], dist[:, 1:].mean(axis=1), dist[:, :-1].mean(axis=1))
    return bank, nn, out


def floored(motion: np.ndarray, columns: list[int], floor: np.ndarray) -> np.ndarray:
    """`motion` features with each of `columns` raised to at least its `floor` (`slow: usual`: a region slower than
    the training regions' median is read as moving at it)."""
    out = motion.copy()
    out[:, columns] = np.maximum(out[:, columns], floor)
    return out


def relative_to_row(vel: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Motion descriptors (`privad.vad.regions`) whose relative speed is per the larger of the box's height and the
    typical height at its centre's row (`heights`, per row of the analysed frame), not per the box's height alone."""
    vel = np.array(vel, np.float32)
    frame_h = len(heights)
    box_h = np.maximum(vel[:, ORIENTATION_BINS + 3] * frame_h, 1.0)
    rows = np.clip((vel[:, ORIENTATION_BINS + 4] * frame_h).astype(int), 0, frame_h - 1)
    vel[:, ORIENTATION_BINS + 2] = 10 * vel[:, ORIENTATION_BINS + 1] / np.maximum(box_h, heights[rows])
    return vel


def _along_tracks(regions: VideoRegions, scores: np.ndarray, window: int) -> np.ndarray:
    """Region scores averaged along their tracks (`privad.vad.tracks.along_tracks`; unchanged when `window` is 0)."""
    return along_tracks(regions.index, regions.ids, scores, window) if window else np.asarray(scores, float)


# the estimator that each cue of `AttributeModel.cue_scores` needs, and the cue's name, in the order they are added
_CUE_NAMES = (("gmm", "motion"), ("speed_calib", "speed"), ("knn", "appearance"), ("sil_knn", "silhouette"),
              ("predictor", "predictor"), ("patches", "patches"), ("heading", "heading"))


def _combined(cues: dict[str, np.ndarray], count: int, how: str = "sum") -> np.ndarray:
    """The calibrated cues of `count` regions added up (in `cue_scores`' order); `how` "max": their largest;
    "excess": each above 0 (its training mean, on the z-score scale) added up."""
    if not cues:
        return np.zeros(count)
    stacked = np.array(list(cues.values()))
    if how == "max":
        return stacked.max(axis=0)
    return (np.maximum(stacked, 0) if how == "excess" else stacked).sum(axis=0)


class AttributeModel:
    """Fit on normal videos (lists of BGR frames), score new ones."""

    name = "attribute"

    def __init__(self, config: AttributeConfig | None = None):
        self.config = config or AttributeConfig()
        c = self.config
        if c.appearance_checkpoint is not None and (self._crop_parts or c.appearance_grid != (1, 1)):
            raise PrivadError("appearance_checkpoint embeds whole crops with CLIP: it takes neither appearance_grid "
                              "nor patches place crops (MobileNetV2's)")
        self.extractor = RegionExtractor(source=self.config.regions, flow_preset=self.config.flow_preset,
                                         split=self.config.split)
        self._encoder: AppearanceEncoder | CropEncoder | None = None
        self.fitted_: Fitted | None = None
        self._estimators: dict | None = None  # rebuilt from fitted_ on first use

    @property
    def _crop_parts(self) -> bool:
        """Whether the patches cue is the crops' part memory (its features come with the appearance crops')."""
        return self.config.patches is not None and self.config.patches.place == "crops"

    @property
    def encoder(self) -> AppearanceEncoder | CropEncoder | None:
        """The crops' encoder, when the appearance cue or the crops' part memory needs it."""
        if not (self.config.use_appearance or self._crop_parts):
            return None
        if self._encoder is None and self.config.appearance_checkpoint is not None:
            from privad.backbones.vit import CropEncoder

            self._encoder = CropEncoder(self._checkpoint())
        elif self._encoder is None:
            self._encoder = AppearanceEncoder(size=self.config.crop_size, grid=self.config.appearance_grid,
                                              parts=self._crop_parts)
        return self._encoder

    def _checkpoint(self) -> Path:
        """The CLIP checkpoint of `appearance_checkpoint`; a fitted model's must be the file it was fitted with."""
        path = Path(self.config.appearance_checkpoint)
        if not path.is_file():
            raise PrivadError(f"appearance checkpoint not found: {path}")
        fitted = self.fitted_.params.get("appearance_digest") if self.fitted_ is not None else None
        if fitted is not None and file_digest(path) != fitted:
            raise PrivadError(f"{path} is not the CLIP checkpoint this model was fitted with (its digest differs)")
        return path

    def fit(self, X: Iterable[list[np.ndarray]], y=None) -> AttributeModel:
        """Fit the estimators on normal videos X (y is not used); also record the training frame-score distribution
        (threshold)."""
        self._fit(X)
        return self

    def fit_score(self, X: list[list[np.ndarray]], names: list[str] | None = None,
                  source_size: tuple[int, int] | None = None) -> list[VideoScore]:
        """Fit on the normal videos X and score each of them: what `fit(X)` and then `score` of each would give, with
        each video's regions found once, not twice, and its frames embedded once for the patch memory (`privad run`
        scores the frames it calibrated on; the predictor's cue still fits, then scores). `source_size`: the input's
        size, when the frames were already `resized` to `analysed_size` (the regions' boxes map back to it)."""
        names = names or [f"video{i}" for i in range(len(X))]
        if self.config.predictor is not None:
            self.fit(X)
            return [self.score(frames, name, source_size) for frames, name in zip(X, names)]
        videos, lengths, (sx, sy), maps = self._fit(X, source_size, keep_maps=True)
        memory = self._estimators.get("patches")
        cues = [{"patches": memory.region_cue(m)} if m is not None else None for m in maps]
        return [self._scored(regions, cue, n, sx, sy, name)[0]
                for regions, cue, n, name in zip(videos, cues, lengths, names)]

    def _fit(self, X: Iterable[list[np.ndarray]], source_size: tuple[int, int] | None = None, keep_maps: bool = False
             ) -> tuple[list[VideoRegions], list[int], tuple[float, float], list[RegionCells | RegionMaps | None]]:
        """`fit`; returns each training video's regions, its length, the scale from the analysed frames back to the
        input's pixels and (`keep_maps`, with the frame patch memory) what the memory needs of its embedded frames'
        features (`video_features`), else Nones."""
        c = self.config
        if not (c.use_velocity or c.use_appearance or c.silhouette or c.speed_cue != "none" or c.predictor is not None
                or c.patches is not None):
            raise PrivadError("the attribute model needs a cue: use_velocity, speed_cue, use_appearance, silhouette, "
                              "predictor or patches")
        # one video at a time: only the regions' descriptors stay, never the frames, unless a setting needs every
        # training frame at once (the scene background, the predictor)
        keep_frames = c.background == "scene" or c.predictor is not None
        X = list(X) if keep_frames else X
        background, size, videos, lengths, analysed, own, patch_maps, origin = None, None, [], [], [], [], [], []
        encoder = self.encoder
        if isinstance(encoder, AppearanceEncoder):  # a fit's peak memory: the network's arena kept for small calls
            encoder = encoder.with_batch(FIT_BATCH)
        rng = np.random.default_rng(c.seed)

        def add(frames: list[np.ndarray]) -> VideoRegions:
            if c.predictor is not None:
                analysed.append(frames)
            if c.patches is not None and not self._crop_parts:  # the embedded frames' features, not the frames
                patch_maps.append(embed(frames, c.patches))
            regions = _features(self.extractor, frames, c, background)
            if c.fragments:  # tracked once every video's boxes give the row heights: keep the crops, not the frames
                regions.crops = [np.array(crop) for crop in regions.crops]
            else:
                regions = _tracked(regions, c, len(frames), None, encoder)
                kept(len(videos), regions, len(frames))
            videos.append(regions)
            origin.append(len(own) - 1)  # a crowded copy is its video's
            lengths.append(len(frames))
            return regions

        def kept(v: int, regions: VideoRegions, num_frames: int) -> None:
            # of its embedded frames' features, what the memory needs once the video's regions are final
            if patch_maps:  # one entry per video whenever the frame patch memory is on
                patch_maps[v] = video_features(patch_maps[v], num_frames, regions.index, regions.boxes, c.patches)

        for frames in X:
            if size is None:
                first, size = frames[0].shape[:2], analysis_size(frames[0].shape[:2], c.max_side)
                if c.background == "scene":
                    background = scene_background(X, size=size)
            elif frames[0].shape[:2] != first:
                raise PrivadError(f"training videos differ in frame size {sorted({first, frames[0].shape[:2]})}: "
                                  "one model per camera view")
            frames, sx, sy = to_training_size(frames, size, source_size)
            own.append(len(videos))
            regions = add(frames)
            if c.crowd:
                copy = crowded(frames, regions.index, regions.boxes, regions.vel[:, ORIENTATION_BINS], c.crowd, rng)
                if copy is not None:
                    add(copy)
        frames = copy = None  # the last video's frames go before the cues are fitted (a long video's are ~300 MB)
        if size is None:
            raise PrivadError("no training videos")
        heights = None
        if c.fragments or c.speed_scale == "row":
            heights = row_heights(np.concatenate([r.boxes for r in videos]), size[0])
        if c.fragments:
            videos = [_tracked(r, c, n, heights, encoder) for r, n in zip(videos, lengths)]
            for v, (r, n) in enumerate(zip(videos, lengths)):
                kept(v, r, n)
        vel, sil, boxes = (np.concatenate([getattr(r, k) for r in videos]) for k in ("vel", "sil", "boxes"))
        frame_of = np.concatenate([np.c_[np.full(len(r.index), v), r.index] for v, r in enumerate(videos)]).astype(int)
        region_origin = np.asarray(origin)[frame_of[:, 0]]  # each region's training video (a crowded copy: its own)
        at_edge = sum(r.at_edge for r in videos)
        if len(vel) < max(50, c.gmm_components * 5):
            why = (f"; {at_edge} more touch the frame's edge and are left out (border: skip; --set border=apart, the "
                   "default, fits them)" if at_edge else "")
            raise PrivadError(f"training footage too short: {len(vel)} object regions found (need at least 50){why}")
        params: dict = {"frame_size": list(size)}
        arrays: dict[str, np.ndarray] = {}
        est: dict = {"frame_size": tuple(size)}
        if background is not None:
            arrays["background"] = est["background"] = background
        if heights is not None:
            arrays["row_heights"] = est["row_heights"] = heights
        train_cues: dict[str, np.ndarray] = {}  # in `cue_scores`' order
        edge = ~inside(boxes, size) if c.border == "apart" else None  # regions calibrated apart
        if c.use_velocity:
            motion = self._velocity(vel, heights)
            gmm = GaussianMixture(c.gmm_components, covariance_type="full", reg_covar=1e-3, random_state=c.seed)
            gmm.fit(motion)
            if c.slow == "usual":
                arrays["speed_floor"] = est["speed_floor"] = np.median(motion[:, self._speed_columns()], axis=0)
                motion = floored(motion, self._speed_columns(), est["speed_floor"])
            nll = -gmm.score_samples(motion)
            arrays |= gmm_arrays(gmm, "gmm")
            params["vel_calib"] = est["vel_calib"] = _calibration(nll, c.calibration, edge)
            est["gmm"] = gmm
            train_cues["motion"] = _calibrated(nll, est["vel_calib"], edge)
        if c.speed_cue != "none":
            speed = self._speed(vel)
            params["speed_calib"] = est["speed_calib"] = _calibration(speed, c.calibration, edge)
            train_cues["speed"] = _calibrated(speed, est["speed_calib"], edge)
        if c.use_appearance:
            first = np.cumsum([0] + [len(r.app) for r in videos])
            app = np.concatenate([r.app for r in videos])  # the sampled sightings
            for r, f, to in zip(videos, first, first[1:]):  # each video's rows now a view: held once
                r.app = app[f:to]
            app = self._appearance(app)
            slot = np.concatenate([r.slot + f for r, f in zip(videos, first)])
            idx = np.random.default_rng(c.seed).permutation(len(app))[: c.max_train_regions]
            # app[idx] is a copy of its own: the PCA centres it in place rather than copying it again
            pca = PCA(min(c.pca_dim, len(idx) - 1, app.shape[1]), whiten=c.whiten, random_state=c.seed,
                      copy=False).fit(app[idx])
            video_out = np.repeat(origin, [len(r.app) for r in videos]) if c.knn_calibration == "video" else None
            bank, nn, knn = _bank(pca.transform(app).astype(np.float32), idx, c.knn_k, c.bank_trim, video_out)
            knn = knn[slot]
            arrays |= pca_arrays(pca, "pca") | {"bank": bank}
            params["app_calib"] = est["app_calib"] = _calibration(knn, c.calibration, edge)
            if c.appearance_checkpoint is not None:
                params["appearance_digest"] = file_digest(Path(c.appearance_checkpoint))
            est |= {"pca": pca, "knn": nn}
            train_cues["appearance"] = _calibrated(knn, est["app_calib"], edge)
        if c.silhouette:
            idx = np.random.default_rng(c.seed + 1).permutation(len(sil))[: c.max_train_regions]
            bank, nn, knn = _bank(sil, idx, c.knn_k, c.bank_trim,
                                  region_origin if c.knn_calibration == "video" else None)
            arrays["sil_bank"] = bank
            params["sil_calib"] = est["sil_calib"] = _calibration(knn, c.calibration, edge)
            est["sil_knn"] = nn
            train_cues["silhouette"] = _calibrated(knn, est["sil_calib"], edge)
        of = [frame_of[:, 0] == v for v in range(len(lengths))]
        if c.predictor is not None:
            predictor = PredictorModel(c.predictor).fit(analysed)
            raw = np.empty(len(vel))
            for v, frames in enumerate(analysed):
                raw[of[v]] = self._cue(predictor, frames, frame_of[of[v], 1], boxes[of[v]])
            del analysed
            pf = predictor.fitted_
            arrays |= {f"predictor.{k}": v for k, v in pf.arrays.items()}
            params["predictor"] = {"threshold": pf.threshold, "floor": pf.floor, "params": pf.params}
            finite = np.isfinite(raw)
            params["pred_calib"] = est["pred_calib"] = _calibration(raw[finite], c.calibration,
                                                                    None if edge is None else edge[finite])
            est["predictor"] = predictor
            train_cues["predictor"] = np.nan_to_num(_calibrated(raw, est["pred_calib"], edge), nan=0.0)  # as scoring
        if self._crop_parts:
            memory = PartMemory.fit_crops([r.parts for r in videos], c.patches)
            raw = np.concatenate([memory.crop_cue(r.parts, leave_out=v)[r.slot] for v, r in enumerate(videos)])
        elif c.patches is not None:
            memory = fit_memory(patch_maps, c.patches)
            raw = np.empty(len(vel))
            for v, features in enumerate(patch_maps):  # each video against the others' features, as an unseen one
                raw[of[v]] = memory.region_cue(features, leave_out=v)
            if not keep_maps:
                patch_maps = []  # the memory holds what it needs
        if c.patches is not None:
            arrays["patch_bank"] = memory.bank.astype(np.float16)  # exact: the features are float16
            params["patch_calib"] = est["patch_calib"] = _calibration(raw, c.calibration, edge)
            est["patches"] = memory
            train_cues["patches"] = _calibrated(raw, est["patch_calib"], edge)
        if c.heading != "none":
            counts, threshold, raw = headings.fit(np.concatenate([r.heading for r in videos]), boxes, size,
                                                  region_origin)
            arrays["heading_counts"] = counts
            params["heading_threshold"] = threshold
            finite = np.isfinite(raw)
            params["heading_calib"] = est["heading_calib"] = (  # no moving region: the raw cue as it is
                _calibration(raw[finite], c.calibration, None if edge is None else edge[finite]) if finite.any()
                else [0.0, 1.0])
            est["heading"] = (counts, threshold)
            train_cues["heading"] = np.nan_to_num(_calibrated(raw, est["heading_calib"], edge), nan=0.0)  # as scoring
        train_scores = _combined(train_cues, len(vel), c.combine)
        for v, regions in enumerate(videos):
            train_scores[of[v]] = _along_tracks(regions, train_scores[of[v]], c.track_window)
        if c.frame_score == "corrected":
            arrays["tail"] = est["tail"] = tail_model(train_scores)
        floor = float(train_scores.min())
        if c.frame_score == "crowd":
            peaks = [(frame_peaks(train_scores[of[v]], frame_of[of[v], 1], n, floor),
                      region_counts(frame_of[of[v], 1], n)) for v, n in enumerate(lengths)]
            params["crowd_slope"] = est["crowd_slope"] = crowd_slope(*map(np.concatenate, zip(*peaks)))
        calib = calibration([self._frames(train_scores[of[v]], frame_of[of[v], 1], n, floor, est)
                             for v, n in enumerate(lengths)], floor)
        self.fitted_ = Fitted(**calib, info={"train_regions": len(vel), "train_videos": len(own),
                                                "edge_regions_left_out": at_edge},
                              params=params, arrays=arrays)
        self._estimators = est
        maps = [patch_maps[i] if patch_maps else None for i in own]
        return [videos[i] for i in own], [lengths[i] for i in own], (sx, sy), maps

    def check_fitted(self) -> None:
        """Rebuild the estimators from the fitted arrays (a loaded file missing some is a KeyError)."""
        f = require_fitted(self)
        est: dict = {"frame_size": tuple(f.params["frame_size"])}
        if self.config.use_velocity:
            est["gmm"], est["vel_calib"] = gmm_from(f.arrays, "gmm"), f.params["vel_calib"]
        if self.config.speed_cue != "none":
            est["speed_calib"] = f.params["speed_calib"]
        if self.config.frame_score == "corrected":
            est["tail"] = f.arrays["tail"]
        if self.config.frame_score == "crowd":
            est["crowd_slope"] = f.params["crowd_slope"]
        if self.config.background == "scene":
            est["background"] = f.arrays["background"]
        if self.config.fragments or self.config.speed_scale == "row":
            est["row_heights"] = f.arrays["row_heights"]
        if self.config.use_velocity and self.config.slow == "usual":
            est["speed_floor"] = f.arrays["speed_floor"]
        if self.config.use_appearance:
            est["pca"], est["app_calib"] = pca_from(f.arrays, "pca", self.config.whiten), f.params["app_calib"]
            est["knn"] = NearestNeighbors(n_neighbors=self.config.knn_k).fit(f.arrays["bank"])
        if self.config.silhouette:
            est["sil_knn"] = NearestNeighbors(n_neighbors=self.config.knn_k).fit(f.arrays["sil_bank"])
            est["sil_calib"] = f.params["sil_calib"]
        if self.config.predictor is not None:
            predictor = PredictorModel(self.config.predictor)
            own = {k[len("predictor."):]: v for k, v in f.arrays.items() if k.startswith("predictor.")}
            predictor.fitted_ = Fitted(**f.params["predictor"], arrays=own)
            predictor.check_fitted()
            est["predictor"], est["pred_calib"] = predictor, f.params["pred_calib"]
        if self.config.heading != "none":
            est["heading"] = (f.arrays["heading_counts"], f.params["heading_threshold"])
            est["heading_calib"] = f.params["heading_calib"]
        if self.config.patches is not None:
            est["patches"] = memory_from(self.config.patches, f.arrays["patch_bank"])
            est["patch_calib"] = f.params["patch_calib"]
        self._estimators = est

    @staticmethod
    def _cue(predictor: PredictorModel, frames: list[np.ndarray], frame_index: np.ndarray,
             boxes: np.ndarray) -> np.ndarray:
        """The predictor cue of regions (frame index, box) of one video: the highest cell score under each box."""
        return region_cue(predictor.cell_scores(frames), frame_index, boxes, frames[0].shape[:2],
                          predictor.config.cell, tuple(predictor.fitted_.params["frame_size"]))

    def _velocity(self, vel: np.ndarray, heights: np.ndarray | None = None) -> np.ndarray:
        """The features the GMM sees, from the extractor's descriptor: orientation bins and speeds (log1p-compressed),
        then optionally the box's height and centre as shares of the frame and its shape. `heights` (`speed_scale`
        row): the training regions' typical height per row of the analysed frame."""
        c = self.config
        if c.speed_scale == "row":
            vel = relative_to_row(vel, heights)
        parts = [np.log1p(vel[:, :ORIENTATION_BINS + 3] if c.orientation else vel[:, ORIENTATION_BINS:ORIENTATION_BINS + 3])]
        if c.position:
            parts.append(vel[:, ORIENTATION_BINS + 3:ORIENTATION_BINS + 5])
        if c.shape:
            parts.append(vel[:, ORIENTATION_BINS + 5:ORIENTATION_BINS + 7])
        if c.track_speed:  # the last column (VideoRegions), the flow's p90 / height where the track has none
            parts.append(np.log1p(np.where(np.isnan(vel[:, -1]), vel[:, ORIENTATION_BINS + 2], vel[:, -1]))[:, None])
        return np.concatenate(parts, 1)

    def _speed_columns(self) -> list[int]:
        """The columns of `_velocity`'s features that are speeds: mean, 90th percentile, per height (after the
        orientation bins, when there are any), and the track speed (last) where the model has it."""
        first = ORIENTATION_BINS if self.config.orientation else 0
        return list(range(first, first + 3)) + ([-1] if self.config.track_speed else [])

    def _speed(self, vel: np.ndarray) -> np.ndarray:
        """The one-sided speed cue: 90th-percentile flow speed, in px/frame or in box heights per frame."""
        column = ORIENTATION_BINS + (1 if self.config.speed_cue == "pixels" else 2)
        return vel[:, column].astype(np.float64)

    def _appearance(self, app: np.ndarray) -> np.ndarray:
        if self.config.whiten:
            return app
        return app / (np.linalg.norm(app, axis=1, keepdims=True) + 1e-9)

    def cue_scores(self, vel: np.ndarray, app: np.ndarray | None = None, cue: dict[str, np.ndarray] | None = None,
                   sil: np.ndarray | None = None, slot: np.ndarray | None = None,
                   boxes: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each calibrated cue of regions, by name (motion, speed, appearance, silhouette, predictor, patches; the
        ones the model has): motion descriptors `vel`, appearance `app` (of the sampled sightings: `slot` is each
        region's row; None: a row per region), the raw cues from the frames by name in `cue` (`predictor`: NaN, a
        frame without a prediction, adds nothing; `patches`), silhouettes `sil` and (`border: apart`, where regions
        at the edge calibrate apart) `boxes`."""
        if self._estimators is None:
            self.check_fitted()
        s = self._estimators
        cues: dict[str, np.ndarray] = {}
        edge = None
        if self.config.border == "apart":
            if boxes is None:
                raise PrivadError("this model calibrates regions at the frame's edge apart: scoring needs their boxes")
            edge = ~inside(np.asarray(boxes).reshape(-1, 4), s["frame_size"])
        if len(vel) == 0:  # no region: each of the model's cues, empty
            return {name: np.zeros(0) for key, name in _CUE_NAMES if key in s}
        if "gmm" in s:
            motion = self._velocity(vel, s.get("row_heights"))
            if "speed_floor" in s:
                motion = floored(motion, self._speed_columns(), s["speed_floor"])
            cues["motion"] = _calibrated(-s["gmm"].score_samples(motion), s["vel_calib"], edge)
        if "speed_calib" in s:
            cues["speed"] = _calibrated(self._speed(vel), s["speed_calib"], edge)
        if "knn" in s:
            if app is None:
                raise PrivadError("this model has the appearance cue: scoring needs the regions' appearance")
            dist, _ = s["knn"].kneighbors(s["pca"].transform(self._appearance(app)).astype(np.float32),
                                          n_neighbors=self.config.knn_k)
            dist = dist.mean(axis=1)
            cues["appearance"] = _calibrated(dist if slot is None else dist[slot], s["app_calib"], edge)
        if "sil_knn" in s:
            if sil is None:
                raise PrivadError("this model has the silhouette cue: scoring needs the regions' silhouettes")
            dist, _ = s["sil_knn"].kneighbors(np.asarray(sil, np.float32), n_neighbors=self.config.knn_k)
            cues["silhouette"] = _calibrated(dist.mean(axis=1), s["sil_calib"], edge)
        for name, calib in (("predictor", "pred_calib"), ("patches", "patch_calib"), ("heading", "heading_calib")):
            if name in s:
                if cue is None or name not in cue:
                    raise PrivadError(f"this model has the {name} cue: scoring needs its raw scores from the frames")
                cues[name] = np.nan_to_num(_calibrated(cue[name], s[calib], edge), nan=0.0)
        return cues

    def region_scores(self, vel: np.ndarray, app: np.ndarray | None = None, cue: dict[str, np.ndarray] | None = None,
                      sil: np.ndarray | None = None, slot: np.ndarray | None = None,
                      boxes: np.ndarray | None = None) -> np.ndarray:
        """Combined calibrated cues of regions (`combine`; the arguments are `cue_scores`')."""
        return _combined(self.cue_scores(vel, app, cue, sil, slot, boxes), len(vel), self.config.combine)

    def explain(self, frames: Iterable[np.ndarray], name: str = "video") -> tuple[VideoScore, dict[str, np.ndarray]]:
        """`score`, and each cue's part of every scored region's score (in `VideoScore.regions`' order, averaged
        along tracks as the total is; with `combine` max or excess, the score is the largest cue or the sum of
        those above 0 before that average): which cue made a frame score high."""
        score, regions, cues = self._score(frames, name)
        return score, {k: _along_tracks(regions, v, self.config.track_window) for k, v in cues.items()}

    def analysed_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (height, width) frames of `size` are `resized` to before anything else: the training frames' once
        fitted, else `size` within `max_side`. `fit_score` and `score` take frames already at it, with
        `source_size`."""
        if self.fitted_ is not None:
            return tuple(self.fitted_.params["frame_size"])
        return analysis_size(tuple(size), self.config.max_side)

    def score(self, frames: Iterable[np.ndarray], name: str = "video",
              source_size: tuple[int, int] | None = None) -> VideoScore:
        return self._score(frames, name, source_size)[0]

    def _score(self, frames: Iterable[np.ndarray], name: str, source_size: tuple[int, int] | None = None
               ) -> tuple[VideoScore, VideoRegions, dict[str, np.ndarray]]:
        """The video's score, its regions and their calibrated cues (before the track average)."""
        require_fitted(self)
        if self._estimators is None:
            self.check_fitted()
        frames, sx, sy = to_training_size(frames, self._estimators["frame_size"], source_size)
        regions = _tracked(_features(self.extractor, frames, self.config, self._estimators.get("background")),
                           self.config, len(frames), self._estimators.get("row_heights"), self.encoder)
        cue, size = {}, frames[0].shape[:2]
        if (predictor := self._estimators.get("predictor")) is not None:
            cue["predictor"] = self._cue(predictor, frames, regions.index, regions.boxes)
        if (memory := self._estimators.get("patches")) is not None and not self._crop_parts:
            cue["patches"] = memory.region_cue(video_features(embed(frames, memory.config), len(frames), regions.index,
                                                              regions.boxes, memory.config))
        return self._scored(regions, cue, len(frames), sx, sy, name)

    def _scored(self, regions: VideoRegions, cue: dict[str, np.ndarray] | None, num_frames: int, sx: float,
                sy: float, name: str) -> tuple[VideoScore, VideoRegions, dict[str, np.ndarray]]:
        """`_score` of a video's regions (and raw cues from its frames, `cue`), found at a scale `sx`, `sy` from its
        pixels."""
        index, boxes = regions.index, regions.boxes
        if self._crop_parts:
            cue = (cue or {}) | {"patches": self._estimators["patches"].crop_cue(regions.parts)[regions.slot]}
        if (memory := self._estimators.get("heading")) is not None:
            cue = (cue or {}) | {"heading": headings.score(*memory, regions.heading, boxes,
                                                           self._estimators["frame_size"])}
        cues = self.cue_scores(regions.vel, regions.app, cue or None, regions.sil, regions.slot, regions.boxes)
        scores = _along_tracks(regions, _combined(cues, len(index), self.config.combine), self.config.track_window)
        return (VideoScore(name, self._frames(scores, index, num_frames, self.fitted_.floor, self._estimators),
                           scored_regions(index, boxes, scores, sx, sy)), regions, cues)

    def _frames(self, scores: np.ndarray, index: np.ndarray, num_frames: int, floor: float, est: dict) -> np.ndarray:
        """Frame scores from region scores, by `frame_score` (fit and score alike)."""
        if self.config.frame_score == "corrected":
            return frame_surprise(scores, index, num_frames, est["tail"], self.config.smoothing_sigma)
        return frame_maxima(scores, index, num_frames, floor, self.config.smoothing_sigma, est.get("crowd_slope"))


def _default(name: str, value):
    """AttributeConfig's field `name` with another default (same description and bounds)."""
    return FieldInfo.merge_field_infos(AttributeConfig.model_fields[name], default=value)


class ObjectsConfig(AttributeConfig):
    """Settings of the `objects` model: the attribute model's, with the defaults that the greedy label-free selection
    of `benchmarks/select_defaults.py` chose (docs/benchmarks.md, "The objects model"): from the attribute model's
    (validation protocol 1) the medium DIS preset, no orientation histogram, the box's shape added; then (protocol 2)
    merged blobs split by their two motions; then (protocol 3) each of those parts also by its cores, and then region
    scores averaged along object tracks over 10 frames either side; then (protocol 4) the silhouette cue, and
    appearance (MobileNetV2, 1-NN), eligible once its cost met the rule of benchmarks/bench_appearance_cost.py; then
    its crops at 128 px, embedding every 4th sighting of a track (the rate that rule allows at that size, measured as
    `privad evaluate` times its scoring); then (set 27) each split part also cut at its column valleys; then (protocol
    5, set 30) a frame scored by how unlikely its top region is among as many normal regions as it has; then (protocol
    6, set 35) regions touching the frame's edge neither fitted nor scored; then (protocol 7, set 37) those regions
    kept again, each cue calibrated apart for them; then (set 38) tracks over 5 frames either side; then (set 45) every
    2nd sighting embedded, the rate the same cost rule allows today (docs/benchmarks.md, set 45); then (protocol 9,
    set 48) a region slower than the training median read as moving at it, the highest firm gain of those that keep
    the issue's scoring speed (docs/benchmarks.md, set 48); then (protocol 11, set 52) the part memory cue (how the
    cells under a region look against the cells under the training regions) with every 4th sighting's appearance,
    which met the cost gate of set 51 (docs/benchmarks.md, set 52). Frames are analysed at most 360 px on their
    longer side (a fixed rule)."""

    split: Split = _default("split", "all")
    frame_score: FrameScore = _default("frame_score", "corrected")
    border: Border = _default("border", "apart")
    track_window: int = _default("track_window", 5)
    silhouette: bool = _default("silhouette", True)
    # appearance as AI-VAD uses it, 1-NN on L2-normalized features (knn_k is the silhouette's k too)
    use_appearance: bool = _default("use_appearance", True)
    whiten: bool = _default("whiten", False)
    knn_k: int = _default("knn_k", 1)
    crop_size: int = _default("crop_size", 128)
    appearance_every: int = _default("appearance_every", 4)
    patches: PatchConfig | None = _default("patches", PatchConfig(place="objects"))
    flow_preset: Literal["fast", "medium"] = _default("flow_preset", "medium")
    orientation: bool = _default("orientation", False)
    shape: bool = _default("shape", True)
    # fixed rule, not selected: the scale the defaults were chosen at (Ped2's 360x240), so their pixel units (speed
    # thresholds in px/frame, areas in px) mean the same on every camera, and live 640x360 costs a third as much
    max_side: int | None = _default("max_side", 360)
    slow: Literal["density", "usual"] = _default("slow", "usual")


class ObjectsModel(AttributeModel):
    """The default one-class model: per-object motion, shape, silhouette, appearance and parts, calibrated per cue
    on the training regions, maximum over objects per frame, smoothed in time."""

    name = "objects"

    def __init__(self, config: ObjectsConfig | None = None):
        super().__init__(config or ObjectsConfig())
