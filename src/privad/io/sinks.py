"""Sinks: an H.264 video (optionally with the input's audio), one image, or a folder of frames.

Each sink writes to a temporary beside its target and renames it into place in `close()`; `abort()` (or an
exception inside a `with` block) removes the temporary, so a failed run leaves nothing at the output path.
"""

from __future__ import annotations

import queue
import threading
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
import cv2
import numpy as np

from privad.errors import PrivadError
from privad.io.atomic import clean_stale, commit, discard, probe_writable, temp_path_for
from privad.io.images import IMAGE_EXTS, VIDEO_EXTS
from privad.io.sources import SourceInfo


class Sink(Protocol):
    path: Path

    def write(self, image: np.ndarray, pts: int | None = None, name: str | None = None) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class _AtomicSink:
    """Context-manager plumbing shared by the sinks: commit on success, discard on error."""

    path: Path
    _temp: Path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _finish(self) -> None:
        commit(self._temp, self.path)

    def abort(self) -> None:
        discard(self._temp)


class VideoSink(_AtomicSink):
    """H.264 video through PyAV, keeping the input's timestamps so frames in == frames out."""

    def __init__(self, path: Path, info: SourceInfo, keep_audio: bool = False, crf: int = 20, preset: str = "superfast"):
        self.path = path
        self._temp = temp_path_for(path)
        self._info = info
        self._container = av.open(str(self._temp), mode="w")
        even = info.width % 2 == 0 and info.height % 2 == 0
        stream = self._container.add_stream("libx264", rate=info.fps)
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = "yuv420p" if even else "yuv444p"  # 4:2:0 needs even sizes
        stream.options = {"crf": str(crf), "preset": preset}
        self._time_base = info.time_base or Fraction(1) / info.fps
        stream.codec_context.time_base = self._time_base
        stream.time_base = self._time_base
        self._stream = stream
        self._count = 0
        self._last_pts: int | None = None
        self._audio_src = None
        if keep_audio and info.has_audio and info.kind == "video":
            self._audio_src = av.open(info.uri)
            self._audio_out = self._container.add_stream_from_template(self._audio_src.streams.audio[0])

    def write(self, image: np.ndarray, pts: int | None = None, name: str | None = None) -> None:
        if pts is None or self._info.time_base is None:
            pts = round(self._count / self._info.fps / self._time_base)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # keep timestamps strictly increasing (placeholder frames, odd streams)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame.pts, frame.time_base = pts, self._time_base
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.error.FFmpegError, OSError) as exc:  # disk full, a vanished folder ...
            raise PrivadError(f"cannot write {self.path}: {str(exc).splitlines()[0]}") from exc
        self._last_pts = pts
        self._count += 1

    def _mux_audio(self) -> None:
        src = self._audio_src.streams.audio[0]
        for packet in self._audio_src.demux(src):
            if packet.dts is None:
                continue
            packet.stream = self._audio_out
            self._container.mux(packet)

    def close(self) -> None:
        try:
            self._container.mux(self._stream.encode(None))
            if self._audio_src is not None:
                self._mux_audio()
            self._container.close()
        except (av.error.FFmpegError, OSError) as exc:
            self.abort()
            raise PrivadError(f"cannot write {self.path}: {str(exc).splitlines()[0]}") from exc
        except Exception:
            self.abort()
            raise
        finally:
            if self._audio_src is not None:
                self._audio_src.close()
        if self._count == 0:
            discard(self._temp)
            raise PrivadError("no frames to write; output not created")
        self._finish()

    def abort(self) -> None:
        try:
            self._container.close()
        except Exception:  # closing a half-written container may fail; the file goes anyway
            pass
        discard(self._temp)


class ImageSink(_AtomicSink):
    """One image file; its format follows the suffix."""

    def __init__(self, path: Path):
        self.path = path
        self._temp = temp_path_for(path)
        self._written = False

    def write(self, image: np.ndarray, pts: int | None = None, name: str | None = None) -> None:
        if self._written:
            raise PrivadError("an image output takes one frame; use a video or folder output for several")
        if not cv2.imwrite(str(self._temp), image):
            raise PrivadError(f"cannot write image {self.path}")
        self._written = True

    def close(self) -> None:
        if not self._written:
            discard(self._temp)
            raise PrivadError("no frame to write; output not created")
        self._finish()


class FolderSink(_AtomicSink):
    """A folder of numbered frames (or the input's own file names), written as a whole."""

    def __init__(self, path: Path, ext: str = ".png"):
        self.path = path
        self._temp = temp_path_for(path)
        discard(self._temp)
        self._temp.mkdir(parents=True)
        self._ext = ext
        self._count = 0
        self._names: set[str] = set()

    def write(self, image: np.ndarray, pts: int | None = None, name: str | None = None) -> None:
        """Write one frame under the input's file stem (`a.jpg` → `a.png`); a stem already taken keeps the input's
        whole name (`a.png` → `a.png.png`), so no frame overwrites another."""
        stem = Path(name).stem if name else f"{self._count:06d}"
        if stem in self._names:
            stem = Path(name).name if name else stem
        while stem in self._names:
            stem += "_"
        if not cv2.imwrite(str(self._temp / f"{stem}{self._ext}"), image):
            raise PrivadError(f"cannot write frame {stem}{self._ext} to {self.path}")
        self._names.add(stem)
        self._count += 1

    def close(self) -> None:
        if self._count == 0:
            discard(self._temp)
            raise PrivadError("no frames to write; output not created")
        self._finish()


def output_kind(path: Path) -> str:
    """'video', 'image' or 'frames' by the path's suffix (no suffix → a frames folder)."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_EXTS:
        return "video"
    if suffix in IMAGE_EXTS:
        return "image"
    if suffix == "":
        return "frames"
    raise PrivadError(
        f"unsupported output format '{suffix}': use a video ({', '.join(sorted(VIDEO_EXTS))}), "
        "an image, or a folder name without suffix"
    )


def check_output(output: Path, info: SourceInfo) -> str:
    """Validate an output path against its input before any work is done; return the output kind."""
    kind = output_kind(output)
    try:
        resolved = output.resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop
        raise PrivadError(f"output path {output} cannot be resolved ({exc})") from None
    if info.kind not in ("webcam", "stream") and Path(info.uri).resolve() == resolved:
        raise PrivadError(f"output is the input: {output}")
    if output.is_dir():
        raise PrivadError(
            f"output {output} is an existing directory; give a file such as {output / 'anonymized.mp4'}, "
            "or a new folder name for frames"
        )
    if kind == "image" and info.kind != "image":
        raise PrivadError(f"an image output takes a single image input, got a {info.kind}: use .mp4 or a folder")
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True)
        except OSError as exc:
            raise PrivadError(f"cannot create output folder {parent}: {exc.strerror}") from exc
    if not parent.is_dir():
        raise PrivadError(f"cannot create output folder {parent}: a file is in the way")
    probe_writable(parent)
    clean_stale(parent)
    return kind


def open_sink(output: Path, info: SourceInfo, keep_audio: bool = False, frame_ext: str = ".png", crf: int = 20,
              preset: str = "superfast") -> Sink:
    """Open the sink `output` calls for (after `check_output`)."""
    output = Path(output)
    kind = check_output(output, info)
    try:
        if kind == "video":
            return BackgroundSink(VideoSink(output, info, keep_audio=keep_audio, crf=crf, preset=preset))
        if kind == "image":
            return ImageSink(output)
        return FolderSink(output, ext=frame_ext)
    except (av.error.FFmpegError, OSError) as exc:
        raise PrivadError(f"cannot write {output}: {exc}".splitlines()[0]) from exc


class BackgroundSink(_AtomicSink):
    """Runs another sink's writes on a worker thread, so encoding overlaps detection (PyAV releases the GIL)."""

    def __init__(self, sink: Sink, size: int = 8):
        self.path = sink.path
        self._sink = sink
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._sink.write(*item)
                except BaseException as exc:  # re-raised in the caller's thread
                    self._error = exc

    def write(self, image: np.ndarray, pts: int | None = None, name: str | None = None) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((image, pts, name))

    def _join(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def close(self) -> None:
        self._join()
        if self._error is not None:
            self._sink.abort()
            raise self._error
        self._sink.close()

    def abort(self) -> None:
        self._join()
        self._sink.abort()
