"""One-class anomaly detection: models, fitting, scoring and evaluation."""

from privad.vad.base import AnomalyModel, build_model, load_model, save_model

__all__ = ["AnomalyModel", "build_model", "load_model", "save_model"]
