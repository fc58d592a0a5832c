"""Dataset, annotator and reviewer names follow one rule, said when a name breaks it: no path
separators, no '..', no control characters, at most 100 characters (`--dataset '../../etc'` used to
export to exports/.._.._etc.jsonl)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.names import NAME_RULE

BAD = [
    ("../../etc", "holds a path separator"),
    ("a\\b", "holds a path separator"),
    ("..", "holds '..'"),
    ("x..y", "holds '..'"),
    ("bad\x1b[2Jname", "holds U+001B, a control character"),
    ("tab\there", "holds U+0009"),
    ("n" * 101, "has 101 characters"),
    ("  ", "is empty"),
]


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The shared working folder, with a text to annotate."""
    (workdir / "doc.txt").write_text("Ana met Li in Lisbon.", encoding="utf-8")
    return workdir


def commands(name: str) -> list[list[str]]:
    """Every command and option that takes a dataset, annotator or reviewer name."""
    return [
        ["annotate", "doc.txt", "--dataset", name],
        ["annotate", "doc.txt", "--dataset", "d", "--annotator", name],
        ["demo", "--annotator", name],
        ["import", "doc.txt", "--dataset", name, "--annotator", "a"],
        ["import", "doc.txt", "--dataset", "d", "--annotator", name],
        ["export", "--dataset", name],
        ["export", "--dataset", "d", "--annotator", name],
        ["export", "--dataset", "d", "--gold", "--reviewer", name],
        ["agreement", "--dataset", name, "--annotators", "a,b"],
        ["agreement", "--dataset", "d", "--annotators", f"a,{name}"],
        ["review", "--dataset", name, "--annotators", "a,b"],
        ["review", "--dataset", "d", "--annotators", f"{name},b"],
        ["review", "--dataset", "d", "--annotators", "a,b", "--reviewer", name],
        ["stats", "--dataset", name],
        ["evaluate", "--dataset", name, "--gold"],
        ["train", "--dataset", "d", "--annotator", name, "-o", "out"],
        ["serve", "--dataset", name],
        ["serve", "--dataset", "d", "--review", "--annotators", f"a,{name}"],
    ]


@pytest.mark.parametrize(("name", "problem"), BAD)
def test_a_bad_name_is_refused_with_the_rule_before_anything_is_written(
    workdir: Path, name: str, problem: str
) -> None:
    for args in commands(name):
        result = CliRunner().invoke(app, [*args, "--db", "a.db"])
        assert result.exit_code == 1, (args, result.output)
        [line] = result.stderr.splitlines()
        assert line.startswith("annotator: --") and problem in line and NAME_RULE in line, (args, line)
        assert "\x1b" not in line  # the name is quoted escaped, never written raw to the terminal
    assert sorted(p.name for p in workdir.iterdir()) == ["doc.txt"]  # no database, no exports


def test_good_names_pass(workdir: Path) -> None:
    (workdir / "tasks.jsonl").write_text('{"text": "Ana met Li in Lisbon."}\n', encoding="utf-8")
    for name in ("news-2024", "Zoë", "a.b", "n" * 100, "dc-alice@example.org"):
        result = CliRunner().invoke(
            app, ["import", "tasks.jsonl", "--dataset", name, "-a", name, "--db", "a.db"]
        )
        assert result.exit_code == 0, result.output
