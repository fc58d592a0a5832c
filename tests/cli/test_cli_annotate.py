"""`annotator annotate` and `demo` refuse bad arguments with a clear message before any screen is
drawn, and create no database when they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "doc.txt").write_text("Gen Nakatani met Ahn Gyu Back in Seoul.", encoding="utf-8")
    return tmp_path / "doc.txt"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--labels", " , "], "no labels"),
        (["--labels", "PERSON,PERSON"], "twice"),
        (["--config", "missing.toml"], "missing.toml"),
        (["--relation-rules", "nope.toml"], "nope.toml"),
        (["--model", "no_such_pipeline_xyz", "--labels", "PERSON"], "no_such_pipeline_xyz"),
        (["--order", "random"], "--order 'random': use source or uncertain"),
        (
            ["--committee", "no_such_pipeline_xyz"],
            "--committee: cannot find the spaCy pipeline 'no_such_pipeline_xyz'",
        ),
    ],
)
def test_bad_arguments(tmp_path: Path, corpus: Path, extra: list[str], message: str) -> None:
    db = tmp_path / "a.db"
    result = runner.invoke(app, ["annotate", str(corpus), "--dataset", "d", "--db", str(db), *extra])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not db.exists()


def test_missing_source(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["annotate", str(tmp_path / "nothing"), "--dataset", "d", "--db", str(tmp_path / "a.db")]
    )
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


def test_bad_config_toml(tmp_path: Path, corpus: Path) -> None:
    config = tmp_path / "scheme.toml"
    config.write_text("[labels\nPERSON = ", encoding="utf-8")
    result = runner.invoke(
        app,
        ["annotate", str(corpus), "--dataset", "d", "--config", str(config), "--db", str(tmp_path / "a.db")],
    )
    assert result.exit_code == 1
    assert "scheme.toml" in result.output and "TOML" in result.output


def test_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", "annotate", str(tmp_path / "x.txt"), "--dataset", "d"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("annotator: ") and "Traceback" not in proc.stderr
    assert not (tmp_path / "annotator.db").exists()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("demo", "annotate", "preannotate", "import", "export", "agreement", "review", "stats"):
        assert command in result.output
