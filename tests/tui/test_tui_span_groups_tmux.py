"""Nested spans drawn with the keys in a real terminal (tmux, issue 14): ``annotator annotate
--span-groups``, ``g`` to the group, a selection and a digit for the outer span, another for the
inner one, and the screen shows both as lines under the text, labelled at their ends, one
underline row a nesting level; ``s`` splits "U.S.-Japan" and "U.S." takes a label; the export
holds it all."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import orjson
import pytest

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.records import to_record
from annotator.core.validate import make_span
from annotator.formats.tokens import tokenize
from tests.terminal_support import Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

TEXT = "The Bank of America hired Ana for the Korea-U.S.-Japan talks today."


def test_nested_group_spans_are_drawn_and_a_token_split_with_the_keys(tmp_path: Path) -> None:
    task = Task(TEXT, tokenize(TEXT, "en"), input_hash(TEXT))
    source = tmp_path / "tasks.jsonl"
    # A span given makes the task ready as it is: no model suggestion changes it under the keys.
    ana = make_span(task, TEXT.index("Ana"), TEXT.index("Ana") + 3, "PERSON")
    source.write_text(json.dumps(to_record(task, Annotation((ana,)))) + "\n", encoding="utf-8")
    db = tmp_path / "a.db"
    argv = [
        sys.executable, "-m", "annotator", "annotate", str(source), "-d", "nest", "-a", "alice",
        "--labels", "ORG,GPE,PERSON", "--span-groups", "sc:INSTITUTION,PLACE", "--db", str(db),
    ]  # fmt: skip
    with Terminal(tmp_path, argv, size=(100, 24)) as term:
        term.wait_for("task 1 of 1")
        term.wait_for("saved")  # the first task open and editable: the keys go to it
        # "Bank of America" ORG on the entity layer: cursor to Bank, select three tokens, 1.
        term.keys("l", "L", "L", "1", pause=0.4)
        term.wait_for("Bank of America ORG")
        # To the group: the legend and the status line say so.
        term.keys("g")
        screen = term.wait_for("layer: span group sc")
        assert "INSTITUTION" in screen
        # The outer span over the same tokens, then "America" nested in it.
        term.keys("Escape", "Home", "l", "L", "L", "1")
        term.wait_for("─ INSTITUTION")
        term.keys("Escape", "Home", "l", "l", "l", "2")
        screen = term.wait_for("─ PLACE")
        lines = screen.splitlines()
        text_row = next((i for i, line in enumerate(lines) if "Bank of America ORG" in line), None)
        assert text_row is not None, screen
        column = lines[text_row].index("Bank")
        outer, inner = lines[text_row + 1], lines[text_row + 2]
        assert outer[column : column + 15] == "─" * 15 and "INSTITUTION" in outer, screen
        america = lines[text_row].index("America")
        assert inner[america : america + 7] == "─" * 7 and inner[america + 8 :].startswith("PLACE")
        assert not inner[column - 4 : america].strip()  # nothing from "The" to "America"
        # Back to the entities, and split "U.S.-Japan" after "U.S.": the cut is shown.
        term.keys("g")
        term.wait_for("layer: entities")
        term.keys("Escape", "Home")
        for _ in range(10):
            term.keys("l")
        term.keys("s")
        term.wait_for("split here: U│.S.-Japan")
        term.keys("Right", "Right", "Right")
        term.wait_for("split here: U.S.│-Japan")
        term.keys("Enter")
        term.wait_for("split 'U.S.-Japan' into 'U.S.|-Japan'")
        term.keys("2")
        term.wait_for("U.S. GPE")
        term.keys("a")
        term.wait_for("all 1 answered")
        term.keys("q")
        assert term.exit_status() == 0, term.screen()
    from typer.testing import CliRunner

    from annotator.cli import app

    out = tmp_path / "out.jsonl"
    done = CliRunner().invoke(app, ["export", "-d", "nest", "--db", str(db), "-o", str(out)])
    assert done.exit_code == 0, done.output
    record = orjson.loads(out.read_bytes())
    assert record["_view_id"] == "spans_manual"
    got = {(TEXT[s["start"] : s["end"]], s["label"], s.get("key")) for s in record["spans"]}
    assert got == {
        ("America", "PLACE", "sc"),
        ("Bank of America", "INSTITUTION", "sc"),
        ("Bank of America", "ORG", None),
        ("U.S.", "GPE", None),
        ("Ana", "PERSON", None),
    }
    assert [t["text"] for t in record["tokens"]][8:12] == ["Korea", "-", "U.S.", "-Japan"]
