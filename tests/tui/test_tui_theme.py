"""A Textual theme restyles the marks and the review's colours (component classes in
annotator.tcss); the labels keep the colours of their scheme."""

from __future__ import annotations

from pathlib import Path

from rich.segment import Segment

from annotator.tui.components.document_view import DocumentView
from tests.tui_support import app_for, make_db, make_task

TEXT = "Chancellor Olaf Scholz met Emmanuel Macron in Brussels on Thursday."


def segment(doc: DocumentView, token: int) -> Segment:
    assert doc.wrap is not None and doc.doc_task is not None
    strip = doc.render_line(doc.wrap.row_of(token) - int(doc.scroll_offset.y))
    return next(seg for seg in strip if seg.text == doc.doc_task.tokens[token].text)


async def test_a_theme_restyles_selection_and_review_states_not_labels(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, (("Olaf Scholz", "PERSON"),))))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        doc = app.annotate_screen.query_one(DocumentView)
        await pilot.press("right", "right", "right", "L")  # "met" and "Emmanuel" selected
        label, selected = segment(doc, 1), segment(doc, 4)
        agreed = doc.state_style("agreed")
        app.theme = "nord"
        await pilot.pause()
        assert segment(doc, 4).style != selected.style  # the selection follows the theme
        assert doc.state_style("agreed").bgcolor != agreed.bgcolor
        after = segment(doc, 1).style  # the label keeps its colour
        assert after is not None and label.style is not None and after.bgcolor == label.style.bgcolor
