"""Fit one-class models on normal footage (optionally anonymized first) and score videos into folders."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from privad.engine.outputs import write_scores
from privad.engine.views import MAX_TRAIN_FRAMES, frames_of, read_videos, training_plan
from privad.errors import PrivadError
from privad.io.sources import frame_count
from privad.protect.config import AnonymizeConfig
from privad.vad import AnomalyModel, build_model, save_model
from privad.vad.model import analysed_size
from privad.vad.registry import DEFAULT

EpochCallback = Callable[[int, int, float], None]  # (epoch, epochs, loss) after each epoch of a trained model


def new_model(kind: str, config: dict | None, on_epoch: EpochCallback | None = None) -> AnomalyModel:
    """A fresh, unfitted model of `kind` (a trained one reports each epoch to `on_epoch`)."""
    m = build_model(kind, config)
    if on_epoch is not None and hasattr(m, "on_epoch"):
        m.on_epoch = on_epoch
    return m


def fit_model(kind: str, config: dict | None, X, y=None, on_epoch: EpochCallback | None = None) -> AnomalyModel:
    """A fresh model of `kind` fitted on X (and y, for the weak models)."""
    return new_model(kind, config, on_epoch).fit(X, y)


def fit_sources(kind: str, config: dict | None, sources: list, anonymize: AnonymizeConfig | None,
                lengths: list[int] | None, progress: Callable[[str], None] | None = None,
                on_epoch: EpochCallback | None = None) -> AnomalyModel:
    """A fresh model of `kind` fitted on the first `lengths` frames of each training source (`read_videos`), each
    frame shrunk to the size the model analyses it at as it is decoded (the same fit as on the whole frames)."""
    m = new_model(kind, config, on_epoch)
    return m.fit(read_videos(sources, anonymize, progress, lengths, size=partial(analysed_size, m)))


def fit(train: list, kind: str = DEFAULT, anonymize: AnonymizeConfig | None = None,
        config: dict | None = None, output: Path | None = None, progress: Callable[[str], None] | None = None,
        on_epoch: EpochCallback | None = None, max_train_frames: int | None = MAX_TRAIN_FRAMES) -> AnomalyModel:
    """Fit a one-class model on normal footage (paths of videos or frame folders); save it when `output` is given.
    At most `max_train_frames` training frames are read (`training_plan`; None: all). `progress(name)` is called after
    each video is read."""
    if not train:
        raise PrivadError("no training videos given")
    lengths = training_plan([frame_count(s) for s in train], max_train_frames) if max_train_frames else None
    m = fit_sources(kind, config, train, anonymize, lengths, progress, on_epoch)
    if output is not None:
        save_model(m, anonymize, output)
    return m


def score_to_dir(model: AnomalyModel, anonymize: AnonymizeConfig | None, inputs: list, outdir: Path,
                 progress: Callable[[str], None] | None = None) -> list[Path]:
    """Score videos; per video write OUTDIR/NAME/scores.csv (frame, score) and regions.csv (with each cue's part of
    a region's score, for the models that can tell them apart: `explain`)."""
    written = []
    explain = getattr(model, "explain", None)
    for source in inputs:
        name = Path(str(source)).stem or "video"
        frames = frames_of(source, anonymize)
        result, parts = explain(frames, name) if explain else (model.score(frames, name), None)
        folder = Path(outdir) / name
        folder.mkdir(parents=True, exist_ok=True)
        write_scores(folder, result, parts)
        written.append(folder)
        if progress:
            progress(name)
    return written
