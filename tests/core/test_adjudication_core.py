"""Adjudication of two versions of one task: the disagreements found, each way of resolving them,
and properties that hold for any pair of valid annotations."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.adjudication import (
    Adjudication,
    CannotTakeBoth,
    Resolution,
    adjudicate,
    find_disagreements,
)
from annotator.core.choices import Choice
from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.validate import make_span, validate_annotation
from tests.strategies import annotations_of, tasks, tokenize

TEXT = "Lloyd Austin met Lee Jong-sup in Seoul on Friday and visited Busan ."
TASK = Task(TEXT, tokenize(TEXT), input_hash(TEXT))


def sp(phrase: str, label: str, sid: int, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(phrase, start + 1)
    return make_span(TASK, start, start + len(phrase), label, None, sid)


# A: [Lloyd Austin PER] [Lee Jong-sup PER] [Seoul GPE] [Friday DATE]
# B: [Austin PER]       [Lee Jong-sup PER] [Seoul LOC]                [Busan GPE]
A = Annotation(
    spans=(
        sp("Lloyd Austin", "PER", 1),
        sp("Lee Jong-sup", "PER", 2),
        sp("Seoul", "GPE", 3),
        sp("Friday", "DATE", 4),
    ),
    relations=(Relation(1, 2, "MET"), Relation(2, 3, "LOCATED_IN")),
    answer="accept",
)
B = Annotation(
    spans=(
        sp("Austin", "PER", 7),
        sp("Lee Jong-sup", "PER", 8),
        sp("Seoul", "LOC", 9),
        sp("Busan", "GPE", 10),
    ),
    relations=(Relation(7, 8, "MET"), Relation(8, 9, "LOCATED_IN"), Relation(8, 10, "LOCATED_IN")),
    answer="accept",
)


def every(adj: Adjudication, choice: Choice) -> Annotation:
    """The result of taking ``choice`` for every disagreement."""
    return Resolution(adj, (choice,) * len(adj.disagreements)).result()


def content(ann: Annotation) -> set[tuple[str, ...]]:
    """Spans and relations with their source, as text, for readable assertions."""
    by_sid = {s.sid: s for s in ann.spans}
    out: set[tuple[str, ...]] = {("span", TEXT[s.start : s.end], s.label, str(s.source)) for s in ann.spans}
    for r in ann.relations:
        out.add(
            (
                "rel",
                TEXT[by_sid[r.head].start : by_sid[r.head].end],
                r.label,
                TEXT[by_sid[r.child].start : by_sid[r.child].end],
                str(r.source),
            )
        )
    return out


def test_every_kind_of_disagreement_is_found_in_order() -> None:
    adj = adjudicate(TASK, A, B, "alice", "bob")
    found = [(d.kind, TEXT[d.start : d.end]) for d in adj.disagreements]
    assert found == [
        ("boundary", "Lloyd Austin"),
        ("label", "Seoul"),
        ("a_only", "Friday"),
        ("b_only", "Busan"),
        ("relation", "Lloyd Austin met Lee Jong-sup"),  # A's MET from "Lloyd Austin"
        ("relation", "Austin met Lee Jong-sup"),  # B's MET from "Austin"
        ("relation", "Lee Jong-sup in Seoul on Friday and visited Busan"),  # B's LOCATED_IN
    ]
    assert [d.index for d in adj.disagreements] == list(range(7))
    boundary = adj.disagreements[0]
    assert [s.sid for s in boundary.a_spans] == [1] and [s.sid for s in boundary.b_spans] == [7]
    rel = adj.disagreements[4]
    assert rel.a_relations == (Relation(1, 2, "MET"),) and rel.b_relations == ()
    assert {s.sid for s in rel.a_spans} == {1, 2}
    assert [d.can_take_both for d in adj.disagreements] == [False, False, True, True, True, True, True]


def test_agreed_base_holds_what_both_share() -> None:
    adj = adjudicate(TASK, A, B, "alice", "bob")
    # LOCATED_IN(Lee -> Seoul) is in both versions, but Seoul's label is disputed, so the base (the
    # agreed spans only) cannot hold it yet.
    assert content(adj.agreed) == {("span", "Lee Jong-sup", "PER", "both")}
    assert adj.start().result() == adj.agreed
    assert adj.start().unresolved == tuple(range(7))


def test_resolving_each_disagreement_a_different_way() -> None:
    res = adjudicate(TASK, A, B, "alice", "bob").start()
    res = (
        res.take(0, Choice.A)
        .take(1, Choice.B)
        .take(2, Choice.BOTH)
        .take(3, Choice.NEITHER)
        .take(4, Choice.A)
        .take(5, Choice.A)
        .take(6, Choice.B)
    )
    assert res.unresolved == ()
    result = res.result()
    assert content(result) == {
        ("span", "Lloyd Austin", "PER", "alice"),
        ("span", "Lee Jong-sup", "PER", "both"),
        ("span", "Seoul", "LOC", "bob"),
        ("span", "Friday", "DATE", "alice"),
        ("rel", "Lloyd Austin", "MET", "Lee Jong-sup", "alice"),
        # agreed relation, kept: both its arguments are in the result (Seoul with B's label)
        ("rel", "Lee Jong-sup", "LOCATED_IN", "Seoul", "both"),
        # B's LOCATED_IN(Lee -> Busan) was taken, but Busan was not: dropped with it
    }
    validate_annotation(TASK, result)
    assert [s.sid for s in result.spans] == [1, 2, 3, 4]


def test_a_relation_goes_when_its_argument_is_not_taken() -> None:
    res = adjudicate(TASK, A, B, "alice", "bob").start()
    # B's MET starts at "Austin", but the boundary disagreement went to A ("Lloyd Austin").
    result = res.take(0, Choice.A).take(5, Choice.B).result()
    assert not any(r.label == "MET" for r in result.relations)
    result = res.take(0, Choice.B).take(5, Choice.B).result()
    assert ("rel", "Austin", "MET", "Lee Jong-sup", "bob") in content(result)
    # Taking neither version of the Seoul label drops the agreed LOCATED_IN with it.
    assert not res.take(1, Choice.NEITHER).result().relations


def test_taking_both_overlapping_versions_is_refused_with_a_clear_message() -> None:
    res = adjudicate(TASK, A, B, "alice", "bob").start()
    with pytest.raises(CannotTakeBoth, match=r"overlaps B's \[6:12\] PER"):
        res.take(0, Choice.BOTH)
    with pytest.raises(CannotTakeBoth):
        res.take(1, Choice.BOTH)
    with pytest.raises(CannotTakeBoth):
        every(adjudicate(TASK, A, B, "alice", "bob"), Choice.BOTH)
    assert isinstance(CannotTakeBoth("x"), AnnotatorError)  # the CLI/TUI print it without a traceback


def test_taking_both_relations_of_one_pair_of_arguments() -> None:
    a = replace(A, relations=(Relation(2, 3, "LOCATED_IN"),))
    b = replace(B, relations=(Relation(8, 9, "PART_OF"),))
    adj = adjudicate(TASK, a, b, "alice", "bob")
    (rel,) = [d for d in adj.disagreements if d.kind == "relation"]
    assert [r.label for r in rel.a_relations] == ["LOCATED_IN"] and [r.label for r in rel.b_relations] == [
        "PART_OF"
    ]
    seoul = next(d.index for d in adj.disagreements if d.kind == "label")
    result = adj.start().take(seoul, Choice.A).take(rel.index, Choice.BOTH).result()
    assert {("LOCATED_IN", "alice"), ("PART_OF", "bob")} == {(r.label, r.source) for r in result.relations}


def test_resolution_is_immutable_so_undo_is_the_previous_state() -> None:
    first = adjudicate(TASK, A, B, "alice", "bob").start()
    second = first.take(2, Choice.A)
    assert first.choices[2] is None and second.choices[2] is Choice.A
    assert first.result() != second.result()
    assert second.take(2, None).result() == first.result()
    with pytest.raises(IndexError):
        first.take(99, Choice.A)
    with pytest.raises(ValueError):
        first.take(0, "maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Resolution(first.adjudication, ())


def test_names_must_be_distinct_and_not_both() -> None:
    with pytest.raises(AnnotatorError):
        adjudicate(TASK, A, B, "alice", "alice")
    with pytest.raises(AnnotatorError):
        adjudicate(TASK, A, B, "both", "bob")


def test_spans_are_realigned_to_the_task_and_misaligned_ones_refused() -> None:
    shifted = replace(B, spans=tuple(replace(s, token_start=0, token_end=0) for s in B.spans))
    adj = adjudicate(TASK, A, shifted, "alice", "bob")
    assert adj.start().take(0, Choice.B).result().spans[0].token_start == 1  # "Austin" is token 1
    bad = Annotation(spans=(Span(1, 5, 0, 0, "PER", None, 1),))
    with pytest.raises(InvalidAnnotation, match="bob's span \\[1:5\\] PER 'loyd'"):
        adjudicate(TASK, A, bad, "alice", "bob")
    overlapping = Annotation(spans=(sp("Lloyd Austin", "PER", 1), sp("Austin", "PER", 2)))
    with pytest.raises(InvalidAnnotation, match="overlap"):
        adjudicate(TASK, overlapping, B, "alice", "bob")


def test_identical_versions_have_no_disagreement() -> None:
    adj = adjudicate(TASK, A, replace(A, answer="reject"), "alice", "bob")
    assert adj.disagreements == ()
    assert adj.agreed.content() == A.content()
    assert {s.source for s in adj.agreed.spans} == {"both"} == {r.source for r in adj.agreed.relations}


def test_one_side_empty_and_both_empty() -> None:
    adj = adjudicate(TASK, A, Annotation(), "alice", "bob")
    assert {d.kind for d in adj.disagreements} == {"a_only", "relation"}
    assert every(adj, Choice.BOTH).content() == A.content()
    assert adjudicate(TASK, Annotation(), Annotation(), "alice", "bob").disagreements == ()


def test_find_disagreements_tolerates_overlap_inside_one_version() -> None:
    # --details runs on whatever two files hold; a group simply takes in everything that overlaps.
    a = Annotation(spans=(Span(0, 12, 0, 1, "PER", None, 1), Span(6, 12, 1, 1, "PER", None, 2)))
    (d,) = find_disagreements(a, Annotation(spans=(Span(6, 12, 1, 1, "PER", None, 5),)))
    assert d.kind == "boundary" and len(d.a_spans) == 2 and len(d.b_spans) == 1


# --- properties, on random valid annotations -----------------------------------------------


@st.composite
def version_pairs(draw: st.DrawFn) -> tuple[Task, Annotation, Annotation]:
    task = draw(tasks(min_tokens=1))
    a = draw(annotations_of(task))
    # B: sometimes a copy of A with edits, sometimes independent, so that both agreements and
    # every kind of disagreement come up.
    if draw(st.booleans()):
        b = draw(annotations_of(task))
    else:
        keep = draw(st.lists(st.booleans(), min_size=len(a.spans), max_size=len(a.spans)))
        spans = [replace(s, label="ORG") if k else s for s, k in zip(a.spans, keep, strict=True)]
        b = replace(a, spans=tuple(spans), relations=a.relations[: draw(st.integers(0, len(a.relations)))])
    return task, a, b


@given(version_pairs())
@settings(max_examples=100, deadline=None)
def test_all_a_gives_a_and_all_b_gives_b(triple: tuple[Task, Annotation, Annotation]) -> None:
    task, a, b = triple
    adj = adjudicate(task, a, b, "A-name", "B-name")
    from_a = every(adj, Choice.A)
    from_b = every(adj, Choice.B)
    assert from_a.content() == a.content()
    assert from_b.content() == b.content()
    assert {s.source for s in from_a.spans} <= {"A-name", "both"}
    assert {r.source for r in from_b.relations} <= {"B-name", "both"}


@given(version_pairs(), st.data())
@settings(max_examples=100, deadline=None)
def test_any_resolution_is_a_valid_annotation_with_known_origins(
    triple: tuple[Task, Annotation, Annotation], data: st.DataObject
) -> None:
    task, a, b = triple
    adj = adjudicate(task, a, b, "A-name", "B-name")
    res = adj.start()
    for d in adj.disagreements:
        options = [Choice.A, Choice.B, Choice.NEITHER, None] + ([Choice.BOTH] if d.can_take_both else [])
        res = res.take(d.index, data.draw(st.sampled_from(options)))
    result = res.result()
    validate_annotation(task, result)  # no overlapping spans, no dangling relation, tokens aligned
    a_spans = {(s.start, s.end, s.label) for s in a.spans}
    b_spans = {(s.start, s.end, s.label) for s in b.spans}
    for s in result.spans:
        key = (s.start, s.end, s.label)
        assert {
            "A-name": key in a_spans,
            "B-name": key in b_spans,
            "both": key in a_spans and key in b_spans,
        }[str(s.source)]
    a_rels, b_rels = set(a.content()[1]), set(b.content()[1])
    _, rels = result.content()
    by_sid = {s.sid: s for s in result.spans}
    for r in result.relations:
        rkey = (by_sid[r.head].key, by_sid[r.child].key, r.label)
        assert rkey in rels
        assert {
            "A-name": rkey in a_rels,
            "B-name": rkey in b_rels,
            "both": rkey in a_rels and rkey in b_rels,
        }[str(r.source)]


@given(version_pairs())
@settings(max_examples=60, deadline=None)
def test_taking_both_where_spans_overlap_always_fails(triple: tuple[Task, Annotation, Annotation]) -> None:
    task, a, b = triple
    adj = adjudicate(task, a, b, "A-name", "B-name")
    for d in adj.disagreements:
        if d.kind in ("label", "boundary"):
            assert not d.can_take_both
            with pytest.raises(CannotTakeBoth):
                adj.start().take(d.index, Choice.BOTH)
        else:
            adj.start().take(d.index, Choice.BOTH).result()
