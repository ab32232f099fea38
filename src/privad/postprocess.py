"""Score post-processing shared by models and metrics: temporal smoothing, per-video min-max scaling."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Arrays = Sequence[np.ndarray]


def minmax_per_video(scores: Arrays) -> list[np.ndarray]:
    """Scale each video's scores to [0, 1] (a constant video becomes all zeros)."""
    out = []
    for s in scores:
        s = np.asarray(s, np.float64)
        span = s.max() - s.min() if len(s) else 0.0
        out.append((s - s.min()) / span if span > 0 else np.zeros_like(s))
    return out


def smooth(scores: Arrays, sigma: float) -> list[np.ndarray]:
    """Temporal Gaussian smoothing per video (sigma in frames; 0 leaves scores as they are)."""
    from scipy.ndimage import gaussian_filter1d

    if sigma <= 0:
        return [np.asarray(s, np.float64) for s in scores]
    return [gaussian_filter1d(np.asarray(s, np.float64), sigma, mode="nearest") for s in scores]
