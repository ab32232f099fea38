"""The `privad` command: a thin shell over the Python API, one module per command group."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from privad.cli import detect, measure, protect, serve
from privad.cli.options import err
from privad.errors import PrivadError


def _version(value: bool) -> None:
    if value:
        from privad.version import __version__

        typer.echo(f"privad {__version__}")
        raise typer.Exit()


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="privad: anonymize video, detect anomalies, measure privacy and utility.")


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print privad's version and exit.")] = False) -> None:
    """privad: anonymize video, detect anomalies, measure privacy and utility."""


for group in (protect, detect, measure, serve):
    group.register(app)


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
