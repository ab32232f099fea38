"""The compute device, resolved in one place: `--device`, a config's `device`, or `PRIVAD_DEVICE`, else `auto`.

`auto` is the first CUDA device when torch sees one, else the CPU. `cuda` / `cuda:N` without such a device is a
PrivadError (the CLI turns it into a one-line error, exit 2). Torch modules and tensors move to `torch_device()`;
ONNX Runtime sessions take `onnx_providers()`: TensorRT (where present) and CUDA when the `onnxruntime-gpu` package
provides them and the device is not the CPU, the CPU provider otherwise. On the CPU nothing changes: results stay
bit-for-bit those of a build without this module.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Iterator
from functools import lru_cache

from privad.errors import PrivadError

ENV = "PRIVAD_DEVICE"
_SPEC = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
_chosen: str | None = None  # set by use(); else the environment, else auto


def _nvidia_driver() -> bool:
    """Whether an NVIDIA driver is installed (cheap: no torch import, which costs ~1 s and ~130 MiB)."""
    import ctypes.util
    import shutil

    return (os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None
            or ctypes.util.find_library("cuda") is not None)


def _cuda_count() -> int:
    if "torch" not in sys.modules and not _nvidia_driver():
        return 0  # no driver, no CUDA device: the CPU-only path never imports torch for this
    try:
        import torch
    except ImportError:  # torch is a dependency; a stripped install still runs on the CPU
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve(spec: str | None = None) -> str:
    """'cpu' or 'cuda:N' for a spec ('auto', 'cpu', 'cuda', 'cuda:N'; None = the process setting)."""
    spec = (spec or _chosen or os.environ.get(ENV) or "auto").strip().lower()
    if not _SPEC.match(spec):
        raise PrivadError(f"unknown device '{spec}'; use auto, cpu, cuda or cuda:N")
    if spec == "cpu":
        return "cpu"
    count = _cuda_count()
    if spec == "auto":
        return "cuda:0" if count else "cpu"
    index = int(spec.partition(":")[2] or 0)
    if index >= count:
        raise PrivadError(f"device {spec} asked for, but torch sees {count} CUDA device(s)"
                          + ("" if count else " (a CPU-only torch build, or no GPU); use --device cpu"))
    return f"cuda:{index}"


def use(spec: str | None) -> str:
    """Set the process's device (None keeps the environment's or auto) and return it resolved."""
    global _chosen
    resolved = resolve(spec)
    _chosen = spec if spec else _chosen
    return resolved


def setting() -> str | None:
    """The device the user asked for (use() or the environment), unresolved; None when nobody asked."""
    return _chosen or os.environ.get(ENV) or None


def torch_device(spec: str | None = None):
    """The torch.device of `spec` (None = the process setting)."""
    import torch

    return torch.device(resolve(spec))


def onnx_providers(spec: str | None = None, available: list[str] | None = None) -> list:
    """ONNX Runtime execution providers for the device, best first (`available`: onnxruntime's own list)."""
    device = resolve(spec)
    if available is None:
        import onnxruntime

        available = onnxruntime.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    index = {"device_id": int(device.partition(":")[2])}
    chosen = [(p, index) for p in ("TensorrtExecutionProvider", "CUDAExecutionProvider") if p in available]
    return [*chosen, "CPUExecutionProvider"]


def onnx_session(model: bytes, device: str | None = None, threads: int = 0):
    """An onnxruntime session over a serialized model on the device's providers; `threads` 0: onnxruntime's own
    choice. Idle worker threads sleep instead of spinning, leaving the cores to decoding and encoding."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(model, options, providers=onnx_providers(device))


@lru_cache(maxsize=4)
def onnx_release(device: str | None = None):
    """onnxruntime run options that give the memory arena's free regions back at the end of that call: passed with
    the last call over a video (or a scoring window), so that the arena of its largest call is not held between
    videos (at a fit's end, ~400 MB of the patch and appearance networks' arenas on 640x360 training videos)."""
    import onnxruntime as ort

    resolved = resolve(device)
    options = ort.RunOptions()
    devices = "cpu:0" + (f";gpu:{resolved.split(':')[1]}" if resolved.startswith("cuda") else "")
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", devices)
    return options


def onnx_batches(count: int, batch: int, device: str | None = None) -> Iterator[tuple[slice, object]]:
    """The calls over `count` inputs `batch` at a time: each call's slice and its run options (`onnx_release` on the
    last call, so the arena of a video's or window's largest call is given back once it is done; None before)."""
    for start in range(0, count, batch):
        yield slice(start, start + batch), onnx_release(resolve(device)) if start + batch >= count else None


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc's `malloc_trim`; nothing where there is none). glibc
    keeps freed blocks under 32 MB mapped for reuse, so a fit whose every training video makes and frees hundreds
    of MB of them grows by what it once held; called after each training video is used (on 16 Avenue-sized videos
    at 640x360 the fit's peak fell from 2.4 to 1.9 GiB, docs/benchmarks.md)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # another C library (musl)
        return None
