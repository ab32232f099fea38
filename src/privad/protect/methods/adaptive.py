"""LA3D's adaptive methods: per-instance kernels and blocks scaled by the instance's size.

For instance i with mask m_i and box (w_i, h_i) in a frame of area A:
    x = max(1, int(100 * |m_i| / A))      (mask area, % of frame)
    s = max(ln x, 1);  r = alpha_mask_scale * s
Each method filters the instance's box crop and replaces pixels only inside its mask.
"""

from __future__ import annotations

import math

import numpy as np
from supervision import Detections

from privad.protect.methods.filters import flatten, odd, pixelate
from privad.protect.methods.gauss import gaussian
from privad.protect.config import MethodParams


def area_factor(mask_area: int, frame_area: int, alpha_mask_scale: float) -> float:
    """r = alpha_mask_scale * max(ln(max(1, int(100 * area / frame))), 1)."""
    x = max(1, int(100 * mask_area / frame_area))
    return alpha_mask_scale * max(math.log(x), 1.0)


def blur_kernel(d: float, r: float, p: MethodParams) -> int:
    """Per-axis kernel: min(max(int(alpha_dim * d), 1), max(r * k0, alpha_mask * k0)), forced odd."""
    cap = max(r * p.blur_kernel, p.alpha_mask_scale * p.blur_kernel)
    return odd(int(min(max(int(p.alpha_dim_scale * d), 1), cap)))


def full_blur_sigma(k: int, r: float, p: MethodParams) -> float:
    """sigma = max(r * sigma0, alpha_mask * sigma0), capped at the kernel size."""
    return min(max(r * p.blur_sigma, p.alpha_mask_scale * p.blur_sigma), float(k))


def pixel_block(d: float, r: float, p: MethodParams) -> int:
    """Per-axis block: min(max(int(alpha_dim * d), 1), max(r * f0, alpha_mask * f0))."""
    cap = max(r * p.pixel_factor, p.alpha_mask_scale * p.pixel_factor)
    return max(1, int(min(max(int(p.alpha_dim_scale * d), 1), cap)))


def _instances(frame: np.ndarray, dets: Detections):
    """Yield (slice_y, slice_x, crop mask, r-inputs) for each non-empty instance box."""
    h, w = frame.shape[:2]
    for i in range(len(dets)):
        x1, y1, x2, y2 = dets.xyxy[i]
        x1, y1 = max(0, int(np.floor(x1))), max(0, int(np.floor(y1)))
        x2, y2 = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
        if x2 <= x1 or y2 <= y1:
            continue
        sy, sx = slice(y1, y2), slice(x1, x2)
        m = dets.mask[i, sy, sx]  # masks lie inside their boxes (detectors and tracking keep it so)
        area = int(np.count_nonzero(m))
        if area == 0:
            continue
        yield sy, sx, m, area


def _per_instance(frame: np.ndarray, dets: Detections, p: MethodParams, crop_filter) -> np.ndarray:
    if len(dets) == 0:
        return frame
    out = frame.copy()
    frame_area = frame.shape[0] * frame.shape[1]
    for sy, sx, m, area in _instances(frame, dets):
        crop = out[sy, sx]
        r = area_factor(area, frame_area, p.alpha_mask_scale)
        np.copyto(crop, crop_filter(crop, r), where=m[..., None])
    return out


def adaptive_blur(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    def f(crop: np.ndarray, r: float) -> np.ndarray:
        h, w = crop.shape[:2]
        return gaussian(crop, blur_kernel(w, r, p), blur_kernel(h, r, p), p.blur_sigma)

    return _per_instance(frame, dets, p, f)


def adaptive_full_blur(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    def f(crop: np.ndarray, r: float) -> np.ndarray:
        h, w = crop.shape[:2]
        kx, ky = blur_kernel(w, r, p), blur_kernel(h, r, p)
        return gaussian(crop, kx, ky, full_blur_sigma(kx, r, p), full_blur_sigma(ky, r, p))

    return _per_instance(frame, dets, p, f)


def adaptive_max_blur(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    def f(crop: np.ndarray, r: float) -> np.ndarray:
        h, w = crop.shape[:2]
        return gaussian(crop, odd(w), odd(h), 0)  # sigma derived from the kernel size, as OpenCV does

    return _per_instance(frame, dets, p, f)


def adaptive_pixelization(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    def f(crop: np.ndarray, r: float) -> np.ndarray:
        h, w = crop.shape[:2]
        return pixelate(crop, pixel_block(w, r, p), pixel_block(h, r, p))

    return _per_instance(frame, dets, p, f)


def adaptive_max_pixelization(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    return _per_instance(frame, dets, p, lambda crop, r: flatten(crop))
