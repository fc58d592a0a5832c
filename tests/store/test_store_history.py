"""history(): the draft and its undo/redo stacks come back after the store is closed and reopened."""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.edits import (
    Edit,
    History,
    delete_span,
    relabel_span,
    resize_span,
    set_span,
    toggle_relation,
)
from annotator.core.errors import InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.store import Store
from tests.pg_server import raw_sql
from tests.schema_support import downgrade
from tests.strategies import ENTITY_LABELS, RELATION_LABELS, tokenize

EXAMPLES = itertools.count()

TEXT = "Nakatani met Song Young-moo in Seoul on Saturday , said North Korea ’s news agency ."


def make_task(text: str = TEXT) -> Task:
    return Task(text, tokenize(text), input_hash(text))


class Mirror:
    """What the annotate screen does: change a History, then record the change in the store."""

    def __init__(self, store: Store, task_id: int, annotator: str = "alice", session: str = "s1") -> None:
        self.store, self.task_id, self.annotator, self.session = store, task_id, annotator, session
        self.history = store.history(task_id, annotator)

    def do(self, edit: Edit) -> None:
        if edit.empty:
            return
        self.history.do(edit)
        self.store.record_edit(self.task_id, self.annotator, self.session, "do", edit, self.history.current)

    def undo(self) -> None:
        edit = self.history.undo()
        if edit is not None:
            self.store.record_edit(
                self.task_id, self.annotator, self.session, "undo", edit, self.history.current
            )

    def redo(self) -> None:
        edit = self.history.redo()
        if edit is not None:
            self.store.record_edit(
                self.task_id, self.annotator, self.session, "redo", None, self.history.current
            )

    def answer(self, answer: str) -> None:
        decided = self.store.record_answer(
            self.task_id,
            self.annotator,
            self.session,
            replace(self.history.current, answer=answer),  # type: ignore[arg-type]
        )
        self.history.current = decided.annotation  # the history goes on through the decision


def same_state(a: History, b: History) -> bool:
    return (
        set(a.current.spans) == set(b.current.spans)
        and set(a.current.relations) == set(b.current.relations)
        and a.done == b.done
        and a.undone == b.undone
    )


def test_undo_and_redo_survive_a_restart(db_target: str) -> None:
    task = make_task()
    suggestion = Annotation(spans=(Span(0, 8, 0, 0, "ORG", "en_core_web_sm", 1),))
    path = db_target
    with Store(path) as store:
        [task_id] = store.add_tasks("d", [(task, suggestion)])
        m = Mirror(store, task_id)
        m.do(relabel_span(m.history.current, 1, "PERSON"))
        m.do(set_span(task, m.history.current, 2, 5, "PERSON"))  # Song Young-moo
        m.do(set_span(task, m.history.current, 7, 7, "GPE"))  # Seoul
        m.undo()
        before = m.history
        assert len(before.done) == 2 and len(before.undone) == 1

    with Store(path) as store:
        restored = store.history(task_id, "alice")
        assert same_state(restored, before)
        assert restored.current == store.annotation(task_id, "alice")
        # The restored stacks work: redo brings Seoul back, two undos return to the suggestion.
        restored.redo()
        assert (31, 36, "GPE") in restored.current.content()[0]
        for _ in range(3):
            restored.undo()
        assert restored.current.content() == suggestion.content()
        assert restored.undo() is None


def edited_then_decided(store: Store, task: Task, answer: str = "accept") -> tuple[int, Mirror]:
    """A task given one span, then decided: what the tests of undo across a decision start from."""
    [task_id] = store.add_tasks("d", [(task, Annotation())])
    m = Mirror(store, task_id)
    m.do(set_span(task, m.history.current, 0, 0, "PERSON"))
    m.answer(answer)
    return task_id, m


def test_undo_reaches_across_a_decision_and_makes_the_task_a_draft(db_target: str) -> None:
    """Edit, accept, come back: undo reaches the edit made before the decision (it used to say
    "nothing to undo"), and undoing into the decided task makes it a draft, as any edit does."""
    task = make_task()
    path = db_target
    with Store(path) as store:
        task_id, _ = edited_then_decided(store, task)
        accepted = store.annotation(task_id, "alice")
    with Store(path) as store:
        h = store.history(task_id, "alice")
        assert len(h.done) == 1 and h.undone == []
        assert h.current == accepted and accepted is not None and accepted.answer == "accept"
        # Edits after the decision are replayed on top of it, the one before it too.
        m = Mirror(store, task_id)
        m.do(set_span(task, m.history.current, 7, 7, "GPE"))
        m.do(delete_span(m.history.current, 1))
        m.undo()
        expected = m.history
    with Store(path) as store:
        h = store.history(task_id, "alice")
        assert same_state(h, expected)
        assert h.current.answer is None  # reopened by the edits
        h.undo()
        assert h.current.content() == accepted.content()
        h.undo()
        assert h.current.content() == Annotation().content()  # before the decision: the suggestion


def test_an_undo_after_a_decision_is_stored_as_a_draft(db_target: str) -> None:
    with Store(db_target) as store:
        task_id, m = edited_then_decided(store, make_task(), "reject")
        m.undo()
        stored = store.annotation(task_id, "alice")
        assert stored is not None and stored.answer is None and stored.spans == ()
        assert store.answer_counts("d", "alice")["draft"] == 1
        m.redo()
        assert store.history(task_id, "alice").current.content() == m.history.current.content()


def test_a_database_whose_decisions_were_bases_reaches_across_them_after_the_migration(
    tmp_path: Path,
) -> None:
    """Before version 6 a decision was the base a history replayed from; migration 6 moves each
    base back to the last import (here: none, the suggestion)."""
    path = tmp_path / "a.db"
    with Store(path) as store:
        task_id, _ = edited_then_decided(store, make_task())
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(  # as version 5 left it: the answer's log row is the base
        "UPDATE annotations SET base_log_id = (SELECT MAX(id) FROM edit_log WHERE event = 'answer')"
    )
    downgrade(raw, 5)
    raw.close()
    with Store(path) as store:
        h = store.history(task_id, "alice")
        assert len(h.done) == 1 and h.current.answer == "accept"


def test_an_import_is_the_base_a_history_starts_from(db_target: str) -> None:
    """An imported annotation replaces the task's whole content: undo does not go behind it."""
    task = make_task()
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(task, Annotation())])
        m = Mirror(store, task_id)
        m.do(set_span(task, m.history.current, 0, 0, "PERSON"))
        imported = Annotation((Span(56, 67, 12, 13, "GPE", "import", 1),), answer="accept")
        store.save_annotation(task_id, "alice", imported)
        h = store.history(task_id, "alice")
        assert h.done == [] and h.current.content() == imported.content()


def test_each_annotator_has_their_own_history(db_target: str) -> None:
    task = make_task()
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(task, Annotation())])
        alice, bob = Mirror(store, task_id, "alice"), Mirror(store, task_id, "bob")
        alice.do(set_span(task, alice.history.current, 0, 0, "PERSON"))
        bob.do(set_span(task, bob.history.current, 7, 7, "GPE"))
        bob.do(set_span(task, bob.history.current, 0, 0, "ORG"))
        assert same_state(store.history(task_id, "alice"), alice.history)
        assert same_state(store.history(task_id, "bob"), bob.history)
        assert store.history(task_id, "carol").current == store.suggestion(task_id)


def test_a_replaced_suggestion_keeps_the_draft_and_drops_the_stacks(db_target: str) -> None:
    task = make_task()
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(task, Annotation())])
        m = Mirror(store, task_id)
        m.do(set_span(task, m.history.current, 0, 0, "PERSON"))
        # The model's output arrives after the edit was made on the empty starting point.
        store.set_suggestion(task_id, Annotation(spans=(Span(0, 8, 0, 0, "ORG", "en", 1),)))
        h = store.history(task_id, "alice")
        assert h.current == store.annotation(task_id, "alice")
        assert h.current.content() == m.history.current.content()
        assert h.done == [] and h.undone == []


# Random sessions: any sequence of edits, undos, redos and decisions, interrupted by restarts,
# is restored exactly.
ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(0, 18), st.integers(0, 2), st.sampled_from(ENTITY_LABELS)),
        st.tuples(st.just("delete"), st.integers(0, 7)),
        st.tuples(st.just("relabel"), st.integers(0, 7), st.sampled_from(ENTITY_LABELS)),
        st.tuples(st.just("resize"), st.integers(0, 7), st.integers(-1, 1), st.integers(-1, 1)),
        st.tuples(
            st.just("relation"), st.integers(0, 7), st.integers(0, 7), st.sampled_from(RELATION_LABELS)
        ),
        st.tuples(st.just("undo")),
        st.tuples(st.just("redo")),
        st.tuples(st.just("answer"), st.sampled_from(("accept", "reject", "ignore"))),
        st.tuples(st.just("restart")),
    ),
    max_size=40,
)


def apply_op(task: Task, m: Mirror, op: tuple[object, ...]) -> None:
    current = m.history.current
    spans = sorted(current.spans, key=lambda s: s.start)
    kind = op[0]
    try:
        if kind == "set":
            first = int(op[1]) % len(task.tokens)  # type: ignore[call-overload]
            last = min(first + int(op[2]), len(task.tokens) - 1)  # type: ignore[call-overload]
            m.do(set_span(task, current, first, last, str(op[3])))
        elif kind in ("delete", "relabel", "resize", "relation") and spans:
            target = spans[int(op[1]) % len(spans)]  # type: ignore[call-overload]
            if kind == "delete":
                m.do(delete_span(current, target.sid))
            elif kind == "relabel":
                m.do(relabel_span(current, target.sid, str(op[2])))
            elif kind == "resize":
                start = max(target.token_start + int(op[2]), 0)  # type: ignore[call-overload]
                end = min(target.token_end + int(op[3]), len(task.tokens) - 1)  # type: ignore[call-overload]
                m.do(resize_span(task, current, target.sid, start, end))
            else:
                child = spans[int(op[2]) % len(spans)]  # type: ignore[call-overload]
                m.do(toggle_relation(current, target.sid, child.sid, str(op[3])))
        elif kind == "undo":
            m.undo()
        elif kind == "redo":
            m.redo()
        elif kind == "answer":
            m.answer(str(op[1]))
    except InvalidAnnotation:
        pass  # an edit the UI would refuse (a span shrunk to nothing, a self-relation)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(sequence=ops, suggested=st.booleans())
def test_random_sessions_are_restored_exactly(
    db_target: str, sequence: list[tuple[object, ...]], suggested: bool
) -> None:
    task = make_task()
    suggestion = Annotation(
        spans=(Span(0, 8, 0, 0, "ORG", "en", 1), Span(56, 67, 12, 13, "GPE", "en", 2)) if suggested else ()
    )
    assert task.text[56:67] == "North Korea"
    dataset = f"d{next(EXAMPLES)}"  # one database for every example: a dataset each
    path = db_target
    store = Store(path)
    try:
        [task_id] = store.add_tasks(dataset, [(task, suggestion)])
        m = Mirror(store, task_id)
        for op in sequence:
            if op[0] == "restart":
                store.close()
                store = Store(path)
                restored = Mirror(store, task_id)
                assert same_state(restored.history, m.history)
                m = restored  # carry on from what the store gave back
            else:
                apply_op(task, m, op)
        store.close()
        store = Store(path)
        restored_history = store.history(task_id, "alice")
        assert same_state(restored_history, m.history)
        stored = store.annotation(task_id, "alice")
        if stored is not None:
            assert restored_history.current == stored
            assert stored.content() == m.history.current.content()
        # Undoing everything that was restored leads back to the suggestion, across decisions.
        while restored_history.undo() is not None:
            pass
        while m.history.undo() is not None:
            pass
        assert restored_history.current.content() == m.history.current.content()
    finally:
        store.close()


def test_an_unreadable_log_row_keeps_the_draft(db_target: str) -> None:
    task = make_task()
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(task, Annotation())])
        m = Mirror(store, task_id)
        m.do(set_span(task, m.history.current, 0, 0, "PERSON"))
        # A row written by some other tool or version, which this one cannot replay.
        raw_sql(
            db_target,
            "INSERT INTO edit_log (task_id, annotator, session, event, payload, created) "
            f"""VALUES ({task_id}, 'alice', 'other', 'do', '{{"kind": "add"}}', 0)""",
        )
        h = store.history(task_id, "alice")
        assert h.current == store.annotation(task_id, "alice")
        assert h.current.content() == m.history.current.content()
        assert h.done == []
