"""The one protocol of every anomaly model, and its typed fitted state.

Like scikit-learn estimators: `fit(X, y=None)` returns the model, and what fitting learned sits in `fitted_`
(None before). One-class models take X = normal videos (lists of BGR frames) and no y; weakly-supervised models take
X = clip features of videos and y = their video labels. Fitted state is data only — numbers and named arrays — so
a model file never holds code (see `privad.vad.persistence`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from privad.types import VideoScore


@dataclass
class Fitted:
    """What a fitted model knows.

    `threshold` (the 99th percentile of the training frame scores: the default event threshold), `floor` (the score
    of a frame without regions) and the training frame-score `quantiles` are common to all models; `info` summarises
    the training data for people (e.g. train_regions, train_videos, train_seconds, history); `params` holds the
    model's own small JSON values and `arrays` its fitted arrays (estimator parameters, network weights).
    """

    threshold: float
    floor: float
    quantiles: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def calibration(per_video: list[np.ndarray], floor: float) -> dict:
    """`threshold`, `floor` and `quantiles` of a `Fitted` from the training frame scores of each video."""
    scores = np.concatenate(per_video)
    quantiles = {str(q): float(np.quantile(scores, q / 100)) for q in (50, 90, 95, 99, 100)}
    return {"threshold": quantiles["99"], "floor": float(floor), "quantiles": quantiles}


class AnomalyModel(Protocol):
    """Fit on training data; score videos into per-frame scores and scored regions."""

    name: str
    config: BaseModel  # the model's settings (saved with it)
    fitted_: Fitted | None  # None until fitted (or loaded)

    def fit(self, X, y=None) -> AnomalyModel: ...

    def score(self, frames: Iterable[np.ndarray], name: str = "video") -> VideoScore:
        """Per-frame scores and scored regions of one video; `frames` a list or any iterable, read once."""


def analysed_size(model: AnomalyModel, size: tuple[int, int]) -> tuple[int, int] | None:
    """The (height, width) a model resizes colour frames of `size` to before anything else, when it says so (its
    `analysed_size`); such a model's `score(frames, name, source_size)` (and, for a model that calibrates, its
    `fit_score`) takes frames already `resized` to it from an input of `source_size`. None: frames go to the model
    as they are."""
    method = getattr(model, "analysed_size", None)
    return None if method is None else tuple(method(tuple(size)))


def require_fitted(model: AnomalyModel) -> Fitted:
    """The model's fitted state, or a PrivadError when it was never fitted."""
    from privad.errors import PrivadError

    if model.fitted_ is None:
        raise PrivadError(f"the {model.name} model is not fitted")
    return model.fitted_
