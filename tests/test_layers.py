"""The package's shape: the import-linter contracts of pyproject.toml hold (imports go downward only, no cycles), and
the model registry and the CLI's options say one thing each."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    import privad

    assert privad.__version__ == version("privad")


def test_minus_m_means_method_and_model_is_a_file():
    """`-m` is --method on every command that has it; --model takes a file; fit/evaluate take the kind as --kind."""
    import typer.main

    from privad.cli.app import app

    def walk(group, prefix=""):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from walk(cmd, f"{prefix}{name} ")
            else:
                yield prefix + name, cmd

    for name, cmd in walk(typer.main.get_command(app)):
        for p in cmd.params:
            if "-m" in p.opts:
                assert p.name == "method", name
            if "--model" in p.opts and not p.hidden:
                assert p.name == "model" and p.type_descriptor.annotation is Path, name


def test_python_minus_m_privad_runs_the_command():
    result = subprocess.run([sys.executable, "-m", "privad", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("privad ")
