"""The Gaussian blur's sampled path for wide kernels: within one level of the two-pass filter, taken only where wide."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from privad.protect.methods import gauss
from privad.protect.methods.filters import odd


def _two_pass(image: np.ndarray, kx: int, ky: int, sigma: float = 0) -> np.ndarray:
    return cv2.sepFilter2D(image, -1, cv2.getGaussianKernel(kx, sigma), cv2.getGaussianKernel(ky, sigma))


def _checkerboard(h: int, w: int) -> np.ndarray:
    """Full-range stripes one pixel wide on both axes."""
    board = ((np.arange(h)[:, None] + np.arange(w)[None, :]) % 2 * 255).astype(np.uint8)
    return np.repeat(board[..., None], 3, axis=2)


def _band(h: int, w: int) -> np.ndarray:
    """Near the worst case for the blur's curvature: white, with a black box two sigmas wide at the centre (where
    the kernel's second differences are negative), for adaptive_max_blur's kernel (the box itself)."""
    sy, sx = (0.3 * ((odd(n) - 1) / 2 - 1) + 0.8 for n in (h, w))
    image = np.full((h, w, 3), 255, np.uint8)
    image[int(h / 2 - sy):int(h / 2 + sy), int(w / 2 - sx):int(w / 2 + sx)] = 0
    return image


@pytest.mark.parametrize("h, w", [(360, 640), (301, 200), (150, 420), (121, 300)])
def test_wide_blur_within_one_level(h, w, clip_frames):
    rng = np.random.default_rng(h * w)
    frame = clip_frames[30]
    y, x = rng.integers(0, frame.shape[0] - h + 1), rng.integers(0, frame.shape[1] - w + 1)
    images = [rng.integers(0, 256, (h, w, 3), np.uint8), _checkerboard(h, w), _band(h, w),
              np.ascontiguousarray(frame[y:y + h, x:x + w]), np.ascontiguousarray(frame[y:y + h, x:x + w, 0])]
    kx, ky = odd(w), odd(h)  # adaptive_max_blur's kernel: the box itself
    steps = [gauss.grid_step(cv2.getGaussianKernel(k, 0)[:, 0]) for k in (kx, ky)]
    assert min(steps) > 1  # the sampled path is the one under test
    for image in images:
        ours = gauss.gaussian(image, kx, ky, 0)
        assert ours.shape == image.shape and ours.dtype == np.uint8
        assert np.abs(ours.astype(int) - _two_pass(image, kx, ky)).max() <= 1


def test_narrow_kernels_are_the_two_pass_filter(monkeypatch):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (120, 160, 3), np.uint8)
    for kx, ky, sigma in [(13, 13, 10), (31, 45, 0), (5, 21, 3)]:
        assert np.array_equal(gauss.gaussian(image, kx, ky, sigma), _two_pass(image, kx, ky, sigma))
    monkeypatch.setattr(gauss, "sampled", lambda *a: pytest.fail("narrow kernel took the sampled path"))
    gauss.gaussian(image, 13, 13, 10)


def test_grid_step_bound_holds_before_rounding():
    """Near the worst case, the grid rows are exact and the interpolation stays within the promised half level."""
    image = _band(240, 320)
    taps_x, taps_y = cv2.getGaussianKernel(321, 0)[:, 0], cv2.getGaussianKernel(241, 0)[:, 0]
    sx, sy = gauss.grid_step(taps_x), gauss.grid_step(taps_y)
    assert sx > 1 and sy > 1
    flat = image.astype(np.float32)
    along_y = cv2.sepFilter2D(flat, -1, np.ones((1, 1)), taps_y[:, None])
    at_y = gauss.sample_grid(240, sy)
    rows = gauss.rows_operator(taps_y, 240, at_y) @ flat.reshape(240, -1)
    np.testing.assert_allclose(rows.reshape(len(at_y), 320, 3), along_y[at_y], atol=1e-3)
    exact = cv2.sepFilter2D(flat, -1, taps_x[:, None], taps_y[:, None])
    error = np.abs(gauss.sampled(image, taps_x, taps_y, sx, sy) - exact)
    assert error.max() <= 2 * gauss.AXIS_ERROR + 1e-3
    assert error.max() > gauss.AXIS_ERROR / 2  # a hard case: a grid twice as coarse would break the bound here


def test_reflect101_is_opencvs_border():
    for n in (1, 2, 5, 9):
        idx = np.arange(-3 * n, 4 * n)
        expected = [cv2.borderInterpolate(int(i), n, cv2.BORDER_REFLECT_101) for i in idx]
        assert gauss.reflect101(idx, n).tolist() == expected
