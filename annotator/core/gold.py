"""The gold version of a task under review: choices applied to it, read back, and drawn.

The gold version is an annotation with its own undo history, which the reviewer changes in two
ways: a choice for one disagreement (take A, B, both or neither; see ``core/adjudication.py``), and
free edits with the annotate keys. So a choice is applied as the *difference* between the merged
results before and after it (:func:`choice_edit`), which composes with whatever was edited in
between, and each such edit records its :class:`ReviewChoice`, from which :func:`choices_in` reads
the choices back, also after a restart.

:func:`marks` and :func:`focus` say what the review screen draws: the gold so far, each span with
where it came from, and one stand-in span for each disagreement still open.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from annotator.core.adjudication import (
    BOTH,
    Adjudication,
    Disagreement,
    Kind,
    Resolution,
    choices_from_result,
)
from annotator.core.choices import Choice, ReviewChoice
from annotator.core.edits import Edit, History
from annotator.core.errors import InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Relation, Span
from annotator.core.model import SpanKey as ArgKey

SpanKey = tuple[int, int, str, str]  # offsets, label, layer
RelationKey = tuple[ArgKey, ArgKey, str]

# Where a drawn span of the gold came from ("edited": drawn or changed by the reviewer), or, for a
# stand-in, the kind of the open disagreement it stands for (never "relation": no stand-in).
State = Literal["agreed", "a", "b", "edited"] | Kind
STAND_IN_SID = 1_000_000  # a stand-in's sid is this plus its disagreement's index


# -- a choice as an edit of the gold ------------------------------------------------------------


def choice_edit(current: Annotation, before: Annotation, after: Annotation, choice: ReviewChoice) -> Edit:
    """The edit that changes ``current`` (the gold as it stands) as ``before`` (the merged result
    without ``choice``) changes into ``after`` (with it), matching spans by offsets and label.
    InvalidAnnotation when a span it brings overlaps one the reviewer put there."""
    removed, added = _span_changes(current, before, after)
    removed_rels, added_rels = _relation_changes(current, before, after, removed, added)
    return Edit("review", removed, added, removed_rels, added_rels, choice=choice)


def _span_key(s: Span) -> SpanKey:
    return (s.start, s.end, s.label, s.layer)


def _relation_key(ann: Annotation, r: Relation) -> RelationKey | None:
    head, child = ann.span(r.head), ann.span(r.child)
    return (head.key, child.key, r.label) if head and child else None


def _relation_keys(ann: Annotation) -> set[RelationKey]:
    return {k for k in (_relation_key(ann, r) for r in ann.relations) if k is not None}


def _span_changes(
    current: Annotation, before: Annotation, after: Annotation
) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The spans of ``current`` the choice takes away, and the new ones it brings (fresh sids)."""
    was = {_span_key(s) for s in before.spans}
    gone = was - {_span_key(s) for s in after.spans}
    removed = tuple(s for s in current.spans if _span_key(s) in gone)
    kept = [s for s in current.spans if _span_key(s) not in gone]
    have = was | {_span_key(s) for s in kept}
    new = [s for s in after.spans if _span_key(s) not in have]
    for s in new:
        clash = next((k for k in kept if k.clashes(s)), None)
        if clash is not None:
            raise InvalidAnnotation(
                f"the gold already has [{clash.start}:{clash.end}] {clash.label} where this choice "
                "puts a span: edit it with e, or undo the edit that made it"
            )
    first = current.next_sid()
    return removed, tuple(replace(s, sid=first + i) for i, s in enumerate(new))


def _relation_changes(
    current: Annotation,
    before: Annotation,
    after: Annotation,
    removed: Sequence[Span],
    added: Sequence[Span],
) -> tuple[tuple[Relation, ...], tuple[Relation, ...]]:
    """The relations of ``current`` the choice takes away (with the spans it takes away, or its
    own), and the ones it brings whose two arguments are in the gold after it."""
    removed_sids = {s.sid for s in removed}
    was = _relation_keys(before)
    gone = was - _relation_keys(after)
    removed_rels = tuple(
        r
        for r in current.relations
        if r.head in removed_sids or r.child in removed_sids or _relation_key(current, r) in gone
    )
    have = was | {_relation_key(current, r) for r in current.relations if r not in removed_rels}
    spans = {s.key: s for s in current.spans if s.sid not in removed_sids} | {s.key: s for s in added}
    added_rels = []
    for r in after.relations:
        key = _relation_key(after, r)
        if key is None or key in have:
            continue
        head, child = spans.get(key[0]), spans.get(key[1])
        if head is not None and child is not None:
            added_rels.append(Relation(head.sid, child.sid, key[2], r.source))
    return removed_rels, tuple(added_rels)


def choices_in(adj: Adjudication, history: History) -> Resolution:
    """The choices made for ``adj``'s disagreements, read from the gold's history: the choice each
    edit records, the latest one winning. When the history starts from something other than the
    agreed base (a gold version stored before it was reviewed, or whose history could not be
    replayed), the choices are first read from that content (a disagreement left open then shows
    as neither)."""
    base = history.current
    for edit in reversed(history.done):
        base = edit.inverse().apply(base)
    out: list[Choice | None] = [None] * len(adj.disagreements)
    if base.content() != adj.agreed.content():
        out = choices_from_result(adj, base)
    for edit in history.done:
        if edit.choice is not None and edit.choice.disagreement < len(out):
            out[edit.choice.disagreement] = edit.choice.choice
    return Resolution(adj, tuple(out))


# -- what the gold holds -------------------------------------------------------------------------


def waiting(resolution: Resolution, result: Annotation, index: int | None = None) -> list[str]:
    """Relations the choices take (of disagreement ``index``, or of every one and those both
    versions agree on) that are not in the gold ``result`` because one of their argument spans is
    not, each said in a sentence: taking the span later brings the relation in."""
    adj = resolution.adjudication
    present = {s.key for s in result.spans}
    out = []
    for who, rel, version in _wanted_relations(resolution, index):
        for role, sid in (("head", rel.head), ("child", rel.child)):
            span = version.span(sid)
            if span is not None and span.key not in present:
                owner = "the agreed" if who == BOTH else f"{who}'s"
                out.append(
                    f"{owner} {rel.label} waits for its {role} {adj.task.text[span.start : span.end]!r} "
                    f"[{span.start}:{span.end}], which is not in the gold"
                )
                break
    return out


def _wanted_relations(resolution: Resolution, index: int | None) -> list[tuple[str, Relation, Annotation]]:
    """(whose, relation, the version it is in) for the relations the choices take."""
    adj = resolution.adjudication
    wanted: list[tuple[str, Relation, Annotation]] = []
    for d in adj.disagreements:
        if d.kind != "relation" or (index is not None and d.index != index):
            continue
        choice = resolution.choices[d.index]
        if choice in (Choice.A, Choice.BOTH):
            wanted += [(adj.a_name, r, adj.a) for r in d.a_relations]
        if choice in (Choice.B, Choice.BOTH):
            wanted += [(adj.b_name, r, adj.b) for r in d.b_relations]
    if index is None:
        by_key = {s.key: s for s in adj.a.spans}
        for head, child, label in adj.agreed_relations:
            h, c = by_key.get(head), by_key.get(child)
            if h is not None and c is not None:
                wanted.append((BOTH, Relation(h.sid, c.sid, label), adj.a))
    return wanted


def reviewers_own(adj: Adjudication, gold: Annotation, reviewer: str) -> Edit | None:
    """The edit that gives ``reviewer`` as the source of every span and relation of ``gold`` that is
    not, as it stands, in the version its ``source`` names (drawn, relabelled or resized by the
    reviewer), or None when there is none: every span and relation of an accepted gold version
    says where it came from."""
    versions = {BOTH: adj.agreed, adj.a_name: adj.a, adj.b_name: adj.b}
    span_keys = {who: {_span_key(s) for s in version.spans} for who, version in versions.items()}
    rel_keys = {who: _relation_keys(version) for who, version in versions.items()}
    # Agreed relations count by their offsets, also where an argument's label was disputed.
    rel_keys[BOTH] = set(adj.agreed_relations)
    spans = tuple(s for s in gold.spans if _span_key(s) not in span_keys.get(s.source or "", set()))
    rels = tuple(
        r for r in gold.relations if _relation_key(gold, r) not in rel_keys.get(r.source or "", set())
    )
    if not spans and not rels:
        return None
    return Edit(
        "review",
        spans,
        tuple(replace(s, source=reviewer) for s in spans),
        rels,
        tuple(replace(r, source=reviewer) for r in rels),
        note="the reviewer's own spans and relations marked as such",
    )


# -- what the review screen draws ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """One span to draw: a span of the gold so far with where it came from, or the stand-in for an
    open disagreement (``state`` its kind, ``disagreement`` its index)."""

    span: Span
    state: State
    disagreement: int | None = None


@dataclass(frozen=True, slots=True)
class Focus:
    """Where the screen points for the selected disagreement: the token under the cursor, and the
    stand-in's sid while it is open, its tokens once taken, or, for a relation disagreement, the
    drawn head and child spans."""

    cursor: int = 0
    stand_in: int | None = None
    tokens: tuple[int, int] | None = None
    head: int | None = None
    child: int | None = None


def marks(resolution: Resolution, result: Annotation) -> tuple[Mark, ...]:
    """The gold ``result`` drawn over the text, with each open span disagreement as one stand-in
    span covering every span of it (the gold's spans under a stand-in are not drawn): the gold's
    spans in its order, then the stand-ins in text order."""
    adj = resolution.adjudication
    stand_ins = [
        _stand_in(adj, d)
        for d in adj.disagreements
        if d.kind != "relation" and resolution.choices[d.index] is None
    ]
    # The entity layer's disagreements are in text order and never overlap each other: only the
    # last stand-in starting before a span ends can overlap it. A span group's spans nest, and its
    # gold spans are drawn beside its stand-ins.
    ents = [m for m in stand_ins if m.span.layer == ENTS]
    starts = [m.span.start for m in ents]
    gold = []
    for s in result.spans:
        k = bisect.bisect_left(starts, s.end) - 1
        if s.layer != ENTS or k < 0 or ents[k].span.end <= s.start:
            gold.append(Mark(s, _origin(adj, s)))
    return (*gold, *stand_ins)


def _origin(adj: Adjudication, s: Span) -> State:
    if s.source == BOTH:
        return "agreed"
    if s.source == adj.a_name:
        return "a"
    return "b" if s.source == adj.b_name else "edited"


def _stand_in(adj: Adjudication, d: Disagreement) -> Mark:
    involved = d.a_spans + d.b_spans
    first = min(s.token_start for s in involved)
    last = max(s.token_end for s in involved)
    tokens = adj.task.tokens
    span = Span(
        tokens[first].start,
        tokens[last].end,
        first,
        last,
        stand_in_label(d),
        None,
        STAND_IN_SID + d.index,
        d.layer,
    )
    return Mark(span, d.kind, d.index)


def stand_in_label(d: Disagreement) -> str:
    """The label drawn on an open disagreement: both versions' labels."""
    a = "/".join(s.label for s in d.a_spans) or "—"
    b = "/".join(s.label for s in d.b_spans) or "—"
    return f"{a}≠{b}" if d.kind == "label" else f"A:{a} B:{b}"


def focus(resolution: Resolution, drawn: Iterable[Mark], index: int) -> Focus:
    """Where the screen points when disagreement ``index`` is selected (among ``drawn``, the
    :func:`marks` of the same state)."""
    adj = resolution.adjudication
    if not adj.disagreements:
        return Focus()
    d = adj.disagreements[index]
    cursor = adj.task.token_index_at_char(d.start) or 0
    if d.kind == "relation":
        rel = (d.a_relations + d.b_relations)[0]
        version = adj.a if d.a_relations else adj.b
        sid_at = {m.span.key: m.span.sid for m in drawn if m.disagreement is None}
        h, c = version.span(rel.head), version.span(rel.child)
        return Focus(cursor, head=sid_at.get(h.key) if h else None, child=sid_at.get(c.key) if c else None)
    if resolution.choices[index] is None:
        return Focus(cursor, stand_in=STAND_IN_SID + index)
    last = adj.task.token_index_at_char(max(d.end - 1, d.start)) or cursor
    return Focus(cursor, tokens=(cursor, last))
