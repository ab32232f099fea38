"""Every method on real frames: the face clip (faces) and Ped2 (motion)."""

import cv2
import numpy as np
import pytest

from privad.protect.methods import METHODS, get_method
from privad.protect.config import AnonymizeConfig, MethodParams
from privad.protect.detect.faces import FaceDetector
from privad.errors import PrivadError
from privad.protect.pipeline import Anonymizer

P = MethodParams()
REGION_METHODS = [m for m in METHODS if METHODS[m].fn is not None and m != "no-an"]  # stateless region methods


def _hf_energy(image: np.ndarray, where: np.ndarray) -> float:
    """Mean squared Laplacian (high-frequency energy) over a boolean region."""
    lap = cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32), cv2.CV_32F)
    return float((lap[where] ** 2).mean())


@pytest.fixture(scope="module")
def face_case(clip_frames):
    frame = clip_frames[30]
    dets = FaceDetector()(frame)
    assert len(dets) >= 1
    return frame, dets


@pytest.fixture(scope="module")
def motion_case(ped2_frames):
    anon = Anonymizer(AnonymizeConfig(method="mask", targets=["motion"]))
    anon.prime(ped2_frames[:30])
    result = None
    for frame in ped2_frames[:80]:
        result = anon.process(frame)
    assert len(result.detections) >= 3
    return ped2_frames[79], result.detections


@pytest.mark.parametrize("case", ["face_case", "motion_case"])
@pytest.mark.parametrize("name", REGION_METHODS)
def test_method_changes_only_the_regions(name, case, request):
    frame, dets = request.getfixturevalue(case)
    before = frame.copy()
    out = get_method(name).fn(frame, dets, P)
    assert (frame == before).all(), "methods must not modify their input"
    assert out.shape == frame.shape and out.dtype == np.uint8
    region = dets.mask.any(0)
    assert (out[~region] == frame[~region]).all(), "pixels outside the regions changed"
    assert (out[region] != frame[region]).any(), "nothing changed inside the regions"


@pytest.mark.parametrize("case", ["face_case", "motion_case"])
def test_mask_zeroes_regions(case, request):
    frame, dets = request.getfixturevalue(case)
    out = get_method("mask").fn(frame, dets, P)
    assert (out[dets.mask.any(0)] == 0).all()


def test_fill_uses_colour(face_case):
    frame, dets = face_case
    out = get_method("fill").fn(frame, dets, MethodParams(fill_color=(10, 200, 30)))
    assert (out[dets.mask.any(0)] == (10, 200, 30)).all()


def test_edge_is_binary_inside(face_case):
    frame, dets = face_case
    out = get_method("edge").fn(frame, dets, P)
    assert set(np.unique(out[dets.mask.any(0)])) <= {0, 255}


@pytest.mark.parametrize("case", ["face_case", "motion_case"])
@pytest.mark.parametrize("name", ["blur", "adaptive_blur", "adaptive_full_blur", "adaptive_max_blur"])
def test_blurs_lower_high_frequencies(name, case, request):
    frame, dets = request.getfixturevalue(case)
    region = dets.mask.any(0)
    inner = cv2.erode(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)  # skip mask borders
    out = get_method(name).fn(frame, dets, P)
    assert _hf_energy(out, inner) < 0.5 * _hf_energy(frame, inner)


def test_no_an_returns_input(face_case):
    frame, dets = face_case
    assert get_method("no-an").fn(frame, dets, P) is frame


def test_unknown_method():
    with pytest.raises(PrivadError, match="unknown method 'smudge'"):
        get_method("smudge")


def test_grayscale_and_odd_sized_frames(clip_frames):
    gray = cv2.cvtColor(clip_frames[30], cv2.COLOR_BGR2GRAY)[:301, :501]
    anon = Anonymizer(AnonymizeConfig(method="adaptive_pixelization", targets=["faces"]))
    result = anon.process(gray)
    assert result.image.shape == (301, 501, 3)
    assert len(result.detections) >= 1


def _flat_share(image: np.ndarray, where: np.ndarray) -> float:
    """Share of region pixels equal to their right-hand neighbour (pixelization makes flat blocks)."""
    same = (image[:, 1:] == image[:, :-1]).all(axis=2)
    return float(same[where[:, 1:] & where[:, :-1]].mean())


@pytest.mark.parametrize("case", ["face_case", "motion_case"])
@pytest.mark.parametrize("name", ["pixelization", "adaptive_pixelization", "adaptive_max_pixelization"])
def test_pixelizations_make_flat_blocks(name, case, request):
    frame, dets = request.getfixturevalue(case)
    region = dets.mask.any(0)
    inner = cv2.erode(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    out = get_method(name).fn(frame, dets, P)
    assert _flat_share(out, inner) > 0.6
    assert _flat_share(out, inner) > _flat_share(frame, inner) + 0.3
