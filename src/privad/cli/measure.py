"""Commands that measure: privacy (faces, reid, reid-tracks, attributes), tradeoff, bench, datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from privad.cli.options import (
    Address,
    Executor,
    JsonOut,
    MaxFrames,
    Method,
    Methods,
    ModelFile,
    Root,
    Targets,
    Templates,
    Weights,
    Workers,
    anonymization,
    err,
    executor as open_executor,
    method_list,
    output,
    overlay,
    progress,
    write_json,
)
from privad.errors import PrivadError

privacy_app = typer.Typer(no_args_is_help=True, help="Measure privacy leakage: faces, ReID, attributes.")
datasets_app = typer.Typer(no_args_is_help=True, help="Inspect datasets.")


def _still(method: Optional[str], targets: Optional[str], whole: bool = False):
    """A still-image anonymizer for METHOD (None: raw)."""
    if method is None:
        return None
    from privad.protect.config import AnonymizeConfig
    from privad.protect.pipeline import Anonymizer

    cfg = overlay(AnonymizeConfig(), method=method, targets=targets)
    anon = Anonymizer(cfg, detectors=[]) if whole else Anonymizer(cfg)
    return lambda image: anon.still(image, whole=whole)


def _raw_and_method(measure, method: Optional[str], anonymizer, json_path: Optional[Path], line) -> None:
    """Measure raw (`measure(None)`) and, with a method, anonymized (`measure(anonymizer())`); print a line each."""
    result = {"raw": measure(None)}
    if method:
        result[method] = measure(anonymizer())
    write_json(json_path, result)
    for name, r in result.items():
        typer.echo(f"{name}: {line(r)}")


@privacy_app.command("faces")
def privacy_faces(
    anonymized: Annotated[str, typer.Argument(help="The anonymized video or frames folder.")],
    raw: Annotated[str, typer.Option(help="The raw video it was made from (same frames).")],
    reference: Annotated[list[Path], typer.Option(help="Reference photo of a person in the video (repeatable).")],
    detector: Annotated[str, typer.Option(help="Judge's face detector: hog | cnn.")] = "hog",
    json_path: JsonOut = None,
) -> None:
    """Residual faces, identity leakage and oracle leakage of an anonymized video (dlib judge)."""
    from privad.io.sources import read_all
    from privad.metrics.privacy.faces import privacy_report, raw_faces
    from privad.metrics.privacy.identity import IdentityJudge

    judge = IdentityJudge(reference, detector=detector)
    truth = raw_faces(judge, read_all(raw)[0])
    try:
        report = privacy_report(judge, truth, read_all(anonymized)[0]).summary()
    except ValueError as exc:
        raise PrivadError(str(exc)) from None
    write_json(json_path, report)
    typer.echo(f"{report['frames']} frames: raw faces {report['raw_faces']} ({report['raw_matched_faces']} "
               f"identified); residual {100 * report['residual_face_rate']:.1f} %, identity leakage "
               f"{report['identity_frames']} frames, oracle leakage {100 * report['oracle_leak']:.1f} %")


@privacy_app.command("reid")
def privacy_reid(
    root: Annotated[Path, typer.Argument(help="Market-1501 layout folder (query/, bounding_box_test/).")],
    method: Method = None,
    targets: Annotated[Optional[str], typer.Option(help="Detect regions in each crop (default: the whole crop).")] = None,
    json_path: JsonOut = None,
) -> None:
    """Person re-identification rank-1/mAP of queries (anonymized with --method) against the raw gallery."""
    from privad.metrics.privacy.reid import load_market_split, reid_leakage

    query, gallery = load_market_split(root / "query"), load_market_split(root / "bounding_box_test")
    _raw_and_method(lambda anon: reid_leakage(query, gallery, anon), method,
                    lambda: _still(method, targets, whole=targets is None), json_path,
                    lambda r: f"rank-1 {100 * r['rank1']:.1f}, mAP {100 * r['map']:.1f} ({r['queries']} queries)")


@privacy_app.command("reid-tracks")
def privacy_reid_tracks(
    video: Annotated[str, typer.Argument(help="A fixed-camera video or frames folder with moving people.")],
    method: Method = None,
    targets: Annotated[str, typer.Option(help="Targets for --method.")] = "motion",
    json_path: JsonOut = None,
) -> None:
    """ReID on your own video: first halves of tracks (anonymized with --method) against second halves (raw)."""
    from privad.engine.views import anonymized
    from privad.io.sources import read_all
    from privad.metrics.privacy.reid import track_reid
    from privad.protect.config import AnonymizeConfig
    from privad.protect.pipeline import tracked_regions

    frames = read_all(video)[0]
    _raw_and_method(lambda anon: track_reid(frames, tracked_regions(frames), anon), method,
                    lambda: anonymized(frames, overlay(AnonymizeConfig(), method=method, targets=targets)),
                    json_path, lambda r: f"rank-1 {100 * r['rank1']:.1f}, mAP {100 * r['map']:.1f} "
                                         f"({r['tracks']} tracks, {r['queries']} queries)")


@privacy_app.command("attributes")
def privacy_attributes(
    root: Annotated[Path, typer.Argument(help="VISPR-layout folder (train/ and test/ images with .json labels).")],
    method: Method = None,
    targets: Annotated[str, typer.Option(help="Targets for --method.")] = "faces",
    train_split: Annotated[str, typer.Option(help="Training split folder name.")] = "train",
    test_split: Annotated[str, typer.Option(help="Test split folder name.")] = "test",
    json_path: JsonOut = None,
) -> None:
    """Privacy-attribute cMAP and macro F1 of a linear probe trained on images (anonymized with --method)."""
    from privad.metrics.privacy.attributes import attribute_privacy, load_vispr_split

    train, test = load_vispr_split(root, train_split), load_vispr_split(root, test_split)
    _raw_and_method(lambda anon: attribute_privacy(train, test, anon), method, lambda: _still(method, targets),
                    json_path, lambda r: f"cMAP {100 * r['cmap']:.1f}, macro F1 {100 * r['macro_f1']:.1f} "
                                         f"({len(r['attributes'])} attributes)")


def tradeoff(
    output: Annotated[Path, output("Output folder (also holds the cache).")],
    utility: Annotated[Optional[str], typer.Option(help="DATASET:ROOT for utility (default: ucsd_ped2 in the sample data).")] = None,
    privacy: Annotated[Optional[Path], typer.Option(help="Video with faces for privacy (default: the sample face clip).")] = None,
    reference: Annotated[Optional[list[Path]], typer.Option(help="Reference photo of a person in the privacy video (repeatable).")] = None,
    methods_: Methods = "all",
    grid: Annotated[Optional[list[str]], typer.Option(help="PARAM=V1,V2 for the methods that use PARAM (repeatable).")] = None,
    fast: Annotated[bool, typer.Option(help="Reduced configuration (2+2 Ped2 videos, 40 clip frames) for tests.")] = False,
    recost: Annotated[bool, typer.Option(help="Measure the cost columns of cached settings again (on an idle machine).")] = False,
    utility_templates: Annotated[Optional[Path], typer.Option(help="'selective' templates for the utility video.")] = None,
    privacy_templates: Annotated[Optional[Path], typer.Option(help="'selective' templates for the privacy video.")] = None,
    weights: Weights = None,
    executor: Executor = "local",
    address: Address = None,
    workers: Workers = None,
) -> None:
    """Privacy–utility trade-off of every method: tradeoff.csv/.md/.png/.json, cached and resumable."""
    from privad.data import load_dataset
    from privad.engine.tradeoff import TradeoffInputs, parse_grid, run_tradeoff, settings
    from privad.io.sample_data import data_path

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
    load_dataset(dataset, root_path)  # fail early on a bad dataset
    names = method_list(methods_)
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
    with open_executor(executor, address, workers) as runner, progress(unit="settings/s") as bar:
        task = bar.add_task("trade-off", total=len(chosen))
        rows = run_tradeoff(inputs, chosen, output, progress=lambda label, cached: bar.advance(task), recost=recost,
                            executor=runner)
    best = max(rows, key=lambda r: r["f_lambda"]["0.5"])
    typer.echo(f"{len(rows)} settings → {output}/tradeoff.md, .csv, .png; best f_0.5: {best['setting']} "
               f"(micro AUC {100 * best['utility']['micro_auc']:.1f}, oracle leakage "
               f"{100 * best['privacy']['oracle_leak']:.1f} %)")


def bench(
    input: Annotated[str, typer.Argument(help="Video, image or frames folder.")],
    methods_: Methods = None,
    targets: Targets = "faces",
    model: ModelFile = None,
    max_frames: MaxFrames = None,
    vs_deface: Annotated[bool, typer.Option("--vs-deface", help="Also time the 'deface' command on the input.")] = False,
    json_path: JsonOut = None,
    weights: Weights = None,
    templates: Templates = None,
) -> None:
    """Per-stage cost (ms/frame for decode, detect, track, anonymize, score, encode), fps and peak memory; with
    --model, scoring too. Without --methods: the default method."""
    from privad.engine.bench import bench_isolated, format_table, time_deface
    from privad.protect.config import DEFAULT_METHOD

    rows = []
    names = method_list(methods_ or DEFAULT_METHOD)
    with progress(unit="runs/s") as bar:
        task = bar.add_task("bench", total=len(names))
        for name in names:
            rows.append(bench_isolated(input, anonymization(name, targets, weights, templates), model, max_frames))
            bar.advance(task)
    from privad.device import resolve

    result: dict = {"runs": rows, "device": resolve()}
    typer.echo(format_table(rows), nl=False)
    onnx = sorted({p for r in rows for p in r["compute"]["onnx_providers"]})
    typer.echo(f"device: {result['device']}" + (f"; ONNX Runtime: {', '.join(onnx)}" if onnx else ""))
    if vs_deface:
        d = time_deface(input)
        result["deface"] = d
        if d is None:
            err.print("note: --vs-deface: the 'deface' command is not installed")
        else:
            typer.echo(f"deface: {d['fps']:.1f} fps ({d['seconds']:.1f} s); privad/deface: "
                       + ", ".join(f"{r['method']} {r['fps'] / d['fps']:.2f}x" for r in rows))
    write_json(json_path, result)


@datasets_app.command("list")
def datasets_list() -> None:
    """List the dataset formats privad reads."""
    from privad.data import DATASETS

    for name, summary in DATASETS.items():
        typer.echo(f"{name:<13}  {summary}")


@datasets_app.command("describe")
def datasets_describe(
    dataset: Annotated[str, typer.Option(help="Dataset name (see 'privad datasets list').")],
    root: Root = None,
    train_list: Annotated[Optional[Path], typer.Option(help="Feature datasets: training list file.")] = None,
    test_list: Annotated[Optional[Path], typer.Option(help="Feature datasets: test list file.")] = None,
    gt: Annotated[Optional[Path], typer.Option(help="Feature datasets: gt .npy or annotation .txt.")] = None,
    json_path: JsonOut = None,
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
    write_json(json_path, summary)
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        typer.echo(f"{key:<{width}}  {value}")


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
    app.command()(tradeoff)
    app.command()(bench)
    app.add_typer(datasets_app, name="datasets")
