"""Image helpers shared by sources and sinks."""

from __future__ import annotations

import numpy as np
import cv2

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_EXTS = {".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm"}


def to_bgr(image: np.ndarray) -> np.ndarray:
    """Return a 3-channel uint8 BGR view of a gray, BGR or BGRA image."""
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image


def read_image(path: str) -> np.ndarray | None:
    """Read an image as BGR uint8 (None when it cannot be decoded)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return None if image is None else to_bgr(image)
