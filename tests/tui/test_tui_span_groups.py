"""Span groups and token splits on the annotate screen (issue 14), through Pilot: ``g`` switches
the active layer (the status line and the legend say which), the span keys work on it (nested
spans in a group, the entity layer untouched), and ``s`` splits the token under the cursor at the
character chosen with the arrows, undoably, for every annotator."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from annotator.core.model import ENTS
from annotator.core.scheme import LabelScheme
from annotator.store import Store
from annotator.tui.components.side_panels import Legend
from tests.tui_support import app_for, drawn, make_db, make_task

SCHEME = LabelScheme(
    ("ORG", "GPE", "PERSON"), span_groups={"sc": ("INSTITUTION", "PLACE"), "facts": ("CLAIM",)}
)
TEXT = "The Bank of America hired Ana in Korea-U.S.-Japan talks today ."


def status(app: object) -> str:
    return str(app.annotate_screen.query_one("#status").render())  # type: ignore[attr-defined]


def token(app: object, text: str) -> int:
    task = app.session.current.task  # type: ignore[attr-defined]
    return next(i for i, t in enumerate(task.tokens) if t.text == text)


async def test_g_switches_the_layer_and_the_span_keys_nest_spans_in_a_group(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, (("Bank of America", "ORG"),)))
    app = app_for(db, scheme=SCHEME)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        assert "layer: entities" in status(app)
        assert "ORG" in drawn(screen.query_one(Legend)) and "next layer: span group sc" in drawn(
            screen.query_one(Legend)
        )
        await pilot.press("g")
        assert screen.active_layer == "sc"
        assert "layer: span group sc" in status(app)
        legend = drawn(screen.query_one(Legend))
        assert "INSTITUTION" in legend and "ORG" not in legend.split("next layer")[0]
        # "Bank of America" INSTITUTION over the ORG entity, then "America" PLACE nested in it.
        screen.cursor = token(app, "Bank")
        await pilot.press("shift+right", "shift+right", "1")
        screen.cursor = token(app, "America")
        await pilot.press("escape", "2")
        ann = app.session.current.annotation  # type: ignore[union-attr]
        got = sorted((TEXT[s.start : s.end], s.label, s.layer) for s in ann.spans)
        assert got == [
            ("America", "PLACE", "sc"),
            ("Bank of America", "INSTITUTION", "sc"),
            ("Bank of America", "ORG", ENTS),
        ]
        # tab goes through the active layer's spans only; d deletes the innermost under the cursor.
        await pilot.press("tab")
        selected = ann.span(screen.selected_sid) if screen.selected_sid else None
        assert selected is not None and selected.layer == "sc"
        screen.selected_sid = None
        screen.cursor = token(app, "America")
        await pilot.press("d")
        ann = app.session.current.annotation  # type: ignore[union-attr]
        assert ("PLACE", "sc") not in {(s.label, s.layer) for s in ann.spans}
        assert ("ORG", ENTS) in {(s.label, s.layer) for s in ann.spans}
        await pilot.press("g", "g")
        assert screen.active_layer == ENTS and "layer: entities" in status(app)


async def test_s_splits_the_token_at_the_chosen_character_undoably(tmp_path: Path) -> None:
    from annotator.core.hashing import input_hash
    from annotator.core.model import Annotation, Task
    from annotator.formats.tokens import tokenize

    task = Task(TEXT, tokenize(TEXT, "en"), input_hash(TEXT))
    db = make_db(tmp_path / "a.db", (task, Annotation()))
    app = app_for(db, scheme=SCHEME)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        screen.cursor = token(app, "U.S.-Japan")
        await pilot.press("s")
        assert screen.mode == "split" and "SPLIT" in status(app)
        assert "U│.S.-Japan" in str(screen.query_one("#message").render())
        await pilot.press("right", "right", "right")
        assert "U.S.│-Japan" in str(screen.query_one("#message").render())
        await pilot.press("enter")
        assert screen.mode == "edit"
        texts = [t.text for t in app.session.current.task.tokens]  # type: ignore[union-attr]
        assert "U.S." in texts and "-Japan" in texts
        # The new token takes a label: "U.S." GPE.
        screen.cursor = token(app, "U.S.")
        await pilot.press("2")
        ann = app.session.current.annotation  # type: ignore[union-attr]
        assert [(TEXT[s.start : s.end], s.label) for s in ann.spans] == [("U.S.", "GPE")]
        with Store(db) as store:
            stored = store.task(store.task_ids("qa")[0])
        assert "U.S." in [t.text for t in stored.tokens]  # the task's tokens: every annotator's
        # Undo: the label, then the split (the halves merged back).
        await pilot.press("u", "u")
        texts = [t.text for t in app.session.current.task.tokens]  # type: ignore[union-attr]
        assert "U.S.-Japan" in texts
        assert "undid: split" in str(screen.query_one("#message").render())
        await pilot.press("U")
        assert "U.S." in [t.text for t in app.session.current.task.tokens]  # type: ignore[union-attr]
        # esc leaves the split mode without splitting.
        screen.cursor = token(app, "today")
        await pilot.press("s", "escape")
        assert screen.mode == "edit" and "today" in [t.text for t in app.session.current.task.tokens]  # type: ignore[union-attr]


async def test_group_keys_and_labels_from_data_are_shown_as_text(tmp_path: Path) -> None:
    """Data is data: a group key and labels that look like markup reach the screen as they are."""
    from annotator.core.validate import make_span

    scheme = LabelScheme(("ORG",), span_groups={"[b]G[/b]": ("[red]L", "[@click=app.quit]Q")})
    task, ann = make_task(TEXT, (("Bank of America", "ORG"),))
    start = TEXT.index("America")
    nested = make_span(task, start, start + 7, "[red]L", None, 2, layer="[b]G[/b]")
    from annotator.core.model import Annotation

    db = make_db(tmp_path / "a.db", (task, Annotation((*ann.spans, nested))))
    app = app_for(db, scheme=scheme)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        assert "layer: span group [b]G[/b]" in status(app)
        legend = app.annotate_screen.query_one(Legend)
        assert "[red]L" in drawn(legend) and "[@click=app.quit]Q" in drawn(legend)
        # A border title is markup: the key is escaped there, so it reads as it is.
        assert Text.from_markup(str(legend.border_title)).plain == "span group [b]G[/b]"
        doc = app.annotate_screen.doc
        rows = ["".join(seg.text for seg in doc.render_line(y)) for y in range(4)]
        assert any("─────── [red]L" in row for row in rows), rows
        assert app.is_running  # the @click in a label did not run


async def test_a_relation_joins_an_entity_and_a_group_span(tmp_path: Path) -> None:
    """Relations may join spans of any layer: r on the entity, tab to the group span, a label."""
    from annotator.core.model import Annotation
    from annotator.core.scheme import RelationType
    from annotator.core.validate import make_span

    scheme = LabelScheme(
        ("ORG", "GPE", "PERSON"),
        relations=(RelationType("HAS"),),
        span_groups={"sc": ("INSTITUTION", "PLACE")},
    )
    task, ann = make_task(TEXT, (("Ana", "PERSON"),))
    start = TEXT.index("Bank of America")
    group = make_span(task, start, start + 15, "INSTITUTION", None, 2, layer="sc")
    db = make_db(tmp_path / "a.db", (task, Annotation((*ann.spans, group))))
    app = app_for(db, scheme=scheme)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        screen.cursor = token(app, "Ana")
        await pilot.press("r")
        assert screen.mode == "relation" and screen.child_sid == 2  # tab went to the group span
        await pilot.press("1", "escape")
        ann = app.session.current.annotation  # type: ignore[union-attr]
        assert [(r.head, r.child, r.label) for r in ann.relations] == [(1, 2, "HAS")]
