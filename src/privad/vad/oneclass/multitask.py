"""`multitask`: SSMTL-style one-class VAD — a small 3D CNN on object tubes trained on four proxy tasks.

Every object region (the same regions as the `objects` model, split as it splits them) gives a tube: the square box
around it cropped from the frames t-r..t+r (gray, S x S). The middle frame is blanked in the input, and one shared
3D-CNN encoder learns,
on normal footage only:

1. arrow of time — is the tube played forward or backward? (cross-entropy)
2. motion irregularity — consecutive frames or every second frame? (cross-entropy)
3. middle-frame reconstruction — predict the blanked middle crop from its neighbours (L1)
4. distillation — predict the MobileNetV2 teacher's features of the middle colour crop (PCA-whitened, MSE)

Anomaly score of a region = sum over tasks of the failure, z-scored with the training tubes' failures:
p(backward) and p(irregular) on the forward consecutive tube, the reconstruction L1 error, the distillation error.
A frame scores the maximum over its regions, smoothed in time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.decomposition import PCA

from privad.device import torch_device
from privad.errors import PrivadError
from privad.types import VideoScore
from privad.vad.estimators import pca_arrays, pca_from, torch_arrays, torch_state
from privad.vad.model import Fitted, calibration, require_fitted
from privad.vad.oneclass.tubes import Sightings, Tubes, extract_tubes, sightings
from privad.vad.regions import RegionExtractor
from privad.vad.scoring import frame_maxima, row_heights, scored_regions, to_training_size
from privad.vad.split import Split
from privad.vad.tracks import along_tracks, track_ids

log = logging.getLogger(__name__)
TASKS = ("arrow", "irregular", "reconstruction", "distillation")


class MultitaskConfig(BaseModel):
    """Settings of the multitask model. The defaults train on Ped2's 16 training videos in ~10 min on 2 cores."""

    model_config = ConfigDict(extra="forbid")
    # what a model file written before a setting existed had (privad.vad.persistence): the earlier behaviour
    FILE_DEFAULTS: ClassVar[dict] = {"split": "none", "crop": "box", "failure": "probability", "track_window": 0}

    radius: int = Field(3, ge=1, description="Tube = frames t-radius..t+radius.")
    size: int = Field(32, ge=16, description="Tube crop side in pixels (gray).")
    channels: int = Field(16, ge=4, description="Width of the first conv layer (doubled twice).")
    epochs: int = Field(6, ge=1)
    batch_size: int = Field(64, ge=4)
    lr: float = Field(1e-3, gt=0)
    max_train_tubes: int = Field(10_000, ge=100, description="Training tubes sampled from all regions (seeded).")
    teacher: bool = Field(True, description="Distil the MobileNetV2 features of the middle crop.")
    teacher_dim: int = Field(32, ge=2)
    max_minutes: float = Field(30.0, gt=0, description="Stop training after this many minutes (whole epochs).")
    regions: Literal["mog2", "median"] = "median"
    split: Split = Field(
        "all", description="How merged blobs are split (privad.vad.split); validated against every other rule on "
                            "training videos only (docs/benchmarks.md, multitask, sixteenth session).")
    crop: Literal["box", "row"] = Field(
        "box", description="A tube's square: around the region's box (box), or at least as tall as the training "
                           "regions typically are at its row (row; privad.vad.scoring.row_heights), so that a "
                           "fragment of an object is seen at its object's scale and its motion in the tube is "
                           "not magnified by a small crop.")
    failure: Literal["probability", "logit"] = Field(
        "probability", description="How the arrow-of-time and irregularity heads fail: p(backward), p(irregular), "
                                   "or their log-odds (which do not saturate at 1).")
    track_window: int = Field(
        0, ge=0, description="Average each region's score along its object track (ByteTrack) over this many frames "
                             "either side (privad.vad.tracks), as `objects` does; 0: each region on its own.")
    warmup: int = Field(30, ge=0)
    smoothing_sigma: float = Field(3.0, ge=0)
    seed: int = 0


def task_calibration(failures: np.ndarray) -> list[list[float]]:
    """[mean, std] per task of the training regions' failures (N, 4): what puts each task on one scale."""
    return [failures.mean(axis=0).tolist(), (failures.std(axis=0) + 1e-9).tolist()]


def combined(failures: np.ndarray, calib: list, distillation: bool = True) -> np.ndarray:
    """A region score per row of `failures`: each task z-scored by `calib` (`task_calibration`), summed (the
    distillation task only when the model has a teacher)."""
    mean, std = (np.asarray(v) for v in calib)
    used = [i for i, t in enumerate(TASKS) if t != "distillation" or distillation]
    return ((failures - mean) / std)[:, used].sum(axis=1)


def along_track(frame: np.ndarray, boxes: np.ndarray, region: np.ndarray, num_frames: int,
                window: int) -> np.ndarray:
    """Region scores of one video (each region's `frame` and box) averaged along their object tracks over `window`
    frames either side (`track_window`; unchanged when 0)."""
    if not window or not len(region):
        return region
    return along_tracks(frame, track_ids(frame, boxes, num_frames), region, window)


def _network(config: MultitaskConfig):
    import torch
    from torch import nn

    c = config.channels

    class TubeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()

            def block(i: int, o: int, stride: tuple[int, int, int]) -> list[nn.Module]:
                return [nn.Conv3d(i, o, 3, stride=stride, padding=1), nn.BatchNorm3d(o), nn.ReLU(inplace=True)]

            self.encoder = nn.Sequential(*block(1, c, (1, 2, 2)), *block(c, 2 * c, (1, 2, 2)),
                                         *block(2 * c, 4 * c, (1, 1, 1)))
            self.arrow = nn.Linear(4 * c, 2)
            self.irregular = nn.Linear(4 * c, 2)
            self.distill = nn.Sequential(nn.Linear(4 * c, 128), nn.ReLU(inplace=True),
                                         nn.Linear(128, config.teacher_dim))
            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1), nn.ReLU(inplace=True),
                nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.ReLU(inplace=True), nn.Conv2d(c, 1, 3, padding=1))

        def forward(self, x: torch.Tensor):
            f = self.encoder(x)
            g = f.mean(dim=(2, 3, 4))
            return self.arrow(g), self.irregular(g), self.distill(g), self.decoder(f.mean(dim=2))[:, 0]

    return TubeNet()


def _inputs(tubes: np.ndarray, radius: int, device, reverse: bool = False):
    """uint8 (N, T, S, S) → float (N, 1, T, S, S) in [-0.5, 0.5] on `device`, middle frame blanked, optionally
    time-reversed."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(tubes[:, ::-1] if reverse else tubes)).to(device).float()
    x = x.div_(255).sub_(0.5)
    x[:, radius] = 0
    return x.unsqueeze(1)


def _middle(tubes: np.ndarray, radius: int, device):
    import torch

    return torch.from_numpy(np.ascontiguousarray(tubes[:, radius])).to(device).float().div_(255).sub_(0.5)


class MultitaskModel:
    """Fit on normal videos (lists of BGR frames), score new ones."""

    name = "multitask"

    def __init__(self, config: MultitaskConfig | None = None):
        self.config = config or MultitaskConfig()
        self.extractor = RegionExtractor(source=self.config.regions, split=self.config.split)
        self.fitted_: Fitted | None = None
        self._pca = None
        self.on_epoch: Callable[[int, int, float], None] | None = None  # (epoch, epochs, loss) after each epoch
        self._net = None
        self._heights: np.ndarray | None = None  # crop "row": the training regions' typical height per row
        self._encoder = None  # the teacher's AppearanceEncoder, made on first use
        self.train_failures_: list[np.ndarray] | None = None  # after fit: per training video, its task failures

    def _sightings(self, frames: list[np.ndarray]) -> Sightings:
        return sightings(frames, self.extractor(frames, warmup=frames[: self.config.warmup]))

    def _tubes(self, frames: list[np.ndarray]) -> Tubes:
        return extract_tubes(self._sightings(frames), self.config.radius, self.config.size, self._heights)

    def _teacher(self, crops: list[np.ndarray]) -> np.ndarray:
        """The MobileNetV2 features of middle crops (the encoder made once per model)."""
        if self._encoder is None:
            from privad.backbones.appearance import AppearanceEncoder

            self._encoder = AppearanceEncoder(size=64)
        return self._encoder(crops)

    def fit(self, X: Iterable[list[np.ndarray]], y=None) -> MultitaskModel:
        """Extract tubes from every normal video of X (y is not used), train the network on the proxy tasks,
        calibrate the task failures."""
        import torch

        c = self.config
        torch.manual_seed(c.seed)
        rng = np.random.default_rng(c.seed)
        parts, lengths, sizes, teacher = [], [], set(), []
        for frames in X:  # crop "row" cuts the tubes once every video's boxes give the heights: keeps gray frames
            sizes.add(frames[0].shape[:2])
            seen = self._sightings(frames)
            if c.teacher:  # every region's teacher features now: no video's colour crops outlive it
                teacher.append(self._teacher(seen.middle))
            seen.middle = []
            parts.append(seen if c.crop == "row" else extract_tubes(seen, c.radius, c.size))
            lengths.append(len(frames))
        if len(sizes) > 1:
            raise PrivadError(f"training videos differ in frame size {sorted(sizes)}: one model per camera view")
        arrays: dict[str, np.ndarray] = {}
        self._heights = None
        if c.crop == "row":
            self._heights = arrays["row_heights"] = row_heights(np.concatenate([p.boxes for p in parts]),
                                                                 next(iter(sizes))[0])
            parts = [extract_tubes(p, c.radius, c.size, self._heights) for p in parts]
        total = sum(len(p.frame) for p in parts)
        if total < 100:
            raise PrivadError(f"training footage too short: {total} object regions found (need at least 100)")
        keep = np.sort(rng.permutation(total)[: c.max_train_tubes])
        cons = np.concatenate([p.consecutive for p in parts])[keep]
        skip = np.concatenate([p.skipped for p in parts])[keep]
        params: dict = {"frame_size": list(sizes.pop())}
        info: dict = {"train_regions": total, "train_tubes": len(keep), "train_videos": len(parts)}
        offsets = np.cumsum([0] + [len(p.frame) for p in parts])
        target = None
        if c.teacher:  # training uses the sampled regions' teacher features, calibration every region's
            feats = np.concatenate(teacher)[keep]
            pca = PCA(min(c.teacher_dim, len(keep) - 1), whiten=True, random_state=c.seed).fit(feats)
            target = torch.from_numpy(pca.transform(feats).astype(np.float32))
            arrays |= pca_arrays(pca, "pca")
        start = time.perf_counter()
        net, info["history"] = self._train(cons, skip, target)
        info["train_seconds"] = time.perf_counter() - start
        arrays |= torch_arrays(net.state_dict(), "net")
        self._net, self._pca = net.eval(), (pca if c.teacher else None)
        self._frame_size = tuple(params["frame_size"])
        # calibrate on every training region (the sampled and the unseen ones)
        per_video = [self._failures(p, t) for p, t in zip(parts, teacher or [None] * len(parts))]
        self.train_failures_ = per_video  # for diagnostics (benchmarks/validate_multitask.py); not saved
        failures = np.concatenate(per_video)
        params["calib"] = self._calib = task_calibration(failures)
        region = combined(failures, self._calib, c.teacher)
        floor = float(region.min())
        calib = calibration([
            frame_maxima(along_track(p.frame, p.boxes, region[offsets[i]:offsets[i + 1]], n, c.track_window),
                         p.frame, n, floor, c.smoothing_sigma)
            for i, (p, n) in enumerate(zip(parts, lengths))], floor)
        self.fitted_ = Fitted(**calib, info=info, params=params, arrays=arrays)
        return self

    def check_fitted(self) -> None:
        """Rebuild the network and the teacher's PCA from the fitted arrays."""
        f = require_fitted(self)
        net = _network(self.config)
        net.load_state_dict(torch_state(f.arrays, "net"))
        self._net = net.to(torch_device()).eval()
        self._pca = pca_from(f.arrays, "pca", whiten=True) if "pca.mean_" in f.arrays else None
        self._calib, self._frame_size = f.params["calib"], tuple(f.params["frame_size"])
        self._heights = f.arrays.get("row_heights")

    def _train(self, cons: np.ndarray, skip: np.ndarray, target) -> tuple:
        """Train a fresh network on the four tasks; returns it and the per-epoch mean losses."""
        import torch
        from torch.nn import functional as F

        c = self.config
        dev = torch_device()
        net = _network(c).to(dev)
        target = target.to(dev) if target is not None else None
        opt = torch.optim.Adam(net.parameters(), lr=c.lr)
        history, start, n = [], time.perf_counter(), len(cons)
        zeros, ones = torch.zeros(1, dtype=torch.long, device=dev), torch.ones(1, dtype=torch.long, device=dev)
        for epoch in range(c.epochs):
            net.train()
            order = torch.randperm(n).numpy()
            sums = dict.fromkeys(TASKS, 0.0)
            for i in range(0, n, c.batch_size):
                b = np.sort(order[i:i + c.batch_size])
                k = len(b)
                x = torch.cat([_inputs(cons[b], c.radius, dev), _inputs(cons[b], c.radius, dev, True),
                               _inputs(skip[b], c.radius, dev), _inputs(skip[b], c.radius, dev, True)])
                arrow_y = torch.cat([zeros, ones, zeros, ones]).repeat_interleave(k)
                irregular_y = torch.cat([zeros, zeros, ones, ones]).repeat_interleave(k)
                arrow, irregular, distill, recon = net(x)
                losses = {
                    "arrow": F.cross_entropy(arrow, arrow_y),
                    "irregular": F.cross_entropy(irregular, irregular_y),
                    "reconstruction": F.l1_loss(recon[:k], _middle(cons[b], c.radius, dev)),
                    "distillation": (F.mse_loss(distill[:k], target[b]) if target is not None
                                     else torch.zeros((), device=dev)),
                }
                loss = sum(losses.values())
                opt.zero_grad()
                loss.backward()
                opt.step()
                for name, value in losses.items():
                    sums[name] += float(value.detach()) * k
            row = {name: s / n for name, s in sums.items()} | {"epoch": epoch + 1,
                                                                "seconds": time.perf_counter() - start}
            history.append(row)
            log.info("epoch %d/%d %s", epoch + 1, c.epochs, row)
            if self.on_epoch:
                self.on_epoch(epoch + 1, c.epochs, sum(row[t] for t in TASKS))
            if time.perf_counter() - start > 60 * c.max_minutes:
                log.warning("training stopped after %d epochs: --max-minutes %.1f reached", epoch + 1, c.max_minutes)
                break
        return net, history

    @property
    def net(self):
        if self._net is None:
            self.check_fitted()
        return self._net

    def _head_failure(self, logits):
        """A two-class head's failure (class 1 wrong): its probability or, `failure` logit, its log-odds."""
        return logits.softmax(1)[:, 1] if self.config.failure == "probability" else logits[:, 1] - logits[:, 0]

    def _failures(self, tubes: Tubes, teacher: np.ndarray | None = None, batch: int = 256) -> np.ndarray:
        """(N, 4) task failures per tube: p(backward), p(irregular) (or their log-odds), reconstruction L1,
        distillation MSE. `teacher`: the middle crops' teacher features when already computed."""
        import torch

        c = self.config
        if len(tubes.frame) == 0:
            return np.zeros((0, len(TASKS)))
        target = None
        if self._pca is not None:
            feats = self._teacher(tubes.middle) if teacher is None else teacher
            target = self._pca.transform(feats).astype(np.float32)
        out, dev = [], next(self.net.parameters()).device
        with torch.inference_mode():
            for i in range(0, len(tubes.frame), batch):
                cons = tubes.consecutive[i:i + batch]
                arrow, irregular, distill, recon = self.net(_inputs(cons, c.radius, dev))
                rec = (recon - _middle(cons, c.radius, dev)).abs().mean(dim=(1, 2))
                dis = ((distill - torch.from_numpy(target[i:i + batch]).to(dev)) ** 2).mean(dim=1) \
                    if target is not None else torch.zeros(len(cons), device=dev)
                out.append(torch.stack([self._head_failure(arrow), self._head_failure(irregular), rec, dis], 1)
                           .cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def analysed_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (height, width) frames of `size` are `resized` to before anything else: the training frames' once
        fitted (`score` takes frames already at it, with `source_size`); before, frames are fitted as they are."""
        return tuple(size) if self.fitted_ is None else tuple(self.fitted_.params["frame_size"])

    def score(self, frames: Iterable[np.ndarray], name: str = "video",
              source_size: tuple[int, int] | None = None) -> VideoScore:
        f = require_fitted(self)
        if self._net is None:
            self.check_fitted()
        frames, sx, sy = to_training_size(frames, self._frame_size, source_size)
        tubes = self._tubes(frames)
        region = combined(self._failures(tubes), self._calib, self._pca is not None)
        region = along_track(tubes.frame, tubes.boxes, region, len(frames), self.config.track_window)
        return VideoScore(name, frame_maxima(region, tubes.frame, len(frames), f.floor,
                                             self.config.smoothing_sigma),
                          scored_regions(tubes.frame, tubes.boxes, region, sx, sy))
