"""The model registry: every anomaly model by name, built from validated settings."""

from __future__ import annotations

import importlib

from privad.errors import PrivadError
from privad.vad.model import AnomalyModel

# name → (module, model class, config class); weak models share one class that takes its name first
_MODELS = {
    "objects": ("privad.vad.oneclass.attribute", "ObjectsModel", "ObjectsConfig"),
    "attribute": ("privad.vad.oneclass.attribute", "AttributeModel", "AttributeConfig"),
    "multitask": ("privad.vad.oneclass.multitask", "MultitaskModel", "MultitaskConfig"),
    "predictor": ("privad.vad.oneclass.predictor", "PredictorModel", "PredictorConfig"),
    "mil": ("privad.vad.weak.models", "WeakModel", "WeakConfig"),
    "mgfn": ("privad.vad.weak.models", "WeakModel", "WeakConfig"),
    "pel": ("privad.vad.weak.models", "WeakModel", "WeakConfig"),
}
MODELS = tuple(_MODELS)
ONE_CLASS = ("objects", "attribute", "multitask", "predictor")
DEFAULT = "objects"  # the one-class model used when none is named
WEAK = ("mil", "mgfn", "pel")


def is_weak(name: str) -> bool:
    """Whether the model `name` is fitted on labelled clip features (else on normal videos)."""
    return name in WEAK


def config_class(name: str) -> type:
    """The settings class of the model `name` (a PrivadError for an unknown name)."""
    if name not in _MODELS:
        raise PrivadError(f"unknown model '{name}'; available: {', '.join(MODELS)}")
    module, _, config_cls = _MODELS[name]
    return getattr(importlib.import_module(module), config_cls)


def build_model(name: str, config: dict | None = None) -> AnomalyModel:
    """A fresh model by registry name; unknown or invalid settings are a PrivadError."""
    from pydantic import ValidationError

    settings_cls = config_class(name)
    module, model_cls, _ = _MODELS[name]
    mod = importlib.import_module(module)
    try:
        settings = settings_cls.model_validate(config or {})
    except ValidationError as exc:
        e = exc.errors()[0]
        raise PrivadError(f"{name} setting '{'.'.join(map(str, e['loc']))}': {e['msg']}") from None
    cls = getattr(mod, model_cls)
    return cls(name, settings) if is_weak(name) else cls(settings)
