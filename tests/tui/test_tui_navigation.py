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


async def test_whitespace_tokens_are_drawn_where_the_layout_puts_them(tmp_path: Path) -> None:
    """spaCy makes a token of a tab or of a second space; the row must show the space it stands
    for, at the place the layout (mouse clicks, up/down) computes for every token."""
    from annotator.core.hashing import input_hash
    from annotator.core.model import Annotation, Task, Token

    text = "Boris met\tAna  Lee in\tParis.\r\n\r\nThe  talks lasted\ttwo days."
    words: list[tuple[str, int]] = []
    pos = 0
    for piece in [
        "Boris",
        " ",
        "met",
        "\t",
        "Ana",
        " ",
        " ",
        "Lee",
        " ",
        "in",
        "\t",
        "Paris",
        ".",
        "\r\n\r\n",
    ]:
        words.append((piece, pos))
        pos += len(piece)
    for piece in ["The", " ", " ", "talks", " ", "lasted", "\t", "two", " ", "days", "."]:
        words.append((piece, pos))
        pos += len(piece)
    assert pos == len(text)
    # spaCy's convention: one plain space after a token is its ``ws``; any other whitespace is a token
    tokens: list[Token] = []
    k = 0
    while k < len(words):
        piece, start = words[k]
        ws = k + 1 < len(words) and words[k + 1][0] == " " and not piece.isspace()
        tokens.append(Token(piece, start, start + len(piece), len(tokens), ws))
        k += 2 if ws else 1
    task = Task(text, tuple(tokens), input_hash(text))
    assert "".join(t.text + (" " if t.ws else "") for t in tokens) == text
    db = make_db(tmp_path / "a.db", (task, Annotation()))
    app = app_for(db)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        doc = app.annotate_screen.query_one(DocumentView)
        layout = doc.wrap
        assert layout is not None
        for row in range(len(layout.rows)):
            shown = doc._render_row(row).text
            for token, x in layout.positions(row):
                assert shown[x:].startswith(tokens[token].text), (row, tokens[token].text, shown)
        first = doc._render_row(0).text
        assert "met Ana  Lee in Paris." in first
