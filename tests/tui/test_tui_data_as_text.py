"""Strings from the data are drawn as text, never read as markup: a span text, a label, a relation
label and an annotator name that look like Textual markup show as they are in the document, the
message line, the legend and its title, the relations panel, the status line, the label picker and
the command palette; clicking such a span text runs no action."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList
from textual.content import Content
from textual.widgets import OptionList

from annotator.core.scheme import LabelScheme, RelationType
from annotator.tui.components.dialogs import LabelPicker
from annotator.tui.components.document_view import DocumentView
from annotator.tui.components.side_panels import Legend, RelationsPanel
from annotator.tui.display import palette_title
from tests.tui_support import app_for, drawn, make_db, make_task

CLICK = "[@click=app.quit]CLICKME[/]"
LINK = "[link=https://example.com]here[/]"
TEXT = f"Meet {CLICK} and Ana near {LINK} today [citation needed]."
LABEL = "[bold]X[/]"
RELATION = "[b]MET[/b]"
WHO = "[red]eve[/]"
SCHEME = LabelScheme((LABEL, "PERSON"), relations=(RelationType(RELATION),))


def plain(widget: object) -> str:
    return str(widget.render())  # type: ignore[attr-defined]


async def test_markup_in_the_data_is_shown_as_it_is(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, ((CLICK, LABEL), ("Ana", "PERSON"), (LINK, LABEL))))
    app = app_for(db, annotator=WHO, scheme=SCHEME)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        doc = screen.query_one(DocumentView)
        assert CLICK in drawn(doc) and LABEL in drawn(doc)
        assert WHO in plain(screen.query_one("#status"))
        assert LABEL in plain(screen.query_one(Legend))
        await pilot.press("tab")  # the message names the selected span and its label
        said = plain(screen.query_one("#message"))
        assert CLICK in said and LABEL in said
        await pilot.press("r")  # relation mode: the legend's title names the two spans' labels
        legend = screen.query_one(Legend)
        assert legend.border_title is not None
        assert Content.from_markup(legend.border_title).plain == f"{LABEL} → PERSON"
        assert RELATION in plain(legend)
        await pilot.press("1")  # draw it: the relations panel and the message show it as it is
        assert RELATION in plain(screen.query_one(RelationsPanel))
        assert RELATION in plain(screen.query_one("#message"))
        await pilot.press("escape", "0")
        assert isinstance(app.screen, LabelPicker)
        assert LABEL in drawn(app.screen.query_one(OptionList))
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"label")
        await pilot.pause(0.5)
        assert f"Label {LABEL}" in drawn(app.screen.query_one(CommandList))
        await pilot.press("escape")
        await pilot.pause()
        # a click on the span text that reads like an action puts the cursor there, nothing more
        layout = doc.wrap
        assert layout is not None
        token = next(t for t in app.session.current.task.tokens if t.text == "CLICKME")  # type: ignore[union-attr]
        x = dict(layout.positions(layout.row_of(token.id)))[token.id]
        pad = doc.scrollable_content_region.x - doc.region.x
        await pilot.click(DocumentView, offset=(x + pad, layout.row_of(token.id) + 1))
        await pilot.pause()
        assert app.is_running and screen.cursor == token.id


def test_palette_titles_keep_markup_characters() -> None:
    for title in (LABEL, CLICK, "[citation needed]", "a\\[b]"):
        assert Content.from_markup(palette_title(title)).plain == title
