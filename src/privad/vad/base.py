"""The `AnomalyModel` protocol, the model registry and the one-file model format."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from privad.config import AnonymizeConfig
from privad.errors import PrivadError

FORMAT = "privad-model"
MODELS = ("attribute", "multitask", "mil", "mgfn", "pel")


class AnomalyModel(Protocol):
    """Fit on normal videos; score videos into per-frame scores and scored regions."""

    name: str
    config: BaseModel  # the model's settings (saved with it)
    state: dict  # everything fitted (saved with it)

    def fit(self, videos) -> "AnomalyModel": ...

    def score(self, frames: list[np.ndarray], name: str = "video"): ...


def build_model(name: str, config: dict | None = None) -> AnomalyModel:
    """A fresh model by registry name; unknown or invalid settings are a PrivadError."""
    from pydantic import ValidationError

    if name == "attribute":
        from privad.vad.attribute import AttributeConfig as Config, AttributeModel as Model
    elif name == "multitask":
        from privad.vad.multitask import MultitaskConfig as Config, MultitaskModel as Model
    elif name in MODELS:
        from functools import partial

        from privad.vad.weak import WeakConfig as Config, WeakModel

        Model = partial(WeakModel, name)
    else:
        raise PrivadError(f"unknown model '{name}'; available: {', '.join(MODELS)}")
    try:
        return Model(Config.model_validate(config or {}))
    except ValidationError as exc:
        e = exc.errors()[0]
        raise PrivadError(f"{name} setting '{'.'.join(map(str, e['loc']))}': {e['msg']}") from None


def _compatible(saved: str, current: str) -> bool:
    return saved.split(".")[:2] == current.split(".")[:2]


def save_model(model: AnomalyModel, anonymize: AnonymizeConfig | None, path: Path) -> None:
    """One file: model name, its config and fitted state, the anonymization it was fitted with, privad's version."""
    from privad import __version__
    from privad.io.atomic import commit, temp_path_for

    payload = {
        "format": FORMAT,
        "privad_version": __version__,
        "model": model.name,
        "config": model.config.model_dump(),
        "anonymize": anonymize.model_dump(mode="json") if anonymize else None,
        "state": model.state,
    }
    path = Path(path)
    temp = temp_path_for(path)
    with temp.open("wb") as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    commit(temp, path)


def load_model(path: Path) -> tuple[AnomalyModel, AnonymizeConfig | None]:
    """Read a model file (only open files you trust: it is a pickle). Refuses other files and other versions."""
    from privad import __version__

    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"model file not found: {path}")
    try:
        with path.open("rb") as fh:
            payload = pickle.load(fh)
    except Exception as exc:
        raise PrivadError(f"{path} is not a privad model file") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PrivadError(f"{path} is not a privad model file")
    if not _compatible(payload["privad_version"], __version__):
        raise PrivadError(f"{path} was saved by privad {payload['privad_version']}; this is {__version__}: refit it")
    model = build_model(payload["model"], payload["config"])
    model.state = payload["state"]
    anonymize = AnonymizeConfig.model_validate(payload["anonymize"]) if payload["anonymize"] else None
    return model, anonymize
