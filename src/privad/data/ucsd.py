"""UCSD Ped1/Ped2 in the original layout and in the common frames layout.

Original: `UCSDped2/Train/Train001/001.tif`, `Test/Test001/`, `Test/Test001_gt/001.bmp`, labels in `UCSDped2.m`.
Frames: `training/frames/01/000.jpg`, `testing/frames/01/`, labels in `ped2.mat`, `labels/UCSDped2.m` or
`labels/frame_labels_ped2.npy`, masks in `testing/gt_masks/Test001_gt/` (PNG or BMP, `001.png` or `frame001.png`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from privad.data.base import Dataset, Video, image_files, ranges_to_labels, read_masks, require, subfolders
from privad.errors import PrivadError


def parse_m_file(path: Path) -> list[list[tuple[int, int]]]:
    """Frame ranges per test video from UCSD's `TestVideoFile{end+1}.gt_frame = [61:180];` lines."""
    videos = []
    for line in path.read_text(errors="replace").splitlines():
        if "gt_frame" not in line:
            continue
        body = line.split("=", 1)[1]
        ranges = [(int(a), int(b)) for a, b in re.findall(r"(\d+)\s*:\s*(\d+)", body)]
        body = re.sub(r"\d+\s*:\s*\d+", "", body)
        ranges += [(int(a), int(a)) for a in re.findall(r"\d+", body)]
        videos.append(ranges)
    if not videos:
        raise PrivadError(f"no gt_frame entries in {path}")
    return videos


def _mat_ranges(path: Path) -> list[list[tuple[int, int]]]:
    from scipy.io import loadmat

    gt = loadmat(str(path))["gt"].reshape(-1)
    out = []
    for entry in gt:
        arr = np.asarray(entry).reshape(2, -1)
        out.append([(int(s), int(e)) for s, e in arr.T])
    return out


def _labels_frames_layout(root: Path, variant: str, counts: list[int]) -> list[np.ndarray]:
    for mat in (root / f"{variant}.mat", root / "labels" / f"{variant}.mat"):
        if mat.is_file():
            return _from_ranges(_mat_ranges(mat), counts, mat)
    for m in (root / "labels" / f"UCSD{variant}.m", root / f"UCSD{variant}.m"):
        if m.is_file():
            return _from_ranges(parse_m_file(m), counts, m)
    for npy in (root / "labels" / f"frame_labels_{variant}.npy", root / f"frame_labels_{variant}.npy"):
        if npy.is_file():
            flat = np.load(npy).reshape(-1)
            if len(flat) != sum(counts):
                raise PrivadError(f"{npy.name} has {len(flat)} labels, the test videos have {sum(counts)} frames")
            return np.split(flat.astype(np.int8), np.cumsum(counts)[:-1])
    raise PrivadError(f"no frame labels for {variant} in {root} ({variant}.mat, labels/UCSD{variant}.m or .npy)")


def _from_ranges(ranges: list, counts: list[int], source: Path) -> list[np.ndarray]:
    if len(ranges) != len(counts):
        raise PrivadError(f"{source.name} labels {len(ranges)} test videos, found {len(counts)}")
    return [ranges_to_labels(r, n) for r, n in zip(ranges, counts)]


def _mask_loader(files: list[Path]):
    return lambda: read_masks(files)


def _attach_masks(videos: list[Video], gt_dirs: dict[str, Path]) -> None:
    for v in videos:
        gt = gt_dirs.get(v.name)
        if gt is None:
            continue
        files = image_files(gt)
        if len(files) != v.num_frames:
            raise PrivadError(f"{gt.name} has {len(files)} masks, {v.name} has {v.num_frames} frames")
        v.mask_loader = _mask_loader(files)


def _videos(folders: list[Path]) -> list[Video]:
    out = []
    for f in folders:
        n = len(image_files(f))
        if n == 0:
            raise PrivadError(f"no frames in {f}")
        out.append(Video(name=f.name, num_frames=n, source=f))
    return out


def load_ucsd(root: Path, variant: str = "ped2") -> Dataset:
    """Load UCSD Ped1 or Ped2 from either layout (found automatically under `root`)."""
    root = require(Path(root), "dataset root")
    upper = f"UCSD{variant}"
    for base in (root, root / upper, root / upper.capitalize()):
        if (base / "Train").is_dir() and (base / "Test").is_dir():
            return _load_original(base, variant)
    if (root / "training" / "frames").is_dir() or (root / "testing" / "frames").is_dir():
        return _load_frames_layout(root, variant)
    raise PrivadError(
        f"{root} is not a UCSD {variant} folder: expected Train/ and Test/ (original) or training/frames/ and "
        "testing/frames/ (frames layout)"
    )


def _load_frames_layout(root: Path, variant: str) -> Dataset:
    train = _videos(subfolders(require(root / "training" / "frames", "training/frames")))
    test = _videos(subfolders(require(root / "testing" / "frames", "testing/frames")))
    for v, labels in zip(test, _labels_frames_layout(root, variant, [v.num_frames for v in test])):
        v.labels = labels
    gt_root = root / "testing" / "gt_masks"
    if gt_root.is_dir():
        by_number = {int(re.sub(r"\D", "", d.name) or -1): d for d in subfolders(gt_root)}
        _attach_masks(test, {v.name: by_number[int(v.name)] for v in test if v.name.isdigit() and int(v.name) in by_number})
    return Dataset(f"ucsd_{variant}", root, train, test, layout="frames")


def _load_original(base: Path, variant: str) -> Dataset:
    train = _videos([d for d in subfolders(base / "Train") if not d.name.endswith("_gt")])
    test_dirs = subfolders(base / "Test")
    test = _videos([d for d in test_dirs if not d.name.endswith("_gt")])
    m_files = sorted((base / "Test").glob("*.m")) or sorted(base.glob("*.m"))
    if not m_files:
        raise PrivadError(f"no ground-truth .m file (UCSD{variant}.m) in {base / 'Test'}")
    for v, labels in zip(test, _from_ranges(parse_m_file(m_files[0]), [v.num_frames for v in test], m_files[0])):
        v.labels = labels
    _attach_masks(test, {d.name[: -len("_gt")]: d for d in test_dirs if d.name.endswith("_gt")})
    return Dataset(f"ucsd_{variant}", base, train, test, layout="original")
