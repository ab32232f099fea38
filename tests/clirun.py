"""Run the `privad` command in-process: (exit code, stdout, stderr)."""

import sys

import pytest

from privad.cli.app import main


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["privad", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err
