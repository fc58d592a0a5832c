"""What the annotate screen says, on texts written for these tests: the relation-mode prompt and
legend, the status line at 80 columns, messages between tasks, the relations panel's window, the
legend of a large label scheme, the label picker, the screen after the last task."""

from __future__ import annotations

from pathlib import Path

from annotator.config import PREFERRED_ORDER
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.components.dialogs import LabelPicker
from annotator.tui.components.document_view import DocumentView
from annotator.tui.components.side_panels import Legend, RelationsPanel
from annotator.tui.components.status_line import status_parts
from tests.tui_support import QA_SCHEME, app_for, make_db, make_task

TEXT = "Chancellor Olaf Scholz met Emmanuel Macron in Brussels on Thursday, and Donald Tusk visited Warsaw."
SPANS = (
    ("Olaf Scholz", "PERSON"),
    ("Emmanuel Macron", "PERSON"),
    ("Brussels", "GPE"),
    ("Thursday", "DATE"),
    ("Donald Tusk", "PERSON"),
    ("Warsaw", "GPE"),
)
NAMES = ("Ana", "Ben", "Cai", "Dov", "Eli", "Fay", "Gus", "Hal", "Ida", "Jon", "Kim", "Lou", "Mo", "Ned")
MANY = " ".join(f"{a} met {b}." for a, b in zip(NAMES[::2], NAMES[1::2], strict=True))
MANY_SPANS = tuple((name, "PERSON") for name in NAMES)
MANY_RELATIONS = tuple((k, k + 1, "MET") for k in range(1, len(NAMES), 2))


def plain(widget: object) -> str:
    return str(widget.render())  # type: ignore[attr-defined]


def lines(widget: object, word: str) -> list[str]:
    return [line for line in plain(widget).splitlines() if word in line]


async def test_relation_mode_says_head_and_child_and_which_labels_fit(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        message, legend = screen.query_one("#message"), screen.query_one(Legend)
        await pilot.press("tab", "r")
        assert (screen.head_sid, screen.child_sid) == (1, 2)
        said = plain(message)
        assert "Olaf Scholz" in said and "Emmanuel Macron" in said
        assert said.index("Olaf Scholz") < said.index("Emmanuel Macron")
        # PERSON -> PERSON: MET fits, VISITED (PERSON -> GPE) does not
        assert "✗" not in lines(legend, "MET")[0]
        assert "✗" in lines(legend, "VISITED")[0]
        await pilot.press("tab")
        assert screen.child_sid == 3
        assert "Brussels" in plain(message)
        assert "✗" in lines(legend, "MET")[0]
        assert "✗" not in lines(legend, "VISITED")[0]
        await pilot.press("right")  # off the span: the child stays, and so does the prompt
        assert screen.child_sid == 3 and "Brussels" in plain(message)
        # a relation drawn between the two is marked, since its key would now remove it
        await pilot.press("2")
        assert "drawn" in lines(legend, "VISITED")[0] and "drawn" not in lines(legend, "MET")[0]
        # and the relations panel points at it
        assert lines(screen.query_one(RelationsPanel), "Olaf Scholz")[0].startswith("▸")
        await pilot.press("2")
        assert "drawn" not in lines(legend, "VISITED")[0]


async def test_deleting_the_child_or_head_in_relation_mode(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        await pilot.press("tab", "r", "tab")  # head Olaf Scholz, child Brussels
        await pilot.press("d")  # the cursor is on the child
        ann = app.session.current.annotation  # type: ignore[union-attr]
        assert [s.sid for s in ann.spans] == [1, 2, 4, 5, 6]
        assert screen.mode == "relation" and screen.child_sid is None
        await pilot.press("2")
        said = plain(screen.query_one("#message"))
        assert "no span with id" not in said and "child" in said
        await pilot.press("tab", "1")  # still works: Olaf Scholz MET Emmanuel Macron
        assert [(r.head, r.child, r.label) for r in app.session.current.annotation.relations] == [  # type: ignore[union-attr]
            (1, 2, "MET")
        ]
        await pilot.press("left", "left", "d")  # back onto the head: deleting it ends the mode
        assert 1 not in {s.sid for s in app.session.current.annotation.spans}  # type: ignore[union-attr]
        assert screen.mode == "edit" and screen.head_sid is None
        assert not app.session.current.annotation.relations  # type: ignore[union-attr]


async def test_status_line_at_80_columns_keeps_the_mode_and_the_decision(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS), make_task("A second text about Lisbon."))
    app = app_for(db, annotator="a-rather-long-annotator-name")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        status = screen.query_one("#status")
        assert "task 1 of 2" in plain(status)
        await pilot.press("tab", "r")
        assert "RELATION" in plain(status)
        await pilot.press("escape", "R")
        assert "RELATIONS" not in plain(status)  # no relations yet: browsing is refused
        await pilot.press("a")
        await pilot.press("left_square_bracket")
        shown = plain(status)
        assert "task 1 of 2" in shown and "accepted" in shown
        assert len(shown.rstrip()) <= 80 - 2


async def test_tab_says_which_span_it_selected(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        message = app.annotate_screen.query_one("#message")
        await pilot.press("tab", "tab")
        assert "PERSON 'Emmanuel Macron'" in plain(message) and "2 of 6" in plain(message)
        await pilot.press("shift+tab", "shift+tab")
        assert "GPE 'Warsaw'" in plain(message) and "6 of 6" in plain(message)
        await pilot.press("left")  # off the span: what was said about it goes
        assert "Warsaw" not in plain(message)
        await pilot.press("L", "L")  # a free selection says what it holds
        assert "'visited Warsaw.'" in plain(message) or "'visited Warsaw'" in plain(message)


async def test_moving_to_another_task_clears_the_last_message(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS), make_task("A second text about Lisbon."))
    app = app_for(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        message = app.annotate_screen.query_one("#message")
        await pilot.press("tab", "2")
        assert "ORG: 'Olaf Scholz'" in plain(message)
        await pilot.press("right_square_bracket")
        assert "Olaf Scholz" not in plain(message)
        await pilot.press("left_square_bracket", "l", "l")
        assert "task" not in plain(message) or "first" not in plain(message)


async def test_relations_panel_says_how_many_more_and_follows_a_resize(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(MANY, MANY_SPANS, MANY_RELATIONS))
    app = app_for(db)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        panel = screen.query_one(RelationsPanel)
        height = panel.content_region.height
        shown = plain(panel).splitlines()
        assert len(shown) <= height
        assert "↓" in shown[-1] and "more" in shown[-1]
        assert shown[0].startswith("1  Ana")  # no empty line above the first relation
        assert len(shown) >= height - 1  # and the room is used
        # in the middle of a list twice as long as the panel: a line above and a line below
        await pilot.resize_terminal(100, 16)
        await pilot.pause()
        await pilot.press("R")
        both = []
        for _ in MANY_RELATIONS:
            shown = plain(panel).splitlines()
            assert len(shown) <= panel.content_region.height
            assert any(line.startswith("▸") for line in shown)
            both.append("↑" in shown[0] and "↓" in shown[-1])
            await pilot.press("j")
        assert any(both) and not both[0] and not both[-1]
        await pilot.press("escape")
        await pilot.resize_terminal(100, 20)
        await pilot.pause()
        # browse to the last relation: the window follows it and says what is above
        await pilot.press("R", *["j"] * (len(MANY_RELATIONS) - 1))
        shown = plain(panel).splitlines()
        assert len(shown) <= height
        assert "↑" in shown[0] and "more" in shown[0]
        assert any("Mo" in line for line in shown) and any("Ned" in line for line in shown)
        assert not any("↓" in line for line in shown)
        # a taller terminal: every relation fits, and the panel shows them all
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        shown = plain(panel).splitlines()
        assert not any("more" in line for line in shown)
        assert all(any(name in line for line in shown) for name in NAMES)


async def test_a_large_label_scheme_leaves_room_for_the_relations(tmp_path: Path) -> None:
    labels = list(PREFERRED_ORDER)  # the 18 labels of the English model
    scheme = LabelScheme(tuple(labels), relations=QA_SCHEME.relations)
    db = make_db(tmp_path / "a.db", make_task(MANY, MANY_SPANS, MANY_RELATIONS))
    app = app_for(db, scheme=scheme)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        legend = plain(screen.query_one(Legend))
        assert all(label in legend for label in labels)  # every label is listed, the tenth on with 0
        panel = screen.query_one(RelationsPanel)
        assert panel.content_region.height >= 4
        assert "Ana" in plain(panel)


async def test_label_picker_takes_a_digit(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "0")
        assert isinstance(app.screen, LabelPicker)
        await pilot.press("3")
        assert app.screen_stack[-1] is app.annotate_screen  # (app.screen is narrowed above)
        ann = app.session.current.annotation  # type: ignore[union-attr]
        assert ann.span(1).label == "GPE"  # type: ignore[union-attr]


async def test_relabelling_a_relation_to_its_own_label_says_so(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(MANY, MANY_SPANS, MANY_RELATIONS))
    app = app_for(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("R", "1")
        assert "already MET" in plain(app.annotate_screen.query_one("#message"))


async def test_after_the_last_task_the_screen_says_so(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS), make_task("A second text about Lisbon."))
    app = app_for(db)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        await pilot.press("a", "x")
        assert app.session.current is None
        doc = screen.query_one(DocumentView)
        assert doc.doc_task is not None and "Chancellor" not in doc.doc_task.text
        assert "answered" in doc.doc_task.text
        assert "all 2 answered" in plain(screen.query_one("#status"))
        assert "relations (0)" in str(screen.query_one(RelationsPanel).border_title)
        await pilot.press("left_square_bracket")
        assert app.session.current is not None and "Lisbon" in app.session.current.task.text


async def test_the_document_gets_more_of_a_narrow_terminal(tmp_path: Path) -> None:
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        doc = app.annotate_screen.query_one(DocumentView)
        assert doc.scrollable_content_region.width >= 44
        await pilot.resize_terminal(56, 20)  # even narrower: the text keeps half
        await pilot.pause()
        assert doc.scrollable_content_region.width >= 56 // 2 - 5
        assert doc.wrap is not None and doc.wrap.width <= doc.scrollable_content_region.width


async def test_side_panels_fit_their_width_at_80_columns(tmp_path: Path) -> None:
    """Every line of the legend (in relation mode, with long constraint lists) and of the relations
    panel (with a long relation label) fits the panel: nothing wraps into an unindented line."""
    from annotator.core.scheme import RelationType

    long = RelationType(
        "AFFILIATED_WITH", frozenset({"PERSON"}), frozenset({"GPE", "ORG", "NORP", "DATE"}), "#6cc070"
    )
    where = RelationType("LOCATED_IN", frozenset({"PERSON", "ORG", "DATE"}), frozenset({"GPE", "ORG"}))
    scheme = LabelScheme(QA_SCHEME.labels, relations=(long, where, *QA_SCHEME.relations))
    task = make_task(TEXT, SPANS, ((2, 3, "AFFILIATED_WITH"), (5, 6, "LOCATED_IN")))
    app = app_for(make_db(tmp_path / "a.db", task), scheme=scheme)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        panel, legend = screen.query_one(RelationsPanel), screen.query_one(Legend)
        await pilot.press("tab", "r")
        for widget in (panel, legend):
            width = widget.content_region.width
            for line in plain(widget).splitlines():
                assert len(line) <= width, (line, width)
        shown = plain(panel)
        assert "AFFILIATED_WITH → Bruss" in shown  # the label whole, the child clipped
        assert "Warsaw" in shown
        assert "PERSON → PERSON" in plain(legend)  # MET's constraints, whole
        # and the legend is not cut: its last line is there
        assert plain(legend).splitlines()[-1].strip() == "PERSON → GPE"
        assert len(plain(legend).splitlines()) <= legend.content_region.height


async def test_relations_between_spans_of_the_same_text_are_told_apart(tmp_path: Path) -> None:
    from annotator.core.model import Annotation, Relation
    from annotator.core.validate import make_span

    text = "Ana met Ben in Rome. Later Ana met Ben again."
    task, _ = make_task(text)
    starts = [("Ana", 0), ("Ben", 8), ("Ana", 27), ("Ben", 35)]
    spans = tuple(
        make_span(task, start, start + len(word), "PERSON", "test", sid)
        for sid, (word, start) in enumerate(starts, 1)
    )
    annotation = Annotation(spans, (Relation(1, 2, "MET"), Relation(3, 4, "MET")))
    app = app_for(make_db(tmp_path / "a.db", (task, annotation)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        shown = plain(app.annotate_screen.query_one(RelationsPanel)).splitlines()
        heads = [line for line in shown if "Ana" in line]
        children = [line for line in shown if "MET" in line]
        # the numbers in front differ anyway: the texts themselves must
        assert len(heads) == 2 and len({h[3:] for h in heads}) == 2 and len(set(children)) == 2, shown


async def test_the_news_schemes_relation_legend_is_whole_at_80x24(tmp_path: Path) -> None:
    from annotator.config import resolve_scheme

    scheme = resolve_scheme("PERSON,ORG,GPE,NORP,DATE", None, None, [], [])
    assert len(scheme.relations) >= 5
    app = app_for(make_db(tmp_path / "a.db", make_task(TEXT, SPANS)), scheme=scheme)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        await pilot.press("tab", "r")
        legend = screen.query_one(Legend)
        shown = plain(legend).splitlines()
        assert len(shown) <= legend.content_region.height, shown
        last = scheme.relations[-1]
        assert "/".join(sorted(last.children)) in shown[-1]
        assert screen.query_one(RelationsPanel).content_region.height >= 3


async def test_editing_a_decided_task_reopens_it_on_screen_as_in_the_store(tmp_path: Path) -> None:
    from annotator.store import Store

    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS), make_task("A second text about Lisbon."))
    app = app_for(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        status, message = screen.query_one("#status"), screen.query_one("#message")
        await pilot.press("a", "left_square_bracket")
        assert "accepted" in plain(status) and "✓1" in plain(status)
        await pilot.press("tab", "d")
        assert app.session.current.annotation.answer is None  # type: ignore[union-attr]
        assert "accepted" not in plain(status) and "✓0" in plain(status) and "✎1" in plain(status)
        assert "draft" in plain(message) and "a accepts" in plain(message)
        await pilot.press("u")  # undone: still a draft until decided again, as the store has it
        assert app.session.current.annotation.answer is None  # type: ignore[union-attr]
        task_id = app.session.current.task_id  # type: ignore[union-attr]
    with Store(db) as store:
        stored = store.annotation(task_id, "alice")
    assert stored is not None and stored.answer is None and len(stored.spans) == len(SPANS)


async def test_opening_a_dataset_with_every_task_answered_says_so(tmp_path: Path) -> None:
    from collections.abc import Callable

    from annotator.feed import FeedDone, FeedEvent
    from annotator.session import AnnotationSession
    from annotator.store import Store
    from annotator.tui.app import AnnotatorApp

    db = make_db(tmp_path / "a.db", make_task(TEXT, SPANS))
    first = app_for(db)
    async with first.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")

    def done(notify: Callable[[FeedEvent], None], should_stop: Callable[[], bool]) -> None:
        notify(FeedDone())

    for feed in (None, done):  # without a source to read, and after reading one
        session = AnnotationSession(Store(db), "qa", "alice", QA_SCHEME)
        app = AnnotatorApp(session, "test model", feed)
        async with app.run_test(size=(100, 24)) as pilot:
            for _ in range(10):
                await pilot.pause(0.05)
            screen = app.annotate_screen
            doc = screen.query_one(DocumentView)
            assert doc.doc_task is not None and "answered" in doc.doc_task.text, feed
            assert "all 1 answered" in plain(screen.query_one("#status"))
            await pilot.press("left_square_bracket")
            assert app.session.current is not None
            assert "Chancellor" in doc.doc_task.text


async def test_a_new_span_over_others_says_what_it_replaced(tmp_path: Path) -> None:
    task = make_task(TEXT, SPANS, ((1, 2, "MET"),))
    app = app_for(make_db(tmp_path / "a.db", task))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        # grow "Olaf Scholz" across "met" into "Emmanuel Macron", which it replaces with its relation
        await pilot.press("l", "l", "L", "L")
        said = plain(app.annotate_screen.query_one("#message"))
        assert said.startswith("PERSON: 'Olaf Scholz met Emmanuel'")
        assert "replaced PERSON 'Emmanuel Macron', 1 relation" in said
        # a new span from a free selection over two spans
        await pilot.press("escape")
        tokens = app.session.current.task.tokens  # type: ignore[union-attr]
        app.annotate_screen.move_cursor(next(t.id for t in tokens if t.text == "and"))
        await pilot.press("L", "L", "L", "L", "2")  # "and Donald Tusk visited Warsaw"
        said = plain(app.annotate_screen.query_one("#message"))
        assert said.startswith("ORG: 'and Donald Tusk visited Warsaw'")
        assert "replaced PERSON 'Donald Tusk', GPE 'Warsaw'" in said


async def test_the_relations_list_says_the_selected_relation_whole(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(MANY, MANY_SPANS, MANY_RELATIONS))
    app = app_for(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        message = app.annotate_screen.query_one("#message")
        await pilot.press("R")
        assert plain(message).startswith("1 of 7: 'Ana' ─MET→ 'Ben'")
        await pilot.press("j", "j")
        assert plain(message).startswith("3 of 7: 'Eli' ─MET→ 'Fay'")
        legend = app.annotate_screen.query_one(Legend)  # what a relabel would do
        assert "drawn" in lines(legend, "MET")[0] and "✗" in lines(legend, "VISITED")[0]
        await pilot.press("d")
        assert plain(message).startswith("deleted Eli")


async def test_a_relabel_that_drops_relations_says_both(tmp_path: Path) -> None:
    task = make_task(TEXT, SPANS, ((1, 3, "VISITED"),))
    app = app_for(make_db(tmp_path / "a.db", task))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("tab", "3")  # Olaf Scholz as a GPE: VISITED needs a PERSON head
        said = plain(app.annotate_screen.query_one("#message"))
        assert said.startswith("GPE: 'Olaf Scholz'") and "removed 1 relation" in said


async def test_the_relation_prompt_fits_80_columns(tmp_path: Path) -> None:
    text = "Juan Ramón de la Fuente Hernández met María Fernanda Espinosa Garcés in Ottawa."
    spans = (("Juan Ramón de la Fuente Hernández", "PERSON"), ("María Fernanda Espinosa Garcés", "PERSON"))
    app = app_for(make_db(tmp_path / "a.db", make_task(text, spans)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", "r")
        message = app.annotate_screen.query_one("#message")
        said = plain(message)
        assert len(said) <= message.content_region.width, said
        assert said.startswith("'Juan") and "→ 'María" in said and "tab" in said
        await pilot.press("1", "escape", "R")  # the relations list says it within the line too
        said = plain(message)
        assert len(said) <= message.content_region.width, said
        assert said.startswith("1 of 1: 'Juan") and "─MET→ 'María" in said and "esc" in said


def test_the_position_says_at_least_the_queue_while_a_source_too_large_to_count_is_read(
    tmp_path: Path,
) -> None:
    """A restart on a source too large to count cheaply (the feed reads it again behind the screen):
    the status line says the tasks already in the queue are a lower bound, not "of ?"."""
    db = make_db(tmp_path / "a.db", make_task("Ana met Ben."), make_task("Cai met Dov."), make_task("Eli."))
    with Store(db) as store:
        session = AnnotationSession(store, "qa", "alice", QA_SCHEME)
        session.open(store.task_ids("qa")[0])

        def position() -> str:
            parts = [str(text) for text, _ in status_parts(session, "", "model", "", done=False)]
            return next(part for part in parts if part.startswith("task "))

        session.finished, session.total = False, None
        assert position() == "task 1 of 3+"
        session.total = 10  # counted: the source's size
        assert position() == "task 1 of 10"
        session.finished = True  # read to its end: the queue is all of it
        assert position() == "task 1 of 3"
