"""Clip features for weakly-supervised VAD: one row per clip of `clip_len` frames (every `stride` frames).

Extractors:
- `mobilenetv2` (default, bundled ImageNet weights): per-frame 1280-d features averaged over the clip (every
  `frame_step`-th frame of it);
- `i3d` (a local Kinetics-400 I3D RGB checkpoint, `privad.backbones.i3d`): 1024-d features of the 16-frame clip;
- `clip` (a local CLIP ViT checkpoint, `privad.backbones.vit`): per-frame image embeddings (512-d for ViT-B) averaged over
  the clip (every `frame_step`-th frame), as for mobilenetv2;
- `regions` (object level, no extra weights): the moving-object regions of the attribute model (median background
  + DIS flow, whole video up front); per clip, over the regions of all its frames, the max and the mean of their
  11-d velocity descriptors, the region count / 10, and the max-pooled MobileNetV2 embedding of their 64x64 crops
  (1303-d; 23-d with `appearance` off). A clip without regions gets zeros. Crops do not apply (object crops are the
  crops).

Crops: 1 (the whole frame resized), 5 (four corners and centre of the frame resized to a 256 short side) or 10 (the
5 and their mirror images); with more than one crop a video's features are `[crops, T, D]`, else `[T, D]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from privad.errors import PrivadError
from privad.vad.regions import ORIENTATION_BINS

SIDE = 224
REGION_SIDE = 64
VELOCITY_DIM = ORIENTATION_BINS + 3  # the bins and speeds of privad.vad.regions.velocity_descriptor


class FeatureConfig(BaseModel):
    """How clip features are made (stored with weak models, so scoring extracts them the same way)."""

    model_config = ConfigDict(extra="forbid")

    extractor: Literal["mobilenetv2", "i3d", "clip", "regions"] = "mobilenetv2"
    clip_len: int = Field(16, ge=1)
    stride: int = Field(16, ge=1)
    crops: Literal[1, 5, 10] = 1
    frame_step: int = Field(2, ge=1, description="mobilenetv2, clip: use every N-th frame of a clip.")
    pool: Literal["avg", "max"] = Field("avg", description="mobilenetv2: spatial pooling of the last feature map.")
    checkpoint: Path | None = Field(None, description="i3d, clip: local checkpoint file.")
    appearance: bool = Field(True, description="regions: add the max-pooled MobileNetV2 crop embedding (else 23-d).")


def crops(frame: np.ndarray, n: int) -> list[np.ndarray]:
    """1, 5 or 10 crops of SIDE x SIDE (see the module docstring)."""
    if n == 1:
        return [cv2.resize(frame, (SIDE, SIDE), interpolation=cv2.INTER_AREA)]
    h, w = frame.shape[:2]
    scale = 256 / min(h, w)
    big = cv2.resize(frame, (max(SIDE, round(w * scale)), max(SIDE, round(h * scale))), interpolation=cv2.INTER_AREA)
    H, W = big.shape[:2]
    corners = [(0, 0), (0, W - SIDE), (H - SIDE, 0), (H - SIDE, W - SIDE), ((H - SIDE) // 2, (W - SIDE) // 2)]
    out = [big[y:y + SIDE, x:x + SIDE] for y, x in corners]
    return out + [c[:, ::-1] for c in out] if n == 10 else out


def clip_starts(num_frames: int, clip_len: int, stride: int) -> list[int]:
    """First frame of every clip; a video shorter than one clip still gives one (its last frame repeated)."""
    return list(range(0, max(num_frames - clip_len, 0) + 1, stride))


def frame_scores(clip_scores: np.ndarray, num_frames: int, clip_len: int, stride: int) -> np.ndarray:
    """Per-frame scores from per-clip scores: each frame takes the mean of the clips that cover it (frames after the
    last clip take the last clip's score)."""
    total, count = np.zeros(num_frames), np.zeros(num_frames)
    for start, s in zip(clip_starts(num_frames, clip_len, stride), clip_scores):
        total[start:start + clip_len] += s
        count[start:start + clip_len] += 1
    last = clip_scores[-1] if len(clip_scores) else 0.0
    return np.where(count > 0, total / np.maximum(count, 1), last)


class ClipFeatures:
    """Callable: BGR frames of one video → `[T, D]` or `[crops, T, D]` float32 features."""

    def __init__(self, config: FeatureConfig | None = None):
        self.config = c = config or FeatureConfig()
        if c.extractor in ("i3d", "clip") and c.checkpoint is None:
            raise PrivadError(f"the {c.extractor} extractor needs --checkpoint PATH to a local checkpoint")
        if c.extractor == "i3d":
            from privad.backbones.i3d import load_i3d

            self._i3d = load_i3d(c.checkpoint)
            self.dim = 1024
        elif c.extractor == "clip":
            from privad.backbones.vit import embed_images, load_clip_visual

            net = load_clip_visual(c.checkpoint)
            self._encode = lambda images: embed_images(net, images)
            self.dim = net.out_dim
        elif c.extractor == "regions":
            from privad.backbones.appearance import AppearanceEncoder

            if c.crops != 1:
                raise PrivadError("the regions extractor works on object crops; use --crops 1")
            self._encode = AppearanceEncoder(size=REGION_SIDE) if c.appearance else None
            self.dim = 2 * VELOCITY_DIM + 1 + (1280 if c.appearance else 0)
        else:
            from privad.backbones.appearance import AppearanceEncoder

            self._encode = AppearanceEncoder(size=SIDE, pool=c.pool)
            self.dim = 1280

    def __call__(self, frames: list[np.ndarray]) -> np.ndarray:
        c = self.config
        if not frames:
            raise PrivadError("no frames to extract features from")
        starts = clip_starts(len(frames), c.clip_len, c.stride)
        if c.extractor == "regions":
            return self._region_clips(frames, starts)
        clip = lambda s: [frames[min(i, len(frames) - 1)] for i in range(s, s + c.clip_len)]
        fn = self._i3d_clip if c.extractor == "i3d" else self._frame_pooled_clip
        feats = np.stack([fn(clip(s)) for s in starts], axis=1)  # [crops, T, D]
        return feats[0] if c.crops == 1 else feats

    def _frame_pooled_clip(self, frames: list[np.ndarray]) -> np.ndarray:
        """Per-frame image features of every `frame_step`-th frame, averaged: [crops, D]."""
        picked = frames[:: self.config.frame_step]
        per_frame = [crops(f, self.config.crops) for f in picked]  # [frames][crops]
        flat = self._encode([c for fc in per_frame for c in fc]).reshape(len(picked), self.config.crops, -1)
        return flat.mean(axis=0)

    def _region_clips(self, frames: list[np.ndarray], starts: list[int]) -> np.ndarray:
        """[T, 1303] object-level clip features (see the module docstring)."""
        from privad.vad.regions import RegionExtractor

        step = self.config.frame_step
        per_frame: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for fr in RegionExtractor(source="median")(frames):
            if fr.index % step == 0 and len(fr.boxes):
                app = self._encode(fr.crops) if self._encode else np.zeros((len(fr.boxes), 0), np.float32)
                per_frame[fr.index] = (fr.velocity[:, :VELOCITY_DIM], app)
        out = np.zeros((len(starts), self.dim), np.float32)
        for row, s in enumerate(starts):
            found = [per_frame[i] for i in range(s, min(s + self.config.clip_len, len(frames))) if i in per_frame]
            if not found:
                continue
            vel = np.concatenate([v for v, _ in found])
            app = np.concatenate([a for _, a in found])
            out[row] = np.concatenate([vel.max(axis=0), vel.mean(axis=0), [len(vel) / 10], app.max(axis=0)])
        return out

    def _i3d_clip(self, frames: list[np.ndarray]) -> np.ndarray:
        import torch

        per_frame = [crops(f, self.config.crops) for f in frames]
        x = np.stack([[fc[k][:, :, ::-1] for fc in per_frame] for k in range(self.config.crops)])  # [C, T, H, W, 3]
        x = torch.from_numpy(np.ascontiguousarray(x)).float().div_(127.5).sub_(1.0).permute(0, 4, 1, 2, 3)
        with torch.inference_mode():
            return self._i3d(x.to(next(self._i3d.parameters()).device)).cpu().numpy()
