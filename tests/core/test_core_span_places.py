"""The places of an annotation's spans (core/span_places.py), which a label or an undo on a long
document bisects instead of walking every span, against the walks they replace: random edits of
spans on the entity layer and in span groups (which overlap and nest), undos and redos, each edit
made on an annotation with its places and on a copy without them, must come out the same, and every
question (a span by sid, the next sid, the spans over a token or over some characters) must get
the walk's answer, in the walk's order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core import model
from annotator.core.edits import Edit, History, delete_span, relabel_span, set_span
from annotator.core.errors import InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Span, Task, Token
from annotator.core.span_places import SpanPlaces
from tests.strategies import tasks

LABELS = ("PERSON", "ORG", "GPE")
LAYERS = (ENTS, ENTS, "sc", "skills")


@contextmanager
def walking() -> Iterator[None]:
    """Annotations answer by walking their spans, whatever their size."""
    with patch.object(model, "PLACES_FROM", 10**9):
        yield


def plain(annotation: Annotation) -> Annotation:
    return replace(annotation)  # the same value, without places


def check_answers(annotation: Annotation, task: Task) -> None:
    assert annotation.places() is not None
    spans = annotation.spans
    for s in spans:
        assert annotation.span(s.sid) is s
    assert annotation.span(max((s.sid for s in spans), default=0) + 5) is None
    assert annotation.next_sid() == max((s.sid for s in spans), default=0) + 1
    walked = plain(annotation)
    for token in range(len(task.tokens)):
        for layer in set(LAYERS):
            found = annotation.span_at_token(token, layer)
            with walking():
                assert found is walked.span_at_token(token, layer)
    for first in range(len(task.tokens)):
        for last in (first, min(first + 2, len(task.tokens) - 1)):
            start, end = task.tokens[first].start, task.tokens[last].end
            assert annotation.overlapping(start, end) == [s for s in spans if s.start < end and start < s.end]


Step = tuple[str, int, int, int, int]  # what, first token, length, label, layer


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    task=tasks(min_tokens=3, max_words=20),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["set", "set", "set", "delete", "relabel", "undo", "redo"]),
            st.integers(0, 40),
            st.integers(0, 3),
            st.integers(0, len(LABELS) - 1),
            st.integers(0, len(LAYERS) - 1),
        ),
        max_size=40,
    ),
)
def test_places_answer_as_walks_do_through_edits_undos_and_redos(task: Task, steps: list[Step]) -> None:
    n = len(task.tokens)
    with patch.object(model, "PLACES_FROM", 1):
        history = History(Annotation())
        for what, at, length, label_at, layer_at in steps:
            current = history.current
            label, layer = LABELS[label_at], LAYERS[layer_at]
            if what in ("undo", "redo"):
                before = current.spans
                edit = history.undo() if what == "undo" else history.redo()
                if edit is not None:
                    applied = edit.inverse() if what == "undo" else edit
                    gone = {s.sid for s in applied.removed_spans}
                    assert history.current.spans == (
                        *(s for s in before if s.sid not in gone),
                        *applied.added_spans,
                    )
            else:
                try:
                    made = _edit(task, current, what, at % n, length, label, layer)
                except InvalidAnnotation:
                    made = None
                with walking():
                    try:
                        walked = _edit(task, plain(current), what, at % n, length, label, layer)
                    except InvalidAnnotation:
                        walked = None
                assert made == walked
                if made is not None:
                    history.do(made)
                    with walking():
                        assert history.current.spans == made.apply(plain(current)).spans
            if history.current.spans:
                check_answers(history.current, task)


def _edit(
    task: Task, annotation: Annotation, what: str, at: int, length: int, label: str, layer: str
) -> Edit:
    if what == "set":
        last = min(at + length, len(task.tokens) - 1)
        return set_span(task, annotation, at, last, label, layer=layer)
    if not annotation.spans:
        raise InvalidAnnotation("nothing to change")
    target = annotation.spans[at % len(annotation.spans)]
    if what == "delete":
        return delete_span(annotation, target.sid)
    return relabel_span(annotation, target.sid, label)


def test_an_annotation_with_a_sid_twice_is_walked() -> None:
    """Places are not built when two spans share a sid (only a walk says which one is meant), and
    an edit that would give a sid twice leaves the places behind."""
    spans = tuple(Span(i * 2, i * 2 + 1, i, i, "ORG", None, i + 1) for i in range(100))
    twice = Annotation((*spans, replace(spans[0], start=300, end=301, token_start=150, token_end=150)))
    assert SpanPlaces.of(twice.spans) is None and twice.places() is None
    assert twice.span(1) is spans[0] and twice.next_sid() == 101
    one = Annotation(spans)
    assert one.places() is not None
    clash = Edit("add", (), (replace(spans[5], start=400, end=401, token_start=200, token_end=200),))
    after = clash.apply(one)
    assert after.spans == (*spans, clash.added_spans[0]) and after.places() is None
    assert one.span(6) is spans[5]  # the annotation it was made from answers as before


def test_an_edit_carries_the_places_on() -> None:
    """A label and its undo on an annotation of many spans build no places anew: they are handed
    from one annotation to the next."""
    spans = tuple(Span(i * 2, i * 2 + 1, i, i, "ORG", None, i + 1) for i in range(1_000))
    text = "x " * 1_000
    task = Task(text, tuple(Token("x", i * 2, i * 2 + 1, i, True) for i in range(1_000)), 1)
    history = History(Annotation(spans))
    places = history.current.places()
    built: list[int] = []
    real = SpanPlaces.__init__

    def counted(self: SpanPlaces, spans: tuple[Span, ...]) -> None:
        built.append(len(spans))
        real(self, spans)

    with patch.object(SpanPlaces, "__init__", counted):
        history.do(set_span(task, history.current, 500, 501, "GPE"))
        assert history.current.places() is places and history.current.span(1_001) is not None
        history.undo()
        assert history.current.places() is places and set(history.current.spans) == set(spans)
        assert history.current.span(1_001) is None and history.current.span(501) is spans[500]
    assert built == []
