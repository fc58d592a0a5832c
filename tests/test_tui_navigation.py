"""The annotate screen's keys as a terminal sends them, on texts written for these tests (no model:
the tasks are stored with their tokens and spans, so each test is fast and exact)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme, RelationType
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.components.document_view import DocumentView

SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE", "DATE"),
    relations=(
        RelationType("MET", frozenset({"PERSON"}), frozenset({"PERSON"})),
        RelationType("VISITED", frozenset({"PERSON"}), frozenset({"GPE"})),
    ),
)

LONG = " ".join(
    f"Minister Ana Costa met envoy Li Wei in Lisbon on day {n} to talk about trade and fishing rights."
    for n in range(60)
)


def make_task(text: str, spans: list[tuple[str, str]] = ()) -> tuple[Task, Annotation]:  # type: ignore[assignment]
    task = Task(text, provisional_tokens(text), input_hash(text))
    out = []
    for sid, (phrase, label) in enumerate(spans, 1):
        start = text.index(phrase)
        out.append(make_span(task, start, start + len(phrase), label, "test", sid))
    return task, Annotation(tuple(out))


def make_db(path: Path, *tasks: tuple[Task, Annotation]) -> Path:
    with Store(path) as store:
        store.add_tasks("qa", list(tasks))
    return path


def app_for(db: Path, annotator: str = "alice") -> AnnotatorApp:
    return AnnotatorApp(AnnotationSession(Store(db), "qa", annotator, SCHEME), "test model")


async def test_vertical_and_line_keys_move_the_cursor_not_just_the_view(tmp_path: Path) -> None:
    """The document view is a scroll view, whose own bindings for the arrows, home/end and the page
    keys would win over the screen's while it has the focus."""
    db = make_db(tmp_path / "a.db", make_task(LONG))
    app = app_for(db)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        doc = screen.query_one(DocumentView)
        layout = doc.wrap
        assert layout is not None and len(layout.rows) > 40
        assert screen.cursor == 0
        await pilot.press("down")
        assert layout.row_of(screen.cursor) == 1
        await pilot.press("down", "down")
        assert layout.row_of(screen.cursor) == 3
        await pilot.press("up")
        assert layout.row_of(screen.cursor) == 2
        await pilot.press("end")
        assert screen.cursor == layout.positions(2)[-1][0]
        await pilot.press("home")
        assert screen.cursor == layout.positions(2)[0][0]
        await pilot.press("pagedown")
        page = doc.scrollable_content_region.height
        row = layout.row_of(screen.cursor)
        assert row >= page - 1
        # the cursor's row is on screen
        assert doc.scroll_offset.y <= row < doc.scroll_offset.y + page
        await pilot.press("pageup")
        assert layout.row_of(screen.cursor) == 2
        assert doc.scroll_offset.y <= 2
