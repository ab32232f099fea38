"""Frame-level VAD metrics over lists of per-video score and label arrays.

Conventions (docs/conventions.md):
- micro: one curve over all frames of all videos concatenated;
- macro: the mean of per-video AUCs; a video whose frames are all one class has no AUC and is left out of the mean,
  with a warning that counts them;
- `frame_ap` is average precision (step-wise, scikit-learn); `frame_pr_auc` is the trapezoid area under the PR
  curve, the figure MGFN-style code reports as "AP".
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence

import numpy as np
from sklearn.metrics import (
    auc,
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from privad.errors import PrivadError
from privad.postprocess import Arrays



def check_scores(scores: Arrays, labels: Arrays) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Validate per-video scores and labels (same count, same lengths, finite, binary labels)."""
    if len(scores) != len(labels):
        raise PrivadError(f"{len(scores)} score arrays for {len(labels)} label arrays")
    if len(scores) == 0:
        raise PrivadError("no videos to evaluate")
    out_s, out_l = [], []
    for i, (s, y) in enumerate(zip(scores, labels)):
        s = np.asarray(s, np.float64).reshape(-1)
        y = np.asarray(y).reshape(-1)
        if len(s) != len(y):
            raise PrivadError(f"video {i}: {len(s)} scores for {len(y)} labelled frames")
        if not np.isfinite(s).all():
            raise PrivadError(f"video {i}: {int((~np.isfinite(s)).sum())} scores are NaN or infinite")
        if not np.isin(y, (0, 1)).all():
            raise PrivadError(f"video {i}: labels must be 0/1")
        out_s.append(s)
        out_l.append(y.astype(int))
    return out_s, out_l


def _concat(scores: Arrays, labels: Arrays) -> tuple[np.ndarray, np.ndarray]:
    s, y = check_scores(scores, labels)
    s, y = np.concatenate(s), np.concatenate(y)
    if y.min() == y.max():
        raise PrivadError("all frames have the same label; the metric is undefined")
    return s, y


def frame_auc(scores: Arrays, labels: Arrays, average: str = "micro") -> float:
    """ROC AUC, micro (all frames pooled) or macro (mean over videos that have both classes)."""
    if average == "micro":
        return float(roc_auc_score(*reversed(_concat(scores, labels))))
    if average != "macro":
        raise PrivadError(f"average must be 'micro' or 'macro', got '{average}'")
    s, y = check_scores(scores, labels)
    aucs = [roc_auc_score(yi, si) for si, yi in zip(s, y) if yi.min() != yi.max()]
    skipped = len(s) - len(aucs)
    if not aucs:
        raise PrivadError("macro AUC: every video has frames of one class only")
    if skipped:
        warnings.warn(f"macro AUC: {skipped} of {len(s)} videos have one class only and are left out", stacklevel=2)
    return float(np.mean(aucs))


def paired_auc_bootstrap(a: Arrays, b: Arrays, labels: Arrays, groups: Sequence[Hashable], resamples: int = 1000,
                         seed: int = 0) -> np.ndarray:
    """Micro AUC of scores `a` minus that of scores `b` on the same videos (`labels`), over `resamples` bootstrap
    resamples of `groups` (one id per video, e.g. the held-out video a copy was made from: a resample draws groups
    with replacement, each with all its videos)."""
    ids = sorted(set(groups))
    members = {g: [j for j, h in enumerate(groups) if h == g] for g in ids}
    rng = np.random.default_rng(seed)
    out = np.empty(resamples)
    for r in range(resamples):
        picked = [j for g in rng.choice(len(ids), len(ids)) for j in members[ids[g]]]
        y = [labels[j] for j in picked]
        out[r] = frame_auc([a[j] for j in picked], y) - frame_auc([b[j] for j in picked], y)
    return out


def frame_ap(scores: Arrays, labels: Arrays) -> float:
    """Average precision (micro), abnormal frames as positives."""
    s, y = _concat(scores, labels)
    return float(average_precision_score(y, s))


def frame_pr_auc(scores: Arrays, labels: Arrays) -> float:
    """Trapezoid area under the precision-recall curve (micro)."""
    s, y = _concat(scores, labels)
    precision, recall, _ = precision_recall_curve(y, s)
    return float(auc(recall, precision))


def eer(scores: Arrays, labels: Arrays) -> float:
    """Equal error rate: where the false-positive rate equals the miss rate (linear interpolation on the ROC)."""
    s, y = _concat(scores, labels)
    fpr, tpr, _ = roc_curve(y, s)
    fnr = 1 - tpr
    diff = fpr - fnr  # rises from -1 to +1
    i = int(np.argmax(diff >= 0))
    if i == 0 or diff[i] == 0:
        return float(fpr[i])
    t = -diff[i - 1] / (diff[i] - diff[i - 1])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))
