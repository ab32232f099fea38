"""Fit and evaluate the weakly-supervised models: on feature datasets (UCF-Crime, XD-Violence), on a folder of
feature files with a label file, or on a one-class video dataset re-split for weak supervision (`weak_split`)."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from privad.protect.config import AnonymizeConfig
from privad.data import Dataset, Video
from privad.errors import PrivadError
from privad.metrics import EvaluationResult
from privad.engine.fit import fit_model
from privad.vad import build_model, save_model
from privad.vad.registry import WEAK, is_weak
from privad.engine.evaluate import build_result
from privad.engine.views import anonymized
from privad.vad.weak.models import WeakModel


def weak_split(dataset: Dataset) -> tuple[list[tuple[Video, int]], list[Video]]:
    """The fixed re-split of a one-class dataset: all training videos (normal, label 0) plus the 2nd, 4th, 6th, ...
    test videos with their video label (1 when any frame is abnormal) train; the 1st, 3rd, 5th, ... are evaluated.
    The rule is positional and was fixed before any score was seen."""
    if any(v.labels is None for v in dataset.test):
        raise PrivadError("--weak-split needs frame labels for every test video")
    train = [(v, 0) for v in dataset.train] + [(v, int(v.labels.any())) for v in dataset.test[1::2]]
    return train, dataset.test[0::2]


def read_labels(path: Path) -> dict[str, int]:
    """A label file: CSV or whitespace lines `NAME,LABEL` / `NAME LABEL` (header optional). LABEL is 0 (normal) or
    1 (abnormal), or a class number (0 normal, k > 0 the k-th prompt of pel's text features)."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"label file not found: {path}")
    out: dict[str, int] = {}
    for row in csv.reader(line.replace("\t", ",").replace(" ", ",") for line in path.read_text().splitlines()):
        row = [c for c in row if c.strip()]
        if not row or row[0].lower() in ("name", "video"):
            continue
        if len(row) != 2 or not row[1].isdigit():
            raise PrivadError(f"{path.name}: expected 'NAME,LABEL' with LABEL 0, 1 or a class number, "
                              f"got '{','.join(row)}'")
        out[Path(row[0]).stem] = int(row[1])
    if not out:
        raise PrivadError(f"{path.name} has no labels")
    return out


def folder_items(features: Path, labels: Path) -> list[tuple[np.ndarray, int]]:
    """(features, label) of every NAME.npy in `features` that the label file names; unlabelled files are an error."""
    features = Path(features)
    files = sorted(features.glob("*.npy")) if features.is_dir() else []
    if not files:
        raise PrivadError(f"no .npy feature files in {features}")
    known = read_labels(labels)
    missing = [f.name for f in files if f.stem not in known]
    if missing:
        raise PrivadError(f"{len(missing)} feature files have no label in {Path(labels).name}, e.g. {missing[0]}")
    return [(np.load(f), known[f.stem]) for f in files]


def fit_weak(items: list[tuple[np.ndarray, int]], model: str, config: dict | None = None,
             output: Path | None = None, on_epoch=None, anonymize: AnonymizeConfig | None = None) -> WeakModel:
    """Train a weak model on (features, label) pairs; save it when `output` is given, with the anonymization the
    features were extracted after (so scoring new videos anonymizes them the same way)."""
    if not is_weak(model):
        raise PrivadError(f"'{model}' is not a weakly-supervised model ({', '.join(WEAK)})")
    m = fit_model(model, config, [f for f, _ in items], [label for _, label in items], on_epoch=on_epoch)
    if output is not None:
        save_model(m, anonymize, output)
    return m


def evaluate_weak(dataset: Dataset, model: str = "pel", config: dict | None = None,
                  anonymize: AnonymizeConfig | None = None, use_weak_split: bool = False,
                  progress: Callable[[str], None] | None = None, on_epoch=None,
                  cache: dict | None = None) -> EvaluationResult:
    """Train on the training videos' features and video labels, score the test videos' clips, compute the metrics.
    Frame datasets get their features extracted here (after anonymization, when given); pass the same `cache` dict
    to several calls with the same features and anonymization to extract them once."""
    if not is_weak(model):
        raise PrivadError(f"'{model}' is not a weakly-supervised model ({', '.join(WEAK)})")
    m = build_model(model, config)
    if use_weak_split:
        train, test = weak_split(dataset)
    else:
        train, test = [(v, v.label) for v in dataset.train], dataset.test
        if any(label is None for _, label in train) or len({label for _, label in train}) < 2:
            raise PrivadError(f"{dataset.name}'s training split has no abnormal videos with labels: use --weak-split")
    extractor = None

    def features(v: Video) -> np.ndarray:
        nonlocal extractor
        if cache is not None and str(v.source) in cache:
            return cache[str(v.source)]
        if v.features is not None:
            out = np.load(v.features)
        else:
            if extractor is None:
                from privad.vad.weak.clips import ClipFeatures

                extractor = ClipFeatures(m.config.features)
            out = extractor(anonymized(v.frames(), anonymize))
            if cache is not None:
                cache[str(v.source)] = out
        if progress:
            progress(v.name)
        return out

    start = time.perf_counter()
    m.on_epoch = on_epoch
    m.fit([features(v) for v, _ in train], [label for _, label in train])
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    results = [m.score_features(features(v), v.num_frames, v.name) for v in test]
    score_seconds = time.perf_counter() - start
    return build_result(dataset.name, m, anonymize, test, results, fit_seconds, score_seconds,
                        {"train_videos": len(train), "train_abnormal": sum(label for _, label in train),
                         "weak_split": use_weak_split, "train_seconds": m.fitted_.info["train_seconds"],
                         "features": m.config.features.model_dump(mode="json")})
