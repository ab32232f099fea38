"""Training the `learned` anonymizer the TeD-SPAD way, on a CPU.

Three networks:
- f_a, the anonymizer (`privad.anonymize.learned.UNet`), first trained to reconstruct its input (L1);
- f_b, the privacy adversary: the bundled ImageNet MobileNetV2 up to its stride-16 layer + an MLP head → 128-d,
  L2-normalised, trained with NT-Xent (SimCLR, temperature 0.1) on two augmentations of each image — no labels;
- f_t, the utility branch: a small 3D CNN + 128-d head on 8-frame clips, trained with the temporal-distinctiveness
  triplet loss (anchor = clip at t, positive = the same frames augmented differently, negative = another time of the
  same video, margin 1) plus a utility objective that needs only normal footage: **temporal order verification**
  (is the clip in order, or were two of its frames swapped?). A swap makes objects jump back and forth, so f_t can
  only answer if f_a keeps where things are and how they move — what the one-class models score. (The arrow of time
  was tried first: people walk both ways, so a reversed clip looks normal and f_t stayed at chance.)

After a warm-up in which f_b and f_t learn on the reconstruction-trained f_a, the updates alternate:
f_a minimises −w_p·min(L_NTXent(f_b∘f_a), cap) + w_u·(L_util(f_t∘f_a) + w_t·L_trip); then f_b and f_t minimise their
own losses on the new f_a output. Weights are TeD-SPAD's (1.0, 0.7, 0.1). Two departures, both measured:
- the learning rates are larger than TeD-SPAD's 1e-5: f_a and f_t start from scratch here and the budget is minutes on
  a CPU, not GPU-days (f_a keeps its 0.4× ratio);
- the privacy reward is capped at `privacy_cap` × the adversary's chance-level loss. Without the cap, f_a found that
  a constant frame wins the game outright — the adversary falls to chance (+1.3 in loss) for a smaller utility
  penalty (0.7 × 0.64) — and every run collapsed to a blank frame within ~200 adversarial steps. TeD-SPAD avoids
  this by its tiny learning rate and early stopping.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn
from torch.nn import functional as F

from privad.anonymize.learned import UNet, read_checkpoint, save_anonymizer, to_tensor
from privad.errors import PrivadError


class TrainConfig(BaseModel):
    """Settings of `privad train-anonymizer` (defaults: the small configuration of docs/benchmarks.md)."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(96, ge=32, description="Side of the square training crops.")
    width: int = Field(8, ge=4, description="Channels of the UNet's first stage.")
    pretrain_steps: int = Field(300, ge=0, description="f_a reconstruction (L1) steps.")
    warmup_steps: int = Field(300, ge=0, description="f_b and f_t steps on the reconstruction-trained f_a.")
    steps: int = Field(1200, ge=0, description="Adversarial (alternating) steps.")
    batch: int = Field(12, ge=2, description="Images per privacy batch (each seen in two augmentations).")
    clips: int = Field(3, ge=1, description="Anchor clips per utility batch (each with a positive and a negative).")
    clip_len: int = Field(8, ge=2)
    lr: float = Field(1e-3, gt=0, description="Adam learning rate of f_b and f_t (f_a: 0.4× while reconstructing).")
    anonymizer_lr: float = Field(1.2e-4, gt=0, description="f_a's learning rate in the adversarial phase.")
    w_privacy: float = 1.0
    w_utility: float = 0.7
    w_triplet: float = 0.1
    privacy_cap: float = Field(0.85, gt=0, le=1, description="f_a stops pushing the adversary's NT-Xent loss "
                               "beyond this share of its chance level log(2·batch − 1).")
    temperature: float = Field(0.1, gt=0)
    margin: float = Field(1.0, ge=0)
    max_minutes: float | None = Field(None, gt=0, description="Stop (and save, resumable) after this long.")
    checkpoint_every: int = Field(100, ge=1)
    seed: int = 0


# ---------------------------------------------------------------- losses


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """SimCLR's NT-Xent: each of the 2N embeddings must pick its partner among the other 2N − 1 (mean over 2N)."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, partner)


def triplet(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """mean(max(0, ‖a − p‖ − ‖a − n‖ + margin))."""
    d_pos = (anchor - positive).norm(dim=1)
    d_neg = (anchor - negative).norm(dim=1)
    return F.relu(d_pos - d_neg + margin).mean()


# ---------------------------------------------------------------- the adversary and the utility branch


class Adversary(nn.Module):
    """f_b: MobileNetV2 (ImageNet, bundled) up to stride 16 → global pool → MLP → 128-d."""

    MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def __init__(self):
        super().__init__()
        from privad.vad.appearance import _network

        self.backbone = copy.deepcopy(_network().features[:14])  # a private copy: the shared one must stay as is
        self.head = nn.Sequential(nn.Linear(96, 256), nn.ReLU(inplace=True), nn.Linear(256, 128))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = ((x + 0.5) - self.MEAN) / self.STD
        return F.normalize(self.head(self.backbone(x).mean(dim=(2, 3))), dim=1)


class Utility(nn.Module):
    """f_t: a small 3D CNN on the frame differences of (N, 3, T, S, S) clips → order logits and a 128-d embedding
    (mean+max pooled, as moving objects are small in a surveillance frame)."""

    def __init__(self, c: int = 16):
        super().__init__()

        def block(i: int, o: int, stride: tuple[int, int, int]) -> list[nn.Module]:
            return [nn.Conv3d(i, o, 3, stride=stride, padding=1), nn.GroupNorm(4, o), nn.ReLU(inplace=True)]

        self.encoder = nn.Sequential(*block(3, c, (1, 2, 2)), *block(c, 2 * c, (1, 2, 2)),
                                     *block(2 * c, 4 * c, (2, 2, 2)), *block(4 * c, 4 * c, (2, 2, 2)))
        self.order = nn.Linear(8 * c, 2)
        self.embed = nn.Sequential(nn.Linear(8 * c, 128), nn.ReLU(inplace=True), nn.Linear(128, 128))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.encoder(x[:, :, 1:] - x[:, :, :-1])  # frame differences: the static background drops out
        g = torch.cat([f.mean(dim=(2, 3, 4)), f.amax(dim=(2, 3, 4))], dim=1)
        return self.order(g), F.normalize(self.embed(g), dim=1)


# ---------------------------------------------------------------- data


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
    from privad.sample_data import data_path

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


# ---------------------------------------------------------------- training


class Trainer:
    """The three networks, their optimisers and the loss history; resumable from a checkpoint."""

    def __init__(self, config: TrainConfig, data: TrainData):
        torch.manual_seed(config.seed)
        self.config, self.sampler = config, Sampler(data, config)
        self.fa, self.fb, self.ft = UNet(config.width), Adversary(), Utility()
        self.opt_a = torch.optim.Adam(self.fa.parameters(), lr=0.4 * config.lr)
        self.opt_b = torch.optim.Adam(self.fb.parameters(), lr=config.lr)
        self.opt_t = torch.optim.Adam(self.ft.parameters(), lr=config.lr)
        self.step = 0  # over all three phases
        self.history: list[dict] = []

    @property
    def total(self) -> int:
        c = self.config
        return c.pretrain_steps + c.warmup_steps + c.steps

    def phase(self) -> str:
        c = self.config
        if self.step < c.pretrain_steps:
            return "reconstruct"
        return "warmup" if self.step < c.pretrain_steps + c.warmup_steps else "adversarial"

    # -- the losses of f_b and f_t on given f_a outputs
    def privacy_loss(self, v1: torch.Tensor, v2: torch.Tensor) -> torch.Tensor:
        return nt_xent(self.fb(v1), self.fb(v2), self.config.temperature)

    def utility_loss(self, clips: dict, outputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L_util, L_trip) of f_t on the anonymized anchor/positive/negative clips (stacked in `outputs`)."""
        n = len(clips["order"])
        a, p, neg = (_as_video(part, n) for part in outputs.chunk(3))
        logits, za = self.ft(a)
        zp, zn = self.ft(p)[1], self.ft(neg)[1]
        return F.cross_entropy(logits, clips["order"]), triplet(za, zp, zn, self.config.margin)

    def anonymizer_loss(self, v1: torch.Tensor, v2: torch.Tensor, clips: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """f_a's objective −w_p·L_NTXent + w_u·(L_util + w_t·L_trip) on one batch, and f_a's output."""
        c = self.config
        frames = torch.cat([clips["anchor"], clips["positive"], clips["negative"]])
        out = self.fa(torch.cat([v1, v2, frames]))
        out1, out2, out_c = out.split([len(v1), len(v2), len(frames)])
        l_util, l_trip = self.utility_loss(clips, out_c)
        cap = c.privacy_cap * float(np.log(2 * len(v1) - 1))
        l_priv = torch.clamp(self.privacy_loss(out1, out2), max=cap)  # no reward for going past the cap
        return -c.w_privacy * l_priv + c.w_utility * (l_util + c.w_triplet * l_trip), out

    def train_step(self) -> dict:
        """One step of the current phase; returns its losses."""
        c, phase = self.config, self.phase()
        v1, v2 = self.sampler.images()
        if phase == "reconstruct":
            loss = F.l1_loss(self.fa(v1), v1)
            self.opt_a.zero_grad()
            loss.backward()
            self.opt_a.step()
            rec = {"step": self.step, "phase": phase, "l1": float(loss.detach())}
        else:
            clips = self.sampler.clips()
            frames = torch.cat([clips["anchor"], clips["positive"], clips["negative"]])
            rec = {"step": self.step, "phase": phase}
            if phase == "adversarial":
                for group in self.opt_a.param_groups:
                    group["lr"] = c.anonymizer_lr
                for p in (*self.fb.parameters(), *self.ft.parameters()):
                    p.requires_grad_(False)
                loss_a, out = self.anonymizer_loss(v1, v2, clips)
                self.opt_a.zero_grad()
                loss_a.backward()
                self.opt_a.step()
                for p in (*self.fb.parameters(), *self.ft.parameters()):
                    p.requires_grad_(True)
                rec["anonymizer"] = float(loss_a.detach())
                out = out.detach()  # f_b and f_t learn on this step's f_a output (one update stale)
            else:
                with torch.no_grad():
                    out = self.fa(torch.cat([v1, v2, frames]))
            out1, out2, out_c = out.split([len(v1), len(v2), len(frames)])
            l_priv = self.privacy_loss(out1, out2)
            self.opt_b.zero_grad()
            l_priv.backward()
            self.opt_b.step()
            l_util, l_trip = self.utility_loss(clips, out_c)
            self.opt_t.zero_grad()
            (l_util + c.w_triplet * l_trip).backward()
            self.opt_t.step()
            rec.update(privacy=float(l_priv.detach()), utility=float(l_util.detach()), triplet=float(l_trip.detach()))
        self.step += 1
        self.history.append(rec)
        return rec

    # -- checkpoints
    def state(self) -> dict:
        return {"config": self.config.model_dump(), "step": self.step, "history": self.history,
                "fb": self.fb.state_dict(), "ft": self.ft.state_dict(), "opt_a": self.opt_a.state_dict(),
                "opt_b": self.opt_b.state_dict(), "opt_t": self.opt_t.state_dict(),
                "rng": (self.sampler.rng.getstate(), self.sampler.aug.rng.bit_generator.state, torch.get_rng_state())}

    def save(self, path: Path) -> None:
        save_anonymizer(path, self.fa, self.state())

    def restore(self, path: Path) -> None:
        ckpt = read_checkpoint(path)
        state = ckpt.get("training")
        if not state:
            raise PrivadError(f"{path} has no training state to resume from")
        if state["config"]["width"] != self.config.width or state["config"]["size"] != self.config.size:
            raise PrivadError(f"{path} was trained with other --width/--size; give the same to resume")
        self.fa.load_state_dict(ckpt["anonymizer"])
        self.fb.load_state_dict(state["fb"])
        self.ft.load_state_dict(state["ft"])
        for opt, key in ((self.opt_a, "opt_a"), (self.opt_b, "opt_b"), (self.opt_t, "opt_t")):
            opt.load_state_dict(state[key])
        self.step, self.history = int(state["step"]), list(state["history"])
        py_state, np_state, torch_state = state["rng"]
        self.sampler.rng.setstate(py_state)
        self.sampler.aug.rng.bit_generator.state = np_state
        torch.set_rng_state(torch_state)


def train_anonymizer(data: TrainData, output: Path, config: TrainConfig | None = None, resume: bool = False,
                     on_step: Callable[[int, int, dict], None] | None = None) -> Trainer:
    """Train (or, with `resume`, continue training) and save to `output` every `checkpoint_every` steps and at the
    end. Stops early, resumably, after `max_minutes`."""
    config = config or TrainConfig()
    trainer = Trainer(config, data)
    output = Path(output)
    if resume and output.exists():
        trainer.restore(output)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    start = time.monotonic()
    for _ in range(trainer.step, trainer.total):
        rec = trainer.train_step()
        if on_step:
            on_step(trainer.step, trainer.total, rec)
        if trainer.step % config.checkpoint_every == 0:
            trainer.save(output)
        if config.max_minutes and time.monotonic() - start > 60 * config.max_minutes:
            break
    trainer.save(output)
    return trainer


def curves_plot(history: list[dict], path: Path) -> None:
    """The training curves (one panel per loss, smoothed over 25 steps) as a PNG."""
    from privad.io.atomic import commit, temp_path_for
    from privad.report.plots import png_bytes, pyplot

    keys = [k for k in ("l1", "privacy", "utility", "triplet", "anonymizer") if any(k in h for h in history)]
    plt = pyplot()
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(3.2 * max(1, len(keys)), 3), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        pts = [(h["step"], h[key]) for h in history if key in h]
        xs, ys = np.array(pts).T
        k = min(25, len(ys))
        ax.plot(xs[k - 1:], np.convolve(ys, np.ones(k) / k, mode="valid"), color="#1f4e79")
        ax.set_title(key)
        ax.set_xlabel("step")
    fig.tight_layout()
    temp = temp_path_for(Path(path))
    temp.write_bytes(png_bytes(fig))
    commit(temp, Path(path))
