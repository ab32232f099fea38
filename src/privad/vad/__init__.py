"""Anomaly models only: the protocol, the registry, safe model files, events; one-class and weak models."""

from privad.vad.model import AnomalyModel, Fitted
from privad.vad.persistence import load_model, save_model
from privad.vad.registry import MODELS, build_model

__all__ = ["MODELS", "AnomalyModel", "Fitted", "build_model", "load_model", "save_model"]
