"""Helpers for the tests that drive the real commands: the Typer app through CliRunner, in a
working folder of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app

runner = CliRunner()


def run(*args: str | Path, stdin: str | None = None) -> Result:
    """``annotator ARGS...`` in this process; stdout and stderr apart."""
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def enter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working folder, with no ANNOTATOR_DB from outside."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    return tmp_path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter(tmp_path, monkeypatch)
