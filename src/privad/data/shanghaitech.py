"""ShanghaiTech Campus: `training/videos/01_001.avi`, `testing/frames/01_0014/000.jpg`,
`testing/test_frame_mask/01_0014.npy`, `testing/test_pixel_mask/01_0014.npy` (also accepted at the root). A video's
name starts with its camera view (scene `01` of 13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from natsort import natsorted

from privad.data.base import Dataset, Video, image_files, require, subfolders
from privad.errors import PrivadError
from privad.io.sources import frame_count


def _find(root: Path, name: str) -> Path:
    for candidate in (root / "testing" / name, root / name):
        if candidate.is_dir():
            return candidate
    raise PrivadError(f"{name}/ not found under {root} or {root / 'testing'}")


def scene(name: str) -> str:
    """The camera view a video's name starts with (`01_0014` → `01`)."""
    view, sep, rest = name.partition("_")
    if not (sep and view.isdigit() and rest):
        raise PrivadError(f"{name}: a ShanghaiTech video is named SCENE_NUMBER (01_001, 01_0014)")
    return view


def load_shanghaitech(root: Path) -> Dataset:
    root = require(Path(root), "dataset root")
    train_files = natsorted(require(root / "training" / "videos", "training/videos").glob("*.avi"))
    if not train_files:
        raise PrivadError(f"no .avi videos in {root / 'training' / 'videos'}")
    frame_masks = _find(root, "test_frame_mask")
    pixel_dir = next((d for d in (root / "testing" / "test_pixel_mask", root / "test_pixel_mask") if d.is_dir()), None)
    train = [Video(f.stem, frame_count(f), source=f, view=scene(f.stem)) for f in train_files]
    test = []
    for folder in subfolders(require(root / "testing" / "frames", "testing/frames")):
        n = len(image_files(folder))
        label_file = require(frame_masks / f"{folder.name}.npy", f"frame labels of {folder.name}")
        labels = np.load(label_file).reshape(-1).astype(np.int8)
        if len(labels) != n:
            raise PrivadError(f"{label_file.name} has {len(labels)} labels, {folder.name} has {n} frames")
        video = Video(folder.name, n, source=folder, labels=labels, view=scene(folder.name))
        pixel = pixel_dir / f"{folder.name}.npy" if pixel_dir else None
        if pixel is not None and pixel.is_file():
            video.mask_loader = lambda p=pixel: [m > 0 for m in np.load(p)]
        test.append(video)
    return Dataset("shanghaitech", root, train, test, layout="shanghaitech")
