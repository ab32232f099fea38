"""One dataset interface: videos with a frame source, frame labels and (optionally) pixel masks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from natsort import natsorted

from privad.errors import PrivadError
from privad.io.images import IMAGE_EXTS


@dataclass
class Video:
    """One video of a dataset.

    `source` is anything `privad.io.open_source` reads (a frames folder or a video file); feature datasets set
    `features` instead. `labels` are per-frame 0/1 (test videos), `label` the video-level label (weak supervision).
    `view` names the camera view the video was filmed from, where the dataset has several ("" where it has one):
    a one-class model is fitted per view (`views`).
    """

    name: str
    num_frames: int
    source: Path | None = None
    labels: np.ndarray | None = None
    label: int | None = None
    features: Path | None = None
    mask_loader: Callable[[], list[np.ndarray]] | None = field(default=None, repr=False)
    view: str = ""

    @property
    def has_masks(self) -> bool:
        return self.mask_loader is not None

    def masks(self) -> list[np.ndarray]:
        """Per-frame boolean anomaly masks (a PrivadError when the dataset has none)."""
        if self.mask_loader is None:
            raise PrivadError(f"video {self.name} has no pixel masks")
        return self.mask_loader()

    def frames(self) -> list[np.ndarray]:
        """All decoded BGR frames."""
        from privad.io.sources import read_all

        if self.source is None:
            raise PrivadError(f"video {self.name} has features only, no frames")
        return read_all(self.source)[0]


@dataclass
class Dataset:
    """Train and test videos of one dataset."""

    name: str
    root: Path
    train: list[Video]
    test: list[Video]
    layout: str = ""

    def describe(self) -> dict:
        """Counts a user checks against the paper: videos, frames, abnormal frames, masks."""
        labelled = [v for v in self.test if v.labels is not None]
        return {
            "dataset": self.name,
            "layout": self.layout,
            "root": str(self.root),
            "train_videos": len(self.train),
            "train_frames": sum(v.num_frames for v in self.train),
            "test_videos": len(self.test),
            "test_frames": sum(v.num_frames for v in self.test),
            "test_videos_with_frame_labels": len(labelled),
            "abnormal_frames": int(sum(int(v.labels.sum()) for v in labelled)),
            "test_videos_abnormal": sum(1 for v in self.test if (v.label or 0) or (v.labels is not None and v.labels.any())),
            "test_videos_with_masks": sum(1 for v in self.test if v.has_masks),
            "views": len({v.view for v in self.train + self.test}),
        }


def views(train: list[Video], test: list[Video]) -> list[tuple[str, list[Video], list[Video]]]:
    """The camera views the `test` videos come from, in their order, each with its training and test videos: a
    one-class model learns one fixed camera's normal footage, so each view is fitted apart. A test video whose view
    has no training video is an error (one view, "", when the dataset names none)."""
    out = []
    for view in dict.fromkeys(v.view for v in test):
        mine = [v for v in train if v.view == view]
        if not mine:
            raise PrivadError(f"test video {next(v.name for v in test if v.view == view)} is of camera view "
                              f"'{view}', which no training video is of: a model is fitted per view")
        out.append((view, mine, [v for v in test if v.view == view]))
    return out


def one_view(videos: list[Video], view: str | None) -> list[Video]:
    """The `videos` of camera `view`, for one model: `view` may be None only where they are all of one view."""
    named = sorted({v.view for v in videos})
    if view is None and len(named) > 1:
        raise PrivadError(f"these videos are of {len(named)} camera views ({', '.join(named)}): give --view, "
                          "since a model learns one view")
    return of_view(videos, view)


def of_view(videos: list[Video], view: str | None) -> list[Video]:
    """The `videos` of camera `view` (all of them when `view` is None)."""
    if view is None:
        return videos
    known = sorted({v.view for v in videos})
    if known == [""]:
        raise PrivadError("this dataset's videos are all of one camera view: give no --view")
    if view not in known:
        raise PrivadError(f"no video of camera view '{view}'; the views are {', '.join(known)}")
    return [v for v in videos if v.view == view]


def image_files(folder: Path) -> list[Path]:
    """Image files of a folder in natural order (hidden files such as ._001.tif left out)."""
    return natsorted(p for p in folder.iterdir()
                     if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTS)


def subfolders(folder: Path) -> list[Path]:
    return natsorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def require(path: Path, what: str) -> Path:
    """A path that must exist, or a PrivadError naming what is missing."""
    if not path.exists():
        raise PrivadError(f"{what} not found: {path}")
    return path


def read_masks(files: list[Path]) -> list[np.ndarray]:
    """Boolean masks from image files (any non-zero pixel is anomalous)."""
    out = []
    for f in files:
        m = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
        if m is None:
            raise PrivadError(f"cannot read mask {f}")
        out.append(m > 0)
    return out


def ranges_to_labels(ranges: list[tuple[int, int]], n: int, one_based: bool = True) -> np.ndarray:
    """0/1 labels of length n from inclusive [start, end] frame ranges."""
    labels = np.zeros(n, np.int8)
    for start, end in ranges:
        s, e = (start - 1, end) if one_based else (start, end + 1)
        if s < 0 or e > n or s >= e:
            raise PrivadError(f"label range {start}:{end} does not fit a video of {n} frames")
        labels[s:e] = 1
    return labels

