"""Fit, score and evaluate one-class models on videos or datasets, optionally on anonymized frames."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from privad.config import AnonymizeConfig
from privad.data import Dataset
from privad.errors import PrivadError
from privad.io.sources import read_all
from privad.metrics import (
    EvaluationResult,
    PostProcess,
    eer,
    frame_ap,
    frame_auc,
    frame_pr_auc,
    rbdc_tbdc,
    regions_from_masks,
)
from privad.pipeline import Anonymizer
from privad.vad.base import AnomalyModel, build_model, save_model


def write_csv(path: Path, header: list[str], rows) -> None:
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_scores(folder: Path, result) -> None:
    """FOLDER/scores.csv (frame, score) and FOLDER/regions.csv (frame, x1, y1, x2, y2, score)."""
    write_csv(folder / "scores.csv", ["frame", "score"], ((i, f"{s:.6f}") for i, s in enumerate(result.frames)))
    write_csv(folder / "regions.csv", ["frame", "x1", "y1", "x2", "y2", "score"],
              ((f, round(a, 1), round(b, 1), round(c, 1), round(d, 1), f"{s:.6f}")
               for f, a, b, c, d, s in result.regions))


class AnonymizedView:
    """Frames as a model sees them, through one persistent anonymizer (tracks and background models carry over
    between calls, so a long video can be passed chunk by chunk). Frame count kept; `None`/`no-an` = as they are."""

    def __init__(self, config: AnonymizeConfig | None):
        active = config is not None and config.method != "no-an"
        self.anonymizer = Anonymizer(config.model_copy(update={"on_error": "obfuscate"})) if active else None
        self._primed = False

    def __call__(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        if self.anonymizer is None:
            return frames
        if not self._primed:
            self.anonymizer.prime(frames[: self.anonymizer.warmup])
            self._primed = True
        return [self.anonymizer.process(f).image for f in frames]


def anonymized(frames: list[np.ndarray], config: AnonymizeConfig | None) -> list[np.ndarray]:
    """The frames as the model sees them: through the anonymizer (frame count kept) or as they are."""
    return AnonymizedView(config)(frames)


def _videos(sources, anonymize: AnonymizeConfig | None, progress=None) -> Iterator[list[np.ndarray]]:
    for s in sources:
        yield anonymized(read_all(s)[0], anonymize)
        if progress:
            progress(str(s))


def _fit(model: str, config: dict | None, videos, on_epoch=None) -> AnomalyModel:
    m = build_model(model, config)
    if on_epoch is not None and hasattr(m, "on_epoch"):
        m.on_epoch = on_epoch
    return m.fit(videos)


def fit(train: list, model: str = "attribute", anonymize: AnonymizeConfig | None = None,
        config: dict | None = None, output: Path | None = None, progress=None, on_epoch=None) -> AnomalyModel:
    """Fit a model on normal footage (paths of videos or frame folders); save it when `output` is given.
    `progress(name)` is called after each video is read, `on_epoch(epoch, epochs, loss)` after each training epoch
    of a trained model."""
    if not train:
        raise PrivadError("no training videos given")
    m = _fit(model, config, _videos(train, anonymize, progress), on_epoch)
    if output is not None:
        save_model(m, anonymize, output)
    return m


def score_to_dir(model: AnomalyModel, anonymize: AnonymizeConfig | None, inputs: list, outdir: Path,
                 progress=None) -> list[Path]:
    """Score videos; per video write OUTDIR/NAME/scores.csv (frame, score) and regions.csv."""
    written = []
    for source in inputs:
        name = Path(str(source)).stem or "video"
        result = model.score(anonymized(read_all(source)[0], anonymize), name)
        folder = Path(outdir) / name
        folder.mkdir(parents=True, exist_ok=True)
        write_scores(folder, result)
        written.append(folder)
        if progress:
            progress(name)
    return written


def evaluate(dataset: Dataset, model: str = "attribute", anonymize: AnonymizeConfig | None = None,
             config: dict | None = None, max_test: int | None = None, max_train: int | None = None,
             progress=None, on_epoch=None, executor=None, workdir: Path | None = None) -> EvaluationResult:
    """Fit on the dataset's training split, score its test split, compute every frame and region metric.
    With an `executor` (or a `workdir`), each test video is scored as one task (see `privad.vad.batch`)."""
    train = dataset.train[:max_train] if max_train else dataset.train
    test = dataset.test[:max_test] if max_test else dataset.test
    if executor is not None or workdir is not None:
        from privad.executor import LocalExecutor
        from privad.vad.batch import evaluate_tasks

        return evaluate_tasks(dataset, executor or LocalExecutor(), model, anonymize, config, train, test, workdir,
                              progress, on_epoch)
    start = time.perf_counter()
    m = _fit(model, config, _videos([v.source for v in train], anonymize, progress), on_epoch)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    results = []
    for v in test:
        results.append(m.score(anonymized(v.frames(), anonymize), v.name))
        if progress:
            progress(v.name)
    score_seconds = time.perf_counter() - start
    return build_result(dataset.name, m, anonymize, test, results, fit_seconds, score_seconds,
                        {"train_videos": len(train), "train_regions": m.state.get("train_regions")})


def build_result(dataset: str, m: AnomalyModel, anonymize: AnonymizeConfig | None, test: list, results: list,
                 fit_seconds: float, score_seconds: float, extra: dict) -> EvaluationResult:
    """Every frame metric (and RBDC/TBDC when the test videos have pixel masks and the model scores regions)."""
    from privad import __version__

    scores = [r.frames for r in results]
    labels = [v.labels for v in test]
    if any(lab is None for lab in labels):
        raise PrivadError("every test video needs frame labels to evaluate")
    single = sum(1 for lab in labels if lab.min() == lab.max())
    rbdc = tbdc = None
    if all(v.has_masks for v in test) and any(r.regions for r in results):
        gt = regions_from_masks({v.name: v.masks() for v in test})
        dets = [(r.name, *reg) for r in results for reg in r.regions]
        rbdc, tbdc = rbdc_tbdc(dets, gt, sum(v.num_frames for v in test))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macro = frame_auc(scores, labels, "macro") if single < len(test) else None
    n_frames = sum(v.num_frames for v in test)
    return EvaluationResult(
        dataset=dataset, model=m.name,
        anonymization=anonymize.model_dump(mode="json", include={"method", "targets", "params", "hold"})
        if anonymize and anonymize.method != "no-an" else None,
        micro_auc=frame_auc(scores, labels), macro_auc=macro, ap=frame_ap(scores, labels),
        pr_auc=frame_pr_auc(scores, labels), rbdc=rbdc, tbdc=tbdc, eer=eer(scores, labels),
        fit_seconds=fit_seconds, score_fps=n_frames / score_seconds,
        postprocess=PostProcess(normalization="none", smoothing_sigma=getattr(m.config, "smoothing_sigma", 0.0)),
        test_videos=len(test), test_frames=n_frames, macro_excluded_videos=single, privad_version=__version__,
        extra={"model_config": m.config.model_dump(mode="json"), **extra},
    )
