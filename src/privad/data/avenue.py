"""CUHK Avenue: `training_videos/01.avi`, `testing_videos/01.avi`,
`ground_truth_demo/testing_label_mask/1_label.mat` (`volLabel`: one mask per frame); frame labels from the masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from natsort import natsorted

from privad.data.base import Dataset, Video, require
from privad.errors import PrivadError
from privad.io.sources import frame_count


def _vol_label(path: Path) -> list[np.ndarray]:
    from scipy.io import loadmat

    vol = loadmat(str(path))["volLabel"].reshape(-1)
    return [np.asarray(m) > 0 for m in vol]


def load_avenue(root: Path) -> Dataset:
    root = require(Path(root), "dataset root")
    train_files = natsorted(require(root / "training_videos", "training_videos").glob("*.avi"))
    test_files = natsorted(require(root / "testing_videos", "testing_videos").glob("*.avi"))
    if not train_files or not test_files:
        raise PrivadError(f"no .avi videos in {root}/training_videos or testing_videos")
    mask_dir = require(root / "ground_truth_demo" / "testing_label_mask", "ground_truth_demo/testing_label_mask")
    train = [Video(f.stem, frame_count(f), source=f) for f in train_files]
    test = []
    for f in test_files:
        mat = mask_dir / f"{int(f.stem)}_label.mat"
        require(mat, f"mask file for test video {f.name}")
        masks = _vol_label(mat)
        n = frame_count(f)
        if len(masks) != n:
            raise PrivadError(f"{mat.name} has {len(masks)} masks, {f.name} has {n} frames")
        labels = np.array([m.any() for m in masks], np.int8)
        test.append(Video(f.stem, n, source=f, labels=labels, mask_loader=lambda mat=mat: _vol_label(mat)))
    return Dataset("avenue", root, train, test, layout="avenue")
