"""The annotate screen's modes as controllers: the active mode answers a key first (check_action
says no for a key nobody answers), the view state is reactive and the document view is bound to
it, and a new mode is one class and one registration."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App

from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.app import STYLESHEET
from annotator.tui.components.document_view import DocumentView
from annotator.tui.components.side_panels import Legend
from annotator.tui.editor import editor_keys
from annotator.tui.keymap import Key, key_bindings
from annotator.tui.modes import MODES, Mode
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.review import GoldEditScreen
from tests.tui_support import QA_SCHEME, app_for, drawn, make_db, make_task

TEXT = "Chancellor Olaf Scholz met Emmanuel Macron in Brussels on Thursday."
SPANS = (("Olaf Scholz", "PERSON"), ("Emmanuel Macron", "PERSON"), ("Brussels", "GPE"))


def status(screen: AnnotateScreen) -> str:
    return str(screen.query_one("#status").render())


async def test_the_view_state_is_reactive_and_the_document_is_bound_to_it(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS, ((1, 2, "MET"),))))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        doc = screen.query_one(DocumentView)
        screen.cursor = 5
        screen.selection = (5, 6)
        screen.selected_sid = 3
        assert (doc.cursor, doc.selection, doc.selected_sid) == (5, (5, 6), 3)
        await pilot.pause()
        # the watchers repainted the rows: the cursor's token is drawn inverted
        row = doc.wrap.row_of(5) if doc.wrap else 0
        strip = doc.render_line(row)
        task = app.session.current.task  # type: ignore[union-attr]
        cursor = next(seg for seg in strip if seg.text == task.tokens[5].text)
        assert cursor.style is not None and cursor.style.reverse
        # the mode's watcher redraws the legend and the status line
        screen.head_sid, screen.child_sid = 1, 2
        screen.mode = "relation"
        assert "RELATION" in status(screen) and "MET" in drawn(screen.query_one(Legend))
        assert (doc.relation_head, doc.relation_child) == (1, 2)
        screen.mode = "edit"  # the edit mode points at no relation
        assert screen.head_sid is None and screen.child_sid is None and doc.relation_head is None
        assert "RELATION" not in status(screen) and "PERSON" in drawn(screen.query_one(Legend))


async def test_the_active_mode_answers_first(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS, ((1, 2, "MET"), (2, 3, "VISITED")))))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        assert screen.check_action("key", ("label", 1)) and screen.check_action("key", ("accept",))
        # j in the edit mode moves the cursor; in the relations list it goes to the next relation
        assert screen.controller.handler("cursor_down") is not None
        await pilot.press("R")
        assert screen.mode == "relations" and screen.controller.selected_relation() == 0
        cursor = screen.cursor
        await pilot.press("j")
        assert screen.controller.selected_relation() == 1 and (screen.head_sid, screen.child_sid) == (2, 3)
        assert screen.cursor != cursor  # on the head of the second relation
        await pilot.press("escape")
        assert screen.mode == "edit" and screen.controller.selected_relation() is None


async def test_keys_nobody_answers_are_off(tmp_path: Path) -> None:
    """The review's edit screen has no task navigation: [ is answered by the screen (it says so);
    the editing screen itself answers no decision key, so check_action turns those off."""
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS))
    session = AnnotationSession(Store(db), "qa", "alice", QA_SCHEME)
    session.open(session.queue()[0])
    screen = GoldEditScreen(session, "gold")
    assert screen.check_action("key", ("accept",)) and screen.check_action("key", ("prev_task",))
    assert screen.check_action("key", ("no_such_key",)) is False
    assert screen.check_action("dismiss", ()) is True  # actions that are not keys are Textual's


class CountMode(Mode):
    """A mode made for this test: c turns it on, digits add up, esc leaves."""

    name = "count"
    badge = "COUNT"
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("count_mode", "c", "count digits", "c", "spans", action="mode", params=("count",)),
    )
    total = 0

    def action_enter(self) -> None:
        self.total = 0
        super().action_enter()

    def action_label(self, n: int) -> None:
        self.total += n
        self.editor.say(f"total {self.total}")

    def action_clear(self) -> None:
        self.leave()


class CountingScreen(AnnotateScreen):
    MODES = (*MODES, CountMode)
    KEYS = editor_keys(MODES)
    BINDINGS = key_bindings(KEYS)  # type: ignore[assignment]


async def test_a_new_mode_is_one_class_and_one_registration(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS))
    session = AnnotationSession(Store(db), "qa", "alice", QA_SCHEME)
    session.open_first_unanswered()
    screen = CountingScreen(session, "test model")

    class CountingApp(App[None]):
        CSS_PATH = STYLESHEET

        def on_mount(self) -> None:
            self.push_screen(screen)

    async with CountingApp().run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("c", "2", "3")
        assert screen.mode == "count" and "COUNT" in status(screen)
        assert "total 5" in str(screen.query_one("#message").render())
        cur = session.current
        assert cur is not None and len(cur.annotation.spans) == 3  # the digits labelled nothing
        await pilot.press("right")  # keys the mode leaves alone still move the cursor
        assert screen.cursor == 1
        await pilot.press("escape", "1")  # back in the edit mode, 1 labels again
        assert screen.mode == "edit"
        cur = session.current
        assert (
            cur is not None and len(cur.annotation.spans) == 3 and cur.annotation.span_at_token(1) is not None
        )
