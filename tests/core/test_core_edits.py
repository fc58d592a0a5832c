"""Property and unit tests of the edit operations and of undo/redo (core/edits.py).

Random sequences of applicable edits, undos and redos run through a History while a plain stack of
the states seen so far says what every undo and redo must give back. The logged events, with each
edit serialised through JSON as the store keeps it, must rebuild the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.edits import (
    Edit,
    History,
    delete_relation,
    delete_span,
    relabel_relation,
    relabel_span,
    resize_span,
    set_span,
    toggle_relation,
)
from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.scheme import LabelScheme, RelationType
from annotator.core.validate import make_span, validate_annotation
from tests.strategies import ENTITY_LABELS, RELATION_LABELS, SOURCES, annotated_tasks, schemes, tokenize

State = tuple[frozenset[Span], frozenset[Relation]]


def state(annotation: Annotation) -> State:
    return frozenset(annotation.spans), frozenset(annotation.relations)


def check_invariants(task: Task, annotation: Annotation, scheme: LabelScheme | None) -> None:
    validate_annotation(task, annotation)  # no overlaps, no dangling relations, unique ids
    if scheme is not None:
        by_sid = {s.sid: s for s in annotation.spans}
        for rel in annotation.relations:
            error = scheme.relation_error(rel.label, by_sid[rel.head].label, by_sid[rel.child].label)
            assert error is None, error


class Refused(Exception):
    """An edit the scheme forbids was refused, as it must be: nothing happened."""


def draw_edit(
    data: st.DataObject, task: Task, annotation: Annotation, scheme: LabelScheme | None
) -> tuple[str, Edit]:
    """One applicable edit, checked against what that operation promises."""
    n = len(task.tokens)
    ops = ["set_span"]
    if annotation.spans:
        ops += ["relabel_span", "delete_span", "resize_span"]
    if len(annotation.spans) >= 2:
        ops.append("toggle_relation")
    if annotation.relations:
        ops += ["relabel_relation", "delete_relation"]
    op = data.draw(st.sampled_from(ops), label="op")
    labels = scheme.labels if scheme is not None else ENTITY_LABELS
    rel_labels = scheme.relation_labels if scheme is not None else RELATION_LABELS
    spans = sorted(annotation.spans, key=lambda s: s.start)
    by_sid = {s.sid: s for s in annotation.spans}

    if op == "set_span":
        a = data.draw(st.integers(0, n - 1), label="token_start")
        b = data.draw(st.integers(a, min(n - 1, a + 5)), label="token_end")
        label = data.draw(st.sampled_from(labels), label="label")
        source = data.draw(st.sampled_from(SOURCES), label="source")
        edit = set_span(task, annotation, a, b, label, source=source, scheme=scheme)
        after = edit.apply(annotation)
        placed = [s for s in after.spans if (s.token_start, s.token_end) == (a, b)]
        assert len(placed) == 1 and placed[0].label == label
        overlapped = [s for s in annotation.spans if s.start < placed[0].end and placed[0].start < s.end]
        if len(overlapped) == 1:  # it took that span's place: same id, its relations follow
            assert placed[0].sid == overlapped[0].sid
        return op, edit

    span = data.draw(st.sampled_from(spans), label="span") if spans else None
    if op == "relabel_span":
        assert span is not None
        label = data.draw(st.sampled_from(labels), label="label")
        edit = relabel_span(annotation, span.sid, label, scheme)
        after = edit.apply(annotation)
        assert after.span(span.sid) is not None and after.span(span.sid).label == label  # type: ignore[union-attr]
        mine = [r for r in annotation.relations if span.sid in (r.head, r.child)]
        for rel in mine:
            head_label = label if rel.head == span.sid else by_sid[rel.head].label
            child_label = label if rel.child == span.sid else by_sid[rel.child].label
            allowed = scheme is None or scheme.relation_error(rel.label, head_label, child_label) is None
            assert (rel in after.relations) == allowed, (rel, label)
        return op, edit
    if op == "delete_span":
        assert span is not None
        edit = delete_span(annotation, span.sid)
        after = edit.apply(annotation)
        assert after.span(span.sid) is None
        assert all(span.sid not in (r.head, r.child) for r in after.relations)
        return op, edit
    if op == "resize_span":
        assert span is not None
        grow = data.draw(st.booleans(), label="grow")
        if grow:
            a = data.draw(st.integers(max(0, span.token_start - 2), span.token_start), label="new start")
            b = data.draw(st.integers(span.token_end, min(n - 1, span.token_end + 2)), label="new end")
        else:
            a = data.draw(st.integers(span.token_start, span.token_end), label="new start")
            b = data.draw(st.integers(a, span.token_end), label="new end")
        edit = resize_span(task, annotation, span.sid, a, b, scheme)
        after = edit.apply(annotation)
        resized = after.span(span.sid)
        assert resized is not None
        assert (resized.token_start, resized.token_end, resized.label) == (a, b, span.label)
        # It keeps its relations to every span it did not swallow.
        for rel in annotation.relations:
            if span.sid in (rel.head, rel.child):
                other = after.span(rel.child if rel.head == span.sid else rel.head)
                assert (rel in after.relations) == (other is not None), rel
        return op, edit
    if op == "toggle_relation":
        head, child = data.draw(
            st.tuples(st.sampled_from(spans), st.sampled_from(spans)).filter(lambda p: p[0].sid != p[1].sid),
            label="head, child",
        )
        label = data.draw(st.sampled_from(rel_labels), label="relation label")
        existing = [r for r in annotation.relations if r.key == (head.sid, child.sid, label)]
        forbidden = scheme.relation_error(label, head.label, child.label) if scheme is not None else None
        if forbidden and not existing:
            with pytest.raises(InvalidAnnotation) as info:
                toggle_relation(annotation, head.sid, child.sid, label, scheme)
            assert str(info.value) == forbidden
            raise Refused
        edit = toggle_relation(annotation, head.sid, child.sid, label, scheme)
        after = edit.apply(annotation)
        now = [r for r in after.relations if r.key == (head.sid, child.sid, label)]
        assert bool(now) != bool(existing)  # the same keys again take it away
        return op, edit

    rel = data.draw(st.sampled_from(sorted(annotation.relations, key=lambda r: r.key)), label="relation")
    if op == "relabel_relation":
        label = data.draw(st.sampled_from(rel_labels), label="relation label")
        h, c = by_sid[rel.head], by_sid[rel.child]
        forbidden = scheme.relation_error(label, h.label, c.label) if scheme is not None else None
        if forbidden and label != rel.label:
            with pytest.raises(InvalidAnnotation):
                relabel_relation(annotation, rel, label, scheme)
            raise Refused
        edit = relabel_relation(annotation, rel, label, scheme)
        after = edit.apply(annotation)
        assert any(r.key == (rel.head, rel.child, label) for r in after.relations)
        return op, edit
    assert op == "delete_relation"
    edit = delete_relation(annotation, rel)
    assert rel not in edit.apply(annotation).relations
    return op, edit


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_edit_sequence_undoes_redoes_and_replays(data: st.DataObject) -> None:
    scheme = data.draw(st.none() | schemes(), label="scheme")
    task, original = data.draw(annotated_tasks(scheme=scheme, min_tokens=1), label="task")
    history = History(original)
    log: list[tuple[str, bytes | None]] = []
    past: list[State] = []  # what each undo must give back, newest last
    future: list[State] = []  # what each redo must give back

    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        event = data.draw(st.sampled_from(["do", "do", "do", "undo", "redo"]), label="event")
        before = state(history.current)
        if event == "do":
            try:
                _op, edit = draw_edit(data, task, history.current, scheme)
            except Refused:
                continue
            blob = orjson.dumps(edit.to_json())
            assert Edit.from_json(orjson.loads(blob)) == edit
            history.do(edit)
            log.append(("do", blob))
            if not edit.empty:
                past.append(before)
                future.clear()
        elif event == "undo":
            taken_back = history.undo()
            log.append(("undo", None))
            assert (taken_back is None) == (not past)
            if past:
                future.append(before)
                assert state(history.current) == past.pop()
        else:
            redone = history.redo()
            log.append(("redo", None))
            assert (redone is None) == (not future)
            if future:
                past.append(before)
                assert state(history.current) == future.pop()
        check_invariants(task, history.current, scheme)
        assert len(history.done) == len(past) and len(history.undone) == len(future)

    edited = history.current
    done, undone = list(history.done), list(history.undone)

    # Replaying the log, as a restart does from the store, rebuilds the same state and stacks.
    replayed = History(original)
    for event, logged in log:
        replayed.replay(event, Edit.from_json(orjson.loads(logged)) if logged is not None else None)
    assert replayed.current == edited
    assert replayed.done == done and replayed.undone == undone

    # Undoing everything gives the original back; redoing everything gives the edited one (the
    # state before the oldest undo still on the redo stack, if the sequence ended with undos).
    furthest = future[0] if future else state(edited)
    while history.undo() is not None:
        check_invariants(task, history.current, scheme)
    assert state(history.current) == state(original)
    assert history.current.sorted() == original.sorted()
    while history.redo() is not None:
        check_invariants(task, history.current, scheme)
    assert state(history.current) == furthest


# --- unit tests ----------------------------------------------------------------------------------

TEXT = "Ann Lee met Bob at Acme in Paris ."
SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE"),
    relations=(
        RelationType("MET", frozenset({"PERSON"}), frozenset({"PERSON"})),
        RelationType("WORKS_FOR", frozenset({"PERSON"}), frozenset({"ORG"})),
        RelationType("NEAR"),  # no constraint
    ),
)


@pytest.fixture
def task() -> Task:
    return Task(TEXT, tokenize(TEXT), 1)


@pytest.fixture
def annotation(task: Task) -> Annotation:
    spans = (
        make_span(task, 0, 7, "PERSON", sid=1),  # Ann Lee
        make_span(task, 12, 15, "PERSON", sid=2),  # Bob
        make_span(task, 19, 23, "ORG", sid=3),  # Acme
        make_span(task, 27, 32, "GPE", sid=4),  # Paris
    )
    relations = (Relation(1, 2, "MET"), Relation(2, 3, "WORKS_FOR"), Relation(2, 4, "NEAR"))
    return Annotation(spans, relations)


def test_toggle_relation_refuses_what_the_scheme_forbids(annotation: Annotation) -> None:
    with pytest.raises(InvalidAnnotation, match="MET needs a child labelled PERSON, not ORG"):
        toggle_relation(annotation, 1, 3, "MET", SCHEME)
    with pytest.raises(InvalidAnnotation, match="WORKS_FOR needs a head labelled PERSON, not ORG"):
        toggle_relation(annotation, 3, 1, "WORKS_FOR", SCHEME)
    with pytest.raises(InvalidAnnotation, match="LIKES is not a relation label"):
        toggle_relation(annotation, 1, 2, "LIKES", SCHEME)
    with pytest.raises(InvalidAnnotation, match="two different spans"):
        toggle_relation(annotation, 1, 1, "NEAR", SCHEME)
    edit = toggle_relation(annotation, 1, 3, "WORKS_FOR", SCHEME)
    assert edit.added_relations == (Relation(1, 3, "WORKS_FOR"),)
    # The same keys again remove it, even where the scheme would now refuse to add it.
    assert toggle_relation(annotation, 1, 2, "MET", SCHEME).removed_relations == (Relation(1, 2, "MET"),)


def test_relabel_span_drops_relations_the_new_label_forbids_and_undo_restores_them(
    task: Task, annotation: Annotation
) -> None:
    history = History(annotation)
    edit = relabel_span(annotation, 2, "ORG", SCHEME)  # Bob: PERSON -> ORG
    history.do(edit)
    assert set(edit.removed_relations) == {Relation(1, 2, "MET"), Relation(2, 3, "WORKS_FOR")}
    assert "removed 2 relations" in edit.note
    assert set(history.current.relations) == {Relation(2, 4, "NEAR")}
    check_invariants(task, history.current, SCHEME)
    history.undo()
    assert state(history.current) == state(annotation)
    history.redo()
    assert set(history.current.relations) == {Relation(2, 4, "NEAR")}


def test_relabel_span_keeps_relations_whose_label_the_scheme_does_not_define(annotation: Annotation) -> None:
    # Relations imported with a label this scheme does not list are no business of a span relabel.
    imported = replace(annotation, relations=(*annotation.relations, Relation(1, 4, "BORN_IN", "prodigy")))
    edit = relabel_span(imported, 1, "GPE", SCHEME)
    assert Relation(1, 4, "BORN_IN", "prodigy") not in edit.removed_relations
    assert Relation(1, 2, "MET") in edit.removed_relations


def test_set_span_over_one_span_keeps_its_id_and_allowed_relations(
    task: Task, annotation: Annotation
) -> None:
    # Label "Bob at Acme" (tokens 3..5) as ORG: it swallows Bob and Acme, so it is new and unrelated.
    edit = set_span(task, annotation, 3, 5, "ORG", scheme=SCHEME)
    after = edit.apply(annotation)
    assert {s.sid for s in after.spans} == {1, 4, 5}
    assert after.relations == ()
    # Relabel Ann Lee through set_span over the same tokens: WORKS_FOR needs a PERSON head.
    edit = set_span(task, annotation, 0, 1, "ORG", scheme=SCHEME)
    after = edit.apply(annotation)
    assert after.span(1) is not None and after.span(1).label == "ORG"  # type: ignore[union-attr]
    assert Relation(1, 2, "MET") not in after.relations
    # The same span again is no edit at all.
    assert set_span(task, annotation, 0, 1, "PERSON", scheme=SCHEME).empty


def test_resize_grows_over_a_neighbour_and_keeps_its_own_relations(
    task: Task, annotation: Annotation
) -> None:
    edit = resize_span(task, annotation, 2, 3, 5)  # Bob grows over "at Acme"
    assert edit.kind == "grow"
    after = edit.apply(annotation)
    assert after.span(3) is None
    assert set(after.relations) == {Relation(1, 2, "MET"), Relation(2, 4, "NEAR")}
    assert after.span(2) == Span(12, 23, 3, 5, "PERSON", None, 2)
    shrink = resize_span(task, after, 2, 3, 3)
    assert shrink.kind == "shrink"
    with pytest.raises(InvalidAnnotation, match="cannot shrink below one token"):
        resize_span(task, annotation, 2, 4, 3)
    with pytest.raises(InvalidAnnotation, match="outside the document"):
        resize_span(task, annotation, 2, 3, len(task.tokens))


def test_relabel_relation_merges_into_an_existing_one_and_refuses_forbidden(annotation: Annotation) -> None:
    annotation = replace(annotation, relations=(*annotation.relations, Relation(1, 2, "NEAR")))
    edit = relabel_relation(annotation, Relation(1, 2, "NEAR"), "MET", SCHEME)
    assert edit.removed_relations == (Relation(1, 2, "NEAR"),) and edit.added_relations == ()
    with pytest.raises(InvalidAnnotation, match="MET needs a child labelled PERSON"):
        relabel_relation(annotation, Relation(2, 4, "NEAR"), "MET", SCHEME)
    with pytest.raises(InvalidAnnotation, match="not in the task"):
        delete_relation(annotation, Relation(4, 1, "NEAR"))


def test_edits_on_missing_spans_are_refused(annotation: Annotation) -> None:
    calls: tuple[Callable[[], Edit], ...] = (
        lambda: delete_span(annotation, 99),
        lambda: relabel_span(annotation, 99, "ORG"),
        lambda: toggle_relation(annotation, 1, 99, "NEAR"),
    )
    for call in calls:
        with pytest.raises(InvalidAnnotation, match="no span with id 99"):
            call()


def test_history_replay_refuses_unknown_events(annotation: Annotation) -> None:
    with pytest.raises(ValueError, match="unknown history event"):
        History(annotation).replay("jump")
    with pytest.raises(ValueError, match="has no edit"):
        History(annotation).replay("do")
