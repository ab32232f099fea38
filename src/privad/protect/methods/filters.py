"""Non-adaptive LA3D methods: filter the frame once, copy filtered pixels inside the union of the masks."""

from __future__ import annotations

import cv2
import numpy as np
from supervision import Detections

from privad.protect.config import MethodParams
from privad.protect.methods.gauss import gaussian


def odd(k: int) -> int:
    """Force a kernel size odd (even sizes grow by one), at least 1."""
    k = max(1, int(k))
    return k if k % 2 else k + 1


def union_mask(dets: Detections, shape: tuple[int, int]) -> np.ndarray:
    """Union of the instance masks as one boolean frame."""
    if len(dets) == 0 or dets.mask is None:
        return np.zeros(shape, bool)
    return dets.mask.any(axis=0)


def _replace(frame: np.ndarray, filtered: np.ndarray, dets: Detections) -> np.ndarray:
    out = frame.copy()
    np.copyto(out, filtered, where=union_mask(dets, frame.shape[:2])[..., None])
    return out


def no_an(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    return frame


def mask(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    out = frame.copy()
    out[union_mask(dets, frame.shape[:2])] = 0
    return out


def fill(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    out = frame.copy()
    out[union_mask(dets, frame.shape[:2])] = p.fill_color
    return out


def edge(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    if len(dets) == 0:
        return frame
    edges = cv2.Canny(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), p.canny_low, p.canny_high)
    return _replace(frame, cv2.cvtColor(edges, cv2.COLOR_GRAY2BGR), dets)


def blur(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    if len(dets) == 0:
        return frame
    k = odd(p.blur_kernel)
    return _replace(frame, gaussian(frame, k, k, p.blur_sigma), dets)


def pixelization(frame: np.ndarray, dets: Detections, p: MethodParams) -> np.ndarray:
    if len(dets) == 0:
        return frame
    return _replace(frame, pixelate(frame, p.pixel_factor, p.pixel_factor), dets)


def pixelate(image: np.ndarray, block_x: int, block_y: int) -> np.ndarray:
    """Down by the block sizes (bilinear), back up with nearest neighbour."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // block_x), max(1, h // block_y)), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def flatten(image: np.ndarray) -> np.ndarray:
    """One flat colour: the image's mean (a 1x1 pixelation)."""
    mean = cv2.resize(image, (1, 1), interpolation=cv2.INTER_AREA)
    return np.broadcast_to(mean, image.shape).copy()
