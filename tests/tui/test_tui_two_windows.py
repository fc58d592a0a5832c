"""One annotator with the same task open in two processes (two terminals on one database): an edit
made on a stale copy is refused and the task reloaded, instead of silently overwriting the other
window's work (the last write used to win, and the undo history was dropped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core import edits
from annotator.session import AnnotationSession, ConcurrentEdit
from annotator.store import Store
from tests.tui_support import QA_SCHEME, app_for, make_db, make_task

TEXT = "Chancellor Olaf Scholz met Emmanuel Macron in Brussels on Thursday."
SPANS = (("Olaf Scholz", "PERSON"), ("Emmanuel Macron", "PERSON"), ("Brussels", "GPE"), ("Thursday", "DATE"))


def window(db: Path) -> AnnotationSession:
    session = AnnotationSession(Store(db), "qa", "alice", QA_SCHEME)
    session.guard = True
    session.open_first_unanswered()
    return session


def test_an_edit_on_a_stale_copy_is_refused_and_the_task_reloaded(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS))
    one, two = window(db), window(db)
    assert one.current is not None and two.current is not None
    one.apply(edits.delete_span(one.current.annotation, 1))
    with pytest.raises(ConcurrentEdit, match="another"):
        two.apply(edits.relabel_span(two.current.annotation, 3, "ORG", QA_SCHEME))
    # the second window now holds what the first one stored, and edits on from there
    assert {s.sid for s in two.current.annotation.spans} == {2, 3, 4}
    two.apply(edits.relabel_span(two.current.annotation, 3, "ORG", QA_SCHEME))
    # and now the first window is the stale one, for undo and decisions alike
    with pytest.raises(ConcurrentEdit):
        one.undo()
    assert one.current.annotation.span(3).label == "ORG"  # type: ignore[union-attr]
    two.apply(edits.relabel_span(two.current.annotation, 4, "GPE", QA_SCHEME))
    two.undo()
    with pytest.raises(ConcurrentEdit):
        one.decide("accept")
    one.decide("accept")
    with Store(db) as store:
        (task_id,) = store.task_ids("qa")
        final = store.annotation(task_id, "alice")
    assert final is not None and final.answer == "accept"
    assert {(s.sid, s.label) for s in final.spans} == {(2, "PERSON"), (3, "ORG"), (4, "DATE")}


def test_without_the_guard_nothing_is_checked(tmp_path: Path) -> None:
    """The review screen's gold session keeps the old behaviour (the guard is the annotate
    command's)."""
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS))
    one, two = window(db), window(db)
    two.guard = False
    assert one.current is not None and two.current is not None
    one.apply(edits.delete_span(one.current.annotation, 1))
    two.apply(edits.delete_span(two.current.annotation, 2))  # no error


async def test_the_screen_says_so_and_shows_the_other_windows_work(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS))
    app = app_for(db)
    app.session.guard = True
    other = window(db)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        assert other.current is not None
        other.apply(edits.delete_span(other.current.annotation, 1))
        await pilot.press("tab", "tab", "2")  # Emmanuel Macron as ORG, on the stale copy
        screen = app.annotate_screen
        said = str(screen.query_one("#message").render())
        assert "another" in said
        ann = app.session.current.annotation  # type: ignore[union-attr]
        assert ann.span(1) is None and ann.span(2).label == "PERSON"  # type: ignore[union-attr]
        assert screen.doc.annotation == ann  # what is drawn is what is stored
        await pilot.press("tab", "2")
        assert app.session.current.annotation.span(2).label == "ORG"  # type: ignore[union-attr]
