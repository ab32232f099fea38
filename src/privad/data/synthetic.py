"""A small synthetic fixed-camera scene: slow walkers, and one fast mover in a known stretch (the planted anomaly)."""

from __future__ import annotations

import cv2
import numpy as np


def synthetic_scene(n_frames: int = 300, abnormal: tuple[int, int] = (210, 260), size: tuple[int, int] = (240, 320),
                    walkers: int = 5, seed: int = 0, anomaly: str = "fast") -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (BGR) and 0/1 frame labels. Walkers (upright ellipses) move ~1 px/frame. In `abnormal`, either one more
    walker crosses at 7 px/frame (`anomaly="fast"`), or an object never seen otherwise moves at walking pace: a
    walker's shape and size, but bright yellow where every walker is dark (`anomaly="object"`; only its appearance
    tells it apart)."""
    rng = np.random.default_rng(seed)
    h, w = size
    texture = cv2.GaussianBlur(rng.integers(90, 170, (h, w), dtype=np.uint8), (0, 0), 3)
    background = cv2.cvtColor(texture, cv2.COLOR_GRAY2BGR)
    starts = rng.uniform(0, w, walkers)
    rows = np.linspace(40, h - 40, walkers)
    speeds = rng.uniform(0.7, 1.3, walkers) * rng.choice([-1, 1], walkers)
    frames, labels = [], np.zeros(n_frames, np.int8)
    for t in range(n_frames):
        frame = background.copy()
        for x0, y, v in zip(starts, rows, speeds):
            x = (x0 + v * t) % w
            cv2.ellipse(frame, (int(x), int(y)), (6, 14), 0, 0, 360, (40, 40, 60), -1)
        if abnormal[0] <= t < abnormal[1] and anomaly == "fast":
            x = -20 + 7 * (t - abnormal[0])
            cv2.ellipse(frame, (int(x), h // 2), (7, 15), 0, 0, 360, (30, 50, 40), -1)
            labels[t] = 1
        elif abnormal[0] <= t < abnormal[1]:
            x = w // 3 + (t - abnormal[0])
            cv2.ellipse(frame, (int(x), h // 2), (6, 14), 0, 0, 360, (40, 200, 230), -1)
            labels[t] = 1
        noise = rng.normal(0, 2, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames, labels


def planted_features(normal: int = 40, abnormal: int = 40, length: tuple[int, int] = (40, 120), dim: int = 64,
                     strength: float = 1.5, seed: int = 0) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """Clip features with planted abnormal segments, for weakly-supervised models: (features [T, D], video label,
    clip labels [T]).

    Normal clips are a smooth random walk around zero plus noise; an abnormal video has one contiguous stretch (10–40 %
    of it) shifted by `strength` along a fixed random direction, with its magnitude raised the same way — the signal
    MIL-style models are built to find. The direction is the same for every `seed`, so seeds make train/test sets.
    """
    rng = np.random.default_rng(seed)
    direction = np.random.default_rng(12345).normal(size=dim)  # the same anomaly for every seed
    direction /= np.linalg.norm(direction)
    out = []
    for i in range(normal + abnormal):
        t = int(rng.integers(*length))
        base = np.cumsum(rng.normal(0, 0.15, (t, dim)), axis=0) * 0.3 + rng.normal(0, 1, (t, dim))
        labels = np.zeros(t, np.int8)
        if i >= normal:
            span = max(2, int(t * rng.uniform(0.1, 0.4)))
            start = int(rng.integers(0, t - span + 1))
            labels[start:start + span] = 1
            base[start:start + span] += strength * direction * np.sqrt(dim) / 4
        out.append((base.astype(np.float32), int(i >= normal), labels))
    return out
