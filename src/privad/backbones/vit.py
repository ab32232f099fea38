"""Vision Transformers for *local* checkpoints the user supplies: CLIP's image tower and DINO.

One network (pre-norm blocks, class token, learned positions) serves both layouts:
- CLIP (Radford et al. 2021), OpenAI's and open_clip's ViT state dicts: `visual.conv1.weight`,
  `visual.class_embedding`, `visual.positional_embedding`, `visual.ln_pre.*`,
  `visual.transformer.resblocks.N.{ln_1,attn,ln_2,mlp.c_fc,mlp.c_proj}.*`, `visual.ln_post.*`, `visual.proj`; QuickGELU.
  A full CLIP state dict, its `visual.` part, a dict holding one under `state_dict`, or OpenAI's TorchScript file.
- DINO (Caron et al. 2021), the timm-style layout of its released ViTs: `patch_embed.proj.*`, `cls_token`, `pos_embed`,
  `blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*`, `norm.*`; GELU; no projection.
Width, depth, patch and input size are read off the weights; heads are width / 64 as in every released ViT.
Written from the papers' descriptions; no weights ship with privad.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from privad.backbones.checkpoints import check_layout, read_state_dict
from privad.device import torch_device
from privad.errors import PrivadError

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, width: int, heads: int, act: type[nn.Module], eps: float):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(width, eps=eps), nn.LayerNorm(width, eps=eps)
        self.attn = nn.MultiheadAttention(width, heads)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width))
        self.mlp.add_module("gelu", act())
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (L, N, D)
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, act: type[nn.Module], eps: float):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(width, heads, act, eps) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    """Patches → class token + positions → transformer → ln_post; `forward` gives the class token (@ proj for CLIP),
    `patch_features` the (D, h, w) map of the patch tokens."""

    def __init__(self, image_size: int, patch: int, width: int, layers: int, out_dim: int | None,
                 flavour: str = "clip"):
        super().__init__()
        clip = flavour == "clip"
        eps = 1e-5 if clip else 1e-6
        self.image_size, self.patch, self.grid = image_size, patch, image_size // patch
        self.conv1 = nn.Conv2d(3, width, patch, stride=patch, bias=not clip)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros((image_size // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width, eps=eps) if clip else nn.Identity()
        self.ln_post = nn.LayerNorm(width, eps=eps)
        self.transformer = Transformer(width, layers, max(1, width // 64), QuickGELU if clip else nn.GELU, eps)
        self.proj = nn.Parameter(torch.zeros(width, out_dim)) if out_dim else None

    @property
    def out_dim(self) -> int:
        return self.proj.shape[1] if self.proj is not None else self.class_embedding.shape[0]

    def _positions(self, h: int, w: int) -> torch.Tensor:
        """The learned positions, resized (bicubic) to an h x w patch grid."""
        pos, grid = self.positional_embedding, self.grid
        if (int(h), int(w)) == (grid, grid):
            return pos
        patches = pos[1:].reshape(1, grid, grid, -1).permute(0, 3, 1, 2)
        patches = F.interpolate(patches, size=(h, w), mode="bicubic", align_corners=False)
        return torch.cat([pos[:1], patches.permute(0, 2, 3, 1).reshape(h * w, -1)])

    def tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        """(N, 1 + h·w, D) normalised output tokens of (N, 3, H, W) images, and the patch grid h, w."""
        x = self.conv1(x)
        h, w = x.shape[-2:]
        x = x.flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self._positions(h, w))
        x = self.transformer(x.transpose(0, 1)).transpose(0, 1)
        return self.ln_post(x), h, w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cls = self.tokens(x)[0][:, 0]
        return cls @ self.proj if self.proj is not None else cls

    def patch_features(self, x: torch.Tensor) -> torch.Tensor:
        """(D, h, w) patch-token map of one (1, 3, H, W) image."""
        t, h, w = self.tokens(x)
        return t[0, 1:].T.reshape(-1, h, w)


def _build(path: Path, state: dict, flavour: str) -> VisionTransformer:
    """A network shaped by `state` (already in this module's key names), with its weights."""
    absent = [k for k in ("conv1.weight", "positional_embedding", "class_embedding") if k not in state]
    if absent:
        raise PrivadError(f"{path} does not fit the {flavour.upper()} ViT layout: no '{absent[0]}' (a ResNet or "
                          "another network?)")
    width, _, patch, _ = state["conv1.weight"].shape
    grid = round((state["positional_embedding"].shape[0] - 1) ** 0.5)
    layers = len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks.")})
    out_dim = state["proj"].shape[1] if "proj" in state else None
    net = VisionTransformer(grid * patch, patch, width, layers, out_dim, flavour)
    own = net.state_dict()
    check_layout(path, f"{flavour.upper()} ViT", own, state)
    net.load_state_dict({k: state[k].float() for k in own})
    return net.to(torch_device()).eval()


def load_clip_visual(path: Path) -> VisionTransformer:
    """CLIP's image encoder with the weights of a local checkpoint (see the module docstring)."""
    state = read_state_dict(path, "CLIP")
    if any(k.startswith("visual.") for k in state):
        state = {k.removeprefix("visual."): v for k, v in state.items() if k.startswith("visual.")}
    return _build(Path(path), state, "clip")


_DINO_KEYS = [(r"^patch_embed\.proj\.", "conv1."), (r"^cls_token$", "class_embedding"),
              (r"^pos_embed$", "positional_embedding"), (r"^norm\.", "ln_post."),
              (r"^blocks\.(\d+)\.norm1\.", r"transformer.resblocks.\1.ln_1."),
              (r"^blocks\.(\d+)\.norm2\.", r"transformer.resblocks.\1.ln_2."),
              (r"^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$", r"transformer.resblocks.\1.attn.in_proj_\2"),
              (r"^blocks\.(\d+)\.attn\.proj\.", r"transformer.resblocks.\1.attn.out_proj."),
              (r"^blocks\.(\d+)\.mlp\.fc1\.", r"transformer.resblocks.\1.mlp.c_fc."),
              (r"^blocks\.(\d+)\.mlp\.fc2\.", r"transformer.resblocks.\1.mlp.c_proj.")]


def load_dino(path: Path) -> VisionTransformer:
    """A DINO ViT (timm-style layout; a training checkpoint's `teacher` also loads) from a local file."""
    state = {}
    for key, value in read_state_dict(path, "DINO").items():
        for pattern, repl in _DINO_KEYS:
            key = re.sub(pattern, repl, key)
        if key in ("class_embedding", "positional_embedding"):
            value = value.reshape(-1) if key == "class_embedding" else value.reshape(-1, value.shape[-1])
        state[key] = value
    return _build(Path(path), state, "dino")


def embed_images(net: VisionTransformer, images: list[np.ndarray], batch: int = 32) -> np.ndarray:
    """(N, out_dim) CLIP image embeddings of BGR images (resized to the network's input size, bicubic)."""
    import cv2

    s = net.image_size
    device = next(net.parameters()).device  # where the caller placed it (`privad.device`)
    out = []
    for i in range(0, len(images), batch):
        x = np.stack([cv2.resize(im, (s, s), interpolation=cv2.INTER_CUBIC)[:, :, ::-1] for im in images[i:i + batch]])
        x = ((x.astype(np.float32) / 255.0 - CLIP_MEAN) / CLIP_STD).transpose(0, 3, 1, 2)
        with torch.inference_mode():
            out.append(net(torch.from_numpy(np.ascontiguousarray(x)).to(device)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, net.out_dim), np.float32)


class CropEncoder:
    """Object crops (BGR, any size) to the image embeddings of a local CLIP checkpoint's encoder, each crop resized to
    the network's input size: the interface of `privad.backbones.appearance.AppearanceEncoder`, without part
    features."""

    def __init__(self, path: Path):
        self.net = load_clip_visual(Path(path))

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        return self.embed(crops)[0]

    def embed(self, crops: list[np.ndarray]) -> tuple[np.ndarray, None]:
        return embed_images(self.net, crops).astype(np.float32, copy=False), None
