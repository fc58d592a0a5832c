"""Unsure marks on the annotate screen, through Pilot on the sample article as the real model
suggests it: a span the model doubted carries "?" after its label until it is changed, the tokens of
a near miss are underlined, `;` and `,` go through the places worth a look, → leaves a selected
span in one key, and --order uncertain says why a task opened."""

from __future__ import annotations

from pathlib import Path

from annotator.core.doubts import Doubts
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.components.document_view import DocumentView
from tests.tui_support import SIZE, app_for, drawn, make_app, make_db, make_task, span_with_text, token_index


def message(app: AnnotatorApp) -> str:
    return str(app.annotate_screen.query_one("#message").render())


def row_of_token(app: AnnotatorApp, token: int) -> list[tuple[str, bool]]:
    """The segments (text, underlined) of the row that holds ``token``, as drawn."""
    doc = app.annotate_screen.query_one(DocumentView)
    assert doc.wrap is not None
    doc.scroll_to_token(token)
    row = doc.wrap.row_of(token) - int(doc.scroll_offset.y)
    return [(seg.text, bool(seg.style and seg.style.underline)) for seg in doc.render_line(row)]


async def test_unsure_spans_carry_a_mark_until_changed_and_near_misses_are_underlined(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        doc = app.annotate_screen.query_one(DocumentView)
        defense = span_with_text(app, "Defense")
        assert ("Defense", False) in row_of_token(app, defense.token_start)
        # unsure, and the child of a relation
        assert " ORG?◀" in [text for text, _ in row_of_token(app, defense.token_start)]
        assert " GPE?" in drawn(doc) or "GPE?" in drawn(doc)  # 'SEOUL', on the first row
        following = token_index(app, "following")
        assert ("following", True) in row_of_token(app, following)
        # ; goes to the first place at or after the cursor: 'Defense' ('SEOUL' is unsure, but the
        # model is sure of 'Seoul' as a GPE elsewhere: not a place to look)
        await pilot.press("semicolon")
        screen = app.annotate_screen
        assert screen.selected_sid == defense.sid and "margin 0.07" in message(app)
        assert "1 of 14" in message(app)
        await pilot.press("5")  # relabelled: no longer the span the model doubted
        assert " NORP◀" in [t for t, _ in row_of_token(app, defense.token_start)]
        # the place is settled: on to the next one, in one key
        assert "next: GPE 'North Korea’s' · ends in a possessive" in message(app)
        assert screen.selected_sid == span_with_text(app, "North Korea’s").sid
        await pilot.press("u")  # undone: the doubted span again, with its mark
        assert " ORG?◀" in [t for t, _ in row_of_token(app, defense.token_start)]
        # , goes back round to the last place: the near miss, selected as tokens a digit labels
        screen.selected_sid = None
        screen.cursor = 0
        await pilot.press("comma")
        assert screen.selection == (following - 1, following + 1) and "nearly DATE" in message(app)
        await pilot.press("6", "escape")  # a DATE now (and not selected: a selected span is underlined)
        assert ("following", False) in row_of_token(app, following)


async def test_right_leaves_a_selected_span_in_one_key(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        dialogue = span_with_text(app, "the Seoul Defense Dialogue")
        screen.selected_sid = dialogue.sid
        screen.cursor = dialogue.token_start
        await pilot.press("right")
        assert screen.cursor == dialogue.token_end + 1 and screen.selected_sid is None
        await pilot.press("left")  # no span selected now: one token back, into the span
        assert screen.cursor == dialogue.token_end


async def test_the_uncertain_order_says_why_a_task_opened(tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "a.db",
        make_task("Ana met Li in Lisbon.", (("Ana", "PERSON"),)),
        make_task("Bo met Cy in Porto.", (("Bo", "PERSON"),)),
        make_task("Di met Ed in Faro.", (("Di", "PERSON"),)),
    )
    with Store(db) as store:
        ids = store.task_ids("qa")
        store.set_doubts([(ids[0], Doubts(1.0)), (ids[1], Doubts(0.5)), (ids[2], Doubts(4.0))])
    app = app_for(db)
    app.session.order = "uncertain"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cur = app.session.current
        assert cur is not None and cur.task.text.startswith("Di")
        await pilot.press("a")
        assert app.session.current.task.text.startswith("Ana")  # type: ignore[union-attr]
        assert "the least sure of the next 2 (uncertainty 1.0)" in message(app)


async def test_relation_mode_offers_the_nearest_span_the_head_can_link_to(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        # "... the normalization of Japan-South Korea relations in 1965. Ahn took up the post in July
        # and the Seoul meeting was his first in-person talks with Nakatani": a DATE (1965, July) or
        # an ORDINAL (first) can be no PERSON's child in the news scheme.
        ahn = span_with_text(app, "Ahn", 3)
        assert app.session.current is not None
        text = app.session.current.task.text

        def child() -> str:
            span = app.session.current.annotation.span(screen.child_sid)  # type: ignore[union-attr, arg-type]
            assert span is not None
            return text[span.start : span.end]

        screen.selected_sid, screen.cursor = ahn.sid, ahn.token_start
        await pilot.press("r")
        assert child() == "South Korea"  # the nearest, 6 tokens before (Seoul is 9 after)
        await pilot.press("tab")
        assert child() == "Seoul"  # 1965 and July passed
        await pilot.press("tab")
        assert child() == "Nakatani"  # first passed
        await pilot.press("escape")  # back on the head
        assert screen.selected_sid == ahn.sid and screen.mode == "edit"
