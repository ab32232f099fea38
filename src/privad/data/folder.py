"""A generic layout for people's own cameras.

    ROOT/train/normal/*        videos or frame folders (normal footage)
    ROOT/test/normal/*         test videos with no anomaly (all frames 0)
    ROOT/test/abnormal/*       test videos with anomalies
    ROOT/test/abnormal/NAME.csv  optional: abnormal frame ranges, one `start,end` (0-based, inclusive) per line

An abnormal video without a CSV gets a video-level label only.

Footage of several fixed cameras puts each camera's folder in this layout under ROOT (ROOT/CAMERA/train/normal/*,
ROOT/CAMERA/test/...): each is a camera view (`privad.data.views`: a model per view), and its videos are named
CAMERA_NAME.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from natsort import natsorted

from privad.data.base import Dataset, Video, image_files, ranges_to_labels, require, subfolders
from privad.errors import PrivadError
from privad.io.images import VIDEO_EXTS
from privad.io.sources import frame_count


def _entries(folder: Path) -> list[Video]:
    if not folder.is_dir():
        return []
    out = []
    for p in natsorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir():
            n = len(image_files(p))
            if n == 0:
                raise PrivadError(f"no frames in {p}")
            out.append(Video(p.name, n, source=p))
        elif p.suffix.lower() in VIDEO_EXTS:
            out.append(Video(p.stem, frame_count(p), source=p))
    return out


def read_ranges(path: Path) -> list[tuple[int, int]]:
    ranges = []
    with path.open() as fh:
        for row in csv.reader(fh):
            if not row or row[0].strip().startswith("#") or not row[0].strip().lstrip("-").isdigit():
                continue
            if len(row) < 2:
                raise PrivadError(f"{path.name}: each line needs start,end")
            ranges.append((int(row[0]), int(row[1])))
    return ranges


def load_folder(root: Path) -> Dataset:
    root = require(Path(root), "dataset root")
    cameras = [p for p in subfolders(root) if (p / "train").is_dir()] if not (root / "train").exists() else []
    if cameras:
        train, test = [], []
        for camera in cameras:
            one = load_folder(camera)
            for v in one.train + one.test:
                v.name, v.view = f"{camera.name}_{v.name}", camera.name
            train, test = train + one.train, test + one.test
        return Dataset("folder", root, train, test, layout="folder of cameras")
    train = _entries(root / "train" / "normal")
    if not train:
        raise PrivadError(f"no training videos in {root / 'train' / 'normal'}")
    test = []
    for v in _entries(root / "test" / "normal"):
        v.labels, v.label = np.zeros(v.num_frames, np.int8), 0
        test.append(v)
    for v in _entries(root / "test" / "abnormal"):
        v.label = 1
        csv_file = root / "test" / "abnormal" / f"{v.name}.csv"
        if csv_file.is_file():
            v.labels = ranges_to_labels(read_ranges(csv_file), v.num_frames, one_based=False)
        test.append(v)
    if not test:
        raise PrivadError(f"no test videos in {root / 'test' / 'normal'} or {root / 'test' / 'abnormal'}")
    return Dataset("folder", root, train, test, layout="folder")
