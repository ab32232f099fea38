"""`privad demo`: the whole main job in one command, on Ped2 when it is at hand, else on a synthetic scene."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from privad.io.sinks import open_sink
from privad.io.sources import SourceInfo
from privad.io.sample_data import find_data_dir
from privad.engine.fit import fit
from privad.engine.run import JobSummary, run_job
from privad.engine.views import DEFAULT_ANONYMIZATION
from privad.data.synthetic import synthetic_scene

PED2_FPS = 10  # UCSD Ped2 was recorded at 10 frames per second


def _say(text: str) -> None:
    pass


def demo(outdir: Path, data: Path | None = None, train_videos: int = 4,
         say: Callable[[str], None] = _say) -> JobSummary:
    """Fit on normal footage (anonymized), then run the main job on a test video with anomalies; `say` is told each
    step (which data was found, what runs now)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    root = Path(data) if data else find_data_dir()
    ped2 = root / "ucsd_ped2" if root and (root / "ucsd_ped2").is_dir() else (root if root and (root / "training").is_dir() else None)
    if ped2 is not None:
        from privad.data import load_dataset

        dataset = load_dataset("ucsd_ped2", ped2)
        model_path = outdir / "ped2.privad"
        say(f"UCSD Ped2 found at {ped2}: fitting the default model on {train_videos} normal training videos "
            f"(moving objects anonymized with {DEFAULT_ANONYMIZATION.method})")
        fit([v.source for v in dataset.train[:train_videos]], anonymize=DEFAULT_ANONYMIZATION, output=model_path,
            progress=lambda name: say(f"  read {name}"))
        test = dataset.test[3]
        say(f"running the main job on test video {test.name} (anonymize, score, events, report)")
        return run_job(test.source, outdir / "run", model_path=model_path, fps=PED2_FPS, overwrite=True)
    where = f"{data}" if data else "../shared/data (or $PRIVAD_DATA)"
    say(f"no UCSD Ped2 under {where}: using a generated scene with a planted fast mover instead")
    frames, _ = synthetic_scene()
    h, w = frames[0].shape[:2]
    video = outdir / "synthetic_scene.mp4"
    with open_sink(video, SourceInfo(kind="frames", uri="synthetic", width=w, height=h, fps=Fraction(25))) as sink:
        for f in frames:
            sink.write(f)
    say("running the main job on it, the first 7 s as the normal reference")
    return run_job(video, outdir / "run", calibrate_seconds=7.0, overwrite=True)
