"""Gaussian blur with OpenCV's kernels and border, and a fast path for wide kernels.

LA3D's adaptive max blur uses a kernel as large as the instance's box, so a full-frame box costs hundreds of millions
of multiply-adds as two 1-D passes. Such a blur is smooth: its output changes slowly from pixel to pixel. The fast
path computes the exact blur (the same taps, the same reflected border) only at a grid of rows and columns, then
fills the pixels between by linear interpolation. The grid's spacing per axis is the largest whose interpolation
error is provably at most a quarter level: linear interpolation over a step of s pixels errs by at most
s^2 / 8 * max|second difference of the blur|, and that is at most 127.5 * sum|second difference of the kernel| for
8-bit images (the kernel's second differences sum to zero). Two axes add at most half a level, so after rounding every
pixel is within one level of the exact blur; where the spacing would be 1 on either axis the exact two-pass filter runs.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from functools import lru_cache

import cv2
import numpy as np

# the most that interpolation along one axis may add to a pixel, in 8-bit levels (two axes: half a level)
AXIS_ERROR = 0.25
_BLAS_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


@contextmanager
def one_blas_thread():
    """BLAS on the calling thread only, for the sampled path's small products. The blur runs beside the pipeline's
    other stages, which keep the cores busy; BLAS's own threads would only wait for work there (one pair of `privad
    run`s on a loaded machine: 29.4 user CPU-s with them, 19.7 without). The limit is process-wide, so it is taken
    under a lock and undone on leaving."""
    with _BLAS_LOCK, _blas().limit(limits=1):
        yield


def grid_step(taps: np.ndarray, half_range: float = 127.5) -> int:
    """The widest grid spacing whose linear interpolation errs by at most AXIS_ERROR (see the module docstring)."""
    curvature = float(np.abs(np.diff(np.concatenate([[0.0], taps, [0.0]]), 2)).sum())
    if curvature == 0:
        return 1
    return max(1, int(math.sqrt(8 * AXIS_ERROR / (half_range * curvature))))


def reflect101(index: np.ndarray, n: int) -> np.ndarray:
    """Indices folded into [0, n) as OpenCV's BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba) does."""
    if n == 1:
        return np.zeros_like(index)
    period = 2 * n - 2
    index = np.mod(index, period)
    return np.where(index >= n, period - index, index)


def sample_grid(n: int, step: int) -> np.ndarray:
    """Positions 0, step, 2 step, ... and always the last pixel."""
    return np.unique(np.append(np.arange(0, n, step), n - 1))


def rows_operator(taps: np.ndarray, n: int, at: np.ndarray) -> np.ndarray:
    """The 1-D blur of a length-n signal, as rows of a matrix: the output at positions `at`."""
    r = len(taps) // 2
    cols = reflect101(at[:, None] + np.arange(len(taps))[None, :] - r, n)
    flat = (np.arange(len(at))[:, None] * n + cols).ravel()
    op = np.bincount(flat, np.tile(taps, len(at)), minlength=len(at) * n)
    return op.reshape(len(at), n).astype(np.float32)


def interpolation(at: np.ndarray, n: int) -> np.ndarray:
    """The (n, len(at)) matrix that fills 0..n-1 linearly from samples at sorted positions `at` (0 and n - 1 among
    them); as a matrix product it runs in BLAS, faster than gathering rows."""
    pos = np.arange(n)
    right = np.clip(np.searchsorted(at, pos, side="right"), 1, len(at) - 1)
    left = right - 1
    frac = (pos - at[left]) / (at[right] - at[left])
    weights = np.zeros((n, len(at)), np.float32)
    weights[pos, left] = 1 - frac
    weights[pos, right] += frac
    return weights


def sampled(image: np.ndarray, kx: np.ndarray, ky: np.ndarray, sx: int, sy: int) -> np.ndarray:
    """The exact blur (taps kx, ky) at a grid of rows and columns spaced sx, sy, linearly interpolated between them;
    float32, not rounded."""
    h, w = image.shape[:2]
    at_y, at_x = sample_grid(h, sy), sample_grid(w, sx)
    x = image.reshape(h, -1).astype(np.float32)
    coarse = rows_operator(ky, h, at_y) @ x  # (grid rows, w * channels)
    coarse = coarse.reshape(len(at_y), w, -1).transpose(1, 0, 2).reshape(w, -1)
    coarse = rows_operator(kx, w, at_x) @ coarse  # (grid columns, grid rows * channels)
    filled = (interpolation(at_x, w) @ coarse).reshape(w, len(at_y), -1).transpose(1, 0, 2)
    out = interpolation(at_y, h) @ np.ascontiguousarray(filled).reshape(len(at_y), -1)
    return out.reshape(image.shape)


def gaussian(image: np.ndarray, kx: int, ky: int, sigma_x: float, sigma_y: float | None = None) -> np.ndarray:
    """Gaussian blur with cv2.GaussianBlur's kernels and border (BORDER_REFLECT_101).

    A sigma <= 0 is derived from the kernel size as OpenCV does. Narrow kernels run as two 1-D passes
    (cv2.sepFilter2D); on 8-bit images, kernels wide on both axes take the sampled path above, within one level of
    the two passes.
    """
    sigma_y = sigma_x if sigma_y is None else sigma_y
    gx, gy = cv2.getGaussianKernel(kx, sigma_x), cv2.getGaussianKernel(ky, sigma_y)
    if image.dtype == np.uint8 and min(image.shape[:2]) > 1:
        sx, sy = grid_step(gx[:, 0]), grid_step(gy[:, 0])
        if sx > 1 and sy > 1:  # a spacing of 1 on either axis saves too little for the products' overhead
            with one_blas_thread():
                blurred = sampled(image, gx[:, 0], gy[:, 0], sx, sy)
            return np.clip(np.rint(blurred), 0, 255).astype(np.uint8)
    return cv2.sepFilter2D(image, -1, gx, gy)
