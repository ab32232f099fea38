"""Shared fixtures: real data through one helper (skipped with a message where it is missing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from privad.errors import PrivadError
from privad.io.sources import open_source
from privad.io.sample_data import data_path


def _data(*parts: str) -> Path:
    try:
        return data_path(*parts)
    except PrivadError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def small_clip():
    """A factory of small CLIP-layout image encoders (32 px input, 16-d output) with seeded random weights."""

    def make(seed: int = 0):
        import torch

        from privad.backbones.vit import VisionTransformer

        torch.manual_seed(seed)
        net = VisionTransformer(image_size=32, patch=16, width=64, layers=2, out_dim=16)
        for p in net.parameters():
            torch.nn.init.normal_(p, std=0.05)
        return net

    return make


@pytest.fixture(scope="session")
def face_clip() -> Path:
    return _data("faces", "short_hamilton_clip.mp4")


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return _data("faces")


@pytest.fixture(scope="session")
def ped2() -> Path:
    return _data("ucsd_ped2")


@pytest.fixture(scope="session")
def clip_frames(face_clip) -> list[np.ndarray]:
    """The first 60 frames of the face clip."""
    return [f.image for f in open_source(face_clip, max_frames=60)]


@pytest.fixture(scope="session")
def ped2_frames(ped2) -> list[np.ndarray]:
    """Ped2 test video 04 (a cart and cyclists among walkers)."""
    return [f.image for f in open_source(ped2 / "testing" / "frames" / "04")]


@pytest.fixture(scope="session")
def ped2_model(ped2, tmp_path_factory) -> Path:
    """The attribute model fitted on two Ped2 training videos under adaptive_blur on moving objects."""
    from privad.protect.config import AnonymizeConfig
    from privad.engine.fit import fit

    path = tmp_path_factory.mktemp("model") / "model.privad"
    train = sorted((ped2 / "training" / "frames").iterdir())[:2]
    fit(train, anonymize=AnonymizeConfig(method="adaptive_blur", targets=["motion"]), output=path)
    return path


def _hypothesis_profiles() -> None:
    """CI runs the property-based tests with a fixed seed (a failure there is the same failure here)."""
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


_hypothesis_profiles()
