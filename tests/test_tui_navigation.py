"""The annotate screen's keys as a terminal sends them, on texts written for these tests (no model:
the tasks are stored with their tokens and spans, so each test is fast and exact)."""

from __future__ import annotations

from pathlib import Path

from annotator.tui.components.document_view import DocumentView
from tests.tui_support import LONG, app_for, make_db, make_task


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
