"""Hostile data on the real annotate and review screens, through Pilot: labels, span texts and
names that look like markup are drawn as they are (never read as styles, links or actions; a span
text cannot be clicked into an action), and control characters are drawn as stand-ins."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList

from annotator.core.display import has_unsafe
from annotator.core.scheme import LabelScheme, RelationType
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.components.dialogs import HelpScreen, LabelPicker
from annotator.tui.components.document_view import DocumentView
from annotator.tui.components.side_panels import Legend, MessageLine, RelationsPanel
from annotator.tui.components.status_line import StatusLine
from tests.tui_support import SIZE, make_db, make_task

CLICK = "[@click=app.quit]CLICKME[/]"
LABELS = (
    "[bold]X[/]",
    "[link=https://evil.example]L[/link]",
    "[/]",
    CLICK,
    "[citation needed]",
    "E\x1b]0;PWNED\x07",
    "C1\x9b2J\x90",
)
SCHEME = LabelScheme(
    LABELS,
    relations=(RelationType("[b]REL[/b]\x1b[2J", frozenset(), frozenset()),),
)
TEXT = (
    f"Ana met {CLICK} in Paris \x1b]52;c;UFdORUQ=\x07 and [link=https://evil.example]here[/link] "
    "[bold]X[/] [citation needed]\x9b2J end.\n\nBell\x07 and back\x08\x08space."
)
DATASET = "qa"


def hostile_db(path: Path) -> Path:
    spans = (
        ("Ana", "[bold]X[/]"),
        (CLICK, CLICK),
        ("Paris", "E\x1b]0;PWNED\x07"),
        ("[citation needed]", "[/]"),
    )
    return make_db(path, make_task(TEXT, spans, ((1, 2, "[b]REL[/b]\x1b[2J"),)))


def hostile_app(db: Path) -> AnnotatorApp:
    session = AnnotationSession(Store(db), DATASET, "ann[b]X[/b]\x1b[2J", SCHEME)
    return AnnotatorApp(session, "model[red]M[/]\x9b")


def plain(widget: Widget) -> str:
    shown = widget.render()
    if isinstance(shown, Text | Content):
        return shown.plain
    return str(shown)


def document_rows(app: AnnotatorApp) -> str:
    doc = app.annotate_screen.query_one(DocumentView)
    return "\n".join("".join(seg.text for seg in doc.render_line(y)) for y in range(doc.size.height))


def assert_drawn(text: str) -> None:
    assert not has_unsafe(text, keep="\n"), repr(text)


async def test_markup_and_controls_are_drawn_as_they_are(tmp_path: Path) -> None:
    app = hostile_app(hostile_db(tmp_path / "h.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        rows = document_rows(app)
        assert_drawn(rows)
        assert CLICK in rows and "[bold]X[/]" in rows and "[citation needed] [/]␦2J" in rows
        assert "␛]52;c;UFdORUQ=␇" in rows and "Bell␇" in rows and "back␈␈space" in rows
        legend = plain(screen.query_one(Legend))
        assert_drawn(legend)
        # (the legend clips a long label: the link keeps its start)
        for label in ("[bold]X[/]", "[link=https://evil.example]L[/", "[/]", "[citation needed]"):
            assert label in legend, legend
        assert "E␛]0;PWNED␇" in legend and "C1␦2J␦" in legend
        status = plain(screen.query_one(StatusLine))
        assert_drawn(status)
        assert "ann[b]X[/b]␛[2J" in status and "model[red]M[/]␦" in status
        relations = plain(screen.query_one(RelationsPanel))
        assert_drawn(relations)
        assert "[b]REL[/b]␛[2J → [@click=app.q" in relations
        # tab selects each span and says it, quoting its text and label: read as text, never
        # as markup (a "[link=...]" or "[/]" here stopped the app with a MarkupError).
        said = []
        for _ in range(4):
            await pilot.press("tab")
            said.append(plain(screen.query_one(MessageLine)))
        assert app.is_running
        assert all(not has_unsafe(line) for line in said), said
        assert any(CLICK in line for line in said) and any("E␛]0;PWNED␇" in line for line in said)
        # Relation mode shows the relation labels, drawn.
        await pilot.press("r")
        await pilot.pause()
        legend = plain(screen.query_one(Legend))
        assert "[b]REL[/b]␛[2J" in legend
        await pilot.press("escape")


async def test_the_picker_the_palette_and_help_show_labels_literally(tmp_path: Path) -> None:
    app = hostile_app(hostile_db(tmp_path / "h.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("0")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, LabelPicker)
        options = picker.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert [p.split("  ", 1)[1] for p in prompts] == [
            "[bold]X[/]",
            "[link=https://evil.example]L[/link]",
            "[/]",
            CLICK,
            "[citation needed]",
            "E␛]0;PWNED␇",
            "C1␦2J␦",
        ]
        await pilot.press("4")  # the label that looks like a click action: taken as a name
        await pilot.pause()
        assert app.is_running and app.screen is app.annotate_screen
        assert CLICK in plain(app.annotate_screen.query_one(MessageLine))
        # The command palette lists "Label <label>" as text.
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.press(*"Label")
        await pilot.pause(0.5)
        hits = palette.query_one(CommandList)
        shown = [_prompt_plain(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        for label in ("[bold]X[/]", "[/]", CLICK, "E␛]0;PWNED␇"):
            assert any(f"Label {label}" in s for s in shown), shown
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.is_running


def _prompt_plain(prompt: object) -> str:
    if isinstance(prompt, Text | Content):
        return prompt.plain
    return str(prompt)


async def click_word(pilot: Pilot[None], widget: Widget, word: str, drawn: str | None = None) -> int:
    """Click every cell of ``word`` where ``widget`` draws it (``drawn``: its lines, if not its
    render); returns how many cells."""
    lines = (plain(widget) if drawn is None else drawn).split("\n")
    y = next(i for i, line in enumerate(lines) if word in line)
    x = lines[y].index(word)
    dx = widget.content_region.x - widget.region.x
    dy = widget.content_region.y - widget.region.y
    for k in range(len(word)):
        await pilot.click(widget, offset=(dx + x + k, dy + y))
        await pilot.pause()
    return len(word)


async def test_no_span_text_can_be_clicked_into_an_action(tmp_path: Path) -> None:
    """Wherever the text of ``[@click=app.quit]CLICKME[/]`` is drawn (the document, the message
    line that quotes a selected span, the legend, the relations panel), a click on it is a click on
    text: the app goes on."""
    app = hostile_app(hostile_db(tmp_path / "h.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        doc = screen.query_one(DocumentView)
        target = next(t.id for t in screen.current_task.tokens if t.text == "CLICKME")  # type: ignore[union-attr]
        assert await click_word(pilot, doc, "CLICKME", document_rows(app)) == 7
        assert app.is_running, "a click on the span's text ran an action"
        assert screen.cursor == target and screen.selected_sid == 2
        message = screen.query_one(MessageLine)
        for _ in range(5):  # tab to a span until the message quotes the one that looks like an action
            if CLICK in plain(message):
                break
            await pilot.press("tab")
        assert CLICK in plain(message)
        # (the relations panel clips the span's text: its start is what is drawn there)
        for widget, word in (
            (message, "CLICKME"),
            (screen.query_one(Legend), "CLICKME"),
            (screen.query_one(RelationsPanel), "@click=app.q"),
        ):
            await click_word(pilot, widget, word)
            assert app.is_running, f"a click on {type(widget).__name__} ran an action"
