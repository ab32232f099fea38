"""`predictor`: one-class VAD by future-frame prediction (after Liu et al., CVPR 2018), sized for a CPU.

A small U-Net, trained on normal footage of one camera only, predicts each gray frame (shrunk so its longer side is
`side` px) from the `context` frames before it (L1 intensity + gradient-difference loss). Where the scene does
something its training never showed — an object faster than usual, a shape the walkways never carry — the
prediction fails there. No detector is needed, and nothing is downloaded: the network is trained here.

Scoring is location-aware and has no per-video state (DESIGN.md: a per-clip normalization shifts whole videos): the
squared error is averaged over cells of `cell` x `cell` px, and each cell is compared with what is normal *at that
place*, its own 99.9th-percentile training error, in units of the training errors' overall standard deviation. A frame
scores the maximum over its cells, smoothed in time; regions are the 8-connected groups of cells above their training
99.9th percentile, each scored by its highest cell.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from privad.device import torch_device
from privad.errors import PrivadError
from privad.postprocess import smooth
from privad.types import VideoScore
from privad.vad.estimators import torch_arrays, torch_state
from privad.vad.model import Fitted, calibration, require_fitted
from privad.vad.scoring import scored_regions

log = logging.getLogger(__name__)
DEPTH = 3  # poolings in the U-Net: analysed sizes are multiples of 2**DEPTH


class PredictorConfig(BaseModel):
    """Settings of the predictor model, fixed beforehand by cost alone (not selected on any data): Liu et al.'s 4
    context frames, gray, and the largest sizes whose fit stays within ~5 min of training on 2 CPU cores and whose
    scoring costs < 10 ms a frame (160 px, 8 channels: ~0.13 s a training step of 8, ~7.5 ms a frame), trained for a
    fixed number of steps, so a fit gives the same network under any load."""

    model_config = ConfigDict(extra="forbid")

    side: int = Field(160, ge=32, description="Frames are analysed shrunk to this many px on their longer side.")
    context: int = Field(4, ge=1, description="Frames before the predicted one that the network sees.")
    channels: int = Field(8, ge=4, description="Width of the first conv layer (doubled at each pooling).")
    steps: int = Field(2000, ge=1, description="Training steps (batches).")
    batch_size: int = Field(8, ge=1)
    lr: float = Field(1e-3, gt=0)
    gradient_weight: float = Field(1.0, ge=0, description="Weight of the gradient-difference loss (vs L1).")
    cell: int = Field(8, ge=1, description="Side in analysed px of the cells errors are compared in.")
    max_minutes: float = Field(15.0, gt=0, description="Stop training after this many minutes (a safety cap).")
    smoothing_sigma: float = Field(3.0, ge=0)
    seed: int = 0


def analysed_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """(height, width) of a frame of `size` as analysed: longer side `side`, both multiples of 2**DEPTH."""
    h, w = size
    f = side / max(h, w)
    m = 2 ** DEPTH
    return max(m, round(h * f / m) * m), max(m, round(w * f / m) * m)


def gray_stack(frames: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """(T, H, W) float32 gray frames in [-1, 1] at `size` (height, width)."""
    h, w = size
    out = np.empty((len(frames), h, w), np.float32)
    for i, f in enumerate(frames):
        g = f if f.ndim == 2 else cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)
        out[i] = cv2.resize(g, (w, h), interpolation=cv2.INTER_AREA)
    return out / 127.5 - 1.0


def _network(config: PredictorConfig):
    import torch
    from torch import nn

    def block(i: int, o: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                             nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

    widths = [config.channels * 2 ** d for d in range(DEPTH + 1)]

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.down = nn.ModuleList([block(config.context, widths[0])] +
                                      [block(widths[d - 1], widths[d]) for d in range(1, DEPTH + 1)])
            self.up = nn.ModuleList([nn.ConvTranspose2d(widths[d], widths[d - 1], 2, stride=2)
                                     for d in range(DEPTH, 0, -1)])
            self.merge = nn.ModuleList([block(2 * widths[d - 1], widths[d - 1]) for d in range(DEPTH, 0, -1)])
            self.out = nn.Conv2d(widths[0], 1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            skips = []
            for d, layer in enumerate(self.down):
                x = layer(x if d == 0 else nn.functional.max_pool2d(x, 2))
                skips.append(x)
            for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
                x = merge(torch.cat([up(x), skip], 1))
            return torch.tanh(self.out(x))[:, 0]

    return UNet()


def _gradient_loss(pred, target):
    """Gradient-difference loss: L1 between the absolute spatial gradients of prediction and target."""
    def grads(x):
        return (x[:, :, 1:] - x[:, :, :-1]).abs(), (x[:, 1:] - x[:, :-1]).abs()

    (px, py), (tx, ty) = grads(pred), grads(target)
    return (px - tx).abs().mean() + (py - ty).abs().mean()


def cells(error: np.ndarray, cell: int) -> np.ndarray:
    """(T, h, w) squared errors averaged over `cell` x `cell` px cells (the frame's edge cells may be partial)."""
    t, h, w = error.shape
    gh, gw = -(-h // cell), -(-w // cell)
    padded = np.zeros((t, gh * cell, gw * cell), np.float64)
    padded[:, :h, :w] = error
    counts = np.zeros((gh * cell, gw * cell))
    counts[:h, :w] = 1
    sums = padded.reshape(t, gh, cell, gw, cell).sum(axis=(2, 4))
    return sums / counts.reshape(gh, cell, gw, cell).sum(axis=(1, 3))


def _components(z: np.ndarray, cell: int, size: tuple[int, int]) -> list[tuple[np.ndarray, float]]:
    """Boxes (x1, y1, x2, y2 in analysed px) and scores of the 8-connected groups of cells with z > 0."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((z > 0).astype(np.uint8), connectivity=8)
    h, w = size
    out = []
    for k in range(1, n):
        x, y, cw, ch = stats[k, :4]
        box = np.array([x * cell, y * cell, min(w, (x + cw) * cell), min(h, (y + ch) * cell)], np.float32)
        out.append((box, float(z[labels == k].max())))
    return out


class PredictorModel:
    """Fit on normal videos (lists of BGR frames), score new ones."""

    name = "predictor"

    def __init__(self, config: PredictorConfig | None = None):
        self.config = config or PredictorConfig()
        self.fitted_: Fitted | None = None
        self.on_step: Callable[[int, int, float], None] | None = None  # (step, steps, loss) every 100 steps
        self._net = None

    def fit(self, X: Iterable[list[np.ndarray]], y=None) -> PredictorModel:
        """Train the predictor on normal videos X (y is not used), then record each cell's training errors."""
        import torch

        c = self.config
        torch.manual_seed(c.seed)
        videos, sizes = [], set()
        for frames in X:
            sizes.add(frames[0].shape[:2])
            if len(sizes) > 1:
                raise PrivadError(f"training videos differ in frame size {sorted(sizes)}: one model per camera view")
            videos.append(gray_stack(frames, analysed_size(frames[0].shape[:2], c.side)))
        samples = [(v, t) for v, g in enumerate(videos) for t in range(c.context, len(g))]
        if len(samples) < c.batch_size:
            raise PrivadError(f"training footage too short: {len(samples)} frames with {c.context} before them "
                              f"(need at least {c.batch_size})")
        size = videos[0].shape[1:]
        start = time.perf_counter()
        net, history = self._train(videos, samples)
        self._net = net.eval()
        info = {"train_frames": len(samples), "train_videos": len(videos), "history": history,
                "train_seconds": time.perf_counter() - start}
        errors = [cells(self._errors(g), c.cell) for g in videos]
        stacked = np.concatenate(errors)
        params = {"frame_size": list(size), "spread": float(stacked.std() + 1e-12)}
        arrays = torch_arrays(net.state_dict(), "net") | {"cell_q": np.percentile(stacked, 99.9, axis=0)}
        self._params, self._cell_q = params, arrays["cell_q"]
        worst = [self._worst_cells(self._with_head(self._cell_z(e), len(g))) for e, g in zip(errors, videos)]
        floor = float(min(w[np.isfinite(w)].min() for w in worst if np.isfinite(w).any()))
        calib = calibration([self._frame_scores(w, floor) for w in worst], floor)
        self.fitted_ = Fitted(**calib, info=info, params=params, arrays=arrays)
        return self

    def _train(self, videos: list[np.ndarray], samples: list[tuple[int, int]]) -> tuple:
        """Train a fresh network for `steps` batches of random (video, frame) samples; returns it and the mean loss
        of every 100 steps."""
        import torch
        from torch.nn import functional as F

        c = self.config
        dev = torch_device()
        net = _network(c).to(dev).train()
        opt = torch.optim.Adam(net.parameters(), lr=c.lr)
        rng = np.random.default_rng(c.seed)
        history, running, start = [], 0.0, time.perf_counter()
        for step in range(1, c.steps + 1):
            pick = [samples[i] for i in rng.integers(len(samples), size=c.batch_size)]
            x = torch.from_numpy(np.stack([videos[v][t - c.context:t] for v, t in pick])).to(dev)
            target = torch.from_numpy(np.stack([videos[v][t] for v, t in pick])).to(dev)
            pred = net(x)
            loss = F.l1_loss(pred, target) + c.gradient_weight * _gradient_loss(pred, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += float(loss.detach())
            if step % 100 == 0 or step == c.steps:
                history.append({"step": step, "loss": running / (step - 100 * ((step - 1) // 100)),
                                "seconds": time.perf_counter() - start})
                running = 0.0
                log.info("step %d/%d %s", step, c.steps, history[-1])
                if self.on_step:
                    self.on_step(step, c.steps, history[-1]["loss"])
            if time.perf_counter() - start > 60 * c.max_minutes:
                log.warning("training stopped after %d steps: max_minutes %.1f reached", step, c.max_minutes)
                break
        return net, history

    def check_fitted(self) -> None:
        """Rebuild the network from the fitted arrays."""
        f = require_fitted(self)
        net = _network(self.config)
        net.load_state_dict(torch_state(f.arrays, "net"))
        self._net = net.to(torch_device()).eval()
        self._params, self._cell_q = f.params, f.arrays["cell_q"]

    def _errors(self, gray: np.ndarray, batch: int = 32) -> np.ndarray:
        """(T - context, H, W) squared prediction errors of frames context..T-1 of a gray stack."""
        import torch

        n = len(gray) - self.config.context
        if n <= 0:
            return np.zeros((0, *gray.shape[1:]), np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(gray, self.config.context + 1, axis=0)  # (n, H, W, c+1)
        dev, out = next(self._net.parameters()).device, []
        with torch.inference_mode():
            for i in range(0, n, batch):
                w = torch.from_numpy(np.ascontiguousarray(np.moveaxis(windows[i:i + batch], -1, 1))).to(dev)
                out.append(((self._net(w[:, :-1]) - w[:, -1]) ** 2).cpu().numpy())
        return np.concatenate(out)

    def _cell_z(self, cell_errors: np.ndarray) -> np.ndarray:
        """Each cell's error against its own training 99.9th percentile, in units of the overall training spread."""
        return (cell_errors - self._cell_q) / self._params["spread"]

    def _with_head(self, z: np.ndarray, num_frames: int) -> np.ndarray:
        """Cell scores of a video's frames context.. preceded by -inf for its first frames (nothing to predict from)."""
        return np.concatenate([np.full((self.config.context, *self._cell_q.shape), -np.inf), z])[:num_frames]

    @staticmethod
    def _worst_cells(z: np.ndarray) -> np.ndarray:
        """Per frame, its highest cell score."""
        return z.reshape(len(z), -1).max(axis=1)

    def _frame_scores(self, worst: np.ndarray, floor: float) -> np.ndarray:
        """Frame scores from each frame's worst cell: `floor` where there is no prediction, smoothed in time."""
        return smooth([np.where(np.isfinite(worst), worst, floor)], self.config.smoothing_sigma)[0]

    def cell_scores(self, frames: list[np.ndarray]) -> np.ndarray:
        """(T, h, w) per-cell scores of every frame (the first `context` frames: -inf, nothing to predict from)."""
        require_fitted(self)
        if self._net is None:
            self.check_fitted()
        gray = gray_stack(frames, tuple(self._params["frame_size"]))
        return self._with_head(self._cell_z(cells(self._errors(gray), self.config.cell)), len(frames))

    def score(self, frames: Iterable[np.ndarray], name: str = "video") -> VideoScore:
        f = require_fitted(self)
        frames = list(frames)
        z = self.cell_scores(frames)
        c, size = self.config, tuple(self._params["frame_size"])
        found = [(t, b, s) for t in range(c.context, len(z)) for b, s in _components(z[t], c.cell, size)]
        index = np.array([t for t, _, _ in found], int)
        boxes = np.array([b for _, b, _ in found], np.float32).reshape(-1, 4)
        regions = scored_regions(index, boxes, np.array([s for _, _, s in found]),
                                 frames[0].shape[1] / size[1], frames[0].shape[0] / size[0])
        return VideoScore(name, self._frame_scores(self._worst_cells(z), f.floor), regions)
