"""Every option that more than one command takes, declared once (same name, same flags, same meaning everywhere),
and the helpers that turn options into settings.

`-m` is always `--method` (the anonymization method); `--model` is always a model *file*; the kind of model to fit
is `--kind`. Old spellings (`--anonymize METHOD`, `--model KIND` on fit/evaluate) are hidden aliases that print a
deprecation line, for one release.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from privad.errors import PrivadError

err = Console(stderr=True)


def output(help: str) -> typer.models.OptionInfo:
    """`-o/--output` with the command's own description of what is written."""
    return typer.Option("-o", "--output", help=help)


Method = Annotated[Optional[str], typer.Option("--method", "-m", help="Anonymization method (see 'privad methods').")]
Targets = Annotated[Optional[str], typer.Option(help="Comma list of detection targets: faces,motion,people,yolo.")]
Weights = Annotated[Optional[Path], typer.Option(help="Method 'learned': an anonymizer from 'privad train-anonymizer'.")]
Templates = Annotated[Optional[Path], typer.Option(help="Method 'selective': a template file or folder.")]
ModelFile = Annotated[Optional[Path], typer.Option("--model", help="A model file from 'privad fit'.")]
Kind = Annotated[Optional[str], typer.Option(help="Model kind: objects (default) | attribute | multitask | predictor (one-class) | mil | mgfn | pel (weak).")]
Set = Annotated[Optional[list[str]], typer.Option("--set", help="Setting KEY=VALUE (repeatable), e.g. epochs=4.")]
Dataset = Annotated[Optional[str], typer.Option(help="Dataset name (see 'privad datasets list').")]
Root = Annotated[Optional[Path], typer.Option(help="Dataset root folder.")]
View = Annotated[Optional[str], typer.Option(help="Only the dataset's videos of this camera view (ShanghaiTech: its "
                                                  "scene, e.g. 01).")]
JsonOut = Annotated[Optional[Path], typer.Option("--json", help="Also write the results as JSON here.")]
Config = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML/TOML anonymization settings file.")]
Fps = Annotated[Optional[float], typer.Option(help="Frame rate of frame-folder inputs (which have none of their own; 25 if not given).")]
MaxFrames = Annotated[Optional[int], typer.Option(help="Only the first N frames (webcam, streams).")]
MaxTrainFrames = Annotated[Optional[int], typer.Option(
    help="Read at most N training frames (default 20,000): the first frames of every video, or of evenly spaced "
         "videos when the corpus is large; 0: all.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
Executor = Annotated[str, typer.Option(help="local | ray: one task per item (ray: pip install 'privad\\[ray]').")]
Address = Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local one).")]
Workers = Annotated[Optional[int], typer.Option(help="CPUs of the local Ray instance (default: all).")]
Methods = Annotated[str, typer.Option("--methods", help="'all' or a comma list of methods.")]
# hidden aliases of renamed options (one release)
OldAnonymize = Annotated[Optional[str], typer.Option("--anonymize", hidden=True, help="Deprecated: --method.")]
OldKind = Annotated[Optional[str], typer.Option("--model", hidden=True, help="Deprecated: --kind.")]


def renamed(old: Optional[str], new: Optional[str], old_flag: str, new_flag: str) -> Optional[str]:
    """The value of a renamed option given under its old name (with a deprecation line), else the new one."""
    if old is None:
        return new
    if new is not None and new != old:
        raise PrivadError(f"{old_flag} is the old name of {new_flag}; give only {new_flag}")
    err.print(f"note: {old_flag} is deprecated; use {new_flag}", markup=False)
    return old


def overlay(base, **overrides):
    """Apply the command-line options that were given to an AnonymizeConfig (dotted names reach nested settings)."""
    from privad.protect.config import validate_config

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


def anonymization(method: Optional[str], targets: Optional[str], weights: Optional[Path] = None,
                  templates: Optional[Path] = None):
    """The AnonymizeConfig of --method/--targets/--weights/--templates, or None without --method."""
    from privad.protect.config import AnonymizeConfig

    if method is None:
        if targets is not None or weights is not None or templates is not None:
            raise PrivadError("--targets/--weights/--templates need --method METHOD")
        return None
    return overlay(AnonymizeConfig(), method=method, targets=targets,
                   **{"learned.weights": weights, "selective.templates": templates})


def key_values(pairs: Optional[list[str]]) -> dict:
    """`--set key=value` pairs → a settings dict (values read as JSON when they parse, else as text)."""
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


def settings(model_cls, **values):
    """A pydantic settings object from options; a validation failure becomes one line naming the setting."""
    from pydantic import ValidationError

    try:
        return model_cls(**values)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise PrivadError(f"{'.'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}") from None


def method_list(text: str) -> list[str]:
    """--methods: 'all' (every method but no-an) or a comma list, each checked."""
    from privad.protect.methods import METHODS, get_method

    if text == "all":
        return [m for m in METHODS if m != "no-an"]
    names = [m.strip() for m in text.split(",") if m.strip()]
    for name in names:
        get_method(name)  # a clear error for a typo
    return names


def check_writable(path: Path) -> None:
    """A file can be written at `path`: its folder exists and takes files (checked before long work)."""
    from privad.io.atomic import probe_writable

    folder = Path(path).parent
    if not folder.is_dir():
        raise PrivadError(f"cannot write {path}: folder {folder} does not exist")
    probe_writable(folder)


def write_json(path: Optional[Path], data: dict) -> None:
    """Write JSON atomically (no half-written file); a failure is one line."""
    from privad.io.atomic import write_text

    if path:
        try:
            write_text(path, json.dumps(data, indent=2, default=str))
        except OSError as exc:
            raise PrivadError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextmanager
def executor(name: str, address: Optional[str], workers: Optional[int]):
    """The executor named on the command line, released afterwards."""
    from privad.engine.executor import make_executor

    runner = make_executor(name, address, workers)
    try:
        yield runner
    finally:
        runner.close()


class _RateColumn(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        return Text(f"{task.speed:6.1f} {self.unit}" if task.speed else "")


def progress(quiet: bool = False, unit: str = "fps") -> Progress:
    """A progress bar with count and rate on stderr (off when quiet or not a terminal)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        _RateColumn(unit), console=err, disable=quiet or not err.is_terminal, transient=True,
    )


def epoch_task(bar: Progress):
    """A 'train' row in the progress bar, created at the first epoch of a trained model."""
    task = None

    def on_epoch(epoch: int, epochs: int, loss: float) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task("train", total=epochs)
        bar.update(task, completed=epoch, description=f"train (loss {loss:.3f})")

    return on_epoch


def train_budget(max_train_frames: Optional[int]) -> dict:
    """--max-train-frames as the engine's keyword: not given → the engine's default; 0 → no limit."""
    return {} if max_train_frames is None else {"max_train_frames": max_train_frames or None}
