"""Commands of the detect half: fit, score, evaluate, run, demo, features extract."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from privad.cli.options import (
    Address,
    Dataset,
    Executor,
    Fps,
    JsonOut,
    Kind,
    MaxTrainFrames,
    Method,
    ModelFile,
    OldAnonymize,
    OldKind,
    Root,
    Set,
    Targets,
    Templates,
    View,
    Weights,
    Workers,
    anonymization,
    epoch_task,
    executor as open_executor,
    key_values,
    output,
    progress,
    renamed,
    settings,
    train_budget,
)
from privad.errors import PrivadError

features_app = typer.Typer(no_args_is_help=True, help="Clip features for the weakly-supervised models.")


def fit(
    train: Annotated[Optional[list[str]], typer.Argument(help="Normal training videos or frame folders.")] = None,
    output: Annotated[Path, output("Model file to write (e.g. scene.privad).")] = Path("scene.privad"),
    kind: Kind = None,
    set_: Set = None,
    dataset: Dataset = None,
    root: Root = None,
    view: View = None,
    method: Method = None,
    targets: Targets = None,
    weights: Weights = None,
    templates: Templates = None,
    features: Annotated[Optional[Path], typer.Option(help="Weak models: folder of NAME.npy clip features.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Weak models: NAME,LABEL file (1 = abnormal video).")] = None,
    max_train_frames: MaxTrainFrames = None,
    old_kind: OldKind = None,
    old_anonymize: OldAnonymize = None,
) -> None:
    """Fit an anomaly model: one-class on normal footage (anonymized with --method first, if given), or weakly
    supervised on labelled clip features."""
    from privad.engine.fit import fit as fit_one_class
    from privad.vad.registry import DEFAULT, MODELS, is_weak

    kind = renamed(old_kind, kind, "--model KIND", "--kind") or DEFAULT
    method = renamed(old_anonymize, method, "--anonymize", "--method")
    if kind not in MODELS:
        raise PrivadError(f"unknown model kind '{kind}'; available: {', '.join(MODELS)}")
    if is_weak(kind):
        if max_train_frames is not None:
            raise PrivadError(f"--max-train-frames applies to the one-class models, not '{kind}'")
        _fit_weak(kind, features, labels, set_, output)
        return
    if features or labels:
        raise PrivadError(f"--features/--labels are for the weak models (mil, mgfn, pel), not '{kind}'")
    sources = list(train or [])
    if dataset:
        from privad.data import load_dataset, one_view

        if root is None:
            raise PrivadError("--dataset needs --root")
        sources += [v.source for v in one_view(load_dataset(dataset, root).train, view)]
    elif view is not None:
        raise PrivadError("--view picks a dataset's videos: give --dataset too")
    start = time.perf_counter()
    with progress(unit="videos/s") as bar:
        task = bar.add_task("fit", total=len(sources))
        m = fit_one_class(sources, kind=kind, anonymize=anonymization(method, targets, weights, templates),
                          output=output, config=key_values(set_), progress=lambda _: bar.advance(task),
                          on_epoch=epoch_task(bar), **train_budget(max_train_frames))
    edge = m.fitted_.info.get("edge_regions_left_out")  # `border: skip`: shown, since near views lose many
    typer.echo(f"fitted {kind} on {m.fitted_.info.get('train_videos', len(sources))} videos "
               f"({m.fitted_.info.get('train_regions')} regions"
               + (f"; {edge} more at the frame's edge left out" if edge else "") + ") "
               f"in {time.perf_counter() - start:.1f} s → {output}")


def _fit_weak(kind: str, features: Optional[Path], labels: Optional[Path], options, output: Path) -> None:
    from privad.engine.weak import fit_weak, folder_items
    from privad.protect.config import AnonymizeConfig

    if features is None or labels is None:
        raise PrivadError(f"'{kind}' is weakly supervised: give --features DIR and --labels FILE")
    config = key_values(options)
    made = features / "features.json"  # written by 'privad features extract': score new videos the same way
    anon = None
    if made.is_file():
        how = json.loads(made.read_text())
        anon = AnonymizeConfig.model_validate(how["anonymize"]) if how.get("anonymize") else None
        config.setdefault("features", how["features"])
    items = folder_items(features, labels)
    start = time.perf_counter()
    with progress(unit="epochs/s") as bar:
        m = fit_weak(items, kind, config, output, on_epoch=epoch_task(bar), anonymize=anon)
    counts = m.fitted_.info["train_videos"]
    typer.echo(f"fitted {kind} on {counts['normal']} normal + {counts['abnormal']} abnormal videos in "
               f"{time.perf_counter() - start:.1f} s → {output}")


def score(
    inputs: Annotated[list[str], typer.Argument(help="Videos or frame folders to score.")],
    model: ModelFile,
    output: Annotated[Path, output("Folder for per-video scores.csv and regions.csv.")],
) -> None:
    """Score videos with a fitted model (anonymized as the model was fitted)."""
    from privad.engine.fit import score_to_dir
    from privad.vad import load_model

    if model is None:
        raise PrivadError("give --model FILE (a model from 'privad fit')")
    m, anon = load_model(model)
    with progress(unit="videos/s") as bar:
        task = bar.add_task("score", total=len(inputs))
        folders = score_to_dir(m, anon, inputs, output, progress=lambda _: bar.advance(task))
    typer.echo(f"scored {len(folders)} videos → {output}")


def evaluate(
    dataset: Dataset = None,
    root: Root = None,
    view: View = None,
    kind: Kind = None,
    set_: Set = None,
    method: Method = None,
    targets: Targets = None,
    weights: Weights = None,
    templates: Templates = None,
    json_path: JsonOut = None,
    max_train: Annotated[Optional[int], typer.Option(help="Use only the first N training videos.")] = None,
    max_test: Annotated[Optional[int], typer.Option(help="Use only the first N test videos.")] = None,
    max_train_frames: MaxTrainFrames = None,
    weak_split: Annotated[bool, typer.Option("--weak-split", help="Weak models on a one-class dataset: the even "
                                             "test videos train (video labels), the odd ones are evaluated.")] = False,
    executor: Annotated[Optional[str], typer.Option(help="local | ray: score each test video as one task (one-class models).")] = None,
    address: Address = None,
    workers: Workers = None,
    work_dir: Annotated[Optional[Path], typer.Option(help="Keep the fit and per-video scores here; a rerun resumes.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Also write REPORT/NAME/report.html per test video (events, peak frames, labelled spans).")] = None,
    fps: Fps = None,
    old_kind: OldKind = None,
    old_anonymize: OldAnonymize = None,
) -> None:
    """Fit on a dataset's training split (anonymized with --method, if given), score its test split, report
    AUC/AP/EER/RBDC/TBDC."""
    from privad.data import load_dataset, of_view, views
    from privad.engine.evaluate import evaluate as run_evaluation
    from privad.engine.weak import evaluate_weak
    from privad.vad.registry import DEFAULT, is_weak

    kind = renamed(old_kind, kind, "--model KIND", "--kind") or DEFAULT
    method = renamed(old_anonymize, method, "--anonymize", "--method")
    if dataset is None or root is None:
        raise PrivadError("give --dataset NAME and --root FOLDER")
    data = load_dataset(dataset, root)
    if view is not None:
        data.train, data.test = of_view(data.train, view), of_view(data.test, view)
    weak = is_weak(kind)
    if weak and (max_train or max_test or max_train_frames is not None):
        raise PrivadError("--max-train/--max-test/--max-train-frames apply to the one-class models")
    if weak_split and not weak:
        raise PrivadError("--weak-split is for the weak models (mil, mgfn, pel)")
    if weak and (executor or work_dir):
        raise PrivadError("--executor/--work-dir apply to the one-class models (weak models train on features: "
                          "use 'privad features extract --executor ray')")
    n_test = min(max_test or len(data.test), len(data.test))
    # the training videos read: those of the test videos' camera views
    n_train = len(data.train) if weak else sum(len(tr) for _, tr, _ in views(data.train[:max_train or None],
                                                                             data.test[:n_test]))
    tasks = executor is not None or work_dir is not None
    anon = anonymization(method, targets, weights, templates)
    with open_executor(executor or "local", address, workers) as runner, progress(unit="videos/s") as bar:
        task = bar.add_task("fit, then score", total=n_train + n_test)
        if weak:
            result = evaluate_weak(data, kind, key_values(set_), anon, weak_split,
                                   progress=lambda _: bar.advance(task), on_epoch=epoch_task(bar))
        else:
            result = run_evaluation(data, kind=kind, anonymize=anon, max_train=max_train, max_test=max_test,
                                    config=key_values(set_), progress=lambda _: bar.advance(task),
                                    on_epoch=epoch_task(bar), executor=runner if tasks else None, workdir=work_dir,
                                    report_dir=report, fps=fps or 25.0,
                                    **train_budget(max_train_frames))
    if json_path:
        result.write(json_path)
    fmt = lambda v: "n/a" if v is None else f"{100 * v:.1f}"  # noqa: E731
    typer.echo(f"{dataset} {kind}: micro AUC {fmt(result.micro_auc)}, macro AUC {fmt(result.macro_auc)}, "
               f"AP {fmt(result.ap)}, EER {fmt(result.eer)}, RBDC {fmt(result.rbdc)}, TBDC {fmt(result.tbdc)}; "
               f"fit {result.fit_seconds:.0f} s, scoring {result.score_fps:.1f} fps")


def run(
    inputs: Annotated[list[str], typer.Argument(help="Video or frame folder from a fixed camera; several, a folder of them, or a .txt list.")],
    output: Annotated[Path, output("Output folder (several inputs: one subfolder each).")],
    model: ModelFile = None,
    calibrate: Annotated[Optional[float], typer.Option(help="No model: fit on the first SECONDS as normal (frame folders: with --fps).")] = None,
    calibrate_frames: Annotated[Optional[int], typer.Option(help="No model: fit on the first N frames as normal.")] = None,
    fps: Fps = None,
    chunk_frames: Annotated[int, typer.Option(help="Frames held in memory at a time (long videos stream).")] = 1500,
    set_: Set = None,
    overwrite: Annotated[bool, typer.Option(help="One input: replace an earlier run in OUTPUT (a corpus redoes only "
                                                 "videos whose settings changed).")] = False,
    executor: Executor = "local",
    address: Address = None,
    workers: Workers = None,
) -> None:
    """The main job: anonymized video, scores, regions, events and report.html (per video for a corpus; a rerun
    with the same settings skips finished videos). --set: settings of the model calibrated here."""
    from privad.engine.run import run_job, run_many
    from privad.io.corpus import expand_inputs

    job = {"model_path": model, "calibrate_seconds": calibrate, "calibrate_frames": calibrate_frames, "fps": fps,
           "chunk_frames": chunk_frames} | ({"model_config": key_values(set_)} if set_ else {})
    videos = expand_inputs(inputs)
    if videos == inputs and len(videos) == 1 and executor == "local" and address is None:
        typer.echo(run_job(videos[0], output, overwrite=overwrite, **job).line())
        return
    with open_executor(executor, address, workers) as runner, progress(unit="videos/s") as bar:
        task = bar.add_task("run", total=len(videos))
        summary = run_many(videos, output, runner, on_done=lambda _: bar.advance(task), **job)
    typer.echo(summary.line())
    if summary.failed:
        raise PrivadError(f"{len(summary.failed)} of {len(videos)} videos failed (see {output}/runs.json)")


def demo(
    output: Annotated[Path, output("Output folder.")] = Path("demo-out"),
    data: Annotated[Optional[Path], typer.Option(help="Folder with ucsd_ped2/ (default: ../shared/data if found).")] = None,
) -> None:
    """Run the whole main job: on UCSD Ped2 when found, else on a generated scene with a planted anomaly."""
    from privad.engine.demo import demo as run_demo

    typer.echo(run_demo(output, data, say=lambda text: typer.echo(text, err=True)).line())


@features_app.command("extract")
def features_extract(
    inputs: Annotated[list[str], typer.Argument(help="Videos, frame folders, folders of them, or .txt lists.")],
    output: Annotated[Path, output("Folder for NAME.npy files (and features.json); a rerun resumes.")],
    extractor: Annotated[str, typer.Option(help="mobilenetv2 (bundled) | regions (object level) | i3d | clip (both need --checkpoint).")] = "mobilenetv2",
    checkpoint: Annotated[Optional[Path], typer.Option(help="Local I3D RGB or CLIP ViT checkpoint.")] = None,
    clip_len: Annotated[int, typer.Option(help="Frames per clip.")] = 16,
    stride: Annotated[int, typer.Option(help="Frames between clip starts.")] = 16,
    crops: Annotated[int, typer.Option(help="1, 5 or 10 crops per frame.")] = 1,
    frame_step: Annotated[int, typer.Option(help="mobilenetv2, clip, regions: every N-th frame of a clip.")] = 2,
    pool: Annotated[str, typer.Option(help="mobilenetv2: spatial pooling avg | max.")] = "avg",
    appearance: Annotated[bool, typer.Option("--appearance/--no-appearance", help="regions: add the crop embedding.")] = True,
    method: Method = None,
    targets: Targets = None,
    weights: Weights = None,
    templates: Templates = None,
    executor: Executor = "local",
    address: Address = None,
    workers: Workers = None,
    old_anonymize: OldAnonymize = None,
) -> None:
    """Per video a [T, D] (or [crops, T, D]) .npy of clip features, from frames anonymized with --method if given."""
    from privad.engine.features import extract_to_dir
    from privad.io.corpus import expand_inputs
    from privad.vad.weak.clips import FeatureConfig

    method = renamed(old_anonymize, method, "--anonymize", "--method")
    config = settings(FeatureConfig, extractor=extractor, checkpoint=checkpoint, clip_len=clip_len, stride=stride,
                      crops=crops, frame_step=frame_step, pool=pool, appearance=appearance)
    inputs = expand_inputs(inputs)
    anon = anonymization(method, targets, weights, templates)
    with open_executor(executor, address, workers) as runner, progress(unit="videos/s") as bar:
        task = bar.add_task("extract", total=len(inputs))
        files = extract_to_dir(inputs, output, config, anonymize=anon, progress=lambda _: bar.advance(task),
                               executor=runner)
    typer.echo(f"{len(files)} feature files → {output}")


def register(app: typer.Typer) -> None:
    app.command()(fit)
    app.command()(score)
    app.command()(evaluate)
    app.command("run")(run)
    app.command()(demo)
    app.add_typer(features_app, name="features")
