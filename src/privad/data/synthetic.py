"""A small synthetic fixed-camera scene: slow walkers, and one fast mover in a known stretch (the planted anomaly)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from privad.data.base import Dataset, Video
from privad.io.sinks import FolderSink


def synthetic_scene(n_frames: int = 300, abnormal: tuple[int, int] = (210, 260), size: tuple[int, int] = (240, 320),
                    walkers: int = 5, seed: int = 0, anomaly: str = "fast",
                    pace: float = 1.0) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (BGR) and 0/1 frame labels. Walkers (upright ellipses) move ~`pace` px/frame along rows. In `abnormal`,
    either one more walker crosses at 7 px/frame (`anomaly="fast"`), or an object never seen otherwise moves at
    walking pace: a walker's shape and size, but bright yellow where every walker is dark (`anomaly="object"`; only
    its appearance tells it apart), or one more walker goes down a column at the pace (`anomaly="across"`; only its
    heading tells it apart)."""
    rng = np.random.default_rng(seed)
    h, w = size
    texture = cv2.GaussianBlur(rng.integers(90, 170, (h, w), dtype=np.uint8), (0, 0), 3)
    background = cv2.cvtColor(texture, cv2.COLOR_GRAY2BGR)
    starts = rng.uniform(0, w, walkers)
    rows = np.linspace(40, h - 40, walkers)
    speeds = pace * rng.uniform(0.7, 1.3, walkers) * rng.choice([-1, 1], walkers)
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
        elif abnormal[0] <= t < abnormal[1] and anomaly == "across":
            y = 20 + pace * (t - abnormal[0])
            cv2.ellipse(frame, (w // 3, int(y)), (6, 14), 0, 0, 360, (40, 40, 60), -1)
            labels[t] = 1
        elif abnormal[0] <= t < abnormal[1]:
            x = w // 3 + (t - abnormal[0])
            cv2.ellipse(frame, (int(x), h // 2), (6, 14), 0, 0, 360, (40, 200, 230), -1)
            labels[t] = 1
        noise = rng.normal(0, 2, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames, labels


def two_views(root: Path, n_frames: int = 150) -> Dataset:
    """A dataset of two fixed cameras, written under `root` as folders of PNG frames (`synthetic_scene`'s): in view
    `a` walkers cross at ~1 px/frame, in view `b` at ~6 (a nearer camera); two training videos each. View a's test
    video has a walker crossing at 7 px/frame, odd in view a and usual in view b; view b's test video is normal."""

    def video(name: str, view: str, seed: int, pace: float = 1.0, abnormal=(0, 0), test: bool = False) -> Video:
        frames, labels = synthetic_scene(n_frames=n_frames, abnormal=abnormal, seed=seed, pace=pace)
        with FolderSink(Path(root) / name) as sink:
            for image in frames:
                sink.write(image)
        return Video(name, len(frames), source=sink.path, labels=labels if test else None, view=view)

    train = [video(f"a{s}", "a", s) for s in range(2)] + [video(f"b{s}", "b", 10 + s, pace=6) for s in range(2)]
    middle = (n_frames * 8 // 15, n_frames * 13 // 15)
    test = [video("a_test", "a", 7, abnormal=middle, test=True), video("b_test", "b", 17, pace=6, test=True)]
    return Dataset("two-views", Path(root), train, test)


def as_one_view(data: Dataset) -> Dataset:
    """The same videos with no camera view named: one model for them all."""
    return Dataset(data.name, data.root, *([Video(v.name, v.num_frames, v.source, v.labels) for v in videos]
                                           for videos in (data.train, data.test)))


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
