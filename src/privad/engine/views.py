"""Frames as a model sees them: through one persistent anonymizer, or as they are."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from privad.device import release_memory
from privad.errors import PrivadError
from privad.io.sources import iter_images
from privad.protect.config import DEFAULT_METHOD, AnonymizeConfig
from privad.protect.pipeline import Anonymizer
from privad.types import Frame
from privad.vad.scoring import resized

# What `run` and `serve` write or show when the model was fitted on raw footage (never raw frames).
DEFAULT_ANONYMIZATION = AnonymizeConfig(method=DEFAULT_METHOD, targets=["motion"])


def anonymized_stream(frames: Iterable[np.ndarray], config: AnonymizeConfig | None) -> Iterator[np.ndarray]:
    """The frames as the model sees them, one at a time as they come: through a fresh anonymizer (primed on the
    first frames, then frame by frame; it fails closed) or, `None`/`no-an`, as they are. A long video is never held
    whole, neither as it is nor anonymized. Detection runs a few frames ahead on a thread of its own
    (`Anonymizer.stream`: the same frames as one by one)."""
    if config is None or config.method == "no-an":
        yield from frames
        return
    anonymizer = Anonymizer(config.model_copy(update={"on_error": "obfuscate"}), fps=30.0)
    for _, result in anonymizer.stream(Frame(i, f) for i, f in enumerate(frames)):
        yield result.image


def anonymized(frames: list[np.ndarray], config: AnonymizeConfig | None) -> list[np.ndarray]:
    """`anonymized_stream` of frames at hand, as a list (frame count kept)."""
    return list(anonymized_stream(frames, config))


def frames_of(source, anonymize: AnonymizeConfig | None) -> Iterator[np.ndarray]:
    """One video's frames as the model sees them (anonymized, or as they are), decoded as the model reads them: a
    model that shrinks frames never holds them all at full size."""
    if source is None:
        raise PrivadError("this video has clip features only, no frames to score")
    return anonymized_stream(iter_images(source), anonymize)


def read_videos(sources: list, anonymize: AnonymizeConfig | None,
                progress: Callable[[str], None] | None = None, lengths: list[int] | None = None,
                size: Callable[[tuple[int, int]], tuple[int, int] | None] | None = None
                ) -> Iterator[list[np.ndarray]]:
    """Each source's frames as the model sees them, one video at a time; `lengths` (a `training_plan`): only the
    first N frames of each (0: skipped); None: every frame of every video. `size`: the (height, width) frames of a
    given size are analysed at (`privad.vad.model.analysed_size`; None: as they are); each frame is `resized` to it
    as it is decoded (after the anonymizer, which sees the source's frames), so a long video is never held whole at
    a larger size than the model reads. The heap's free pages are given back once the model is done with each
    video (`release_memory`; the last one's too, before the model fits its cues): a fit's every video makes and
    frees hundreds of MB that glibc would otherwise keep mapped."""
    for s, n in zip(sources, lengths or [None] * len(sources)):
        if n != 0:
            yield _video(s, anonymize, n, size)
            release_memory()  # what the model made of this video and let go
        if progress:
            progress(str(s))


def _video(source, anonymize: AnonymizeConfig | None, max_frames: int | None,
           size: Callable[[tuple[int, int]], tuple[int, int] | None] | None) -> list[np.ndarray]:
    """One training video's first `max_frames` as `read_videos` gives them."""
    def shrunk(frame: np.ndarray) -> np.ndarray:
        to = size(frame.shape[:2]) if size is not None else None
        return frame if to is None else resized(frame, to)

    return [shrunk(f) for f in anonymized_stream(iter_images(source, max_frames=max_frames), anonymize)]


# A fit reads at most this many training frames (a fixed rule, 2026-12-05, not tuned on any dataset): what the
# default model fits in about half of the 10-minute fit target on a 2-core CPU at its measured cost on Ped2 (16 ms a
# frame, reading included), leaving the other half for decoding larger frames. Ped2 (2,550), Ped1 (6,800) and Avenue
# (15,328) are read whole; ShanghaiTech's 274,515 training frames are not.
MAX_TRAIN_FRAMES = 20_000
# The shortest piece of a training video worth reading: a median background and object tracks need a few seconds.
TRAIN_SEGMENT = 150


def training_plan(counts: list[int], budget: int | None = MAX_TRAIN_FRAMES, segment: int = TRAIN_SEGMENT) -> list[int]:
    """How many frames to read from the start of each training video (`counts`: their lengths) so that a fit reads
    at most `budget` frames (None: no limit). Every video's first L frames, L as large as the budget allows; when
    that is under `segment`, the first `segment` frames of as many evenly spaced videos as fit (0: skipped)."""
    if budget is None or sum(counts) <= budget:
        return list(counts)
    if budget < 1:
        raise PrivadError(f"the training frame budget must be at least 1, got {budget}")
    lo, hi = 0, max(counts)  # the largest L with sum(min(n, L)) <= budget
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if sum(min(n, mid) for n in counts) <= budget else (lo, mid - 1)
    if lo >= min(segment, budget):
        return [min(n, lo) for n in counts]
    piece = min(segment, budget)
    for m in range(len(counts), 0, -1):
        picked = set(np.round(np.linspace(0, len(counts) - 1, m)).astype(int).tolist())
        if sum(min(counts[i], piece) for i in picked) <= budget:
            break
    return [min(n, piece) if i in picked else 0 for i, n in enumerate(counts)]
