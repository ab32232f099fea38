"""UCF-Crime and XD-Violence as pre-extracted clip features.

A list file names one `.npy` per line (`[T, D]` or `[crops, T, D]`, 16 frames per snippet), relative to the list
file's folder or absolute. Video labels follow the names: UCF-Crime normal videos contain `Normal`, XD-Violence
normal videos end in `_label_A`. Frame labels of test videos come from a concatenated ground-truth array
(`gt-ucf.npy`, `gt-xd.npy`: 16 frames per snippet, in list order) or from the temporal annotation text files
(UCF: `name class s1 e1 s2 e2`, -1 for none; XD: `name s1 e1 [s2 e2 ...]`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from privad.data.base import Dataset, Video, require
from privad.errors import PrivadError

SNIPPET = 16


def read_list(path: Path) -> list[Path]:
    """Feature files named by a list file."""
    path = require(Path(path), "feature list")
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        p = Path(line)
        out.append(p if p.is_absolute() else path.parent / p)
    missing = [p for p in out if not p.is_file()]
    if missing:
        raise PrivadError(f"{len(missing)} feature files of {path.name} are missing, e.g. {missing[0]}")
    return out


def snippets(path: Path) -> int:
    """T of a [T, D] or [crops, T, D] feature file (read lazily)."""
    shape = np.load(path, mmap_mode="r").shape
    if len(shape) not in (2, 3):
        raise PrivadError(f"{path.name}: features must be [T, D] or [crops, T, D], got shape {shape}")
    return shape[-2]


def video_label(name: str, dataset: str) -> int:
    if dataset == "xd_violence":
        return 0 if "_label_A" in name else 1
    return 0 if "normal" in name.lower() else 1


def _video_key(path: Path) -> str:
    """The video name a feature file belongs to (drops crop suffixes like `__0` and `_i3d`)."""
    return re.sub(r"(__\d+|_i3d)+$", "", path.stem)


def parse_annotations(path: Path, dataset: str) -> dict[str, list[tuple[int, int]]]:
    """Abnormal frame ranges (0-based, inclusive) per video from a temporal annotation file."""
    out: dict[str, list[tuple[int, int]]] = {}
    for line in require(Path(path), "annotation file").read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        name = Path(parts[0]).stem
        numbers = parts[2:] if dataset == "ucf_crime" else parts[1:]
        values = [int(v) for v in numbers]
        out[name] = [(s, e) for s, e in zip(values[0::2], values[1::2]) if s >= 0 and e >= 0]
    return out


def load_features(dataset: str, train_list: Path, test_list: Path, gt: Path) -> Dataset:
    """A feature dataset; `gt` is a concatenated .npy of frame labels or a temporal annotation .txt."""
    train = [Video(_video_key(p), snippets(p) * SNIPPET, features=p, label=video_label(p.stem, dataset))
             for p in read_list(train_list)]
    test = [Video(_video_key(p), snippets(p) * SNIPPET, features=p, label=video_label(p.stem, dataset))
            for p in read_list(test_list)]
    gt = require(Path(gt), "ground truth")
    if gt.suffix == ".npy":
        flat = np.load(gt).reshape(-1)
        total = sum(v.num_frames for v in test)
        if len(flat) != total:
            raise PrivadError(f"{gt.name} has {len(flat)} frame labels, the test features cover {total} frames "
                              f"({SNIPPET} per snippet)")
        for v, labels in zip(test, np.split(flat.astype(np.int8), np.cumsum([v.num_frames for v in test])[:-1])):
            v.labels = labels
    else:
        ranges = parse_annotations(gt, dataset)
        for v in test:
            labels = np.zeros(v.num_frames, np.int8)
            for s, e in ranges.get(v.name, []):
                labels[s: min(e + 1, v.num_frames)] = 1
            v.labels = labels
    return Dataset(dataset, Path(test_list).parent, train, test, layout="features")
