"""A Textual theme restyles the marks and the review's colours (component classes in
annotator.tcss and review.tcss); the labels keep the colours of their scheme."""

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
        app.theme = "nord"
        await pilot.pause()
        assert segment(doc, 4).style != selected.style  # the selection follows the theme
        after = segment(doc, 1).style  # the label keeps its colour
        assert after is not None and label.style is not None and after.bgcolor == label.style.bgcolor


async def test_a_theme_restyles_the_review_states(tmp_path: Path) -> None:
    from textual.color import Color

    from annotator.review import ReviewSession
    from annotator.store import Store
    from annotator.tui.review_app import ReviewApp
    from tests.tui.test_tui_review_background import build

    build(tmp_path / "r.db")
    app = ReviewApp(ReviewSession(Store(tmp_path / "r.db"), "news", "alice", "bob"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        doc = app.screen.query_one(DocumentView)
        for theme in ("textual-dark", "nord"):
            app.theme = theme
            await pilot.pause()
            agreed = doc.state_style("agreed").bgcolor
            # review.tcss: an agreed span on the theme's $success
            assert agreed is not None
            assert Color.from_rich_color(agreed) == Color.parse(app.current_theme.success)


async def test_the_annotate_app_parses_the_dialogs_and_the_reviews_rules_only_when_needed(
    tmp_path: Path,
) -> None:
    # Textual parses every rule of the app's stylesheet before its first frame (34M machine
    # instructions when annotator.tcss held the dialogs' and the review's rules too).
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, (("Olaf Scholz", "PERSON"),))))
    elsewhere = {"HelpScreen", "LabelPicker", "MessagesScreen", "NameScreen", "ReviewScreen"}
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        parsed = {name for rule in app.stylesheet.rules for name in rule.selector_names}
        assert "DocumentView" in parsed and not parsed & elsewhere, sorted(parsed & elsewhere)
        assert not any("document-view--agreed" in rule.selector_names for rule in app.stylesheet.rules)
        # Nor styles the review states (components of the review's document view only) each time
        # the document view's styles change.
        doc = app.annotate_screen.query_one(DocumentView)
        assert not {c for c in doc._get_component_classes() if c.endswith("--agreed")}
        await pilot.press("question_mark")  # the help's look comes with it
        await pilot.pause()
        assert "HelpScreen" in {name for rule in app.stylesheet.rules for name in rule.selector_names}
