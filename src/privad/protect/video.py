"""Python entry points; the CLI only wraps these."""

from __future__ import annotations

import time
import resource
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from privad.protect.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.io.atomic import missing_parents, remove_empty
from privad.io.sinks import check_output, open_sink
from privad.io.sources import decoded_ahead, open_source
from privad.protect.pipeline import Anonymizer


@dataclass
class RunSummary:
    """What `anonymize_video` did."""

    input: str
    output: str
    method: str
    targets: list[str]
    frames_in: int
    frames_out: int
    regions: int
    held_regions: int
    errors: int
    seconds: float
    fps: float
    peak_rss_mib: float
    audio: str = "none"
    incidents: list[dict] = field(default_factory=list)
    frames_declared: int | None = None  # what the input's header says it holds (None: unknown, e.g. a stream)
    compute: dict = field(default_factory=dict)  # device and ONNX Runtime providers used (Anonymizer.compute)

    @property
    def short(self) -> bool:
        """Fewer frames were decoded than the input declares (a file cut short?)."""
        return self.frames_declared is not None and self.frames_in < self.frames_declared

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        text = (f"{self.frames_in} frames in, {self.frames_out} out, {self.regions} regions anonymized "
                f"({self.held_regions} held), {self.errors} errors, {self.fps:.1f} fps, {self.seconds:.2f} s → "
                f"{self.output}")
        return text + (f"; the input declares {self.frames_declared} frames" if self.short else "")

    def to_dict(self) -> dict:
        return asdict(self)


def anonymize_video(
    input: str | Path,
    output: str | Path,
    config: AnonymizeConfig | None = None,
    max_frames: int | None = None,
    fps: float = 25.0,
    on_frame: Callable[[int], None] | None = None,
    strict: bool = False,
) -> RunSummary:
    """Anonymize a video, image, frame folder, webcam index or stream URL into `output`.

    The output kind follows its suffix (.mp4/.mkv/.mov/.avi video, .png/.jpg image, no suffix: a frames folder).
    Output is written atomically: on any error nothing is left at `output`. `fps` applies to frame folders.
    `strict`: an input that decodes to fewer frames than its header declares is an error (nothing written); without
    it the summary says so.

    >>> summary = anonymize_video("clip.mp4", "clip_anon.mp4",
    ...                           AnonymizeConfig(method="adaptive_blur", targets=["faces"]))  # doctest: +SKIP
    """
    config = config or AnonymizeConfig()
    output = Path(output)
    created = missing_parents(output)  # removed again if the run fails: a failed run leaves nothing
    source = open_source(input, max_frames=max_frames, fps=fps)
    try:
        info = source.info
        check_output(output, info)
        audio = "none"
        if config.keep_audio:
            audio = "kept" if info.has_audio and info.kind == "video" else "input has no audio"
        anonymizer = Anonymizer(config, fps=float(info.fps))
        start = time.perf_counter()
        with decoded_ahead(source) as frames, open_sink(output, info, keep_audio=config.keep_audio,
                                                        crf=config.video_crf, preset=config.video_preset) as sink:
            shape = (info.height, info.width)
            for frame, result in anonymizer.stream(frames, shape):
                if result.image is not None:
                    sink.write(result.image, pts=frame.pts, name=frame.name)
                if on_frame is not None:
                    on_frame(frame.index)
            decoded = anonymizer.stats.frames_in
            if decoded == 0:
                raise PrivadError(f"no frames could be read from {input}")
            declared = info.frame_count if max_frames is None else None
            if strict and declared is not None and decoded < declared:
                raise PrivadError(f"{input} declares {declared} frames but only {decoded} could be decoded "
                                  "(cut short?); nothing written (--strict)")
        seconds = time.perf_counter() - start
    except BaseException:
        remove_empty(created)
        raise
    finally:
        source.close()
    stats = anonymizer.stats
    return RunSummary(
        input=str(input), output=str(output), method=config.method, targets=list(config.targets),
        frames_in=stats.frames_in, frames_out=stats.frames_out, regions=stats.regions, held_regions=stats.held,
        errors=len(stats.incidents), seconds=seconds, fps=stats.frames_in / seconds if seconds else 0.0,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, audio=audio,
        incidents=[asdict(i) for i in stats.incidents],
        frames_declared=info.frame_count if max_frames is None and info.kind == "video" else None,
        compute=anonymizer.compute,
    )
