"""LA3D's adaptive formulas against values worked out by hand."""

import math

import numpy as np
import pytest
from supervision import Detections

from privad.protect.methods.adaptive import adaptive_max_pixelization, area_factor, blur_kernel, full_blur_sigma, pixel_block
from privad.protect.methods.filters import odd
from privad.protect.methods.gauss import gaussian
from privad.protect.config import MethodParams

P = MethodParams()


@pytest.mark.parametrize(
    "area, frame, alpha, expected",
    [
        (50, 10_000, 1.0, 1.0),  # 0.5 % -> x = 1, ln 1 = 0 -> s = 1
        (250, 10_000, 1.0, 1.0),  # 2.5 % -> x = 2, ln 2 = 0.69 < 1 -> s = 1
        (500, 10_000, 1.0, math.log(5)),  # 5 % -> s = ln 5 = 1.609
        (3000, 10_000, 1.0, math.log(30)),  # 30 % -> 3.401
        (500, 10_000, 2.0, 2 * math.log(5)),  # alpha_mask_scale doubles r
    ],
)
def test_area_factor(area, frame, alpha, expected):
    assert area_factor(area, frame, alpha) == pytest.approx(expected)


@pytest.mark.parametrize(
    "d, r, expected",
    [
        (10, 1.0, 5),  # min(int(0.5*10)=5, 13) = 5, odd
        (60, 1.0, 13),  # min(30, 13) = 13
        (40, math.log(5), 21),  # min(20, 20.92) = 20 -> forced odd 21
        (100, math.log(5), 21),  # min(50, 20.92) -> int 20 -> 21
        (200, math.log(30), 45),  # min(100, 44.21) -> 44 -> 45
        (1, 1.0, 1),  # max(int(0.5), 1) = 1
    ],
)
def test_blur_kernel(d, r, expected):
    assert blur_kernel(d, r, P) == expected


def test_blur_kernel_respects_alpha_dim_scale():
    p = MethodParams(alpha_dim_scale=0.1)
    assert blur_kernel(100, 5.0, p) == 11  # min(int(10)=10, 65) -> 10 -> 11


def test_full_blur_sigma():
    assert full_blur_sigma(45, math.log(30), P) == pytest.approx(10 * math.log(30))  # 34.0, under the cap
    assert full_blur_sigma(5, 1.0, P) == 5.0  # max(10, 10) capped at k = 5
    assert full_blur_sigma(13, 0.5, MethodParams(alpha_mask_scale=0.5)) == pytest.approx(5.0)  # r = 0.5: max(5, 5)


@pytest.mark.parametrize("d, r, expected", [(200, math.log(30), 13), (10, math.log(30), 5), (60, 1.0, 4), (3, 1.0, 1)])
def test_pixel_block(d, r, expected):
    # cap = max(r*4, 4): 13.6 for 30 %, 4 for small masks
    assert pixel_block(d, r, P) == expected


def test_odd():
    assert [odd(k) for k in (0, 1, 2, 13, 14)] == [1, 1, 3, 13, 15]


def test_gaussian_matches_opencv_blur():
    import cv2

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (80, 60, 3), dtype=np.uint8)
    for kx, ky, sigma in [(13, 13, 10), (31, 45, 0), (5, 21, 3)]:
        ours = gaussian(image, kx, ky, sigma).astype(int)
        ref = cv2.GaussianBlur(image, (kx, ky), sigma).astype(int)
        assert np.abs(ours - ref).max() <= 2


def test_max_pixelization_is_one_flat_colour_per_instance():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (50, 80, 3), dtype=np.uint8)
    mask = np.zeros((1, 50, 80), bool)
    mask[0, 10:30, 20:60] = True
    dets = Detections(xyxy=np.array([[20, 10, 60, 30]], np.float32), mask=mask, confidence=np.ones(1),
                      class_id=np.zeros(1, int))
    out = adaptive_max_pixelization(frame, dets, P)
    region = out[10:30, 20:60].reshape(-1, 3)
    assert (region == region[0]).all()
    np.testing.assert_allclose(region[0], frame[10:30, 20:60].reshape(-1, 3).mean(0), atol=1)
    outside = ~mask[0]
    assert (out[outside] == frame[outside]).all()
