"""Frames as a model sees them: through one persistent anonymizer, or as they are."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from privad.io.sources import read_all
from privad.protect.config import DEFAULT_METHOD, AnonymizeConfig
from privad.protect.pipeline import Anonymizer

# What `run` and `serve` write or show when the model was fitted on raw footage (never raw frames).
DEFAULT_ANONYMIZATION = AnonymizeConfig(method=DEFAULT_METHOD, targets=["motion"])


class AnonymizedView:
    """Frames through one persistent anonymizer (tracks and background models carry over between calls, so a long
    video can be passed chunk by chunk; the anonymizer primes itself on the first frames it gets). Frame count kept;
    `None`/`no-an` = the frames as they are."""

    def __init__(self, config: AnonymizeConfig | None, fps: float = 30.0):
        active = config is not None and config.method != "no-an"
        self.anonymizer = Anonymizer(config.model_copy(update={"on_error": "obfuscate"}), fps=fps) if active else None

    def __call__(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        if self.anonymizer is None:
            return frames
        self.anonymizer.prime(frames)
        return [self.anonymizer.process(f).image for f in frames]


def anonymized(frames: list[np.ndarray], config: AnonymizeConfig | None) -> list[np.ndarray]:
    """The frames as the model sees them: through the anonymizer (frame count kept) or as they are."""
    return AnonymizedView(config)(frames)


def read_videos(sources: list, anonymize: AnonymizeConfig | None,
                progress: Callable[[str], None] | None = None) -> Iterator[list[np.ndarray]]:
    """Each source's frames as the model sees them, one video at a time."""
    for s in sources:
        yield anonymized(read_all(s)[0], anonymize)
        if progress:
            progress(str(s))
