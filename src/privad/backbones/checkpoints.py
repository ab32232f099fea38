"""Reading user-supplied PyTorch checkpoints (I3D, CLIP, DINO): one-line errors that name the file and the key."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from privad.errors import PrivadError


def read_state_dict(path: Path, what: str) -> dict:
    """The tensors of a local checkpoint: a state dict, one wrapped under `state_dict`/`teacher`/`model`, or a
    TorchScript archive; `module.` and `backbone.` prefixes dropped."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"{what} checkpoint not found: {path} (privad ships no {what} weights; give a local file)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note when it hands a TorchScript archive to torch.jit.load
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        try:
            obj = torch.jit.load(str(path), map_location="cpu")  # e.g. OpenAI's released CLIP archives
        except Exception as exc:
            raise PrivadError(f"{path} is not a PyTorch checkpoint or TorchScript archive") from exc
    if isinstance(obj, torch.jit.ScriptModule):
        obj = obj.state_dict()
    for key in ("state_dict", "teacher", "model"):  # trainer checkpoints wrap the weights
        obj = obj.get(key, obj) if isinstance(obj, dict) and isinstance(obj.get(key), dict) else obj
    if not isinstance(obj, dict):
        raise PrivadError(f"{path} holds no state dict")
    return {re.sub(r"^(module\.|backbone\.)+", "", k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def check_layout(path: Path, layout: str, own: dict, state: dict,
                 optional: Callable[[str], bool] = lambda key: False) -> None:
    """Raise unless every key of `own` (except `optional` ones) is in `state` with the same shape."""
    missing = [k for k in own if k not in state and not optional(k)]
    wrong = [k for k in own if k in state and state[k].shape != own[k].shape]
    if missing or wrong:
        raise PrivadError(f"{path} does not fit the {layout} layout: {len(missing)} keys missing, {len(wrong)} of "
                          f"another shape (e.g. '{(missing or wrong)[0]}')")
