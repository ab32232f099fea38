"""Evaluate a model on a dataset: fit on its training split, score its test split, every frame and region metric.

With an executor (or a work folder) each test video is scored as one task, resumable through the work folder.
"""

from __future__ import annotations

import functools
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from privad.data import Dataset, views
from privad.engine.executor import Executor, LocalExecutor, failures_line
from privad.engine.fit import EpochCallback, fit_sources
from privad.engine.outputs import write_video_report
from privad.engine.views import MAX_TRAIN_FRAMES, anonymized, frames_of, training_plan
from privad.engine.workdir import WorkDir, settings_key
from privad.io.atomic import write_text
from privad.errors import PrivadError
from privad.io.atomic import commit, temp_path_for
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
from privad.protect.config import AnonymizeConfig
from privad.types import VideoScore
from privad.vad import AnomalyModel, load_model, save_model
from privad.vad.registry import DEFAULT
from privad.version import __version__


def evaluate(dataset: Dataset, kind: str = DEFAULT, anonymize: AnonymizeConfig | None = None,
             config: dict | None = None, max_test: int | None = None, max_train: int | None = None,
             progress: Callable[[str], None] | None = None, on_epoch: EpochCallback | None = None,
             executor: Executor | None = None, workdir: Path | None = None, report_dir: Path | None = None,
             fps: float = 25.0, max_train_frames: int | None = MAX_TRAIN_FRAMES) -> EvaluationResult:
    """Fit a one-class model of `kind` on the dataset's training split, score its test split, compute every frame
    and region metric. A dataset of several camera views (`privad.data.views`) gets a model per view, fitted on that
    view's training videos and scoring its test videos; the metrics pool every test video. With an `executor` (or a
    `workdir`), each test video is scored as one task. `report_dir`: also a report page per test video
    (REPORT_DIR/NAME/report.html, with its labelled spans; `fps` for its time axis). At most `max_train_frames`
    training frames are read in all (`training_plan`, an equal share per view; None: all)."""
    train = dataset.train[:max_train] if max_train else dataset.train
    test = dataset.test[:max_test] if max_test else dataset.test
    if report_dir is not None and (executor is not None or workdir is not None):
        raise PrivadError("report pages are written by the in-process evaluation (no --executor/--work-dir)")
    if executor is not None or workdir is not None:
        return evaluate_tasks(dataset, executor or LocalExecutor(), kind, anonymize, config, train, test, workdir,
                              progress, on_epoch, max_train_frames)
    groups = views(train, test)
    fit_seconds = score_seconds = 0.0
    scored, fitted, first = {}, [], None
    for (_, view_train, view_test), lengths in zip(groups, view_plans(groups, max_train_frames)):
        start = time.perf_counter()
        m = _fit_view(view_train, lengths, kind, config, anonymize, progress, on_epoch)
        fit_seconds += time.perf_counter() - start
        fitted.append(_fit_facts(m, lengths))
        first = m if first is None else first  # what the result names; the others are let go once scored
        start = time.perf_counter()
        for v in view_test:
            # a report draws the frames: keep them; otherwise the model reads them as they are decoded
            frames = anonymized(v.frames(), anonymize) if report_dir is not None else frames_of(v.source, anonymize)
            scored[v.name] = m.score(frames, v.name)
            if report_dir is not None:
                shown = f"anonymized with {anonymize.method}, as scored" if anonymize else "raw, as scored"
                write_video_report(Path(report_dir) / v.name / "report.html",
                                   f"privad evaluate: {dataset.name} {v.name}", scored[v.name], frames,
                                   m.fitted_.threshold, fps, shown, v.labels)
            if progress:
                progress(v.name)
        score_seconds += time.perf_counter() - start
        del m  # before the next view's model is fitted
    return build_result(dataset.name, first, anonymize, test, [scored[v.name] for v in test], fit_seconds,
                        score_seconds, _train_info(fitted, [view for view, _, _ in groups]))


def view_budget(budget: int | None, count: int) -> int | None:
    """Each of `count` camera views' share of a fit's training frame `budget` (None: no limit)."""
    return None if budget is None else max(1, budget // count)


def view_plans(groups: list[tuple[str, list, list]], budget: int | None) -> list[list[int]]:
    """The `training_plan` of each camera view of `views`, within its share of the training frame `budget`."""
    share = view_budget(budget, len(groups))
    return [training_plan([v.num_frames for v in train], share) for _, train, _ in groups]


def _fit_view(train: list, lengths: list[int], kind: str, config: dict | None, anonymize: AnonymizeConfig | None,
              progress: Callable[[str], None] | None, on_epoch: EpochCallback | None) -> AnomalyModel:
    """A model fitted on one camera view's training videos, the first `lengths` frames of each."""
    return fit_sources(kind, config, [v.source for v in train], anonymize, lengths, progress, on_epoch)


def _fit_facts(m: AnomalyModel, lengths: list[int]) -> tuple[int | None, list[int]]:
    """What `_train_info` keeps of one view's fit: its training regions and the frames it read of each video."""
    return m.fitted_.info.get("train_regions"), lengths


def _train_info(fitted: list[tuple[int | None, list[int]]], names: list[str]) -> dict:
    """What the fits read (`_fit_facts` of each), over every camera view: videos, frames (the `training_plan`'s),
    regions; and the views' names where there are several."""
    regions = [r for r, _ in fitted]
    info = {"train_videos": sum(1 for _, lengths in fitted for n in lengths if n),
            "train_frames": sum(sum(lengths) for _, lengths in fitted),
            "train_regions": None if None in regions else sum(regions)}
    return info | ({"views": names} if len(names) > 1 else {})


@functools.lru_cache(maxsize=2)
def _model(model_file: Path, stamp: int):
    return load_model(model_file)


def score_video(model_file: Path, source: str | Path, name: str) -> VideoScore:
    """One task: the fitted model (read once per worker process), the video anonymized as the model was fitted,
    its scores."""
    model, view = _model(Path(model_file), Path(model_file).stat().st_mtime_ns)
    return model.score(frames_of(source, view), name)


def save_score(path: Path, result: VideoScore, seconds: float) -> None:
    """One video's frame and region scores and the task's seconds, written atomically."""
    temp = temp_path_for(path)
    with temp.open("wb") as fh:
        np.savez(fh, frames=result.frames, regions=np.array(result.regions, float).reshape(-1, 6),
                 seconds=np.float64(seconds))
    commit(temp, path)


def load_score(path: Path, name: str) -> tuple[VideoScore, float]:
    with np.load(path, allow_pickle=False) as z:
        regions = [(int(r[0]), *map(float, r[1:])) for r in z["regions"]]
        return VideoScore(name, z["frames"], regions), float(z["seconds"])


def evaluate_tasks(dataset: Dataset, executor: Executor, kind: str = DEFAULT,
                   anonymize: AnonymizeConfig | None = None, config: dict | None = None, train: list | None = None,
                   test: list | None = None, workdir: Path | None = None, progress: Callable[[str], None] | None = None,
                   on_epoch: EpochCallback | None = None,
                   max_train_frames: int | None = MAX_TRAIN_FRAMES) -> EvaluationResult:
    """Fit here (or reuse the fit in `workdir`), then score each test video as a task of `executor`.

    WORKDIR/KEY/ keeps model.privad and scores/NAME.npz as each finishes (with the task's seconds: `score_fps` is per
    worker), KEY naming the dataset, model, settings and training videos: a rerun skips what is there. Any failed
    video is named in the error raised after the others have finished (the metrics need every video)."""
    train = dataset.train if train is None else train
    test = dataset.test if test is None else test
    groups = views(train, test)
    plans = view_plans(groups, max_train_frames)
    names = [view for view, _, _ in groups]
    settings = {"dataset": dataset.name, "root": str(dataset.root), "kind": kind, "config": config or {},
                "anonymize": anonymize.model_dump(mode="json") if anonymize else None,
                "train": [v.name for _, tr, _ in groups for v in tr], "privad": __version__}
    if len(groups) > 1:
        settings["views"] = names
    if any(n < v.num_frames for (_, tr, _), plan in zip(groups, plans) for v, n in zip(tr, plan)):
        # a fit that read only part of the training videos
        settings["train_frames"] = plans[0] if len(groups) == 1 else dict(zip(names, plans))
    root = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="privad-evaluate-"))
    work = WorkDir(root / settings_key(settings), settings)
    (work.folder / "scores").mkdir(exist_ok=True)
    fit_seconds, fitted, model_of, first = 0.0, [], {}, None
    for (view, tr, te), lengths in zip(groups, plans):
        suffix = f"-{view}" if len(groups) > 1 else ""  # one view: the names a work folder had before views
        model_file, fit_file = work.folder / f"model{suffix}.privad", work.folder / f"fit{suffix}.json"
        if work.done(f"fit{suffix}", model_file):
            m, _ = load_model(model_file)
            seconds = float(fit_file.read_text())
        else:
            start = time.perf_counter()
            m = _fit_view(tr, lengths, kind, config, anonymize, progress, on_epoch)
            seconds = time.perf_counter() - start
            save_model(m, anonymize, model_file)
            write_text(fit_file, str(seconds))
            work.mark(f"fit{suffix}")
        fit_seconds += seconds
        fitted.append(_fit_facts(m, lengths))
        first = m if first is None else first
        del m  # before the next view's model is fitted
        model_of |= {v.name: model_file for v in te}
    results = {v.name: work.folder / "scores" / f"{v.name}.npz" for v in test}
    todo = work.pending({v.name: (model_of[v.name], v.source, v.name) for v in test}, results)

    def done(outcome) -> None:
        if outcome.ok:
            save_score(results[outcome.key], outcome.value, outcome.seconds)
            work.mark(outcome.key)
        if progress:
            progress(outcome.key)

    failed = failures_line(executor.run(score_video, todo, done))
    if failed:
        raise PrivadError(f"scoring: {failed} (finished videos are kept in {work.folder}; rerun to resume)")
    loaded = [load_score(results[v.name], v.name) for v in test]
    score_seconds = sum(s for _, s in loaded)  # task time summed over videos: scoring fps per worker
    return build_result(dataset.name, first, anonymize, test, [r for r, _ in loaded], fit_seconds,
                        score_seconds, _train_info(fitted, names) | {"executor": executor.name,
                                                                     "resumed_videos": len(test) - len(todo)})


def build_result(dataset: str, m: AnomalyModel, anonymize: AnonymizeConfig | None, test: list, results: list,
                 fit_seconds: float, score_seconds: float, extra: dict) -> EvaluationResult:
    """Every frame metric (and RBDC/TBDC when the test videos have pixel masks and the model scores regions)."""
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
