"""Small media files built on the fly for IO tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


def write_video(path: Path, frames: list[np.ndarray], fps: int = 25, audio_seconds: float = 0.0) -> Path:
    """Encode BGR frames as H.264 (and optionally a 440 Hz AAC tone)."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=44100) if audio_seconds else None
        for image in frames:
            out.mux(video.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        out.mux(video.encode(None))
        if audio is not None:
            n, samples = 1024, int(44100 * audio_seconds)
            t = np.arange(samples) / 44100
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, samples - n + 1, n):
                frame = av.AudioFrame.from_ndarray(tone[None, start:start + n], format="fltp", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = 44100, start, Fraction(1, 44100)
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
    return path


def video_facts(path: Path) -> dict:
    """Frame count (decoded), average rate and stream types of a video."""
    with av.open(str(path)) as c:
        rate = c.streams.video[0].average_rate
        types = sorted(s.type for s in c.streams)
        frames = sum(1 for _ in c.decode(video=0))
    return {"frames": frames, "fps": rate, "streams": types}


def write_frames(folder: Path, frames: list[np.ndarray], ext: str = ".png", pattern: str = "{:03d}") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(frames):
        cv2.imwrite(str(folder / (pattern.format(i) + ext)), image)
    return folder
