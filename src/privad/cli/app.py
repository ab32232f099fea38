"""The `privad` command: a thin shell over the Python API, one module per command group."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Annotated, Optional

import typer

from privad.cli import detect, measure, protect, serve
from privad.cli.options import err
from privad.errors import PrivadError


def _no_flag_placeholder() -> None:
    """Switches take no value: typer's help would still print a `<bool>` type beside them; show none."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich


_no_flag_placeholder()


def _version(value: bool) -> None:
    if value:
        from privad.version import __version__

        typer.echo(f"privad {__version__}")
        raise typer.Exit()


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode="markdown",
                  help="privad: anonymize video, detect anomalies, measure privacy and utility.")


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print privad's version and exit.")] = False,
          device: Annotated[Optional[str], typer.Option(
              "--device", envvar="PRIVAD_DEVICE", show_envvar=True,
              help="Where networks run, for every command: auto (CUDA when torch sees it, else the CPU), cpu, cuda, "
                   "cuda:N. Put it before the command: `privad --device cpu run ...`.")] = None) -> None:
    """privad: anonymize video, detect anomalies, measure privacy and utility."""
    if device is not None:
        from privad.device import use

        use(device)  # checked here: `cuda` without one is a one-line error, exit 2


for group in (protect, detect, measure, serve):
    group.register(app)


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM stops a run as Ctrl-C does: temporaries removed, nothing half-written


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 2; Ctrl-C and SIGTERM say
    'interrupted' and exit 130."""
    logging.basicConfig(level=logging.WARNING, format="privad: %(message)s")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except PrivadError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # outside a command (typer turns one inside into exit 130)
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:
            err.print("interrupted; no output written", markup=False)
        raise
