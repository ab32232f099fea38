"""Privacy attributes (the TeD-SPAD/LA3D protocol): train a multi-label classifier on (anonymized) images, report
cMAP (macro average precision over attributes) and macro F1 at 0.5 on (anonymized) test images.

The classifier is a linear probe — one logistic regression per attribute on frozen ImageNet MobileNetV2 features —
rather than a fine-tuned network: it trains in seconds on a CPU. It therefore measures how much attribute information
is *linearly* readable from generic features, a lower bound on what a fine-tuned attacker would get.

Dataset layout (VISPR style): `ROOT/SPLIT/` holds images, each with a `.json` of the same stem,
`{"labels": ["a17_color", ...]}`; or images in `ROOT/images/SPLIT/` with annotations in `ROOT/annotations/SPLIT/`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from privad.errors import PrivadError
from privad.io.images import IMAGE_EXTS, read_image


@dataclass
class AttributeSet:
    paths: list[Path]
    labels: list[set[str]]


def load_vispr_split(root: Path, split: str) -> AttributeSet:
    """Images and their attribute labels of one split (see the module docstring for the layouts)."""
    root = Path(root)
    images, notes = root / split, root / split
    if not images.is_dir():
        images, notes = root / "images" / split, root / "annotations" / split
    if not images.is_dir():
        raise PrivadError(f"no '{split}' split under {root} (expected {root / split} or {root / 'images' / split})")
    paths, labels = [], []
    for p in sorted(images.iterdir()):
        if p.suffix.lower() not in IMAGE_EXTS:
            continue
        note = notes / f"{p.stem}.json"
        if not note.is_file():
            raise PrivadError(f"no label file {note} for image {p.name}")
        try:
            labels.append(set(json.loads(note.read_text())["labels"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PrivadError(f"{note}: expected a JSON object with a 'labels' list") from exc
        paths.append(p)
    if not paths:
        raise PrivadError(f"no images in {images}")
    return AttributeSet(paths, labels)


def _embed(data: AttributeSet, anonymize: Callable[[np.ndarray], np.ndarray] | None, size: int) -> np.ndarray:
    from privad.backbones.appearance import AppearanceEncoder

    images = []
    for p in data.paths:
        image = read_image(str(p))
        if image is None:
            raise PrivadError(f"cannot read image {p}")
        images.append(anonymize(image) if anonymize else image)
    return AppearanceEncoder(size=size)(images)


def attribute_privacy(train: AttributeSet, test: AttributeSet, anonymize: Callable[[np.ndarray], np.ndarray] | None
                      = None, attributes: list[str] | None = None, size: int = 160, seed: int = 0) -> dict:
    """Fit the probe on `train`, evaluate on `test`, both passed through `anonymize` (None = raw).

    Attributes that are all-positive or all-negative in the training set cannot be learnt, and those without both
    classes in the test set have no AP: both are listed in the result, not silently dropped.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score

    names = sorted(set().union(*train.labels)) if attributes is None else list(attributes)
    y_train = np.array([[a in s for a in names] for s in train.labels], int)
    y_test = np.array([[a in s for a in names] for s in test.labels], int)
    x_train, x_test = _embed(train, anonymize, size), _embed(test, anonymize, size)
    per, untrainable, unscored = {}, [], []
    for j, name in enumerate(names):
        if y_train[:, j].min() == y_train[:, j].max():
            untrainable.append(name)
            continue
        if y_test[:, j].min() == y_test[:, j].max():
            unscored.append(name)
            continue
        clf = LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed)
        prob = clf.fit(x_train, y_train[:, j]).predict_proba(x_test)[:, 1]
        per[name] = {"ap": float(average_precision_score(y_test[:, j], prob)),
                     "f1": float(f1_score(y_test[:, j], prob >= 0.5, zero_division=0))}
    if not per:
        raise PrivadError("no attribute has both classes in the training and the test split")
    return {
        "cmap": float(np.mean([v["ap"] for v in per.values()])),
        "macro_f1": float(np.mean([v["f1"] for v in per.values()])),
        "attributes": per, "untrainable": untrainable, "unscored": unscored,
        "train_images": len(train.paths), "test_images": len(test.paths),
    }
