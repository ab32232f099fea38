"""Commands of the protect half: anonymize, methods, targets, train-anonymizer, template create."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from privad.cli.options import (
    Config,
    Fps,
    MaxFrames,
    Method,
    Quiet,
    Set,
    Targets,
    Templates,
    Weights,
    check_writable,
    err,
    key_values,
    output,
    overlay,
    progress,
    settings,
    write_json,
)
from privad.errors import PrivadError

template_app = typer.Typer(no_args_is_help=True, help="Templates for the 'selective' method.")


def anonymize(
    input: Annotated[str, typer.Argument(help="Video file, image, frames folder, webcam index (0) or stream URL.")],
    output: Annotated[Path, output("Video (.mp4/.mkv/.mov/.avi), image, or new folder.")],
    method: Method = None,
    targets: Targets = None,
    hold: Annotated[Optional[int], typer.Option(help="Frames a missed track stays anonymized.")] = None,
    detect_every: Annotated[Optional[int], typer.Option(help="Detect every K frames, track in between.")] = None,
    detect_scale: Annotated[Optional[float], typer.Option(help="Resize factor for face detection (default: 0.5 when the frame's short side is >= 360 px, else 1).")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="Face detection threshold.")] = None,
    mask_scale: Annotated[Optional[float], typer.Option(help="Face ellipse size relative to its box.")] = None,
    mask_dilate: Annotated[Optional[int], typer.Option(help="Grow regions by N pixels.")] = None,
    box_pad: Annotated[Optional[float], typer.Option(help="Grow regions' boxes by this share of their size.")] = None,
    alpha_mask_scale: Annotated[Optional[float], typer.Option("--alpha-mask-scale", "--anr", help="LA3D -anr.")] = None,
    alpha_dim_scale: Annotated[Optional[float], typer.Option("--alpha-dim-scale", "--anl", help="LA3D -anl.")] = None,
    on_error: Annotated[Optional[str], typer.Option(help="obfuscate | drop | abort a frame that fails.")] = None,
    keep_audio: Annotated[Optional[bool], typer.Option("--keep-audio/--no-audio", help="Mux the input's audio back.")] = None,
    yolo_weights: Annotated[Optional[Path], typer.Option(help="Local YOLO-seg weights for target 'yolo'.")] = None,
    templates: Templates = None,
    iid_noise: Annotated[Optional[bool], typer.Option("--iid-noise/--flow-noise", help="'selective': fresh noise per frame (ablation).")] = None,
    weights: Weights = None,
    config: Config = None,
    max_frames: MaxFrames = None,
    fps: Fps = 25.0,
    summary_json: Annotated[Optional[Path], typer.Option(help="Also write the run summary as JSON.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (nothing written) when the input decodes to fewer frames than it declares.")] = False,
    quiet: Quiet = False,
) -> None:
    """Remove identity from a video, image, folder, webcam or stream."""
    from privad.protect.config import AnonymizeConfig, load_config
    from privad.protect.video import anonymize_video

    base = load_config(config) if config else AnonymizeConfig()
    cfg = overlay(
        base, method=method, targets=targets, hold=hold, detect_every=detect_every, detect_scale=detect_scale,
        mask_dilate=mask_dilate, box_pad=box_pad, on_error=on_error, keep_audio=keep_audio,
        **{"faces.threshold": threshold, "faces.mask_scale": mask_scale, "yolo.weights": yolo_weights,
           "selective.templates": templates, "selective.iid_noise": iid_noise, "learned.weights": weights,
           "params.alpha_mask_scale": alpha_mask_scale, "params.alpha_dim_scale": alpha_dim_scale},
    )
    if summary_json is not None:
        check_writable(summary_json)  # before the run: a bad path must not cost the whole video
    if cfg.method == "no-an":
        err.print(f"warning: --method no-an copies the frames unchanged: {output} is NOT anonymized", markup=False,
                  soft_wrap=True)
    with progress(quiet) as bar:
        task = bar.add_task("anonymize", total=None)
        summary = anonymize_video(input, output, cfg, max_frames=max_frames, fps=fps,
                                  on_frame=lambda i: bar.update(task, completed=i + 1), strict=strict)
    if summary_json:
        write_json(summary_json, summary.to_dict())
    typer.echo(summary.line())
    if summary.short:
        err.print(f"note: {input} declares {summary.frames_declared} frames; {summary.frames_in} were decoded "
                  "(cut short?); --strict makes this an error", markup=False, soft_wrap=True)
    if summary.audio not in ("none", "kept"):
        err.print(f"note: --keep-audio: {summary.audio}")


def methods() -> None:
    """List the anonymization methods."""
    from privad.protect.methods import METHODS

    width = max(len(n) for n in METHODS)
    for name, m in METHODS.items():
        typer.echo(f"{name:<{width}}  {m.summary}")


def targets() -> None:
    """List the detection targets."""
    from privad.protect.detect import TARGETS

    for name, summary in TARGETS.items():
        typer.echo(f"{name:<7}  {summary}")


def train_anonymizer(
    output: Annotated[Path, output("Anonymizer file to write (.pt).")],
    videos: Annotated[Optional[list[Path]], typer.Option(help="Normal training video, frame folder, or folder of frame folders (repeatable). Default: the sample data's Ped2 training videos.")] = None,
    frames: Annotated[Optional[list[Path]], typer.Option(help="Still images or folders of them for the privacy branch (repeatable). Default: the sample face stills.")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Adversarial steps.")] = None,
    size: Annotated[Optional[int], typer.Option(help="Training crop side in pixels.")] = None,
    max_minutes: Annotated[Optional[float], typer.Option(help="Stop after this long (resumable).")] = None,
    set_: Set = None,
    resume: Annotated[bool, typer.Option(help="Continue the training saved in --output.")] = False,
    quiet: Quiet = False,
) -> None:
    """Train the 'learned' anonymizer (TeD-SPAD-style adversarial training) on this machine."""
    from privad.protect.train import TrainConfig, load_data, sample_inputs, train_anonymizer as train
    from privad.report.plots import curves_plot

    options = {**key_values(set_), **{k: v for k, v in (("steps", steps), ("size", size),
                                                         ("max_minutes", max_minutes)) if v is not None}}
    config = settings(TrainConfig, **options)
    if resume and not output.is_file():
        raise PrivadError(f"--resume: {output} does not exist")
    if not videos:
        videos, default_frames = sample_inputs()
        frames = default_frames if frames is None else frames
    data = load_data(videos, frames or [], config.size, config.clip_len)
    start = time.monotonic()
    with progress(quiet, unit="steps/s") as bar:
        task = bar.add_task("train", total=None)

        def on_step(step: int, total: int, rec: dict) -> None:
            loss = next(rec[k] for k in ("anonymizer", "privacy", "l1") if k in rec)
            bar.update(task, completed=step, total=total, description=f"{rec['phase']} ({loss:.3f})")

        trainer = train(data, output, config, resume=resume, on_step=on_step)
    curves = output.with_name(output.stem + "_curves.png")
    curves_plot(trainer.history, curves)
    state = "finished" if trainer.step >= trainer.total else "stopped (continue with --resume)"
    typer.echo(f"{state} at step {trainer.step}/{trainer.total} in {time.monotonic() - start:.0f} s → {output}; "
               f"curves → {curves}")


@template_app.command("create")
def template_create(
    image: Annotated[Path, typer.Argument(help="An example image (or a video: its first frame).")],
    point: Annotated[list[str], typer.Option(help="X,Y pixel of the thing to hide, e.g. a face (repeatable).")],
    output: Annotated[Path, output("Template file to write (.pt).")],
    layer: Annotated[int, typer.Option(help="MobileNetV2 layer (7: stride 8; 14: stride 16).")] = 14,
    dino: Annotated[Optional[Path], typer.Option(help="Use the patch tokens of this local DINO ViT checkpoint instead.")] = None,
) -> None:
    """Make a template: the backbone feature vector at one point of an example image."""
    from privad.io.sources import open_source
    from privad.protect.methods.selective import create_template, save_template

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


def register(app: typer.Typer) -> None:
    app.command()(anonymize)
    app.command()(methods)
    app.command()(targets)
    app.command("train-anonymizer")(train_anonymizer)
    app.add_typer(template_app, name="template")
