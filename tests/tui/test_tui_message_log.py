"""No message is lost: one wider than the terminal was cut at the edge ("removed 1 relation(s) that
GPE does not", the reason a key was refused). The message line now marks a cut message, and m opens
every message said so far, whole, on the annotate, edit and review screens."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from annotator.review import ReviewSession
from annotator.store import Store
from annotator.tui.components.message_log import MessagesScreen
from annotator.tui.components.side_panels import MessageLine
from annotator.tui.review_app import ReviewApp
from tests.cli.test_review_gold import build
from tests.tui_support import app_for, drawn, make_db, make_task

TEXT = "Chancellor Olaf Scholz met President Emmanuel Jean-Michel Frédéric Macron in Brussels on Thursday."
SPANS = (
    ("Olaf Scholz", "PERSON"),
    ("President Emmanuel Jean-Michel Frédéric Macron", "PERSON"),
    ("Brussels", "GPE"),
)
WHOLE = "GPE: 'President Emmanuel Jean-Michel Frédéric Macron' · removed 2 relations that GPE does not allow"


async def test_a_cut_message_is_marked_and_m_shows_it_whole(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS, ((1, 2, "MET"), (2, 3, "VISITED")))))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "tab", "3")  # relabel: the two relations it had go
        line = app.annotate_screen.query_one(MessageLine)
        shown = drawn(line).strip()
        assert len(drawn(line)) <= 80 and shown.endswith("…m")  # cut, and says so
        assert WHOLE.startswith(shown.removesuffix("…m").rstrip(" …").rstrip())
        await pilot.press("m")
        assert isinstance(app.screen, MessagesScreen)
        said = str(app.screen.query_one(Static).render())
        assert WHOLE in said and "span 2 of 3" in said  # the earlier message (tab) is there too
        await pilot.press("escape")
        assert app.screen_stack[-1] is app.annotate_screen  # (app.screen is narrowed above)
        # a short message is not marked
        await pilot.press("escape", "tab")
        assert not drawn(line).strip().endswith("…m")


async def test_the_review_screen_keeps_its_messages_too(tmp_path: Path) -> None:
    build(tmp_path / "r.db")
    review = ReviewSession(Store(tmp_path / "r.db"), "news", "alice", "bob")
    app = ReviewApp(review)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2", "m")
        assert isinstance(app.screen, MessagesScreen)
        assert "took B (bob)" in str(app.screen.query_one(Static).render())
