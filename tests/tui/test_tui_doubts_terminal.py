"""The unsure marks and the ; key in a real terminal (tmux): what a person sees on the sample article
as the real model left it, and what the keys do there."""

from __future__ import annotations

import sys
from pathlib import Path

from annotator.store import Store
from tests.terminal_support import Terminal


def test_unsure_marks_and_semicolon_in_a_terminal(demo_db: Path, tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "annotator", "demo", "--db", str(demo_db), "--annotator", "ann"]
    with Terminal(tmp_path, argv, size=(120, 36)) as term:
        screen = term.wait_for("Defense ORG?")
        assert "SEOUL GPE?" in screen and "Nakatani ORG?" in screen
        assert "Japanese NORP◀" in screen  # a span the model was sure of: no mark
        # tmux reads a bare ; as its own command separator. 'SEOUL' is unsure, but the model is sure
        # of 'Seoul' as a GPE elsewhere: ; goes to 'Defense'.
        term.keys("\\;")
        term.wait_for("ORG 'Defense' · unsure (margin 0.07) · 1 of 14 to look at")
        term.keys("d")  # the place settled: on to the next one
        term.wait_for("deleted ORG 'Defense' and 1 relation · next: GPE 'North Korea’s'")
        term.keys(",")  # back round to the last place
        term.wait_for("'the following day' · nearly DATE (margin 0.39) · 13 of 13 to look at")
        term.keys("q")
        assert term.exit_status() == 0, term.screen()
    with Store(demo_db) as store:
        task_id = store.task_ids("demo")[0]
        text = store.task(task_id).text
        stored = store.annotation(task_id, "ann")
    assert stored is not None
    assert "Defense" not in {text[s.start : s.end] for s in stored.spans}
