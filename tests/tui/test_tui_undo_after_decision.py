"""Accepting used to wipe the undo history: edit, a, [ back, u said "nothing to undo". Undo now
reaches the edits before a decision, and undoing into a decided task makes it a draft (said, shown
in the status line, stored), as editing it does; also after a restart."""

from __future__ import annotations

from pathlib import Path

from annotator.store import Store
from tests.tui_support import app_for, make_db, make_task

FIRST = "Chancellor Olaf Scholz met Emmanuel Macron in Brussels on Thursday."
SECOND = "The talks ended in Paris on Friday."


def said(app: object) -> str:
    return str(app.annotate_screen.query_one("#message").render())  # type: ignore[attr-defined]


def status(app: object) -> str:
    return str(app.annotate_screen.query_one("#status").render())  # type: ignore[attr-defined]


async def test_undo_after_accept_reaches_the_edit_before_it(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(FIRST, (("Olaf Scholz", "PERSON"),)), make_task(SECOND))
    app = app_for(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "3")  # Olaf Scholz becomes GPE
        await pilot.press("a")  # accepted; the second task opens
        assert app.session.current is not None and app.session.current.task.text == SECOND
        await pilot.press("left_square_bracket")
        assert "accepted" in status(app)
        await pilot.press("u")
        assert said(app).startswith("undid") and "was accepted, now a draft" in said(app)
        assert "accepted" not in status(app)
        cur = app.session.current
        assert cur is not None and [s.label for s in cur.annotation.spans] == ["PERSON"]
        task_id = cur.task_id
    with Store(db) as store:
        stored = store.annotation(task_id, "alice")
        assert stored is not None and stored.answer is None and [s.label for s in stored.spans] == ["PERSON"]
    # after a restart, redo brings the relabel back
    app = app_for(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert app.session.current is not None and app.session.current.task_id == task_id
        await pilot.press("U")
        assert [s.label for s in app.session.current.annotation.spans] == ["GPE"]
        await pilot.press("u", "u")
        assert said(app) == "nothing to undo"
