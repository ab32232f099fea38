"""The small data types every layer speaks: a decoded frame, a video's scores, an event, an incident."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class Frame:
    """One decoded frame (BGR uint8), or a decode failure at that position."""

    index: int
    image: np.ndarray | None
    pts: int | None = None
    name: str | None = None
    error: str | None = None


@dataclass
class VideoScore:
    """Scores of one video: per frame, and per region (frame, x1, y1, x2, y2, score)."""

    name: str
    frames: np.ndarray
    regions: list[tuple] = field(default_factory=list)


@dataclass
class Event:
    start: int  # first frame (inclusive)
    end: int  # last frame (inclusive)
    peak: int  # frame of the highest score
    peak_score: float
    start_s: float
    end_s: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Incident:
    """A frame that could not be processed normally."""

    frame: int
    stage: str
    error: str
    action: str
