"""Frame sources: a video file, one image, a folder of frames, a webcam index or a stream URL.

Every source yields `Frame`s in order. A frame that fails to decode is yielded with `image=None` and an `error`,
so the pipeline can keep the frame count and fail closed instead of stopping.
"""

from __future__ import annotations

import os
import threading
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol, TypeVar

import av
import cv2
import numpy as np
from natsort import natsorted

from privad.errors import PrivadError
from privad.types import Frame
from privad.io.images import IMAGE_EXTS, read_image, to_bgr

T = TypeVar("T")
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


@dataclass
class SourceInfo:
    """What a sink needs to reproduce the input's timing and layout."""

    kind: str  # video | image | frames | webcam | stream
    uri: str
    width: int
    height: int
    fps: Fraction = Fraction(25)
    frame_count: int | None = None
    time_base: Fraction | None = None
    has_audio: bool = False
    extra: dict = field(default_factory=dict)


class Source(Protocol):
    info: SourceInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


class VideoSource:
    """A video file or network stream decoded with PyAV, packet by packet."""

    def __init__(self, uri: str, kind: str = "video", max_frames: int | None = None, options: dict | None = None):
        try:
            self._container = av.open(uri, options=options or {}, timeout=10 if kind == "stream" else None)
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise PrivadError(f"cannot open {kind} {uri}: {_first_line(exc)}") from exc
        if not self._container.streams.video:
            self._container.close()
            raise PrivadError(f"no video stream in {uri}")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        if not ctx.width or not ctx.height:
            self._container.close()
            raise PrivadError(f"cannot read video {uri}: no frame size (corrupt or empty file?)")
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        self._stream = stream
        self._max = max_frames
        self.info = SourceInfo(
            kind=kind,
            uri=uri,
            width=ctx.width,
            height=ctx.height,
            fps=Fraction(rate),
            frame_count=(stream.frames or None) if kind == "video" else None,
            time_base=Fraction(stream.time_base) if stream.time_base else None,
            has_audio=bool(self._container.streams.audio),
        )

    def __iter__(self) -> Iterator[Frame]:
        """Frames in order. After a decode error, frames are suspect until the next keyframe (the decoder conceals
        the damage with stale or smeared pixels that can show a face half covered): they come with their image and
        an `error`, so the pipeline treats them as incidents and fails closed on them too."""
        index, damaged = 0, False
        for packet in self._container.demux(self._stream):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                if packet.size == 0:
                    continue
                damaged = True
                yield Frame(index, None, pts=packet.pts, error=f"decode error: {_first_line(exc)}")
                index += 1
            else:
                for vf in decoded:
                    damaged = (damaged and not vf.key_frame) or vf.is_corrupt
                    error = "decoded after a damaged packet, before the next keyframe" if damaged else None
                    yield Frame(index, vf.to_ndarray(format="bgr24"), pts=vf.pts, error=error)
                    index += 1
                    if self._max is not None and index >= self._max:
                        return
            if self._max is not None and index >= self._max:
                return

    def close(self) -> None:
        self._container.close()


class ImageSource:
    """A single still image."""

    def __init__(self, path: Path):
        image = read_image(str(path))
        if image is None:
            raise PrivadError(f"cannot decode image {path}")
        self._image = image
        h, w = image.shape[:2]
        self.info = SourceInfo(kind="image", uri=str(path), width=w, height=h, frame_count=1)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, self._image, name=Path(self.info.uri).name)

    def close(self) -> None:
        pass


class FolderSource:
    """A folder of frame images, in natural sort order (000.jpg, 1.png, frame001.bmp ...)."""

    def __init__(self, path: Path, fps: float = 25.0, max_frames: int | None = None):
        files = natsorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
        if not files:
            raise PrivadError(f"no images (jpg/png/tif/bmp) in folder {path}")
        if max_frames is not None:
            files = files[:max_frames]
        first = read_image(str(files[0]))
        if first is None:
            raise PrivadError(f"cannot decode image {files[0]}")
        self._files = files
        h, w = first.shape[:2]
        self.info = SourceInfo(
            kind="frames", uri=str(path), width=w, height=h, fps=Fraction(fps).limit_denominator(1001),
            frame_count=len(files), time_base=None,
        )

    def __iter__(self) -> Iterator[Frame]:
        for i, f in enumerate(self._files):
            image = read_image(str(f))
            if image is not None and image.shape[:2] != (self.info.height, self.info.width):
                image = cv2.resize(image, (self.info.width, self.info.height), interpolation=cv2.INTER_AREA)
            yield Frame(i, image, name=f.name, error=None if image is not None else f"cannot decode {f.name}")

    def close(self) -> None:
        pass


class WebcamSource:
    """A local camera through OpenCV; stops after `max_frames` (or on Ctrl-C)."""

    def __init__(self, index: int, max_frames: int | None = None):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our own error line is enough
        self._cap = cv2.VideoCapture(index)
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:
            self._cap.release()
            raise PrivadError(f"cannot open webcam {index}")
        self._first = to_bgr(first)
        self._max = max_frames
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 25.0
        h, w = self._first.shape[:2]
        self.info = SourceInfo(kind="webcam", uri=str(index), width=w, height=h,
                               fps=Fraction(fps).limit_denominator(1001))

    def __iter__(self) -> Iterator[Frame]:
        image, index = self._first, 0
        while image is not None and (self._max is None or index < self._max):
            yield Frame(index, image)
            index += 1
            ok, raw = self._cap.read()
            image = to_bgr(raw) if ok else None

    def close(self) -> None:
        self._cap.release()


def max_pixels() -> int:
    """The largest frame privad takes, in pixels: $PRIVAD_MAX_PIXELS, else 40 million (8K UHD is 33.2 million).
    Memory grows with the frame (masks are per region and full-frame), so a huge input is refused up front."""
    text = os.environ.get("PRIVAD_MAX_PIXELS", "")
    try:
        return int(text) if text else 40_000_000
    except ValueError:
        raise PrivadError(f"PRIVAD_MAX_PIXELS must be a whole number, got '{text}'") from None


def open_source(spec: str | Path, max_frames: int | None = None, fps: float = 25.0) -> Source:
    """Open `spec` as the right kind of source.

    Digits → webcam index; a URL → stream; a folder → frames; an image file → image; any other file → video.
    `fps` is the frame rate given to frame folders and images (videos keep their own). Frames larger than
    `max_pixels()` are refused.

    >>> src = open_source("clip.mp4")   # doctest: +SKIP
    >>> for frame in src: ...           # doctest: +SKIP
    """
    source = _open(spec, max_frames, fps)
    limit = max_pixels()
    if source.info.width * source.info.height > limit:
        source.close()
        raise PrivadError(f"{spec}: frames of {source.info.width}x{source.info.height} are larger than the limit of "
                          f"{limit:,} pixels (set PRIVAD_MAX_PIXELS to raise it)")
    return source


def _open(spec: str | Path, max_frames: int | None, fps: float) -> Source:
    text = str(spec)
    if text.isdigit():
        return WebcamSource(int(text), max_frames=max_frames)
    if text.lower().startswith(STREAM_SCHEMES):
        return VideoSource(text, kind="stream", max_frames=max_frames)
    path = Path(text)
    if not path.exists():
        raise PrivadError(f"input not found: {path}")
    if path.is_dir():
        return FolderSource(path, fps=fps, max_frames=max_frames)
    if path.suffix.lower() in IMAGE_EXTS:
        return ImageSource(path)
    if path.stat().st_size == 0:
        raise PrivadError(f"input is empty: {path}")
    return VideoSource(str(path), kind="video", max_frames=max_frames)


def read_all(spec: str | Path, fps: float = 25.0, max_frames: int | None = None) -> tuple[list[np.ndarray], SourceInfo]:
    """Every frame of a source (or its first `max_frames`), and its info. A frame that fails to decode is an error
    here (analysis needs every frame; anonymization uses the frame-by-frame iterator and fails closed instead)."""
    src = open_source(spec, max_frames=max_frames, fps=fps)
    try:
        frames = list(_images(src, spec))
    finally:
        src.close()
    return frames, src.info


def iter_images(spec: str | Path, fps: float = 25.0, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Every frame of a source (or its first `max_frames`), decoded as it is asked for (so they are never all held
    at once); the same errors as `read_all`."""
    src = open_source(spec, max_frames=max_frames, fps=fps)
    try:
        yield from _images(src, spec)
    finally:
        src.close()


def _images(src: Source, spec: str | Path) -> Iterator[np.ndarray]:
    """The source's images in order: a frame that fails to decode, or no frame at all, is an error."""
    count = 0
    for f in src:
        if f.image is None:
            raise PrivadError(f"{spec}: frame {f.index}: {f.error}")
        count += 1
        yield f.image
    if not count:
        raise PrivadError(f"no frames in {spec}")


def frame_count(spec: str | Path) -> int:
    """Frames in a video file (the container's count, else by decoding) or a frame folder."""
    src = open_source(spec)
    try:
        if src.info.frame_count:
            return src.info.frame_count
        if src.info.kind != "video":
            raise PrivadError(f"{spec}: a {src.info.kind} source has no frame count")
        return sum(1 for _ in src)
    finally:
        src.close()


def prefetch(items: Iterator[T], size: int = 8) -> Iterator[T]:
    """Run an iterator in a background thread (decoding, optical flow: work that releases the GIL) with a bounded
    buffer; an exception it raises is raised to the consumer."""
    buf: queue.Queue = queue.Queue(maxsize=size)
    done = object()
    stop = threading.Event()

    def worker() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buf.put(item)
        except BaseException as exc:  # handed to the consumer, re-raised there
            buf.put(exc)
        finally:
            buf.put(done)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        while (item := buf.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                buf.get_nowait()
            except queue.Empty:
                thread.join(0.05)


@contextmanager
def decoded_ahead(source: Source, size: int = 8) -> Iterator[Iterator[Frame]]:
    """The source's frames decoded ahead on a thread (`prefetch`); the thread is stopped when the block ends, before
    the caller closes the source (a decoder still running on a closed container can crash the process)."""
    frames = prefetch(iter(source), size)
    try:
        yield frames
    finally:
        frames.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
