"""`learned`: a TeD-SPAD-style anonymizer f_a — a small UNet (3→3 channels) applied to whole frames. Train one with
`privad train-anonymizer` (`privad.protect.train`); this module builds, saves, loads and applies it.

The network is fully convolutional, so it runs at any frame size (padded to a multiple of 4). Pixels are scaled to
[-0.5, 0.5] in and out. Unlike TeD-SPAD's f_a, the output is bounded (0.5·tanh): with a free output, our first
training run hid the motion that the utility branch rewards in values outside the pixel range, so the saved frames
(clipped to 0..255) came out blank white while every training loss looked fine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from supervision import Detections
from torch import nn
from torch.nn import functional as F

from privad.protect.config import AnonymizeConfig, MethodParams
from privad.device import resolve as resolve_device, torch_device
from privad.errors import PrivadError

FORMAT = "privad-anonymizer"


def _conv(i: int, o: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(i, o, 3, stride=stride, padding=1), nn.LeakyReLU(0.1, inplace=True))


class UNet(nn.Module):
    """Encoder (full, 1/2, 1/4 resolution; `width`, 2·width, 4·width channels) and a decoder with skip connections."""

    def __init__(self, width: int = 8):
        super().__init__()
        c = width
        self.width = width
        self.enc1 = _conv(3, c)
        self.enc2 = nn.Sequential(_conv(c, 2 * c, 2), _conv(2 * c, 2 * c))
        self.enc3 = nn.Sequential(_conv(2 * c, 4 * c, 2), _conv(4 * c, 4 * c))
        self.dec2 = _conv(4 * c + 2 * c, 2 * c)
        self.dec1 = _conv(2 * c + c, c)
        self.out = nn.Conv2d(c, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(torch.cat([F.interpolate(e3, size=e2.shape[-2:], mode="bilinear", align_corners=False), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, size=e1.shape[-2:], mode="bilinear", align_corners=False), e1], 1))
        return 0.5 * torch.tanh(self.out(d1))


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) RGB → float (N, 3, H, W) in [-0.5, 0.5]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255).sub_(0.5)


def save_anonymizer(path: Path, net: UNet, training: dict | None = None) -> None:
    """Write f_a (and, for `--resume`, the training state) atomically."""
    from privad.io.atomic import commit, temp_path_for

    path = Path(path)
    temp = temp_path_for(path)
    weights = {k: v.cpu() for k, v in net.state_dict().items()}  # a file fitted on a GPU loads anywhere
    torch.save({"format": FORMAT, "version": 1, "width": net.width, "anonymizer": weights, "training": training}, temp)
    commit(temp, path)


def read_checkpoint(path: Path) -> dict:
    """The raw checkpoint dict, checked to be an anonymizer file."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"anonymizer weights not found: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)  # data only: a crafted file cannot run code
    except Exception as exc:
        raise PrivadError(f"{path} is not a privad anonymizer file ({type(exc).__name__})") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise PrivadError(f"{path} is not a privad anonymizer file (make one with 'privad train-anonymizer')")
    return ckpt


def load_anonymizer(path: Path, device: str | None = None) -> UNet:
    """f_a from a file written by `save_anonymizer`, in eval mode, on `device` (None: the process's)."""
    ckpt = read_checkpoint(path)
    net = UNet(int(ckpt["width"]))
    try:
        net.load_state_dict(ckpt["anonymizer"])
    except RuntimeError as exc:
        raise PrivadError(f"{path}: the weights do not fit the anonymizer network ({str(exc).splitlines()[0]})") from exc
    return net.to(torch_device(device)).eval()


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float, device: str) -> UNet:
    return load_anonymizer(Path(path), device)


def apply_anonymizer(net: UNet, frame: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """f_a on one BGR frame (optionally at `scale` of its size), as a BGR uint8 frame of the same size."""
    h, w = frame.shape[:2]
    small = frame if scale == 1.0 else cv2.resize(frame, (max(4, round(w * scale)), max(4, round(h * scale))),
                                                  interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    x = to_tensor(small[None, :, :, ::-1]).to(next(net.parameters()).device)
    x = F.pad(x, (0, -sw % 4, 0, -sh % 4), mode="replicate")
    with torch.inference_mode():
        y = net(x)[0, :, :sh, :sw]
    out = y.add(0.5).mul(255).clamp(0, 255).round().byte().permute(1, 2, 0).cpu().numpy()[:, :, ::-1]
    out = np.ascontiguousarray(out)
    return out if scale == 1.0 else cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)


class Learned:
    """The `learned` method for one video: f_a on the whole frame, or only inside the detected regions."""

    def __init__(self, config: AnonymizeConfig):
        c = config.learned
        if c.weights is None:
            raise PrivadError("method 'learned' needs --weights (an anonymizer from 'privad train-anonymizer')")
        path = Path(c.weights).resolve()
        if not path.is_file():
            raise PrivadError(f"anonymizer weights not found: {c.weights}")
        self.net = _cached(str(path), path.stat().st_mtime, resolve_device(config.device))
        self.config = c

    def __call__(self, frame: np.ndarray, dets: Detections, params: MethodParams) -> np.ndarray:
        out = apply_anonymizer(self.net, frame, self.config.scale)
        if self.config.in_regions:
            inside = dets.mask.any(axis=0) if len(dets) else np.zeros(frame.shape[:2], bool)
            out = np.where(inside[..., None], out, frame)
        return out
