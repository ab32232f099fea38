"""Atomic output paths: write to a hidden temporary beside the target, rename on success."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from privad.errors import PrivadError


TEMP_MARK = ".privad-tmp-"


def temp_path_for(target: Path) -> Path:
    """A hidden sibling of `target` that keeps its suffix (muxers and encoders choose the format by it)."""
    target = Path(target)
    return target.with_name(f".{target.stem}{TEMP_MARK}{os.getpid()}{target.suffix}")


def clean_stale(folder: Path) -> None:
    """Remove the temporaries in `folder` whose writing process no longer runs (SIGKILL, power loss). Called once
    per output folder (before an output is written, when a work folder opens), not per file."""
    try:
        candidates = [p for p in Path(folder).iterdir() if p.name.startswith(".") and TEMP_MARK in p.name]
    except OSError:
        return
    for path in candidates:
        pid = path.name.rsplit(TEMP_MARK, 1)[1].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            discard(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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


def write_text(path: Path, text: str) -> None:
    """Write a small text file atomically (a failure leaves nothing, not a truncated file)."""
    write_bytes(path, text.encode())


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (a failure leaves nothing, not a truncated file)."""
    path = Path(path)
    temp = temp_path_for(path)
    try:
        temp.write_bytes(data)
        commit(temp, path)
    except BaseException:
        discard(temp)
        raise


def missing_parents(path: Path) -> list[Path]:
    """The folders above `path` that do not exist yet, nearest first (to remove them again after a failure)."""
    out = []
    for parent in Path(path).absolute().parents:
        if parent.exists():
            break
        out.append(parent)
    return out


def remove_empty(folders: list[Path]) -> None:
    """Remove the given folders (nearest first) where they are empty: what a failed run created and left."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def probe_writable(folder: Path) -> None:
    """A PrivadError unless a file can really be created in `folder` (os.access says yes to root under /proc)."""
    probe = Path(folder) / f".privad-probe-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise PrivadError(f"folder is not writable: {folder} ({exc.strerror or exc})") from None
