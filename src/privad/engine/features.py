"""Clip-feature extraction over a corpus: one task per video, from its anonymized frames, resumable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from privad.engine.executor import Executor, LocalExecutor, failures_line
from privad.engine.views import anonymized_stream
from privad.engine.workdir import WorkDir
from privad.errors import PrivadError
from privad.io.atomic import commit, temp_path_for
from privad.io.corpus import video_name
from privad.io.sources import iter_images
from privad.protect.config import AnonymizeConfig
from privad.vad.weak.clips import ClipFeatures, FeatureConfig


_EXTRACTORS: dict[str, ClipFeatures] = {}


def extract_one(source: str | Path, path: Path, config: FeatureConfig, anonymize: AnonymizeConfig | None) -> Path:
    """One task: features of one video (from its anonymized frames when `anonymize` is given) → `path`, atomically.
    The extractor is loaded once per process."""
    key = config.model_dump_json()
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = ClipFeatures(config)
    feats = _EXTRACTORS[key](list(anonymized_stream(iter_images(source), anonymize)))  # never held twice
    temp = temp_path_for(path)
    with temp.open("wb") as fh:
        np.save(fh, feats.astype(np.float32))
    commit(temp, path)
    return path


def extract_to_dir(inputs: list, outdir: Path, config: FeatureConfig, anonymize: AnonymizeConfig | None = None,
                   progress: Callable[[str], None] | None = None, executor: Executor | None = None) -> list[Path]:
    """Write OUTDIR/NAME.npy per input, one task each (see `privad.engine.executor`), and OUTDIR/features.json.

    Files already made with the same settings are kept (a rerun resumes); a folder whose features.json records
    other settings is refused (its files only make sense together). Failed videos are named in the error raised
    after the others finish."""
    work = WorkDir(outdir, {"features": config.model_dump(mode="json"),
                            "anonymize": anonymize.model_dump(mode="json") if anonymize else None},
                   record="features.json", on_other="refuse")
    paths = {video_name(s): work.folder / f"{video_name(s)}.npy" for s in inputs}
    todo = work.pending({name: (s, paths[name], config, anonymize) for name, s in zip(paths, inputs)}, paths)

    def done(outcome) -> None:
        if outcome.ok:
            work.mark(outcome.key)
        if progress:
            progress(outcome.key)

    failed = failures_line((executor or LocalExecutor()).run(extract_one, todo, done))
    if failed:
        raise PrivadError(f"feature extraction: {failed} (finished files are kept; rerun to resume)")
    return list(paths.values())
