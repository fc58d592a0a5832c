"""Build a task and its annotation from what token-less formats hold: a text, spans as character
offsets, relations between spans. Shared by the doccano, brat, Label Studio and CoNLL readers so
that they check and repair the same things the same way."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator.core.errors import InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Answer, Relation, Span, Task, Token
from annotator.core.validate import align, validate_annotation
from annotator.formats.tokens import split_tokens, tokenize

SPLIT_NOTE = "tokens split so that an imported span falls on token boundaries (offsets unchanged)"


@dataclass
class RawSpan:
    start: int
    end: int
    label: str
    key: Any = None  # the format's own id for the span (brat "T3", doccano entity id, ...)


@dataclass
class RawRelation:
    head: Any  # RawSpan.key of the head
    child: Any
    label: str


@dataclass
class Built:
    task: Task
    annotation: Annotation
    warnings: list[str] = field(default_factory=list)
    cuts: int = 0


def shared_tokens(text: str, spans: Sequence[RawSpan], lang: str = "en") -> tuple[tuple[Token, ...], int]:
    """spaCy's tokens of ``text`` split at the edges of every span in range (of several
    annotations of the text, so that they share one tokenization), and the number of cuts."""
    fit = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    return split_tokens(text, tokenize(text, lang), (s.start for s in fit), (s.end for s in fit))


def _quote(text: str, start: int, end: int) -> str:
    piece = text[start:end]
    return repr(piece if len(piece) <= 40 else piece[:37] + "...")


def build(
    text: str,
    spans: Sequence[RawSpan],
    relations: Sequence[RawRelation] = (),
    *,
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    tokens: Sequence[Token] | None = None,
    answer: Answer | None = None,
    annotator: str | None = None,
    ihash: int | None = None,
    lang: str = "en",
) -> Built:
    """Raises InvalidAnnotation (the whole record is bad) for a span outside the text, overlapping
    spans, a relation to a missing span or to itself. Repairs what loses nothing, and says so:
    an identical span or relation listed twice is kept once."""
    warnings: list[str] = []
    kept: dict[tuple[int, int], RawSpan] = {}
    key_of: dict[Any, tuple[int, int]] = {}
    for s in spans:
        if not isinstance(s.label, str) or not s.label.strip():
            raise InvalidAnnotation(f"span [{s.start}:{s.end}] has no label")
        if not 0 <= s.start < s.end <= len(text):
            raise InvalidAnnotation(
                f"span [{s.start}:{s.end}] {s.label} lies outside the text (length {len(text)})"
            )
        prior = kept.get((s.start, s.end))
        if prior is not None:
            if prior.label != s.label:
                raise InvalidAnnotation(
                    f"span [{s.start}:{s.end}] {_quote(text, s.start, s.end)} has two labels, "
                    f"{prior.label} and {s.label}; entity spans must not overlap"
                )
            warnings.append(f"span [{s.start}:{s.end}] {s.label} is listed twice; kept once")
        else:
            kept[(s.start, s.end)] = s
        if s.key is not None:
            key_of[s.key] = (s.start, s.end)
    ordered = sorted(kept.values(), key=lambda s: (s.start, s.end))
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end:
            raise InvalidAnnotation(
                f"spans [{a.start}:{a.end}] {a.label} {_quote(text, a.start, a.end)} and "
                f"[{b.start}:{b.end}] {b.label} {_quote(text, b.start, b.end)} overlap; "
                "entity spans must not overlap"
            )
    for s in ordered:
        piece = text[s.start : s.end]
        if piece != piece.strip():
            warnings.append(
                f"span [{s.start}:{s.end}] {s.label} {_quote(text, s.start, s.end)} begins or ends "
                "with whitespace; kept as it is"
            )

    toks = tuple(tokens) if tokens is not None else tokenize(text, lang)
    toks, cuts = split_tokens(text, toks, (s.start for s in ordered), (s.end for s in ordered))
    task = Task(
        text,
        toks,
        ihash if ihash is not None else input_hash(text),
        dict(meta or {}),
        dict(extra or {}),
    )

    sid_of: dict[tuple[int, int], int] = {}
    out_spans: list[Span] = []
    for i, s in enumerate(ordered):
        aligned = align(toks, s.start, s.end)
        if aligned is None:  # split_tokens guarantees alignment; this guards against its bugs
            raise InvalidAnnotation(f"span [{s.start}:{s.end}] {s.label} does not fall on token boundaries")
        out_spans.append(Span(s.start, s.end, aligned[0], aligned[1], s.label, None, i + 1))
        sid_of[(s.start, s.end)] = i + 1

    out_rels: list[Relation] = []
    seen: set[tuple[int, int, str]] = set()
    for r in relations:
        if not isinstance(r.label, str) or not r.label.strip():
            raise InvalidAnnotation(f"a relation between {r.head} and {r.child} has no label")
        ends = []
        for role, key in (("head", r.head), ("child", r.child)):
            where = key_of.get(key)
            if where is None:
                raise InvalidAnnotation(f"relation {r.label}: its {role} {key!r} is not one of the spans")
            ends.append(sid_of[where])
        if ends[0] == ends[1]:
            raise InvalidAnnotation(f"relation {r.label} links span {r.head!r} to itself")
        rel = Relation(ends[0], ends[1], r.label)
        if rel.key in seen:
            warnings.append(f"relation {r.label} {r.head!r} -> {r.child!r} is listed twice; kept once")
            continue
        seen.add(rel.key)
        out_rels.append(rel)

    annotation = Annotation(tuple(out_spans), tuple(out_rels), answer, annotator)
    validate_annotation(task, annotation)
    return Built(task, annotation, warnings, cuts)
