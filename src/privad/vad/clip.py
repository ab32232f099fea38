"""CLIP ViT image encoder (Radford et al. 2021) for a *local* checkpoint the user supplies.

Reads the state-dict layout of OpenAI's CLIP (and open_clip's ViT models): `visual.conv1.weight`,
`visual.class_embedding`, `visual.positional_embedding`, `visual.ln_pre.*`,
`visual.transformer.resblocks.N.{ln_1,attn,ln_2,mlp.c_fc,mlp.c_proj}.*`, `visual.ln_post.*`, `visual.proj`. A full
CLIP state dict, its `visual.` part alone, a dict holding one under `state_dict`, or a TorchScript archive from
OpenAI's release all load. Width, depth, patch size, input size and output size are read off the weights; heads are
width / 64 as in every released ViT. Written from the paper's description; no weights ship with privad.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from privad.errors import PrivadError

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width))
        self.mlp.add_module("gelu", QuickGELU())
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (L, N, D)
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(width, heads) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    """CLIP's image tower: patches → class token + positions → transformer → ln_post(class token) @ proj."""

    def __init__(self, image_size: int, patch: int, width: int, layers: int, out_dim: int):
        super().__init__()
        self.image_size = image_size
        self.conv1 = nn.Conv2d(3, width, patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros((image_size // patch) ** 2 + 1, width))
        self.ln_pre, self.ln_post = nn.LayerNorm(width), nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, max(1, width // 64))
        self.proj = nn.Parameter(torch.zeros(width, out_dim))

    @property
    def out_dim(self) -> int:
        return self.proj.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, S, S) normalised
        x = self.conv1(x).flatten(2).transpose(1, 2)  # (N, grid², width)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding)
        x = self.transformer(x.transpose(0, 1)).transpose(0, 1)
        return self.ln_post(x[:, 0]) @ self.proj


def _read_state(path: Path) -> dict:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note when it hands a TorchScript archive to torch.jit.load
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        try:
            obj = torch.jit.load(str(path), map_location="cpu")  # OpenAI's released archives
        except Exception as exc:
            raise PrivadError(f"{path} is not a PyTorch checkpoint or TorchScript archive") from exc
    if isinstance(obj, torch.jit.ScriptModule):
        obj = obj.state_dict()
    obj = obj.get("state_dict", obj) if isinstance(obj, dict) else obj
    if not isinstance(obj, dict):
        raise PrivadError(f"{path} holds no state dict")
    state = {k.removeprefix("module."): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if any(k.startswith("visual.") for k in state):
        state = {k.removeprefix("visual."): v for k, v in state.items() if k.startswith("visual.")}
    return state


def load_clip_visual(path: Path) -> VisionTransformer:
    """CLIP's image encoder with the weights of a local checkpoint (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"CLIP checkpoint not found: {path} (privad ships no CLIP weights; give a local file)")
    state = _read_state(path)
    needed = ("conv1.weight", "positional_embedding", "proj", "class_embedding")
    absent = [k for k in needed if k not in state]
    if absent:
        raise PrivadError(f"{path} does not fit the CLIP ViT layout: no '{absent[0]}' (a ResNet CLIP or another "
                          "network?)")
    width, _, patch, _ = state["conv1.weight"].shape
    grid = round((state["positional_embedding"].shape[0] - 1) ** 0.5)
    layers = len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks.")})
    net = VisionTransformer(grid * patch, patch, width, layers, state["proj"].shape[1])
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    wrong = [k for k in own if k in state and state[k].shape != own[k].shape]
    if missing or wrong:
        raise PrivadError(f"{path} does not fit the CLIP ViT layout: {len(missing)} keys missing, {len(wrong)} of "
                          f"another shape (e.g. '{(missing or wrong)[0]}')")
    net.load_state_dict({k: state[k].float() for k in own})
    return net.eval()


def embed_images(net: VisionTransformer, images: list[np.ndarray], batch: int = 32) -> np.ndarray:
    """(N, out_dim) CLIP image embeddings of BGR images (resized to the network's input size, bicubic)."""
    import cv2

    s = net.image_size
    out = []
    for i in range(0, len(images), batch):
        x = np.stack([cv2.resize(im, (s, s), interpolation=cv2.INTER_CUBIC)[:, :, ::-1] for im in images[i:i + batch]])
        x = ((x.astype(np.float32) / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2)
        with torch.inference_mode():
            out.append(net(torch.from_numpy(np.ascontiguousarray(x))).numpy())
    return np.concatenate(out) if out else np.zeros((0, net.out_dim), np.float32)
