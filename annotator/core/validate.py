"""The rules a task, its spans and its relations must follow."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Relation, Span, Task, Token


def validate_tokens(text: str, tokens: Sequence[Token]) -> None:
    prev_end = 0
    for i, tok in enumerate(tokens):
        if tok.id != i:
            raise InvalidAnnotation(f"token {i} has id {tok.id}; token ids must be 0, 1, 2, ...")
        if not 0 <= tok.start < tok.end <= len(text):
            raise InvalidAnnotation(f"token {i} [{tok.start}:{tok.end}] lies outside the text")
        if tok.start < prev_end:
            raise InvalidAnnotation(f"token {i} [{tok.start}:{tok.end}] overlaps the token before it")
        if text[tok.start : tok.end] != tok.text:
            raise InvalidAnnotation(
                f"token {i} says {tok.text!r} but the text at [{tok.start}:{tok.end}] is "
                f"{text[tok.start : tok.end]!r}"
            )
        prev_end = tok.end


def align(
    tokens: Sequence[Token], start: int, end: int, hint: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """Token indices (end inclusive) of the tokens exactly covering ``[start, end)``, or None.
    ``hint``: the indices the span says it has, taken when they fit (token starts increase, so
    they are the only ones that can): no search for a span read back with its own indices."""
    if hint is not None:
        first, last = hint
        if 0 <= first <= last < len(tokens) and tokens[first].start == start and tokens[last].end == end:
            return first, last
    # Binary search: this runs on every keystroke that labels a range of a long document.
    i = bisect.bisect_left(tokens, start, key=lambda t: t.start)
    if i >= len(tokens) or tokens[i].start != start:
        return None
    j = bisect.bisect_left(tokens, end, lo=i, key=lambda t: t.end)
    if j >= len(tokens) or tokens[j].end != end:
        return None
    return i, j


def validate_span(task: Task, span: Span) -> None:
    text = task.text
    quoted = repr(text[max(span.start, 0) : span.end][:40])
    if not 0 <= span.start < span.end <= len(text):
        raise InvalidAnnotation(
            f"span [{span.start}:{span.end}] {span.label} lies outside the text (length {len(text)})"
        )
    if not span.label:
        raise InvalidAnnotation(f"span [{span.start}:{span.end}] {quoted} has no label")
    n = len(task.tokens)
    if not 0 <= span.token_start <= span.token_end < n:
        raise InvalidAnnotation(
            f"span [{span.start}:{span.end}] {quoted} has token range "
            f"{span.token_start}..{span.token_end}, outside the {n} tokens"
        )
    first, last = task.tokens[span.token_start], task.tokens[span.token_end]
    if first.start != span.start or last.end != span.end:
        raise InvalidAnnotation(
            f"span [{span.start}:{span.end}] {quoted} does not fall on token boundaries "
            f"(tokens {span.token_start}..{span.token_end} cover [{first.start}:{last.end}])"
        )


def validate_spans(task: Task, spans: Iterable[Span], *, on_tokens: bool = False) -> None:
    """Each span on the task's tokens; entity spans never overlap; a group holds a place and label
    once (its spans may overlap and nest). ``on_tokens``: each span is known to lie on the task's
    tokens already (checked as it was read), only how they lie together is checked."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    if not on_tokens:
        for span in ordered:
            validate_span(task, span)
    ents = [s for s in ordered if s.layer == ENTS]
    for a, b in itertools.pairwise(ents):
        if a.overlaps(b):
            raise InvalidAnnotation(
                f"spans [{a.start}:{a.end}] {a.label} {task.text[a.start : a.end]!r} and "
                f"[{b.start}:{b.end}] {b.label} {task.text[b.start : b.end]!r} overlap; "
                "entity spans must not overlap"
            )
    seen: set[object] = set()
    for s in ordered:
        if s.layer == ENTS:
            continue
        if s.key in seen:
            raise InvalidAnnotation(
                f"span [{s.start}:{s.end}] {s.label} {task.text[s.start : s.end]!r} is given twice "
                f"in span group {s.layer!r}"
            )
        seen.add(s.key)


def validate_relations(spans: Sequence[Span], relations: Iterable[Relation]) -> None:
    sids = {s.sid for s in spans}
    seen: set[tuple[int, int, str]] = set()
    for rel in relations:
        if rel.head not in sids or rel.child not in sids:
            missing = rel.head if rel.head not in sids else rel.child
            raise InvalidAnnotation(
                f"relation {rel.label} refers to span id {missing}, which is not in the task"
            )
        if rel.head == rel.child:
            raise InvalidAnnotation(f"relation {rel.label} links a span to itself")
        if not rel.label:
            raise InvalidAnnotation("a relation has no label")
        if rel.key in seen:
            raise InvalidAnnotation(f"relation {rel.label} is given twice between the same spans")
        seen.add(rel.key)


def validate_annotation(task: Task, annotation: Annotation) -> None:
    validate_spans(task, annotation.spans)
    if len({s.sid for s in annotation.spans}) != len(annotation.spans):
        raise InvalidAnnotation("two spans share one id")
    validate_relations(annotation.spans, annotation.relations)


def make_span(
    task: Task,
    start: int,
    end: int,
    label: str,
    source: str | None = None,
    sid: int = 0,
    where: str = "span",
    layer: str = ENTS,
    hint: tuple[int, int] | None = None,
) -> Span:
    """A span from character offsets, with its token range; offsets outside the text or off the
    token boundaries are an InvalidAnnotation whose message starts with ``where``. ``hint``: the
    token range the span is said to have (see ``align``)."""
    if not 0 <= start < end <= len(task.text):
        raise InvalidAnnotation(
            f"{where} [{start}:{end}] {label} lies outside the text (length {len(task.text)})"
        )
    aligned = align(task.tokens, start, end, hint)
    if aligned is None:
        raise InvalidAnnotation(
            f"{where} [{start}:{end}] {label} {task.text[start:end]!r} does not fall on token boundaries"
        )
    return Span(start, end, aligned[0], aligned[1], label, source, sid, layer)
