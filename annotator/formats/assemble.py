"""Build a task and its annotation from what token-less formats hold: a text, spans as character
offsets, relations between spans. Shared by the doccano, brat, Label Studio and CoNLL readers so
that they check and repair the same things the same way."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.errors import InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import ENTS, Annotation, Answer, Relation, Span, Task, Token
from annotator.core.records import DEFAULT_GROUP
from annotator.formats.problems import Problems
from annotator.formats.tokens import split_tokens, tokenize

SPLIT_NOTE = "tokens split so that an imported span falls on token boundaries (offsets unchanged)"


@dataclass
class RawSpan:
    start: int
    end: int
    label: str
    key: Any = None  # the format's own id for the span (brat "T3", doccano entity id, ...)
    line: int | None = None  # where the file gives it, when that is its own line (brat)
    # The layer the file names; None (formats that name none): the entity layer where the span
    # fits, else the span group sc (see _kept).
    layer: str | None = None


@dataclass
class RawRelation:
    head: Any  # RawSpan.key of the head
    child: Any
    label: str
    line: int | None = None
    key: str | None = None  # the format's own id for the relation, when it has its own line (brat)


def _span_name(s: RawSpan) -> str:
    """How a message names a span: by the format's id when it has its own line (brat's "T4")."""
    if isinstance(s.key, str) and s.line is not None:
        return f"{s.key} {s.label} [{s.start}:{s.end}]"
    return f"span [{s.start}:{s.end}] {s.label}"


def _relation_name(r: RawRelation) -> str:
    return f"{r.key}: relation {r.label}" if r.key else f"relation {r.label}"


@dataclass
class Place:
    """Where a record is, for its problems: the file, the record's line, and how a message about
    one part of it begins ("task 3, annotation 7: "), or ends (" (user 2)")."""

    problems: Problems
    source: str
    line: int | None = None
    prefix: str = ""
    suffix: str = ""

    def bad(self, reason: str, line: int | None = None) -> None:
        where = line if line is not None else self.line
        self.problems.report(self.source, where, self.prefix + reason + self.suffix)

    def warn(self, message: str, line: int | None = None) -> None:
        where = line if line is not None else self.line
        self.problems.warn(self.source, where, self.prefix + message + self.suffix)


@dataclass
class Built:
    task: Task
    annotation: Annotation
    cuts: int = 0


def shared_tokens(text: str, spans: Sequence[RawSpan], lang: str = "en") -> tuple[tuple[Token, ...], int]:
    """spaCy's tokens of ``text`` split at the edges of every span in range (of several
    annotations of the text, so that they share one tokenization), and the number of cuts."""
    fit = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    return split_tokens(text, tokenize(text, lang), (s.start for s in fit), (s.end for s in fit))


def _quote(text: str, start: int, end: int) -> str:
    piece = text[start:end]
    return repr(piece if len(piece) <= 40 else piece[:37] + "...")


def _key(key: Any) -> bool:
    """Whether a format's id can name a span: a string or a whole number."""
    return isinstance(key, str | int) and not isinstance(key, bool)


WHITESPACE_EDGE = "the spacy export trims it to its words"
WHITESPACE_ONLY = "the conll and spacy exports leave it out"


def _ids(spans: Sequence[RawSpan], place: Place) -> set[Any]:
    """The ids that cannot name one span: not a string or a number, or given to two spans."""
    where: dict[Any, RawSpan] = {}
    unusable: set[Any] = set()
    for s in spans:
        if s.key is None:
            continue
        if not _key(s.key):
            place.bad(f"{_span_name(s)}: its id {s.key!r} is not a string or a number", s.line)
            continue
        first = where.setdefault(s.key, s)
        if (first.start, first.end) != (s.start, s.end) and s.key not in unusable:
            unusable.add(s.key)
            lines = f" (lines {first.line} and {s.line})" if first.line and s.line else ""
            place.bad(
                f"id {s.key!r} is given to two spans, [{first.start}:{first.end}] and [{s.start}:{s.end}]"
                f"{lines}; relations naming it are not imported",
                s.line,
            )
    return unusable


def _kept(
    text: str, spans: Sequence[RawSpan], place: Place
) -> tuple[dict[int, RawSpan | None], dict[int, str]]:
    """For each span (by position in ``spans``), the span kept for it (itself, or an identical one
    listed before it), or None when it is not imported (reported); and the layer of each kept
    span (by its ``id()``)."""
    out: dict[int, RawSpan | None] = {}
    valid: list[int] = []
    for i, s in enumerate(spans):
        if not isinstance(s.label, str) or not s.label.strip():
            place.bad(f"{_span_name(s)} has no label", s.line)
            out[i] = None
        elif not 0 <= s.start < s.end <= len(text):
            place.bad(f"{_span_name(s)} lies outside the text (length {len(text)})", s.line)
            out[i] = None
        else:
            valid.append(i)
    # In text order (at one start, in the file's order) a span is kept on the entity layer unless
    # it overlaps the last one kept there: those never overlap, so that one reaches furthest. A
    # span that overlaps it goes to the span group sc, where spans may overlap and nest (brat,
    # doccano and Label Studio do not say which spans are entities: these files' overlapping spans
    # are the span-group data a scheme's groups hold). O(n log n) in all.
    last: RawSpan | None = None
    grouped: dict[tuple[int, int, str, str], RawSpan] = {}
    layer_of: dict[int, str] = {}
    moved: list[RawSpan] = []
    for i in sorted(valid, key=lambda i: (spans[i].start, i)):
        s = spans[i]
        if s.layer is not None and s.layer != ENTS:
            out[i] = _in_group(s, s.layer, grouped, layer_of, place)
        elif last is None or s.start >= last.end:
            layer_of[id(s)] = ENTS
            out[i] = last = s
        elif (last.start, last.end, last.label) == (s.start, s.end, s.label):
            place.warn(f"{_span_name(s)} is listed twice; kept once", s.line)
            out[i] = last
        elif s.layer is None:
            out[i] = _in_group(s, DEFAULT_GROUP, grouped, layer_of, place)
            if out[i] is s:
                moved.append(s)
        else:
            named = f" ({last.key}, line {last.line})" if last.line is not None else ""
            place.bad(
                f"{_span_name(s)} {_quote(text, s.start, s.end)} overlaps "
                f"[{last.start}:{last.end}] {last.label} {_quote(text, last.start, last.end)}{named}; "
                "entity spans must not overlap, so it is not imported",
                s.line,
            )
            out[i] = None
    if moved:
        place.warn(
            f"{len(moved)} span{'s' if len(moved) > 1 else ''} overlapping an entity span kept in span "
            f"group {DEFAULT_GROUP!r} (entity spans do not overlap), e.g. {_span_name(moved[0])}"
        )
    return out, layer_of


def _in_group(
    s: RawSpan,
    layer: str,
    grouped: dict[tuple[int, int, str, str], RawSpan],
    layer_of: dict[int, str],
    place: Place,
) -> RawSpan:
    """``s`` in span group ``layer``, or the identical span kept there before it (said)."""
    first = grouped.setdefault((s.start, s.end, s.label, layer), s)
    if first is not s:
        place.warn(f"{_span_name(s)} is listed twice; kept once", s.line)
    layer_of[id(first)] = layer
    return first


def build(
    text: str,
    spans: Sequence[RawSpan],
    relations: Sequence[RawRelation] = (),
    *,
    place: Place,
    lost: Collection[Any] = (),
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    tokens: Sequence[Token] | None = None,
    answer: Answer | None = None,
    annotator: str | None = None,
    ihash: int | None = None,
    lang: str = "en",
) -> Built:
    """The task and annotation of one record. What cannot be held is reported to ``place`` as bad
    and left out, and the rest is kept: a span without a label or outside the text, a span
    overlapping one kept before it (in text order), an id given to two spans, a relation whose
    argument is not a kept span, or that links a span to itself. Repairs that lose nothing are
    warnings: an identical span or relation listed twice is kept once. ``lost``: ids of spans the
    reader reported already (relations naming them are reported as not imported). InvalidAnnotation
    only when the task itself cannot be made."""
    unusable = _ids(spans, place)
    holder, layer_of = _kept(text, spans, place)
    kept = sorted(
        {id(h): h for h in holder.values() if h is not None}.values(),
        key=lambda h: (h.start, h.end, layer_of[id(h)] != ENTS, layer_of[id(h)], h.label),
    )
    # What each usable id names: the span kept for the first span given it (None: not imported).
    names: dict[Any, RawSpan | None] = dict.fromkeys(lost)
    for i, s in enumerate(spans):
        if _key(s.key) and s.key not in unusable:
            names.setdefault(s.key, holder[i])
    for s in kept:
        piece = text[s.start : s.end]
        if not piece.strip():
            place.warn(
                f"{_span_name(s)} {_quote(text, s.start, s.end)} is only whitespace; "
                f"kept, but {WHITESPACE_ONLY}",
                s.line,
            )
        elif piece != piece.strip():
            place.warn(
                f"{_span_name(s)} {_quote(text, s.start, s.end)} begins or ends "
                f"with whitespace; kept as it is ({WHITESPACE_EDGE})",
                s.line,
            )

    toks = tuple(tokens) if tokens is not None else tokenize(text, lang)
    toks, cuts = split_tokens(text, toks, (s.start for s in kept), (s.end for s in kept))
    task = Task(
        text, toks, ihash if ihash is not None else input_hash(text), dict(meta or {}), dict(extra or {})
    )

    sid_of: dict[int, int] = {}  # id() of a kept RawSpan -> its span id
    out_spans: list[Span] = []
    # Token indices by offset: one lookup a span (a binary search each was a fifth of the time a
    # brat document of 200,000 spans took).
    first_at = {t.start: i for i, t in enumerate(toks)}
    last_at = {t.end: i for i, t in enumerate(toks)}
    for i, s in enumerate(kept):
        first, last = first_at.get(s.start), last_at.get(s.end)
        if first is None or last is None:  # split_tokens guarantees alignment; this guards its bugs
            raise InvalidAnnotation(f"span [{s.start}:{s.end}] {s.label} does not fall on token boundaries")
        out_spans.append(Span(s.start, s.end, first, last, s.label, None, i + 1, layer_of[id(s)]))
        sid_of[id(s)] = i + 1

    out_rels: list[Relation] = []
    seen: set[tuple[int, int, str]] = set()
    for r in relations:
        if not isinstance(r.label, str) or not r.label.strip():
            place.bad(f"{_relation_name(r)} between {r.head!r} and {r.child!r} has no label", r.line)
            continue
        ends = []
        for role, key in (("head", r.head), ("child", r.child)):
            held = names.get(key) if _key(key) else None
            if held is None:
                if _key(key) and key in unusable:
                    why = "is given to two spans"
                elif _key(key) and key in names:
                    why = "was not imported (see above)"
                else:
                    why = "is not one of the spans"
                place.bad(f"{_relation_name(r)}: its {role} {key!r} {why}", r.line)
                break
            ends.append(sid_of[id(held)])
        if len(ends) < 2:
            continue
        if ends[0] == ends[1]:
            place.bad(f"{_relation_name(r)} links span {r.head!r} to itself", r.line)
            continue
        rel = Relation(ends[0], ends[1], r.label)
        if rel.key in seen:
            place.warn(f"{_relation_name(r)} {r.head!r} -> {r.child!r} is listed twice; kept once", r.line)
            continue
        seen.add(rel.key)
        out_rels.append(rel)

    # Valid by construction: kept spans never overlap and fall on the tokens, relations link two
    # kept spans once each (the property and fuzz tests read every format back to check it).
    return Built(task, Annotation(tuple(out_spans), tuple(out_rels), answer, annotator), cuts)
