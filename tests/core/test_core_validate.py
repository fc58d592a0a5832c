"""Property tests of core validation and of the gold-record round trip.

Valid tasks drawn by tests.strategies must pass validation and survive to_record -> orjson ->
from_record unchanged; each kind of broken span or relation must be refused with an
InvalidAnnotation whose message names the offending span.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from annotator.core.errors import InvalidAnnotation
from annotator.core.hashing import task_hash
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.core.records import from_record, to_record
from annotator.core.validate import align, make_span, validate_annotation, validate_tokens
from tests.strategies import ENTITY_LABELS, annotated_tasks, record_span, tasks, tokenize

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def through_json(
    task: Task, annotation: Annotation, warnings: list[str] | None = None
) -> tuple[Task, Annotation]:
    return from_record(orjson.loads(orjson.dumps(to_record(task, annotation))), warnings=warnings)


def renumber(
    spans: tuple[Span, ...], relations: tuple[Relation, ...]
) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
    """Spans with the ids 1..n in text order, and the relations mapped onto them."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    new_sid = {s.sid: i + 1 for i, s in enumerate(ordered)}
    return (
        tuple(replace(s, sid=new_sid[s.sid]) for s in ordered),
        tuple(replace(r, head=new_sid[r.head], child=new_sid[r.child]) for r in relations),
    )


def sourced(annotation: Annotation) -> tuple[list[Any], list[Any]]:
    """Spans and relations by offsets with their sources: what content() leaves out."""
    by_sid = {s.sid: s for s in annotation.spans}
    spans = sorted((s.start, s.end, s.label, s.source or "") for s in annotation.spans)
    rels = sorted(
        (by_sid[r.head].key, by_sid[r.child].key, r.label, r.source or "") for r in annotation.relations
    )
    return spans, rels


@SETTINGS
@given(annotated_tasks())
def test_valid_tasks_validate_and_survive_the_record_round_trip(pair: tuple[Task, Annotation]) -> None:
    task, annotation = pair
    validate_tokens(task.text, task.tokens)
    validate_annotation(task, annotation)

    warnings: list[str] = []
    task2, annotation2 = through_json(task, annotation, warnings)

    assert warnings == []
    assert task2.text == task.text
    assert task2.tokens == task.tokens
    assert task2.input_hash == task.input_hash
    assert task2.meta == task.meta
    assert task2.extra == task.extra
    assert annotation2.content() == annotation.content()
    assert sourced(annotation2) == sourced(annotation)
    assert (annotation2.answer, annotation2.annotator, annotation2.session, annotation2.timestamp) == (
        annotation.answer,
        annotation.annotator,
        annotation.session,
        annotation.timestamp,
    )
    validate_annotation(task2, annotation2)
    # Read back, the record is written again byte for byte, task hash included.
    assert orjson.dumps(to_record(task2, annotation2)) == orjson.dumps(to_record(task, annotation))
    assert task_hash(task2.input_hash, annotation2) == task_hash(task.input_hash, annotation)


@SETTINGS
@given(annotated_tasks(), st.randoms(use_true_random=False))
def test_task_hash_ignores_span_ids_and_order(pair: tuple[Task, Annotation], rnd: Any) -> None:
    task, annotation = pair
    spans, relations = renumber(annotation.spans, annotation.relations)
    spans_l, rels_l = list(spans), list(relations)
    rnd.shuffle(spans_l)
    rnd.shuffle(rels_l)
    shuffled = replace(annotation, spans=tuple(spans_l), relations=tuple(rels_l))
    assert shuffled.content() == annotation.content()
    assert task_hash(task.input_hash, shuffled) == task_hash(task.input_hash, annotation)


@SETTINGS
@given(tasks(min_tokens=1), st.data())
def test_align_finds_exactly_the_token_ranges(task: Task, data: st.DataObject) -> None:
    n = len(task.tokens)
    a = data.draw(st.integers(0, n - 1))
    b = data.draw(st.integers(a, n - 1))
    assert align(task.tokens, task.tokens[a].start, task.tokens[b].end) == (a, b)
    span = make_span(task, task.tokens[a].start, task.tokens[b].end, "ORG")
    assert (span.token_start, span.token_end) == (a, b)
    # Any character offset that is not a token start (or end) does not align.
    start = data.draw(st.integers(0, len(task.text)))
    if start not in {t.start for t in task.tokens}:
        assert align(task.tokens, start, task.tokens[b].end) is None
    end = data.draw(st.integers(0, len(task.text)))
    if end not in {t.end for t in task.tokens}:
        assert align(task.tokens, task.tokens[a].start, end) is None


def test_tokenizer_of_the_strategies_handles_marks_emoji_cjk_and_rtl() -> None:
    # The strategies' own tokenizer: if it were wrong, the property tests above would test less.
    text = "Cafe\u0301 東京 👍🏽 שלום, مرحبا!"
    assert [t.text for t in tokenize(text)] == ["Cafe\u0301", "東京", "👍", "🏽", "שלום", ",", "مرحبا", "!"]
    validate_tokens(text, tokenize(text))


# --- mutations: every one must be refused, naming the span -------------------------------------


def expect_refusal(record: dict[str, Any], *needles: str) -> str:
    with pytest.raises(InvalidAnnotation) as info:
        from_record(orjson.loads(orjson.dumps(record)))
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def expect_core_refusal(task: Task, annotation: Annotation, *needles: str) -> None:
    with pytest.raises(InvalidAnnotation) as info:
        validate_annotation(task, annotation)
    for needle in needles:
        assert needle in str(info.value), f"{needle!r} not in {str(info.value)!r}"


def pick_span(data: st.DataObject, annotation: Annotation) -> tuple[int, Span]:
    ordered = annotation.sorted().spans  # the order to_record writes them in
    i = data.draw(st.integers(0, len(ordered) - 1), label="span index")
    return i, ordered[i]


@SETTINGS
@given(annotated_tasks(min_spans=1), st.data())
def test_offsets_outside_the_text_are_refused(pair: tuple[Task, Annotation], data: st.DataObject) -> None:
    task, annotation = pair
    i, span = pick_span(data, annotation)
    if data.draw(st.booleans(), label="past the end"):
        start, end = span.start, len(task.text) + data.draw(st.integers(1, 5))
    else:
        start, end = -data.draw(st.integers(1, 5)), span.end
    record = to_record(task, annotation)
    record["spans"][i].update(start=start, end=end)
    expect_refusal(record, f"span {i} [{start}:{end}]", "outside the text")

    broken = replace(span, start=start, end=end)
    spans = tuple(broken if s is span else s for s in annotation.spans)
    expect_core_refusal(task, replace(annotation, spans=spans), f"[{start}:{end}]", "outside the text")


@SETTINGS
@given(annotated_tasks(min_spans=1), st.data())
def test_an_end_inside_a_token_is_refused(pair: tuple[Task, Annotation], data: st.DataObject) -> None:
    task, annotation = pair
    long_tokens = [t for t in task.tokens if len(t.text) >= 2]
    assume(long_tokens)
    tok = data.draw(st.sampled_from(long_tokens), label="token")
    start, end = tok.start, tok.start + data.draw(st.integers(1, len(tok.text) - 1))
    i, span = pick_span(data, annotation)
    record = to_record(task, annotation)
    record["spans"][i] = {"start": start, "end": end, "label": span.label}
    expect_refusal(record, f"span {i} [{start}:{end}]", "token boundaries")
    # With token indices given too (the tokens it claims to cover), the same refusal.
    record["spans"][i].update(token_start=tok.id, token_end=tok.id)
    expect_refusal(record, f"span {i} [{start}:{end}]", "token boundaries")

    broken = Span(start, end, tok.id, tok.id, span.label, None, span.sid)
    spans = tuple(broken if s is span else s for s in annotation.spans)
    expect_core_refusal(task, replace(annotation, spans=spans), f"[{start}:{end}]", "token boundaries")
    with pytest.raises(InvalidAnnotation, match="token boundaries"):
        make_span(task, start, end, span.label)


@SETTINGS
@given(annotated_tasks(min_spans=1), st.data())
def test_overlapping_spans_are_refused(pair: tuple[Task, Annotation], data: st.DataObject) -> None:
    task, annotation = pair
    _, span = pick_span(data, annotation)
    n = len(task.tokens)
    a = data.draw(st.integers(max(0, span.token_start - 2), span.token_end), label="new token_start")
    b = data.draw(
        st.integers(max(a, span.token_start), min(n - 1, span.token_end + 2)), label="new token_end"
    )
    other_labels = [label for label in ENTITY_LABELS if label != span.label]
    label = data.draw(st.sampled_from(other_labels), label="label")
    new = Span(task.tokens[a].start, task.tokens[b].end, a, b, label, None, annotation.next_sid())
    where = f"[{new.start}:{new.end}]"

    record = to_record(task, annotation)
    record["spans"].insert(data.draw(st.integers(0, len(record["spans"]))), record_span(new))
    message = expect_refusal(record, where)
    assert "overlap" in message or "twice" in message

    expect_core_refusal(task, replace(annotation, spans=(*annotation.spans, new)), where, "overlap")


@SETTINGS
@given(annotated_tasks(min_spans=1), st.data())
def test_token_indices_disagreeing_with_offsets_are_refused(
    pair: tuple[Task, Annotation], data: st.DataObject
) -> None:
    task, annotation = pair
    i, span = pick_span(data, annotation)
    field = data.draw(st.sampled_from(["token_start", "token_end"]), label="field")
    value = getattr(span, field) + data.draw(st.sampled_from([-2, -1, 1, 2]), label="shift")
    where = f"[{span.start}:{span.end}]"

    record = to_record(task, annotation)
    record["spans"][i][field] = value
    expect_refusal(record, f"span {i} {where}", "tokens")

    broken = replace(span, **{field: value})
    spans = tuple(broken if s is span else s for s in annotation.spans)
    expect_core_refusal(task, replace(annotation, spans=spans), where)


@SETTINGS
@given(annotated_tasks(min_spans=1), st.data())
def test_a_span_text_disagreeing_with_the_task_text_is_refused(
    pair: tuple[Task, Annotation], data: st.DataObject
) -> None:
    task, annotation = pair
    i, span = pick_span(data, annotation)
    wrong = data.draw(st.text(max_size=6).filter(lambda t: t != task.text[span.start : span.end]))
    record = to_record(task, annotation)
    record["spans"][i]["text"] = wrong
    expect_refusal(record, f"span {i} [{span.start}:{span.end}]", "says text")
    # The right text is accepted: the check compares, it does not refuse the key.
    record["spans"][i]["text"] = task.text[span.start : span.end]
    from_record(record)


@SETTINGS
@given(annotated_tasks(min_spans=2, min_relations=1), st.data())
def test_a_relation_argument_that_is_not_a_span_is_refused(
    pair: tuple[Task, Annotation], data: st.DataObject
) -> None:
    task, annotation = pair
    n = len(task.tokens)
    a = data.draw(st.integers(0, n - 1), label="token_start")
    b = data.draw(st.integers(a, n - 1), label="token_end")
    start, end = task.tokens[a].start, task.tokens[b].end
    assume((start, end) not in {s.key for s in annotation.spans})
    record = to_record(task, annotation)
    j = data.draw(st.integers(0, len(record["relations"]) - 1), label="relation index")
    role = data.draw(st.sampled_from(["head", "child"]), label="role")
    record["relations"][j][f"{role}_span"].update(start=start, end=end, token_start=a, token_end=b)
    record["relations"][j][role] = b
    expect_refusal(record, f"relation {j}", f"{role} [{start}:{end}]", "not one of the task's spans")

    # In the core model a relation names its spans by id: an id no span has is refused by that id.
    missing = max(s.sid for s in annotation.spans) + 1
    rel = annotation.relations[0]
    dangling = (
        Relation(missing, rel.child, rel.label) if role == "head" else Relation(rel.head, missing, rel.label)
    )
    expect_core_refusal(
        task, replace(annotation, relations=(*annotation.relations, dangling)), rel.label, str(missing)
    )


def test_relation_to_itself_and_shared_ids_are_refused() -> None:
    text = "Ann met Bob"
    task = Task(text, tokenize(text), 1)
    ann, bob = make_span(task, 0, 3, "PERSON", sid=1), make_span(task, 8, 11, "PERSON", sid=2)
    with pytest.raises(InvalidAnnotation, match="itself"):
        validate_annotation(task, Annotation((ann, bob), (Relation(1, 1, "MET"),)))
    with pytest.raises(InvalidAnnotation, match="share one id"):
        validate_annotation(task, Annotation((ann, replace(bob, sid=1))))
    with pytest.raises(InvalidAnnotation, match="twice"):
        validate_annotation(task, Annotation((ann, bob), (Relation(1, 2, "MET"), Relation(1, 2, "MET", "x"))))


def test_broken_tokens_are_refused_with_their_index() -> None:
    text = "Ann met Bob"
    good = tokenize(text)
    with pytest.raises(InvalidAnnotation, match="token 1 says"):
        validate_tokens(text, (good[0], good[1]._replace(text="mat"), good[2]))
    with pytest.raises(InvalidAnnotation, match=r"token 1 .* overlaps"):
        validate_tokens(text, (good[0], Token("n met", 2, 7, 1, True), good[2]))
    with pytest.raises(InvalidAnnotation, match=r"token 2 .* outside"):
        validate_tokens(text, (good[0], good[1], Token("Bob!", 8, 12, 2, False)))
    with pytest.raises(InvalidAnnotation, match="token 1 has id 5"):
        validate_tokens(text, (good[0], good[1]._replace(id=5), good[2]))


@SETTINGS
@given(annotated_tasks())
def test_token_and_span_lookups_agree_with_a_plain_scan(pair: tuple[Task, Annotation]) -> None:
    task, annotation = pair
    for char in range(len(task.text) + 1):
        containing = [t.id for t in task.tokens if t.start <= char < t.end]
        assert task.token_index_at_char(char) == (containing[0] if containing else None)
    for tok in task.tokens:
        covering = [s for s in annotation.spans if s.token_start <= tok.id <= s.token_end]
        assert annotation.span_at_token(tok.id) == (covering[0] if covering else None)
