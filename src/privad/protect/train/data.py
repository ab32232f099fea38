"""Training data of the anonymizer: frames and clips of normal footage, images, augmentation, sampling."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from privad.protect.methods.learned import to_tensor
from privad.errors import PrivadError


from privad.protect.train.config import TrainConfig


@dataclass
class TrainData:
    """RGB uint8 training material at a short side of 1.5 × the crop size."""

    videos: list[np.ndarray]  # each (T, H, W, 3): for clips, and frames for the privacy batch
    images: list[np.ndarray]  # stills (e.g. face photos) for the privacy batch


def _shrink(image_bgr: np.ndarray, short: int) -> np.ndarray:
    h, w = image_bgr.shape[:2]
    f = short / min(h, w)
    out = cv2.resize(image_bgr, (max(short, round(w * f)), max(short, round(h * f))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(out[:, :, ::-1])


def load_data(videos: list[Path], images: list[Path], size: int, clip_len: int) -> TrainData:
    """Decode the training videos (files or frame folders; a folder of frame folders counts as its subfolders) and
    the still images (files or folders of them)."""
    from privad.io.images import IMAGE_EXTS, read_image
    from privad.io.sources import read_all

    short = int(size * 1.5)
    specs: list[Path] = []
    for v in videos:
        v = Path(v)
        if not v.exists():
            raise PrivadError(f"training video not found: {v}")
        subdirs = sorted(p for p in v.iterdir() if p.is_dir()) if v.is_dir() else []
        specs.extend(subdirs or [v])
    clips = []
    for spec in specs:
        frames, _ = read_all(spec)
        if len(frames) < 4 * clip_len:
            raise PrivadError(f"{spec}: {len(frames)} frames is too short for clips of {clip_len} (need {4 * clip_len})")
        clips.append(np.stack([_shrink(f, short) for f in frames]))
    stills = []
    for p in images:
        p = Path(p)
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTS) if p.is_dir() else [p]
        for f in files:
            img = read_image(str(f)) if f.is_file() else None
            if img is None:
                raise PrivadError(f"cannot read training image {f}")
            stills.append(_shrink(img, short))
    if not clips:
        raise PrivadError("train-anonymizer needs at least one training video (--videos)")
    return TrainData(clips, stills)


SAMPLE_STILLS = ("obama.jpg", "biden.jpg", "obama_and_biden.jpg", "two_people.jpg")


def sample_inputs() -> tuple[list[Path], list[Path]]:
    """The sample data's training material: Ped2's 16 normal training videos and the face stills that are *not*
    the people of the privacy evaluation clip (so the privacy figures are measured on unseen identities)."""
    from privad.io.sample_data import data_path

    return [data_path("ucsd_ped2", "training", "frames")], [data_path("faces", n) for n in SAMPLE_STILLS]


class Augment:
    """Random resized crops, flips and colour jitter, with a seeded generator."""

    def __init__(self, size: int, seed: int):
        self.size, self.rng = size, np.random.default_rng(seed)

    def box(self, h: int, w: int, min_area: float = 0.3) -> tuple[int, int, int, int]:
        area = self.rng.uniform(min_area, 1.0) * h * w
        aspect = np.exp(self.rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        bw = int(min(w, max(8, round(np.sqrt(area * aspect)))))
        bh = int(min(h, max(8, round(np.sqrt(area / aspect)))))
        y, x = int(self.rng.integers(0, h - bh + 1)), int(self.rng.integers(0, w - bw + 1))
        return y, x, bh, bw

    def view(self, images: np.ndarray, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The same random view of every image in `images` (N, H, W, 3) — one frame, or all frames of a clip."""
        y, x, bh, bw = box or self.box(*images.shape[1:3])
        flip = self.rng.random() < 0.5
        gain, bias = self.rng.uniform(0.7, 1.3), self.rng.uniform(-25, 25)
        gray = self.rng.random() < 0.2
        out = []
        for im in images:
            c = cv2.resize(im[y:y + bh, x:x + bw], (self.size, self.size), interpolation=cv2.INTER_AREA)
            c = c[:, ::-1] if flip else c
            if gray:
                c = np.repeat(cv2.cvtColor(np.ascontiguousarray(c), cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
            out.append(np.clip(c.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8))
        return np.stack(out)


class Sampler:
    """Batches for the three losses."""

    def __init__(self, data: TrainData, config: TrainConfig):
        self.data, self.config = data, config
        self.aug = Augment(config.size, config.seed)
        self.rng = random.Random(config.seed)

    def _image(self) -> np.ndarray:
        if self.data.images and self.rng.random() < 0.5:
            return self.rng.choice(self.data.images)
        video = self.rng.choice(self.data.videos)
        return video[self.rng.randrange(len(video))]

    def images(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Two augmented views of `batch` images."""
        picks = [self._image()[None] for _ in range(self.config.batch)]
        return (to_tensor(np.concatenate([self.aug.view(p) for p in picks])),
                to_tensor(np.concatenate([self.aug.view(p) for p in picks])))

    def clips(self) -> dict[str, torch.Tensor]:
        """Anchor, positive (same frames, other view) and negative (other time) clips, frames 1 or 2 apart; the
        anchor has two frames swapped in half of the clips (the order label)."""
        L = self.config.clip_len
        anchors, positives, negatives, order = [], [], [], []
        for _ in range(self.config.clips):
            video = self.rng.choice(self.data.videos)
            step = self.rng.choice((1, 2))
            span = step * (L - 1) + 1
            t = self.rng.randrange(len(video) - span + 1)
            far = [s for s in range(len(video) - span + 1) if abs(s - t) >= span]
            t_neg = self.rng.choice(far) if far else (t + span) % (len(video) - span + 1)
            index = list(range(L))
            shuffled = self.rng.random() < 0.5
            if shuffled:
                i, j = sorted(self.rng.sample(range(L), 2))
                index[i], index[j] = j, i
            frames, other = video[t:t + span:step][index], video[t_neg:t_neg + span:step][index]
            box = self.aug.box(*video.shape[1:3], min_area=0.5)
            anchors.append(self.aug.view(frames, box))
            positives.append(self.aug.view(frames))
            negatives.append(self.aug.view(other, box))
            order.append(0 if shuffled else 1)
        return {"anchor": _clip_tensor(anchors), "positive": _clip_tensor(positives),
                "negative": _clip_tensor(negatives), "order": torch.tensor(order)}


def _clip_tensor(clips: list[np.ndarray]) -> torch.Tensor:
    """list of (T, S, S, 3) uint8 → (N·T, 3, S, S) float (frame-major, for f_a)."""
    return to_tensor(np.concatenate(clips))


def _as_video(frames: torch.Tensor, n: int) -> torch.Tensor:
    """(N·T, 3, S, S) → (N, 3, T, S, S) for f_t."""
    nt, c, s1, s2 = frames.shape
    return frames.view(n, nt // n, c, s1, s2).permute(0, 2, 1, 3, 4)
