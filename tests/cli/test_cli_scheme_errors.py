"""A scheme mistake on the command line is one line naming the file or the option and the rule, exit
status 1, before any screen or database (a bad colour used to crash the screen with exit status 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--config", '[labels]\nPERSON = "notacolor"\n', "'notacolor' is not a colour"),
        ("--config", '[lables]\nPERSON = "#e6b422"\n', "unknown section [lables]"),
        ("--labels", "PERSON;ORG", "'PERSON;ORG' holds ';'"),
        ("--labels", "PERSON=#fff", "colours go in a --config file"),
        ("--relations", "MET, VISITED,", "--relations"),
    ],
)
def test_scheme_mistakes_stop_before_the_screen(tmp_path: Path, flag: str, value: str, message: str) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("Ana met Li in Lisbon.", encoding="utf-8")
    if flag == "--config":
        (tmp_path / "scheme.toml").write_text(value, encoding="utf-8")
        value = str(tmp_path / "scheme.toml")
    db = tmp_path / "a.db"
    result = CliRunner().invoke(app, ["annotate", str(doc), "--dataset", "d", "--db", str(db), flag, value])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    if flag == "--config":
        assert "scheme.toml" in result.output
    assert not db.exists()
