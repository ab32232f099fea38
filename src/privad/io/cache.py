"""Files privad derives from installed ones (a shape-free CenterFace, MobileNetV2 as ONNX), cached by source hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from privad.io.atomic import write_bytes


def cache_dir() -> Path:
    """Where privad keeps files it derives from installed ones: $PRIVAD_CACHE, else $XDG_CACHE_HOME/privad, else
    ~/.cache/privad."""
    if os.environ.get("PRIVAD_CACHE"):
        return Path(os.environ["PRIVAD_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "privad"


def file_digest(path: Path) -> str:
    """The first 16 hex digits of a file's SHA-256 (read in chunks)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:16]


def derived(name: str, source: Path, derive: Callable[[], bytes]) -> bytes:
    """`derive()`, cached in `cache_dir()` as `{name}-{the first 16 hex digits of source's SHA-256}.onnx`; the cache
    is skipped when it cannot be written. `name` must change whenever `derive` does."""
    digest = file_digest(source)
    cached = cache_dir() / f"{name}-{digest}.onnx"
    if cached.is_file():
        return cached.read_bytes()
    data = derive()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(cached, data)
    except OSError:
        pass
    return data
