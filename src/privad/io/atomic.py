"""Atomic output paths: write to a hidden temporary beside the target, rename on success."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def temp_path_for(target: Path) -> Path:
    """A hidden sibling of `target` that keeps its suffix (muxers and encoders choose the format by it)."""
    return target.with_name(f".{target.stem}.privad-tmp-{os.getpid()}{target.suffix}")


def commit(temp: Path, target: Path) -> None:
    """Move a finished temporary into place (replacing an existing file, or an empty folder)."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    os.replace(temp, target)


def discard(temp: Path) -> None:
    """Remove a temporary file or folder, if it exists."""
    if temp.is_dir():
        shutil.rmtree(temp, ignore_errors=True)
    else:
        temp.unlink(missing_ok=True)
