"""The `privad` command. Every command wraps a function of the Python API."""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from privad.config import AnonymizeConfig, load_config, validate_config
from privad.errors import PrivadError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="privad: anonymize video, detect anomalies, measure privacy and utility.")
err = Console(stderr=True)


def _overlay(base: AnonymizeConfig, **overrides) -> AnonymizeConfig:
    """Apply the command-line options that were given (dotted names reach nested settings)."""
    data = base.model_dump()
    for key, value in overrides.items():
        if value is None:
            continue
        node = data
        *parents, leaf = key.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return validate_config(data, source="options")


@app.command()
def anonymize(
    input: Annotated[str, typer.Argument(help="Video file, image, frames folder, webcam index (0) or stream URL.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Video (.mp4/.mkv/.mov/.avi), image, or new folder.")],
    method: Annotated[Optional[str], typer.Option("--method", "-m", help="See 'privad methods'.")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Comma list: faces,motion,people,yolo.")] = None,
    hold: Annotated[Optional[int], typer.Option(help="Frames a missed track stays anonymized.")] = None,
    detect_every: Annotated[Optional[int], typer.Option(help="Detect every K frames, track in between.")] = None,
    detect_scale: Annotated[Optional[float], typer.Option(help="Resize factor for face detection (e.g. 0.5).")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="Face detection threshold.")] = None,
    mask_scale: Annotated[Optional[float], typer.Option(help="Face ellipse size relative to its box.")] = None,
    mask_dilate: Annotated[Optional[int], typer.Option(help="Grow regions by N pixels.")] = None,
    box_pad: Annotated[Optional[float], typer.Option(help="Grow regions' boxes by this share of their size.")] = None,
    alpha_mask_scale: Annotated[Optional[float], typer.Option("--alpha-mask-scale", "--anr", help="LA3D -anr.")] = None,
    alpha_dim_scale: Annotated[Optional[float], typer.Option("--alpha-dim-scale", "--anl", help="LA3D -anl.")] = None,
    on_error: Annotated[Optional[str], typer.Option(help="obfuscate | drop | abort a frame that fails.")] = None,
    keep_audio: Annotated[Optional[bool], typer.Option("--keep-audio/--no-audio", help="Mux the input's audio back.")] = None,
    yolo_weights: Annotated[Optional[Path], typer.Option(help="Local YOLO-seg weights for target 'yolo'.")] = None,
    templates: TemplatesOpt = None,
    iid_noise: Annotated[Optional[bool], typer.Option("--iid-noise/--flow-noise", help="'selective': fresh noise per frame (ablation).")] = None,
    weights: WeightsOpt = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML/TOML settings file.")] = None,
    max_frames: Annotated[Optional[int], typer.Option(help="Stop after N frames (webcam, streams).")] = None,
    fps: Annotated[float, typer.Option(help="Frame rate for frame-folder inputs.")] = 25.0,
    summary_json: Annotated[Optional[Path], typer.Option(help="Also write the run summary as JSON.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Remove identity from a video, image, folder, webcam or stream."""
    from privad.api import anonymize_video

    base = load_config(config) if config else AnonymizeConfig()
    cfg = _overlay(
        base, method=method, targets=targets, hold=hold, detect_every=detect_every, detect_scale=detect_scale,
        mask_dilate=mask_dilate, box_pad=box_pad, on_error=on_error, keep_audio=keep_audio,
        **{"faces.threshold": threshold, "faces.mask_scale": mask_scale, "yolo.weights": yolo_weights,
           "selective.templates": templates, "selective.iid_noise": iid_noise, "learned.weights": weights,
           "params.alpha_mask_scale": alpha_mask_scale, "params.alpha_dim_scale": alpha_dim_scale},
    )
    with _progress(quiet) as progress:
        task = progress.add_task("anonymize", total=None)
        summary = anonymize_video(input, output, cfg, max_frames=max_frames, fps=fps,
                                  on_frame=lambda i: progress.update(task, completed=i + 1))
    if summary_json:
        summary_json.write_text(json.dumps(summary.to_dict(), indent=2))
    typer.echo(summary.line())
    if summary.audio not in ("none", "kept"):
        err.print(f"note: --keep-audio: {summary.audio}")


def _epoch_task(bar: Progress):
    """A 'train' row in the progress bar, created at the first epoch of a trained model."""
    task = None

    def on_epoch(epoch: int, epochs: int, loss: float) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task("train", total=epochs)
        bar.update(task, completed=epoch, description=f"train (loss {loss:.3f})")

    return on_epoch


def _model_options(pairs: Optional[list[str]]) -> dict:
    """`--set key=value` pairs → a model config dict (values read as JSON when they parse, else as text)."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PrivadError(f"--set expects KEY=VALUE, got '{pair}'")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


WeightsOpt = Annotated[Optional[Path], typer.Option(help="Method 'learned': an anonymizer from 'privad train-anonymizer'.")]
TemplatesOpt = Annotated[Optional[Path], typer.Option(help="Method 'selective': a template file or folder.")]
ExecutorOpt = Annotated[str, typer.Option(help="local | ray: one task per video (ray: pip install 'privad[ray]').")]
AddressOpt = Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local one).")]
WorkersOpt = Annotated[Optional[int], typer.Option(help="CPUs of the local Ray instance (default: all).")]


@contextmanager
def _executor(name: str, address: Optional[str], workers: Optional[int]):
    """The executor named on the command line, released afterwards."""
    from privad.executor import make_executor

    runner = make_executor(name, address, workers)
    try:
        yield runner
    finally:
        runner.close()


def _settings(model_cls, **values):
    """A pydantic settings object from options; a validation failure becomes one line naming the setting."""
    from pydantic import ValidationError

    try:
        return model_cls(**values)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise PrivadError(f"{'.'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}") from None


def _anon_config(method: Optional[str], targets: Optional[str], weights: Optional[Path] = None,
                 templates: Optional[Path] = None) -> Optional[AnonymizeConfig]:
    if method is None:
        if targets is not None or weights is not None or templates is not None:
            raise PrivadError("--targets/--weights/--templates need --anonymize METHOD")
        return None
    return _overlay(AnonymizeConfig(), method=method, targets=targets,
                    **{"learned.weights": weights, "selective.templates": templates})


@app.command()
def fit(
    train: Annotated[Optional[list[str]], typer.Argument(help="Normal training videos or frame folders.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file to write (e.g. scene.privad).")] = Path("scene.privad"),
    model: Annotated[str, typer.Option(help="Model: attribute | multitask (one-class) | mil | mgfn | pel (weak).")] = "attribute",
    options: Annotated[Optional[list[str]], typer.Option("--set", help="Model setting KEY=VALUE (repeatable), e.g. epochs=4.")] = None,
    dataset: Annotated[Optional[str], typer.Option(help="Train on a dataset's training split instead.")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Dataset root (with --dataset).")] = None,
    anonymize: Annotated[Optional[str], typer.Option(help="Fit on footage anonymized with this method.")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Targets for --anonymize (e.g. motion).")] = None,
    weights: WeightsOpt = None,
    templates: TemplatesOpt = None,
    features: Annotated[Optional[Path], typer.Option(help="Weak models: folder of NAME.npy clip features.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Weak models: NAME,LABEL file (1 = abnormal video).")] = None,
) -> None:
    """Fit an anomaly model: one-class on normal footage, or weakly supervised on labelled clip features."""
    from privad.vad.base import MODELS
    from privad.vad.engine import fit as fit_model

    if model not in MODELS:
        raise PrivadError(f"unknown model '{model}'; available: {', '.join(MODELS)}")
    if model in ("mil", "mgfn", "pel"):
        _fit_weak_cli(model, features, labels, options, output)
        return
    if features or labels:
        raise PrivadError(f"--features/--labels are for the weak models (mil, mgfn, pel), not '{model}'")
    sources = list(train or [])
    if dataset:
        from privad.data import load_dataset

        if root is None:
            raise PrivadError("--dataset needs --root")
        sources += [v.source for v in load_dataset(dataset, root).train]
    start = time.perf_counter()
    with _progress(False, unit="videos/s") as bar:
        task = bar.add_task("fit", total=len(sources))
        m = fit_model(sources, model=model, anonymize=_anon_config(anonymize, targets, weights, templates), output=output,
                      config=_model_options(options), progress=lambda _: bar.advance(task),
                      on_epoch=_epoch_task(bar))
    typer.echo(f"fitted {model} on {len(sources)} videos ({m.state.get('train_regions')} regions) "
               f"in {time.perf_counter() - start:.1f} s → {output}")


def _fit_weak_cli(model: str, features: Optional[Path], labels: Optional[Path], options, output: Path) -> None:
    from privad.vad.weak_engine import fit_weak, folder_items

    if features is None or labels is None:
        raise PrivadError(f"'{model}' is weakly supervised: give --features DIR and --labels FILE")
    config = _model_options(options)
    made = features / "features.json"  # written by 'privad features extract': score new videos the same way
    anon = None
    if made.is_file():
        how = json.loads(made.read_text())
        anon = AnonymizeConfig.model_validate(how["anonymize"]) if how.get("anonymize") else None
        config.setdefault("features", how["features"])
    items = folder_items(features, labels)
    start = time.perf_counter()
    with _progress(False, unit="epochs/s") as bar:
        m = fit_weak(items, model, config, output, on_epoch=_epoch_task(bar), anonymize=anon)
    counts = m.state["train_videos"]
    typer.echo(f"fitted {model} on {counts['normal']} normal + {counts['abnormal']} abnormal videos in "
               f"{time.perf_counter() - start:.1f} s → {output}")


@app.command()
def score(
    inputs: Annotated[list[str], typer.Argument(help="Videos or frame folders to score.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="A model file from 'privad fit'.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for per-video scores.csv and regions.csv.")],
) -> None:
    """Score videos with a fitted model (anonymized as the model was fitted)."""
    from privad.vad.base import load_model
    from privad.vad.engine import score_to_dir

    m, anon = load_model(model)
    with _progress(False, unit="videos/s") as bar:
        task = bar.add_task("score", total=len(inputs))
        folders = score_to_dir(m, anon, inputs, output, progress=lambda _: bar.advance(task))
    typer.echo(f"scored {len(folders)} videos → {output}")


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Option(help="Dataset name (see 'privad datasets list').")],
    root: Annotated[Path, typer.Option(help="Dataset root folder.")],
    model: Annotated[str, typer.Option(help="Model: attribute | multitask | mil | mgfn | pel.")] = "attribute",
    options: Annotated[Optional[list[str]], typer.Option("--set", help="Model setting KEY=VALUE (repeatable), e.g. epochs=4.")] = None,
    anonymize: Annotated[Optional[str], typer.Option(help="Fit and score on footage anonymized with this method.")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Targets for --anonymize (e.g. motion).")] = None,
    weights: WeightsOpt = None,
    templates: TemplatesOpt = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the results JSON here.")] = None,
    max_train: Annotated[Optional[int], typer.Option(help="Use only the first N training videos.")] = None,
    max_test: Annotated[Optional[int], typer.Option(help="Use only the first N test videos.")] = None,
    weak_split: Annotated[bool, typer.Option("--weak-split", help="Weak models on a one-class dataset: the even "
                                             "test videos train (video labels), the odd ones are evaluated.")] = False,
    executor: Annotated[Optional[str], typer.Option(help="local | ray: score each test video as one task (one-class models).")] = None,
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    work_dir: Annotated[Optional[Path], typer.Option(help="Keep the fit and per-video scores here; a rerun resumes.")] = None,
) -> None:
    """Fit on a dataset's training split, score its test split, report AUC/AP/EER/RBDC/TBDC."""
    from privad.data import load_dataset
    from privad.vad.engine import evaluate as run_evaluation
    from privad.vad.weak_engine import evaluate_weak

    data = load_dataset(dataset, root)
    weak = model in ("mil", "mgfn", "pel")
    if weak and (max_train or max_test):
        raise PrivadError("--max-train/--max-test apply to the one-class models")
    if weak_split and not weak:
        raise PrivadError("--weak-split is for the weak models (mil, mgfn, pel)")
    if weak and (executor or work_dir):
        raise PrivadError("--executor/--work-dir apply to the one-class models (weak models train on features: "
                          "use 'privad features extract --executor ray')")
    n_train = min(max_train or len(data.train), len(data.train))
    n_test = min(max_test or len(data.test), len(data.test))
    tasks = executor is not None or work_dir is not None
    with _executor(executor or "local", address, workers) as runner, _progress(False, unit="videos/s") as bar:
        task = bar.add_task("fit, then score", total=n_train + n_test)
        if weak:
            result = evaluate_weak(data, model, _model_options(options), _anon_config(anonymize, targets, weights, templates),
                                   weak_split, progress=lambda _: bar.advance(task), on_epoch=_epoch_task(bar))
        else:
            result = run_evaluation(data, model=model, anonymize=_anon_config(anonymize, targets, weights, templates),
                                    max_train=max_train, max_test=max_test, config=_model_options(options),
                                    progress=lambda _: bar.advance(task), on_epoch=_epoch_task(bar),
                                    executor=runner if tasks else None, workdir=work_dir)
    if json_path:
        result.write(json_path)
    fmt = lambda v: "n/a" if v is None else f"{100 * v:.1f}"  # noqa: E731
    typer.echo(f"{dataset} {model}: micro AUC {fmt(result.micro_auc)}, macro AUC {fmt(result.macro_auc)}, "
               f"AP {fmt(result.ap)}, EER {fmt(result.eer)}, RBDC {fmt(result.rbdc)}, TBDC {fmt(result.tbdc)}; "
               f"fit {result.fit_seconds:.0f} s, scoring {result.score_fps:.1f} fps")


@app.command("run")
def run_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Video or frame folder from a fixed camera; several, a folder of them, or a .txt list.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder (several inputs: one subfolder each).")],
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="A model file from 'privad fit'.")] = None,
    calibrate: Annotated[Optional[float], typer.Option(help="No model: fit on the first SECONDS as normal.")] = None,
    fps: Annotated[float, typer.Option(help="Frame rate for frame-folder inputs.")] = 25.0,
    chunk_frames: Annotated[int, typer.Option(help="Frames held in memory at a time (long videos stream).")] = 1500,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """The main job: anonymized video, scores, regions, events and report.html (per video for a corpus; a rerun
    skips finished videos)."""
    from privad.io.corpus import expand_inputs
    from privad.vad.job import run_job, run_many

    job = {"model_path": model, "calibrate_seconds": calibrate, "fps": fps, "chunk_frames": chunk_frames}
    videos = expand_inputs(inputs)
    if videos == inputs and len(videos) == 1 and executor == "local" and address is None:
        typer.echo(run_job(videos[0], output, **job).line())
        return
    with _executor(executor, address, workers) as runner, _progress(False, unit="videos/s") as bar:
        task = bar.add_task("run", total=len(videos))
        summary = run_many(videos, output, runner, on_done=lambda _: bar.advance(task), **job)
    typer.echo(summary.line())
    if summary.failed:
        raise PrivadError(f"{len(summary.failed)} of {len(videos)} videos failed (see {output}/runs.json)")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path("demo-out"),
    data: Annotated[Optional[Path], typer.Option(help="Folder with ucsd_ped2/ (default: ../shared/data if found).")] = None,
) -> None:
    """Run the whole main job: on UCSD Ped2 when found, else on a generated scene with a planted anomaly."""
    from privad.vad.demo import demo as run_demo

    typer.echo(run_demo(output, data).line())


def _method_list(text: str) -> list[str]:
    from privad.anonymize import METHODS, get_method

    if text == "all":
        return [m for m in METHODS if m != "no-an"]
    names = [m.strip() for m in text.split(",") if m.strip()]
    for name in names:
        get_method(name)  # a clear error for a typo
    return names


@app.command()
def tradeoff(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder (also holds the cache).")],
    utility: Annotated[Optional[str], typer.Option(help="DATASET:ROOT for utility (default: ucsd_ped2 in the sample data).")] = None,
    privacy: Annotated[Optional[Path], typer.Option(help="Video with faces for privacy (default: the sample face clip).")] = None,
    reference: Annotated[Optional[list[Path]], typer.Option(help="Reference photo of a person in the privacy video (repeatable).")] = None,
    methods_: Annotated[str, typer.Option("--methods", help="'all' or a comma list.")] = "all",
    grid: Annotated[Optional[list[str]], typer.Option(help="PARAM=V1,V2 for the methods that use PARAM (repeatable).")] = None,
    fast: Annotated[bool, typer.Option(help="Reduced configuration (2+2 Ped2 videos, 40 clip frames) for tests.")] = False,
    recost: Annotated[bool, typer.Option(help="Measure the cost columns of cached settings again (on an idle machine).")] = False,
    utility_templates: Annotated[Optional[Path], typer.Option(help="'selective' templates for the utility video.")] = None,
    privacy_templates: Annotated[Optional[Path], typer.Option(help="'selective' templates for the privacy video.")] = None,
    weights: WeightsOpt = None,
    executor: Annotated[str, typer.Option(help="local | ray: one task per setting.")] = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Privacy–utility trade-off of every method: tradeoff.csv/.md/.png/.json, cached and resumable."""
    from privad.sample_data import data_path
    from privad.tradeoff import TradeoffInputs, parse_grid, run_tradeoff, settings

    if utility:
        name, sep, root = utility.partition(":")
        if not sep or not root:
            raise PrivadError(f"--utility expects DATASET:ROOT, got '{utility}'")
        dataset, root_path = name, Path(root)
    else:
        dataset, root_path = "ucsd_ped2", data_path("ucsd_ped2")
    if privacy is None:
        faces = data_path("faces")
        privacy = faces / "short_hamilton_clip.mp4"
        reference = reference or [faces / "lin-manuel-miranda.png", faces / "alex-lacamoire.png"]
    if not reference:
        raise PrivadError("--privacy needs at least one --reference photo of a person in it")
    for p in [privacy, *reference]:
        if not Path(p).is_file():
            raise PrivadError(f"file not found: {p}")
    from privad.data import load_dataset

    load_dataset(dataset, root_path)  # fail early on a bad dataset
    names = _method_list(methods_)
    if methods_ == "all" and not (utility_templates and privacy_templates):
        names = [n for n in names if n != "selective"]
        err.print("note: 'selective' left out of --methods all: give --utility-templates and --privacy-templates")
    if methods_ == "all" and not weights:
        names = [n for n in names if n != "learned"]
        err.print("note: 'learned' left out of --methods all: give --weights")
    chosen = settings(names, parse_grid(grid))
    templates = {k: v for k, v in (("utility", utility_templates), ("privacy", privacy_templates)) if v}
    inputs = TradeoffInputs(dataset, root_path, privacy, list(reference), fast=fast, templates=templates,
                            weights=weights)
    for s in chosen:
        for side in ("utility", "privacy"):
            inputs.config(s, side)  # fail early (e.g. 'selective' without templates)
    with _executor(executor, address, workers) as runner, _progress(False, unit="settings/s") as bar:
        task = bar.add_task("trade-off", total=len(chosen))
        rows = run_tradeoff(inputs, chosen, output, progress=lambda label, cached: bar.advance(task), recost=recost,
                            executor=runner)
    best = max(rows, key=lambda r: r["f_lambda"]["0.5"])
    typer.echo(f"{len(rows)} settings → {output}/tradeoff.md, .csv, .png; best f_0.5: {best['setting']} "
               f"(micro AUC {100 * best['utility']['micro_auc']:.1f}, oracle leakage "
               f"{100 * best['privacy']['oracle_leak']:.1f} %)")


@app.command()
def bench(
    input: Annotated[str, typer.Argument(help="Video, image or frames folder.")],
    methods_: Annotated[str, typer.Option("--methods", help="'all' or a comma list.")] = "adaptive_blur",
    targets: Annotated[str, typer.Option(help="Comma list: faces,motion,people,yolo.")] = "faces",
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="Also time scoring with this model file.")] = None,
    max_frames: Annotated[Optional[int], typer.Option(help="Only the first N frames.")] = None,
    vs_deface: Annotated[bool, typer.Option("--vs-deface", help="Also time the 'deface' command on the input.")] = False,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the results JSON here.")] = None,
    weights: WeightsOpt = None,
    templates: TemplatesOpt = None,
) -> None:
    """Per-stage cost (ms/frame for decode, detect, track, anonymize, score, encode), fps and peak memory."""
    from privad.bench import bench_isolated, format_table, time_deface

    rows = []
    names = _method_list(methods_)
    with _progress(False, unit="runs/s") as bar:
        task = bar.add_task("bench", total=len(names))
        for name in names:
            rows.append(bench_isolated(input, _anon_config(name, targets, weights, templates), model, max_frames))
            bar.advance(task)
    result: dict = {"runs": rows}
    typer.echo(format_table(rows), nl=False)
    if vs_deface:
        d = time_deface(input)
        result["deface"] = d
        if d is None:
            err.print("note: --vs-deface: the 'deface' command is not installed")
        else:
            typer.echo(f"deface: {d['fps']:.1f} fps ({d['seconds']:.1f} s); privad/deface: "
                       + ", ".join(f"{r['method']} {r['fps'] / d['fps']:.2f}x" for r in rows))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2))


@app.command()
def serve(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Sources to start with: video files (looped), frame folders, webcam index, stream URL.")] = None,
    host: Annotated[str, typer.Option(help="Address to bind. Beyond loopback a bearer token is required.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    token: Annotated[Optional[str], typer.Option(envvar="PRIVAD_TOKEN", help="Bearer token for the API and page (made and printed when binding beyond loopback without one).")] = None,
    data_dir: Annotated[Path, typer.Option(help="Folder for the SQLite event store.")] = Path("privad-serve"),
    db: Annotated[Optional[str], typer.Option(help="Database URL instead of SQLite, e.g. postgresql+psycopg://user:pw@host/db.")] = None,
    allow_dir: Annotated[Optional[list[Path]], typer.Option(help="Folder whose files may be added through the API (repeatable).")] = None,
    allow_streams: Annotated[bool, typer.Option(help="Allow stream URLs to be added through the API.")] = False,
    allow_devices: Annotated[bool, typer.Option(help="Allow webcams to be added through the API.")] = False,
    method: Annotated[Optional[str], typer.Option("--method", "-m", help="Anonymization shown (default adaptive_blur; see 'privad methods').")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Comma list: faces,motion,people,yolo (default faces).")] = None,
    weights: WeightsOpt = None,
    templates: TemplatesOpt = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML/TOML anonymization settings (as for 'anonymize').")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="A model file from 'privad fit' (default: calibrate).")] = None,
    calibrate: Annotated[float, typer.Option(help="No --model: fit on each source's first SECONDS (adaptive_blur on motion) as normal.")] = 10.0,
    loop: Annotated[bool, typer.Option("--loop/--no-loop", help="Start video files again at their end.")] = True,
) -> None:
    """Live service: anonymized view, anomaly score timeline and events (page at /, API at /api, /openapi.json)."""
    from privad.serve import ServeSettings
    from privad.serve import serve as run_server

    if model is not None:
        from privad.vad.base import load_model

        load_model(model)  # a clear error before anything starts
    base = load_config(config) if config else AnonymizeConfig(method="adaptive_blur", targets=["faces"])
    shown = _overlay(base, method=method, targets=targets,
                     **{"learned.weights": weights, "selective.templates": templates})
    settings = ServeSettings(host=host, port=port, token=token, data_dir=data_dir, db=db,
                             allow_dirs=list(allow_dir or []), allow_streams=allow_streams, allow_devices=allow_devices,
                             anonymize=shown, model=model, calibrate_seconds=calibrate, loop=loop)

    def announce(ready) -> None:
        if ready.token and not token:
            err.print(f"token (needed for the page and API): {ready.token}", markup=False)
        where = f"[{host}]" if ":" in host else host
        err.print(f"privad serve: http://{where}:{port}/" + (f"?token={ready.token}" if ready.token else "")
                  + "  (Ctrl-C stops)", markup=False)

    run_server(settings, list(sources or []), announce)


@app.command()
def methods() -> None:
    """List the anonymization methods."""
    from privad.anonymize import METHODS

    width = max(len(n) for n in METHODS)
    for name, m in METHODS.items():
        typer.echo(f"{name:<{width}}  {m.summary}")


@app.command()
def targets() -> None:
    """List the detection targets."""
    from privad.detect import TARGETS

    for name, summary in TARGETS.items():
        typer.echo(f"{name:<7}  {summary}")


class _RateColumn(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        return Text(f"{task.speed:6.1f} {self.unit}" if task.speed else "")


features_app = typer.Typer(no_args_is_help=True, help="Clip features for the weakly-supervised models.")
app.add_typer(features_app, name="features")


@features_app.command("extract")
def features_extract(
    inputs: Annotated[list[str], typer.Argument(help="Videos, frame folders, folders of them, or .txt lists.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for NAME.npy files (and features.json); a rerun resumes.")],
    extractor: Annotated[str, typer.Option(help="mobilenetv2 (bundled) | regions (object level) | i3d | clip (both need --checkpoint).")] = "mobilenetv2",
    checkpoint: Annotated[Optional[Path], typer.Option(help="Local I3D RGB or CLIP ViT checkpoint.")] = None,
    clip_len: Annotated[int, typer.Option(help="Frames per clip.")] = 16,
    stride: Annotated[int, typer.Option(help="Frames between clip starts.")] = 16,
    crops: Annotated[int, typer.Option(help="1, 5 or 10 crops per frame.")] = 1,
    frame_step: Annotated[int, typer.Option(help="mobilenetv2, clip, regions: every N-th frame of a clip.")] = 2,
    pool: Annotated[str, typer.Option(help="mobilenetv2: spatial pooling avg | max.")] = "avg",
    appearance: Annotated[bool, typer.Option("--appearance/--no-appearance", help="regions: add the crop embedding.")] = True,
    anonymize: Annotated[Optional[str], typer.Option(help="Extract from footage anonymized with this method.")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Targets for --anonymize (e.g. motion).")] = None,
    weights: WeightsOpt = None,
    templates: TemplatesOpt = None,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Per video a [T, D] (or [crops, T, D]) .npy of clip features, optionally from anonymized frames."""
    from privad.io.corpus import expand_inputs
    from privad.vad.features import FeatureConfig, extract_to_dir

    config = _settings(FeatureConfig, extractor=extractor, checkpoint=checkpoint, clip_len=clip_len, stride=stride,
                       crops=crops, frame_step=frame_step, pool=pool, appearance=appearance)
    inputs = expand_inputs(inputs)
    anon = _anon_config(anonymize, targets, weights, templates)
    with _executor(executor, address, workers) as runner, _progress(False, unit="videos/s") as bar:
        task = bar.add_task("extract", total=len(inputs))
        files = extract_to_dir(inputs, output, config, anonymize=anon, progress=lambda _: bar.advance(task),
                               executor=runner)
    typer.echo(f"{len(files)} feature files → {output}")


@app.command("train-anonymizer")
def train_anonymizer_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Anonymizer file to write (.pt).")],
    videos: Annotated[Optional[list[Path]], typer.Option(help="Normal training video, frame folder, or folder of frame folders (repeatable). Default: the sample data's Ped2 training videos.")] = None,
    frames: Annotated[Optional[list[Path]], typer.Option(help="Still images or folders of them for the privacy branch (repeatable). Default: the sample face stills.")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Adversarial steps.")] = None,
    size: Annotated[Optional[int], typer.Option(help="Training crop side in pixels.")] = None,
    max_minutes: Annotated[Optional[float], typer.Option(help="Stop after this long (resumable).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Any training setting KEY=VALUE (repeatable).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the training saved in --output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Train the 'learned' anonymizer (TeD-SPAD-style adversarial training) on this machine."""
    from privad.anonymize.learned_train import TrainConfig, curves_plot, load_data, sample_inputs, train_anonymizer

    options = {**_model_options(set_), **{k: v for k, v in (("steps", steps), ("size", size),
                                                              ("max_minutes", max_minutes)) if v is not None}}
    config = _settings(TrainConfig, **options)
    if resume and not output.is_file():
        raise PrivadError(f"--resume: {output} does not exist")
    if not videos:
        videos, default_frames = sample_inputs()
        frames = default_frames if frames is None else frames
    data = load_data(videos, frames or [], config.size, config.clip_len)
    start = time.monotonic()
    with _progress(quiet, unit="steps/s") as bar:
        task = bar.add_task("train", total=None)

        def on_step(step: int, total: int, rec: dict) -> None:
            loss = next(rec[k] for k in ("anonymizer", "privacy", "l1") if k in rec)
            bar.update(task, completed=step, total=total, description=f"{rec['phase']} ({loss:.3f})")

        trainer = train_anonymizer(data, output, config, resume=resume, on_step=on_step)
    curves = output.with_name(output.stem + "_curves.png")
    curves_plot(trainer.history, curves)
    state = "finished" if trainer.step >= trainer.total else "stopped (continue with --resume)"
    typer.echo(f"{state} at step {trainer.step}/{trainer.total} in {time.monotonic() - start:.0f} s → {output}; "
               f"curves → {curves}")


template_app = typer.Typer(no_args_is_help=True, help="Templates for the 'selective' method.")
app.add_typer(template_app, name="template")


@template_app.command("create")
def template_create(
    image: Annotated[Path, typer.Argument(help="An example image (or a video: its first frame).")],
    point: Annotated[list[str], typer.Option(help="X,Y pixel of the thing to hide, e.g. a face (repeatable).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Template file to write (.pt).")],
    layer: Annotated[int, typer.Option(help="MobileNetV2 layer (7: stride 8; 14: stride 16).")] = 14,
    dino: Annotated[Optional[Path], typer.Option(help="Use the patch tokens of this local DINO ViT checkpoint instead.")] = None,
) -> None:
    """Make a template: the backbone feature vector at one point of an example image."""
    from privad.anonymize.selective import create_template, save_template
    from privad.io.sources import open_source

    points = []
    for p in point:
        try:
            x, y = (int(v) for v in p.split(","))
        except ValueError:
            raise PrivadError(f"--point expects X,Y in pixels, got '{p}'") from None
        points.append((x, y))
    source = open_source(image, max_frames=1)
    frame = next(iter(source)).image
    source.close()
    if frame is None:
        raise PrivadError(f"cannot read {image}")
    backbone = f"dino:{dino.resolve()}" if dino else f"mobilenetv2:{layer}"
    save_template(create_template(frame, points, backbone), output)
    typer.echo(f"template of {len(points)} point(s) of {Path(image).name} ({backbone}) → {output}")


privacy_app = typer.Typer(no_args_is_help=True, help="Measure privacy leakage: faces, ReID, attributes.")
app.add_typer(privacy_app, name="privacy")


def _still(method: Optional[str], targets: Optional[str], whole: bool = False):
    """A still-image anonymizer for METHOD (None: raw)."""
    if method is None:
        return None
    from privad.pipeline import Anonymizer

    cfg = _overlay(AnonymizeConfig(), method=method, targets=targets)
    anon = Anonymizer(cfg, detectors=[]) if whole else Anonymizer(cfg)
    return lambda image: anon.still(image, whole=whole)


def _write_json(path: Optional[Path], data: dict) -> None:
    if path:
        path.write_text(json.dumps(data, indent=2, default=str))


def _raw_and_method(measure, method: Optional[str], anonymizer, json_path: Optional[Path], line) -> None:
    """Measure raw (`measure(None)`) and, with a method, anonymized (`measure(anonymizer())`); print a line each."""
    result = {"raw": measure(None)}
    if method:
        result[method] = measure(anonymizer())
    _write_json(json_path, result)
    for name, r in result.items():
        typer.echo(f"{name}: {line(r)}")


@privacy_app.command("faces")
def privacy_faces(
    anonymized: Annotated[str, typer.Argument(help="The anonymized video or frames folder.")],
    raw: Annotated[str, typer.Option(help="The raw video it was made from (same frames).")],
    reference: Annotated[list[Path], typer.Option(help="Reference photo of a person in the video (repeatable).")],
    detector: Annotated[str, typer.Option(help="Judge's face detector: hog | cnn.")] = "hog",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the report JSON here.")] = None,
) -> None:
    """Residual faces, identity leakage and oracle leakage of an anonymized video (dlib judge)."""
    from privad.io.sources import read_all
    from privad.metrics.identity import IdentityJudge
    from privad.metrics.privacy import privacy_report, raw_faces

    judge = IdentityJudge(reference, detector=detector)
    truth = raw_faces(judge, read_all(raw)[0])
    try:
        report = privacy_report(judge, truth, read_all(anonymized)[0]).summary()
    except ValueError as exc:
        raise PrivadError(str(exc)) from None
    _write_json(json_path, report)
    typer.echo(f"{report['frames']} frames: raw faces {report['raw_faces']} ({report['raw_matched_faces']} "
               f"identified); residual {100 * report['residual_face_rate']:.1f} %, identity leakage "
               f"{report['identity_frames']} frames, oracle leakage {100 * report['oracle_leak']:.1f} %")


@privacy_app.command("reid")
def privacy_reid(
    root: Annotated[Path, typer.Argument(help="Market-1501 layout folder (query/, bounding_box_test/).")],
    method: Annotated[Optional[str], typer.Option(help="Anonymize the query crops with this method.")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Detect regions in each crop (default: the whole crop).")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the result JSON here.")] = None,
) -> None:
    """Person re-identification rank-1/mAP of (anonymized) queries against the raw gallery."""
    from privad.metrics.reid import load_market_split, reid_leakage

    query, gallery = load_market_split(root / "query"), load_market_split(root / "bounding_box_test")
    _raw_and_method(lambda anon: reid_leakage(query, gallery, anon), method,
                    lambda: _still(method, targets, whole=targets is None), json_path,
                    lambda r: f"rank-1 {100 * r['rank1']:.1f}, mAP {100 * r['map']:.1f} ({r['queries']} queries)")


@privacy_app.command("reid-tracks")
def privacy_reid_tracks(
    video: Annotated[str, typer.Argument(help="A fixed-camera video or frames folder with moving people.")],
    method: Annotated[Optional[str], typer.Option(help="Anonymize the query halves with this method.")] = None,
    targets: Annotated[str, typer.Option(help="Targets for --method.")] = "motion",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the result JSON here.")] = None,
) -> None:
    """ReID on your own video: first halves of tracks (anonymized) against second halves (raw)."""
    from privad.io.sources import read_all
    from privad.metrics.reid import track_reid
    from privad.vad.engine import anonymized

    frames = read_all(video)[0]
    _raw_and_method(lambda anon: track_reid(frames, anon), method,
                    lambda: anonymized(frames, _overlay(AnonymizeConfig(), method=method, targets=targets)),
                    json_path, lambda r: f"rank-1 {100 * r['rank1']:.1f}, mAP {100 * r['map']:.1f} "
                                         f"({r['tracks']} tracks, {r['queries']} queries)")


@privacy_app.command("attributes")
def privacy_attributes(
    root: Annotated[Path, typer.Argument(help="VISPR-layout folder (train/ and test/ images with .json labels).")],
    method: Annotated[Optional[str], typer.Option(help="Train and test on images anonymized with this method.")] = None,
    targets: Annotated[str, typer.Option(help="Targets for --method.")] = "faces",
    train_split: Annotated[str, typer.Option(help="Training split folder name.")] = "train",
    test_split: Annotated[str, typer.Option(help="Test split folder name.")] = "test",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the result JSON here.")] = None,
) -> None:
    """Privacy-attribute cMAP and macro F1 of a linear probe trained on (anonymized) images."""
    from privad.metrics.attributes import attribute_privacy, load_vispr_split

    train, test = load_vispr_split(root, train_split), load_vispr_split(root, test_split)
    _raw_and_method(lambda anon: attribute_privacy(train, test, anon), method, lambda: _still(method, targets),
                    json_path, lambda r: f"cMAP {100 * r['cmap']:.1f}, macro F1 {100 * r['macro_f1']:.1f} "
                                         f"({len(r['attributes'])} attributes)")


datasets_app = typer.Typer(no_args_is_help=True, help="Inspect datasets.")
app.add_typer(datasets_app, name="datasets")


@datasets_app.command("list")
def datasets_list() -> None:
    """List the dataset formats privad reads."""
    from privad.data import DATASETS

    for name, summary in DATASETS.items():
        typer.echo(f"{name:<13}  {summary}")


@datasets_app.command("describe")
def datasets_describe(
    dataset: Annotated[str, typer.Option(help="Dataset name: see 'privad datasets list'.")],
    root: Annotated[Optional[Path], typer.Option(help="Dataset root folder.")] = None,
    train_list: Annotated[Optional[Path], typer.Option(help="Feature datasets: training list file.")] = None,
    test_list: Annotated[Optional[Path], typer.Option(help="Feature datasets: test list file.")] = None,
    gt: Annotated[Optional[Path], typer.Option(help="Feature datasets: gt .npy or annotation .txt.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate a dataset's layout and print its summary (videos, frames, abnormal frames, masks)."""
    from privad.data import load_dataset

    if dataset in ("ucf_crime", "xd_violence"):
        from privad.data.features import load_features

        if not (train_list and test_list and gt):
            raise PrivadError(f"{dataset} needs --train-list, --test-list and --gt")
        summary = load_features(dataset, train_list, test_list, gt).describe()
    else:
        if root is None:
            raise PrivadError("--root is required")
        summary = load_dataset(dataset, root).describe()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        width = max(len(k) for k in summary)
        for key, value in summary.items():
            typer.echo(f"{key:<{width}}  {value}")


def _progress(quiet: bool, unit: str = "fps") -> Progress:
    """A progress bar with count and rate on stderr (off when quiet or not a terminal)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        _RateColumn(unit), console=err, disable=quiet or not err.is_terminal, transient=True,
    )


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="privad: %(message)s")
    try:
        app()
    except PrivadError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; no output written", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
