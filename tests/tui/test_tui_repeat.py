"""The keys that go where the work is: `*` / `#` to the next / previous span with the same text, and
`!` repeating the last span edit on every other mention as one undoable step; on the real sample
article as the model left it (six "Nakatani" tagged ORG)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.search import matches
from annotator.tui.app import AnnotatorApp
from tests.tui.test_tui_annotate import tab_to
from tests.tui_support import SIZE, make_app, span_with_text


def nakatani(app: AnnotatorApp) -> list[str]:
    cur = app.session.current
    assert cur is not None
    return [
        s.label
        for s in sorted(cur.annotation.spans, key=lambda s: s.start)
        if cur.task.text[s.start : s.end] == "Nakatani"
    ]


def message(app: AnnotatorApp) -> str:
    return str(app.annotate_screen.query_one("#message").render())


async def test_star_hash_and_bang_fix_every_nakatani_in_two_keys_and_undo_in_one(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = nakatani(app)
        assert before.count("ORG") >= 5
        first = span_with_text(app, "Nakatani")
        await tab_to(pilot, app, first)
        await pilot.press("asterisk")
        second = span_with_text(app, "Nakatani", 1)
        assert app.annotate_screen.selected_sid == second.sid and "2 of" in message(app)
        await pilot.press("number_sign")
        assert app.annotate_screen.selected_sid == first.sid
        await pilot.press("number_sign")  # wraps to the last one
        assert app.annotate_screen.selected_sid == span_with_text(app, "Nakatani", len(before) - 1).sid
        await pilot.press("1")  # PERSON
        await pilot.press("exclamation_mark")
        assert set(nakatani(app)) == {"PERSON"}
        assert f"relabelled PERSON {before.count('ORG') - 1} other mentions" in message(app)
        await pilot.press("u")  # one step undoes every repeated relabel
        assert nakatani(app).count("PERSON") == before.count("PERSON") + 1
        await pilot.press("U")
        assert set(nakatani(app)) == {"PERSON"}
        await pilot.press("exclamation_mark")  # the last edit is the repeat itself: nothing to repeat
        assert "make one first" in message(app)
        assert set(nakatani(app)) == {"PERSON"}


async def test_slash_search_with_n_and_shift_n_and_escape(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        cur = app.session.current
        assert cur is not None
        found = matches(cur.task, "south korea")
        assert len(found) >= 3
        await pilot.press("slash", *"SOUTH", "space", *"KOREA", "enter")
        assert screen.mode == "edit" and (screen.cursor, screen.selection) == (found[0][0], found[0])
        assert f"match 1 of {len(found)}" in message(app)
        await pilot.press("n")
        assert screen.cursor == found[1][0]
        await pilot.press("N", "N")  # back to the first, then wraps to the last
        assert screen.cursor == found[-1][0]
        await pilot.press("slash", "x", "y", "backspace", "escape")
        assert screen.mode == "edit" and message(app) == ""
        await pilot.press("slash", *"nowhere-to-be-found", "enter")
        assert "not in this task" in message(app)
        # The query as it was typed is not in the message log a character at a time.
        assert not [m for m, _ in app.said.entries if m.startswith("/")], list(app.said.entries)
        nothing = cur.annotation
        assert app.session.current.annotation == nothing  # type: ignore[union-attr]  # typing edited nothing


async def test_escape_from_relation_mode_returns_to_the_head(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        head = span_with_text(app, "Ahn Gyu Back")
        await tab_to(pilot, app, head)
        await pilot.press("r", "tab", "tab", "tab")
        assert app.annotate_screen.mode == "relation"
        await pilot.press("escape")
        screen = app.annotate_screen
        assert screen.mode == "edit" and screen.cursor == head.token_start and screen.selected_sid == head.sid
