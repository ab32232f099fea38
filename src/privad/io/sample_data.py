"""Locate the real sample data (UCSD Ped2, the face clip) used by tests, benchmarks and the demo.

Looked up in order: $PRIVAD_DATA, then `shared/data` in the current folder or any parent of it or of this file
(the repository sits beside `shared/`).
"""

from __future__ import annotations

import os
from pathlib import Path

from privad.errors import PrivadError


def find_data_dir() -> Path | None:
    """The shared data folder, or None when it is not on this machine."""
    env = os.environ.get("PRIVAD_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve()]
    for start in starts:
        for folder in [start, *start.parents]:
            candidate = folder / "shared" / "data"
            if candidate.is_dir():
                return candidate
    return None


def data_path(*parts: str) -> Path:
    """A path inside the shared data folder; a clear error when it is missing."""
    root = find_data_dir()
    if root is None:
        raise PrivadError("sample data not found: set PRIVAD_DATA to the folder holding ucsd_ped2/ and faces/")
    path = root.joinpath(*parts)
    if not path.exists():
        raise PrivadError(f"sample data missing: {path}")
    return path
