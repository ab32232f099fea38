"""A corpus of videos from the command line: paths, a folder of videos / frame folders, or a list file."""

from __future__ import annotations

from pathlib import Path

from natsort import natsorted

from privad.errors import PrivadError
from privad.io.images import IMAGE_EXTS, VIDEO_EXTS


def _has_frames(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_EXTS for p in folder.iterdir() if p.is_file())


def _folder_videos(folder: Path) -> list[str]:
    found = [p for p in natsorted(folder.iterdir()) if not p.name.startswith(".")
             and ((p.is_dir() and _has_frames(p)) or (p.is_file() and p.suffix.lower() in VIDEO_EXTS))]
    if not found:
        raise PrivadError(f"{folder} holds no videos or frame folders")
    return [str(p) for p in found]


def _list_file(path: Path) -> list[str]:
    items = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            p = Path(line)
            items.append(line if "://" in line or p.is_absolute() else str(path.parent / p))
    if not items:
        raise PrivadError(f"{path} lists no videos")
    return items


def expand_inputs(inputs: list[str]) -> list[str]:
    """The videos named by `inputs`: a `.txt` file lists one per line (relative to the file); a folder of videos
    or frame folders stands for its contents; a frame folder or a video file for itself. Names (stems) must be
    unique, as each gets its own output."""
    if not inputs:
        raise PrivadError("no inputs given")
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if p.is_file() and p.suffix.lower() == ".txt":
            out += _list_file(p)
        elif p.is_dir() and not _has_frames(p):
            out += _folder_videos(p)
        else:
            out.append(item)
    names = [video_name(i) for i in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PrivadError(f"two inputs share the name '{dupes[0]}'; their outputs would overwrite each other")
    return out


def video_name(spec: str) -> str:
    """The name a video's outputs are filed under."""
    return Path(str(spec)).stem or "video"
