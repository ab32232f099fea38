"""Clip-feature extraction over a corpus: one task per video, from its anonymized frames, resumable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from privad.errors import PrivadError
from privad.protect.config import AnonymizeConfig
from privad.vad.weak.clips import ClipFeatures, FeatureConfig


_EXTRACTORS: dict[str, ClipFeatures] = {}


def extract_one(source: str | Path, path: Path, config: FeatureConfig, anonymize: AnonymizeConfig | None) -> Path:
    """One task: features of one video (from its anonymized frames when `anonymize` is given) → `path`, atomically.
    The extractor is loaded once per process."""
    from privad.io.atomic import commit, temp_path_for
    from privad.io.sources import read_all
    from privad.engine.views import anonymized

    key = config.model_dump_json()
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = ClipFeatures(config)
    feats = _EXTRACTORS[key](anonymized(read_all(source)[0], anonymize))
    temp = temp_path_for(path)
    with temp.open("wb") as fh:
        np.save(fh, feats.astype(np.float32))
    commit(temp, path)
    return path


def extract_to_dir(inputs: list, outdir: Path, config: FeatureConfig, anonymize: AnonymizeConfig | None = None,
                   progress: Callable[[str], None] | None = None, executor=None) -> list[Path]:
    """Write OUTDIR/NAME.npy per input, one task each (see `privad.engine.executor`), and OUTDIR/features.json.

    Files already there are kept (a rerun resumes) when features.json records the same settings; a folder made
    with other settings is refused. Failed videos are named in the error raised after the others finish."""
    import json

    from privad.engine.executor import LocalExecutor, failures_line
    from privad.io.corpus import video_name

    outdir = Path(outdir)
    meta = {"features": config.model_dump(mode="json"),
            "anonymize": anonymize.model_dump(mode="json") if anonymize else None}
    record = outdir / "features.json"
    if record.is_file() and json.loads(record.read_text()) != meta:
        raise PrivadError(f"{outdir} holds features made with other settings; use another output folder")
    outdir.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(meta, indent=2))
    paths = {video_name(s): outdir / f"{video_name(s)}.npy" for s in inputs}
    todo = {name: (s, paths[name], config, anonymize) for name, s in zip(paths, inputs) if not paths[name].is_file()}
    executor = executor or LocalExecutor()
    failed = failures_line(executor.run(extract_one, todo, progress and (lambda o: progress(o.key))))
    if failed:
        raise PrivadError(f"feature extraction: {failed} (finished files are kept; rerun to resume)")
    return list(paths.values())
