"""Evaluation with one scoring task per test video (any executor), resumable through a work folder."""

from __future__ import annotations

import functools
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from privad.config import AnonymizeConfig
from privad.data import Dataset
from privad.errors import PrivadError
from privad.executor import Executor, failures_line
from privad.vad.scoring import VideoScore


@functools.lru_cache(maxsize=2)
def _model(model_file: Path, stamp: int):
    from privad.vad.base import load_model

    return load_model(model_file)


def score_video(model_file: Path, source: str | Path, name: str) -> VideoScore:
    """One task: the fitted model (read once per worker process), the video anonymized as the model was fitted,
    its scores."""
    from privad.io.sources import read_all
    from privad.vad.engine import anonymized

    model, view = _model(Path(model_file), Path(model_file).stat().st_mtime_ns)
    return model.score(anonymized(read_all(source)[0], view), name)


def save_score(path: Path, result: VideoScore, seconds: float) -> None:
    """One video's frame and region scores and the task's seconds, written atomically."""
    from privad.io.atomic import commit, temp_path_for

    temp = temp_path_for(path)
    with temp.open("wb") as fh:
        np.savez(fh, frames=result.frames, regions=np.array(result.regions, float).reshape(-1, 6),
                 seconds=np.float64(seconds))
    commit(temp, path)


def load_score(path: Path, name: str) -> tuple[VideoScore, float]:
    with np.load(path) as z:
        regions = [(int(r[0]), *map(float, r[1:])) for r in z["regions"]]
        return VideoScore(name, z["frames"], regions), float(z["seconds"])


def _run_key(dataset: Dataset, model: str, anonymize: AnonymizeConfig | None, config: dict | None,
             train: list) -> str:
    text = json.dumps({"dataset": dataset.name, "root": str(dataset.root), "model": model, "config": config or {},
                       "anonymize": anonymize.model_dump(mode="json") if anonymize else None,
                       "train": [v.name for v in train]}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def evaluate_tasks(dataset: Dataset, executor: Executor, model: str = "attribute",
                   anonymize: AnonymizeConfig | None = None, config: dict | None = None, train: list | None = None,
                   test: list | None = None, workdir: Path | None = None, progress=None, on_epoch=None):
    """Fit here (or reuse the fit in `workdir`), then score each test video as a task of `executor`.

    WORKDIR/KEY/ keeps model.pkl and scores/NAME.npz as each finishes (with the task's seconds: `score_fps` is per worker), KEY naming the dataset, model, settings
    and training videos: a rerun skips what is there. Any failed video is named in the error raised after the
    others have finished (the metrics need every video)."""
    from privad.vad.base import load_model, save_model
    from privad.vad.engine import _fit, _videos, build_result

    train = dataset.train if train is None else train
    test = dataset.test if test is None else test
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="privad-evaluate-"))
    folder = Path(workdir) / _run_key(dataset, model, anonymize, config, train)
    (folder / "scores").mkdir(parents=True, exist_ok=True)
    model_file, fit_file = folder / "model.pkl", folder / "fit.json"
    if model_file.is_file() and fit_file.is_file():
        m, _ = load_model(model_file)
        fit_seconds = json.loads(fit_file.read_text())["seconds"]
    else:
        start = time.perf_counter()
        m = _fit(model, config, _videos([v.source for v in train], anonymize, progress), on_epoch)
        fit_seconds = time.perf_counter() - start
        save_model(m, anonymize, model_file)
        fit_file.write_text(json.dumps({"seconds": fit_seconds}))
    todo = {v.name: (model_file, v.source, v.name) for v in test if not (folder / "scores" / f"{v.name}.npz").is_file()}

    def done(outcome) -> None:
        if outcome.ok:
            save_score(folder / "scores" / f"{outcome.key}.npz", outcome.value, outcome.seconds)
        if progress:
            progress(outcome.key)

    failed = failures_line(executor.run(score_video, todo, done))
    if failed:
        raise PrivadError(f"scoring: {failed} (finished videos are kept in {folder}; rerun to resume)")
    loaded = [load_score(folder / "scores" / f"{v.name}.npz", v.name) for v in test]
    results = [r for r, _ in loaded]
    score_seconds = sum(s for _, s in loaded)  # task time summed over videos: scoring fps per worker
    return build_result(dataset.name, m, anonymize, test, results, fit_seconds, score_seconds,
                        {"train_videos": len(train), "train_regions": m.state.get("train_regions"),
                         "executor": executor.name, "resumed_videos": len(test) - len(todo)})
