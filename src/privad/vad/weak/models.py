"""Weakly-supervised VAD on clip features (video-level labels only): `mil`, `mgfn` and `pel`.

- `mil` (Sultani et al.): an MLP scores each segment; ranking hinge between the top segment of an abnormal video and
  the top segment of a normal one, plus smoothness and sparsity (8e-5 each).
- `mgfn` (MGFN-style): a *glance* block (self-attention over the whole video) and a *focus* block (local temporal
  convolution); the k=3 segments of largest feature magnitude make the video score (BCE with the video label); a
  magnitude contrastive loss pulls normal videos' top-k magnitudes together and pushes abnormal ones above normal
  ones by a margin; smoothness 8e-4·Σ(s_{t+1}−s_t)² and sparsity 8e-3·mean(s) on abnormal videos.
- `pel` (PEL4VAD-style): a temporal context module (self-attention with a distance prior, then a temporal
  convolution); BCE on the mean of the top-k segment scores, k = 1 for normal and ⌊T/16⌋+1 for abnormal videos;
  scores smoothed over time at test time. With `text_features` (a local .npy of prompt embeddings, row 0 the normal
  prompt, e.g. CLIP text features of "normal scene", "fighting", ...) the prompt branch is on: snippet features are
  projected into the text space, their cosine similarities (temperature 0.07) to the prompts weight a mixture of the
  prompt embeddings that is added back to the features (knowledge injection) before scoring, and an alignment loss
  pulls every snippet of a normal video to the normal prompt and the top-k snippets of an abnormal video to their
  class prompt (label = class row) or, with 0/1 labels, to any abnormal prompt.

Training resamples every video to `segments` segments (mean over equal spans) and averages its crops; testing
scores every clip of the video (crops averaged after scoring). Seeded; Adam; optional per-epoch checkpoints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from privad.device import torch_device
from privad.errors import PrivadError
from privad.types import VideoScore
from privad.vad.estimators import torch_arrays, torch_state
from privad.vad.model import Fitted, require_fitted
from privad.vad.weak.clips import FeatureConfig, frame_scores

log = logging.getLogger(__name__)
WEAK_MODELS = ("mil", "mgfn", "pel")


class WeakConfig(BaseModel):
    """Settings of the weakly-supervised models (each uses the fields that apply to it)."""

    model_config = ConfigDict(extra="forbid")

    segments: int = Field(32, ge=2, description="Training videos are resampled to this many segments.")
    epochs: int = Field(100, ge=1)
    batch_size: int = Field(16, ge=1, description="Normal and abnormal videos per step (each).")
    lr: float = Field(5e-4, gt=0)
    weight_decay: float = Field(5e-4, ge=0)
    hidden: int = Field(256, ge=8)
    dropout: float = Field(0.3, ge=0, lt=1)
    topk: int = Field(3, ge=1, description="mgfn: segments of largest feature magnitude.")
    margin: float = Field(1.0, gt=0, description="mgfn: magnitude margin (magnitudes are RMS-normalized).")
    smooth_window: int = Field(3, ge=1, description="pel: test-time moving average, in clips.")
    text_features: Path | None = Field(None, description="pel: local .npy [prompts, E] of prompt embeddings, row 0 "
                                                         "the normal prompt (turns the prompt branch on).")
    text_weight: float = Field(1.0, ge=0, description="pel: weight of the prompt alignment loss.")
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    checkpoint_dir: Path | None = Field(None, description="Write the weights after every epoch here.")
    seed: int = 0


def resample(features: np.ndarray, segments: int) -> np.ndarray:
    """[T, D] → [segments, D]: mean over `segments` equal spans (a span repeats a clip when T < segments)."""
    t = len(features)
    edges = np.linspace(0, t, segments + 1)
    out = np.empty((segments, features.shape[1]), np.float32)
    for i in range(segments):
        a, b = int(edges[i]), int(edges[i + 1])
        out[i] = features[min(a, t - 1)] if b <= a else features[a:b].mean(axis=0)
    return out


def load_text_features(path: Path) -> np.ndarray:
    """[prompts, E] float32 prompt embeddings from a .npy file; row 0 is the normal prompt."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"text feature file not found: {path}")
    try:
        text = np.load(path)
    except (ValueError, OSError) as exc:
        raise PrivadError(f"{path} is not a .npy array") from exc
    if text.ndim != 2 or text.shape[0] < 2 or not np.isfinite(text).all():
        raise PrivadError(f"{path}: text features must be a finite [prompts >= 2, dim] array, got {text.shape}")
    return text.astype(np.float32)


def _network(name: str, dim: int, c: WeakConfig, text: np.ndarray | None = None):
    import torch
    from torch import nn

    h = c.hidden

    class MIL(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(dim, h), nn.ReLU(), nn.Dropout(c.dropout), nn.Linear(h, 32),
                                     nn.Dropout(c.dropout), nn.Linear(32, 1))

        def forward(self, x):  # [B, T, D] → scores [B, T], features [B, T, h']
            return torch.sigmoid(self.net(x)[..., 0]), x

    class MGFN(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(dim, h)
            self.glance = nn.TransformerEncoderLayer(h, 4, dim_feedforward=2 * h, dropout=c.dropout,
                                                     batch_first=True)
            self.focus = nn.Sequential(nn.Conv1d(h, h, 3, padding=1, groups=h), nn.GELU(), nn.Conv1d(h, h, 1))
            self.norm = nn.LayerNorm(h)
            self.head = nn.Sequential(nn.Linear(h, h // 2), nn.ReLU(), nn.Dropout(c.dropout), nn.Linear(h // 2, 1))

        def forward(self, x):
            g = self.glance(self.proj(x))
            f = self.norm(g + self.focus(g.transpose(1, 2)).transpose(1, 2))
            return torch.sigmoid(self.head(f)[..., 0]), f

    class PEL(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(dim, h)
            self.qkv = nn.Linear(h, 3 * h)
            self.conv = nn.Conv1d(h, h, 3, padding=1)
            self.norm1, self.norm2 = nn.LayerNorm(h), nn.LayerNorm(h)
            self.head = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(h, h // 2), nn.ReLU(), nn.Linear(h // 2, 1))
            if text is not None:
                self.register_buffer("text", torch.nn.functional.normalize(torch.from_numpy(text), dim=1))
                self.to_text = nn.Linear(h, text.shape[1])
                self.from_text = nn.Linear(text.shape[1], h)
            else:
                self.text = None

        def text_logits(self, z):
            """[B, T, prompts] cosine similarities of the snippets to the prompts, over temperature 0.07."""
            return torch.nn.functional.normalize(self.to_text(z), dim=-1) @ self.text.T / 0.07

        def forward(self, x):  # → scores [B, T], context features [B, T, h] (before the prompt knowledge)
            z = self.proj(x)
            q, k, v = self.qkv(z).chunk(3, dim=-1)
            t = torch.arange(x.shape[1], dtype=z.dtype, device=z.device)
            prior = -(t[None, :] - t[:, None]).abs() / 4.0  # nearer clips weigh more (distance prior)
            att = torch.softmax(q @ k.transpose(1, 2) / h ** 0.5 + prior, dim=-1)
            z = self.norm1(z + att @ v)
            z = self.norm2(z + torch.relu(self.conv(z.transpose(1, 2))).transpose(1, 2))
            enhanced = z if self.text is None else z + self.from_text(self.text_logits(z).softmax(-1) @ self.text)
            return torch.sigmoid(self.head(enhanced)[..., 0]), z

    return {"mil": MIL, "mgfn": MGFN, "pel": PEL}[name]()


def _loss(name: str, c: WeakConfig, s_n, f_n, s_a, f_a):
    """Training loss of one batch: scores [B, T] and features [B, T, h] of normal (n) and abnormal (a) videos."""
    import torch
    from torch.nn import functional as F

    smooth = ((s_a[:, 1:] - s_a[:, :-1]) ** 2).sum(dim=1).mean()
    if name == "mil":
        rank = F.relu(1.0 - s_a.max(dim=1).values + s_n.max(dim=1).values).mean()
        return rank + 8e-5 * smooth + 8e-5 * s_a.sum(dim=1).mean()
    if name == "mgfn":
        k = min(c.topk, s_a.shape[1])

        def top(scores, feats):
            mag = feats.norm(dim=-1) / feats.shape[-1] ** 0.5
            idx = mag.topk(k, dim=1).indices
            return scores.gather(1, idx).mean(dim=1), mag.gather(1, idx).mean(dim=1)

        v_n, m_n = top(s_n, f_n)
        v_a, m_a = top(s_a, f_a)
        bce = F.binary_cross_entropy(torch.cat([v_n, v_a]).clamp(1e-6, 1 - 1e-6),
                                     torch.cat([torch.zeros_like(v_n), torch.ones_like(v_a)]))
        contrast = (m_n - m_n.roll(1)).pow(2).mean() + F.relu(c.margin - (m_a - m_n)).pow(2).mean()
        return bce + 0.1 * contrast + 8e-4 * smooth + 8e-3 * s_a.mean()
    v_n = s_n.max(dim=1).values
    v_a = s_a.topk(_pel_k(s_a.shape[1]), dim=1).values.mean(dim=1)
    return F.binary_cross_entropy(torch.cat([v_n, v_a]).clamp(1e-6, 1 - 1e-6),
                                  torch.cat([torch.zeros_like(v_n), torch.ones_like(v_a)]))


def _pel_k(t: int) -> int:
    return t // 16 + 1


def _alignment_loss(net, s_a, f_n, f_a, classes_a):
    """Prompt alignment: every normal snippet → prompt 0; an abnormal video's top-k snippets → its class prompt
    (classes_a > 0) or, for a plain 0/1 label, to the abnormal prompts together."""
    import torch

    logp_n = net.text_logits(f_n).log_softmax(-1)
    idx = s_a.topk(_pel_k(s_a.shape[1]), dim=1).indices
    logp_a = net.text_logits(f_a).log_softmax(-1).gather(1, idx[..., None].expand(-1, -1, net.text.shape[0]))
    any_abnormal = torch.logsumexp(logp_a[..., 1:], dim=-1)
    has_class = classes_a[:, None].expand_as(any_abnormal) > 0
    own = logp_a.gather(2, classes_a.clamp(min=1)[:, None, None].expand(-1, idx.shape[1], 1))[..., 0]
    return -logp_n[..., 0].mean() - torch.where(has_class, own, any_abnormal).mean()


def _as_2d(features: np.ndarray) -> np.ndarray:
    """[T, D] as it is; [crops, T, D] averaged over crops."""
    if features.ndim == 3:
        return features.mean(axis=0)
    if features.ndim != 2:
        raise PrivadError(f"features must be [T, D] or [crops, T, D], got shape {features.shape}")
    return features


class WeakModel:
    """A weakly-supervised model; fit on (features, video label) pairs, score features or frames."""

    def __init__(self, name: str, config: WeakConfig | None = None):
        if name not in WEAK_MODELS:
            raise PrivadError(f"unknown weak model '{name}'")
        self.name = name
        self.config = config or WeakConfig()
        self.fitted_: Fitted | None = None
        self.on_epoch: Callable[[int, int, float], None] | None = None
        self._net = None
        self._extractor = None

    def fit(self, X: Sequence[np.ndarray], y: Sequence[int] | None = None) -> WeakModel:
        """Train on clip features X (per video [T, D] or [crops, T, D]) and their video labels y (0 normal, 1 or a
        class number abnormal)."""
        import torch

        if y is None:
            raise PrivadError(f"'{self.name}' is weakly supervised: it needs video labels "
                              f"(privad fit --kind {self.name} --features DIR --labels FILE)")
        if len(X) != len(y):
            raise PrivadError(f"{len(X)} feature arrays but {len(y)} labels")
        items = zip(X, y)

        c = self.config
        torch.manual_seed(c.seed)
        rng = np.random.default_rng(c.seed)
        text = None
        if c.text_features is not None:
            if self.name != "pel":
                raise PrivadError("text_features (the prompt branch) is for the pel model")
            text = load_text_features(c.text_features)
        normal, abnormal, classes = [], [], []
        for feats, label in items:
            (abnormal if label else normal).append(resample(_as_2d(np.asarray(feats, np.float32)), c.segments))
            if label:
                classes.append(int(label) if text is not None and len(text) > 2 else 0)  # 0: any abnormal prompt
        if text is not None and classes and max(classes) >= len(text):
            raise PrivadError(f"a label names class {max(classes)}, but {Path(c.text_features).name} has only "
                              f"{len(text)} prompts")
        if not normal or not abnormal:
            raise PrivadError(f"weak supervision needs normal and abnormal training videos; got {len(normal)} "
                              f"normal and {len(abnormal)} abnormal")
        dims = {f.shape[1] for f in normal + abnormal}
        if len(dims) > 1:
            raise PrivadError(f"training features differ in dimension: {sorted(dims)}")
        dim = dims.pop()
        dev = torch_device()
        xn, xa = torch.from_numpy(np.stack(normal)).to(dev), torch.from_numpy(np.stack(abnormal)).to(dev)
        ca = torch.tensor(classes).to(dev)
        net = _network(self.name, dim, c, text).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        steps = max(1, int(np.ceil(max(len(xn), len(xa)) / c.batch_size)))
        history, start = [], time.perf_counter()
        for epoch in range(c.epochs):
            net.train()
            total = 0.0
            for _ in range(steps):
                # equal halves (drawn with replacement), so pairwise losses line normal and abnormal videos up
                bn = torch.from_numpy(rng.integers(0, len(xn), c.batch_size)).to(dev)
                ba = torch.from_numpy(rng.integers(0, len(xa), c.batch_size)).to(dev)
                s, f = net(torch.cat([xn[bn], xa[ba]]))
                k = len(bn)
                loss = _loss(self.name, c, s[:k], f[:k], s[k:], f[k:])
                if text is not None:
                    loss = loss + c.text_weight * _alignment_loss(net, s[k:], f[:k], f[k:], ca[ba])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
            history.append({"epoch": epoch + 1, "loss": total / steps, "seconds": time.perf_counter() - start})
            if self.on_epoch:
                self.on_epoch(epoch + 1, c.epochs, total / steps)
            if c.checkpoint_dir is not None:
                Path(c.checkpoint_dir).mkdir(parents=True, exist_ok=True)
                torch.save({k: v.cpu() for k, v in net.state_dict().items()},
                           Path(c.checkpoint_dir) / f"{self.name}-epoch{epoch + 1:03d}.pt")
        self._net = net.eval()
        arrays = torch_arrays(net.state_dict(), "net") | ({"text": text} if text is not None else {})
        self.fitted_ = Fitted(threshold=0.5, floor=0.0, params={"dim": dim},
                              info={"history": history, "train_seconds": time.perf_counter() - start,
                                    "train_videos": {"normal": len(xn), "abnormal": len(xa)}}, arrays=arrays)
        return self

    def check_fitted(self) -> None:
        """Rebuild the network from the fitted arrays."""
        f = require_fitted(self)
        net = _network(self.name, f.params["dim"], self.config, f.arrays.get("text"))
        net.load_state_dict(torch_state(f.arrays, "net"))
        self._net = net.to(torch_device()).eval()

    @property
    def net(self):
        if self._net is None:
            self.check_fitted()
        return self._net

    def clip_scores(self, features: np.ndarray) -> np.ndarray:
        """Anomaly score in [0, 1] of every clip; crops are scored separately and averaged."""
        import torch

        x = np.asarray(features, np.float32)
        x = x[None] if x.ndim == 2 else x
        dim = require_fitted(self).params["dim"]
        if x.ndim != 3 or x.shape[-1] != dim:
            raise PrivadError(f"features of shape {features.shape} do not fit this model (D = {dim})")
        with torch.inference_mode():
            s = self.net(torch.from_numpy(x).to(next(self.net.parameters()).device))[0].cpu().numpy().mean(axis=0)
        if self.name == "pel" and self.config.smooth_window > 1 and len(s) > 1:
            w = min(self.config.smooth_window, len(s))
            s = np.convolve(np.pad(s, (w // 2, w - 1 - w // 2), mode="edge"), np.ones(w) / w, mode="valid")
        return s

    def score_features(self, features: np.ndarray, num_frames: int, name: str = "video") -> VideoScore:
        f = self.config.features
        return VideoScore(name, frame_scores(self.clip_scores(features), num_frames, f.clip_len, f.stride))

    def score(self, frames: Iterable[np.ndarray], name: str = "video") -> VideoScore:
        """Extract clip features as at training time, then score them (per frame; no regions)."""
        frames = list(frames)
        if self._extractor is None:
            from privad.vad.weak.clips import ClipFeatures

            self._extractor = ClipFeatures(self.config.features)
        return self.score_features(self._extractor(frames), len(frames), name)
