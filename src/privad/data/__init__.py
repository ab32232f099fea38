"""Datasets: UCSD Ped1/Ped2, Avenue, ShanghaiTech, UCF-Crime/XD-Violence features, and a generic folder."""

from __future__ import annotations

from pathlib import Path

from privad.data.base import Dataset, Video, of_view, one_view, views
from privad.errors import PrivadError

DATASETS = {
    "ucsd_ped1": "UCSD Ped1 (original or frames layout)",
    "ucsd_ped2": "UCSD Ped2 (original or frames layout)",
    "avenue": "CUHK Avenue (videos + volLabel masks)",
    "shanghaitech": "ShanghaiTech Campus (videos, test frames, frame and pixel masks)",
    "folder": "your own footage: train/normal, test/normal, test/abnormal (+ CSV ranges)",
    "ucf_crime": "UCF-Crime I3D features (list files + gt) — use load_features",
    "xd_violence": "XD-Violence I3D features (list files + gt) — use load_features",
}


def load_dataset(name: str, root: Path) -> Dataset:
    """Load a frame dataset by name from its root folder."""
    if name in ("ucsd_ped1", "ucsd_ped2"):
        from privad.data.ucsd import load_ucsd

        return load_ucsd(root, name.split("_")[1])
    if name == "avenue":
        from privad.data.avenue import load_avenue

        return load_avenue(root)
    if name == "shanghaitech":
        from privad.data.shanghaitech import load_shanghaitech

        return load_shanghaitech(root)
    if name == "folder":
        from privad.data.folder import load_folder

        return load_folder(root)
    if name in ("ucf_crime", "xd_violence"):
        raise PrivadError(f"{name} is a feature dataset: give --train-list, --test-list and --gt")
    raise PrivadError(f"unknown dataset '{name}'; choose from {', '.join(DATASETS)}")


__all__ = ["DATASETS", "Dataset", "Video", "load_dataset", "of_view", "one_view", "views"]
