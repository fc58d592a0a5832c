"""Two annotators' versions of one task: what they share, where they differ, and a merged result.

The review screen and ``annotator agreement --details`` are built on this module; it knows nothing
about terminals or storage.

Where the two versions differ is cut into *disagreements*, each resolved on its own:

- Spans are grouped by overlap: A's and B's spans that overlap each other, directly or through a
  chain of overlaps, form one group. A group of one A span and one B span with the same offsets and
  label is *agreed*. Any other group is a disagreement of kind

  ``label``     one span each side, same offsets, different labels;
  ``boundary``  spans on both sides that overlap but do not have the same offsets (their labels may
                differ too);
  ``a_only``    spans of A only (nothing of B overlaps them);
  ``b_only``    spans of B only.

- Relations are compared by the character offsets of their head and child spans and their label.
  A relation both versions have is agreed. The others are grouped by (head offsets, child offsets):
  one ``relation`` disagreement per ordered pair of argument positions, holding A's and B's
  relations there that the other version does not have.

Groups never overlap each other, so each disagreement can be resolved independently with
:class:`Resolution`: take A's version, B's, both (only where A's and B's spans do not overlap; a
``label`` or ``boundary`` group always overlaps, so "both" is refused there with
:class:`CannotTakeBoth`), or neither. The result keeps the agreed spans and relations, adds what each
choice takes, and drops every relation whose head or child span is not in it. Each span and relation
of the result remembers where it came from in ``source``: A's name, B's name, or ``"both"``.

Unresolved disagreements count as "neither" when a result is built, so a half-reviewed task shows
the agreed base plus the choices made so far. Resolving every disagreement with A gives A's
annotation back (same content), and likewise for B.

A reviewer's choice is a typed value, :class:`ReviewChoice` (``core/choices.py``) (which disagreement, which
:class:`Choice`), and the gold version's edit log stores it as such (``core/edits.py``);
``core/gold.py`` applies choices to a gold version the reviewer may also edit freely.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from annotator.core.choices import Choice
from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Relation, Span, SpanKey, Task
from annotator.core.validate import align

Kind = Literal["boundary", "label", "a_only", "b_only", "relation"]
BOTH = "both"


Offsets = SpanKey  # a relation argument: its offsets (and, in a span group, its layer and label)
RelationKey = tuple[Offsets, Offsets, str]


class CannotTakeBoth(AnnotatorError):
    """Both versions of a disagreement were asked for, but their spans overlap."""


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One place where A and B differ.

    ``a_spans``/``b_spans`` are the spans of each version involved, in text order. For a
    ``relation`` disagreement they are the argument spans of ``a_relations``/``b_relations`` (look
    them up by ``sid``); for the span kinds the relation tuples are empty. ``start``/``end`` is the
    character range covering everything involved. ``index`` is its place in
    :attr:`Adjudication.disagreements`: span disagreements in text order, then relation
    disagreements in text order.
    """

    index: int
    kind: Kind
    start: int
    end: int
    a_spans: tuple[Span, ...] = ()
    b_spans: tuple[Span, ...] = ()
    a_relations: tuple[Relation, ...] = ()
    b_relations: tuple[Relation, ...] = ()
    layer: str = ENTS  # the layer of its spans (a relation disagreement: the entity layer)

    @property
    def can_take_both(self) -> bool:
        """Whether "take both" is allowed: in a span group always (its spans may overlap), on the
        entity layer when no span of A here overlaps one of B."""
        if self.kind == "relation" or self.layer != ENTS:
            return True
        return not any(x.overlaps(y) for x in self.a_spans for y in self.b_spans)


def _components(a: Sequence[Span], b: Sequence[Span]) -> list[tuple[list[Span], list[Span]]]:
    """Groups of spans connected by overlap, in text order (the merged intervals of both sides)."""
    tagged = sorted(
        [(s, 0) for s in a] + [(s, 1) for s in b], key=lambda t: (t[0].start, t[0].end, t[1], t[0].label)
    )
    groups: list[tuple[list[Span], list[Span]]] = []
    reach = -1
    for span, side in tagged:
        if not groups or span.start >= reach:
            groups.append(([], []))
            reach = span.end
        else:
            reach = max(reach, span.end)
        groups[-1][side].append(span)
    return groups


def _relation_index(annotation: Annotation) -> dict[RelationKey, Relation]:
    by_sid = {s.sid: s for s in annotation.spans}
    out: dict[RelationKey, Relation] = {}
    for rel in annotation.relations:
        head, child = by_sid.get(rel.head), by_sid.get(rel.child)
        if head is None or child is None:  # dangling: not part of what the annotation says
            continue
        out.setdefault((head.key, child.key, rel.label), rel)
    return out


def _layers(a: Annotation, b: Annotation) -> list[str]:
    return [ENTS, *sorted({s.layer for s in (*a.spans, *b.spans)} - {ENTS})]


def _span_groups(
    a: Annotation, b: Annotation, agreed: list[Span]
) -> list[tuple[Kind, str, list[Span], list[Span]]]:
    """The span disagreements of every layer (kind, layer, A's spans, B's), in text order, and the
    agreed spans added to ``agreed``. In a span group the spans both have (same place and label)
    are agreed first: its spans nest, and grouping them all by overlap would make one
    disagreement of a whole paragraph."""
    out: list[tuple[Kind, str, list[Span], list[Span]]] = []
    for layer in _layers(a, b):
        la = [s for s in a.spans if s.layer == layer]
        lb = [s for s in b.spans if s.layer == layer]
        if layer != ENTS:
            b_keys = {s.key for s in lb}
            same = [s for s in la if s.key in b_keys]
            agreed.extend(same)
            done = {s.key for s in same}
            la = [s for s in la if s.key not in done]
            lb = [s for s in lb if s.key not in done]
        for sa, sb in _components(la, lb):
            if len(sa) == 1 and len(sb) == 1 and (sa[0].start, sa[0].end) == (sb[0].start, sb[0].end):
                if sa[0].label == sb[0].label:
                    agreed.append(sa[0])
                else:
                    out.append(("label", layer, sa, sb))
            elif not sb:
                out.append(("a_only", layer, sa, sb))
            elif not sa:
                out.append(("b_only", layer, sa, sb))
            else:
                out.append(("boundary", layer, sa, sb))
    # Stable: with the entity layer alone, the order (and so every stored choice's index) is the
    # one the review had before span groups existed.
    out.sort(key=lambda g: min(s.start for s in g[2] + g[3]))
    return out


def split(a: Annotation, b: Annotation) -> tuple[list[Span], list[RelationKey], list[Disagreement]]:
    """The agreed spans (A's copies), the agreed relation keys, and the disagreements.

    Works on character offsets only; spans need not be aligned to any tokens, and overlapping spans
    inside one version are tolerated (they end up in one group)."""
    agreed: list[Span] = []
    span_groups = _span_groups(a, b, agreed)

    rel_a, rel_b = _relation_index(a), _relation_index(b)
    agreed_rels = [k for k in rel_a if k in rel_b]
    by_args: dict[tuple[Offsets, Offsets], tuple[list[Relation], list[Relation]]] = defaultdict(
        lambda: ([], [])
    )
    for key, rel in rel_a.items():
        if key not in rel_b:
            by_args[(key[0], key[1])][0].append(rel)
    for key, rel in rel_b.items():
        if key not in rel_a:
            by_args[(key[0], key[1])][1].append(rel)

    out: list[Disagreement] = []
    for kind, layer, sa, sb in span_groups:
        both = sa + sb
        out.append(
            Disagreement(
                index=len(out),
                kind=kind,
                start=min(s.start for s in both),
                end=max(s.end for s in both),
                a_spans=tuple(sa),
                b_spans=tuple(sb),
                layer=layer,
            )
        )
    a_by_sid = {s.sid: s for s in a.spans}
    b_by_sid = {s.sid: s for s in b.spans}
    for (head, child), (ra, rb) in sorted(by_args.items(), key=lambda kv: (min(kv[0]), kv[0])):
        ra.sort(key=lambda r: r.label)
        rb.sort(key=lambda r: r.label)
        out.append(
            Disagreement(
                index=len(out),
                kind="relation",
                start=min(head[0], child[0]),
                end=max(head[1], child[1]),
                a_spans=_arguments(ra, a_by_sid),
                b_spans=_arguments(rb, b_by_sid),
                a_relations=tuple(ra),
                b_relations=tuple(rb),
            )
        )
    return agreed, agreed_rels, out


def _arguments(relations: Iterable[Relation], by_sid: Mapping[int, Span]) -> tuple[Span, ...]:
    sids = {sid for r in relations for sid in (r.head, r.child)}
    return tuple(sorted((by_sid[s] for s in sids), key=lambda s: (s.start, s.end)))


def find_disagreements(a: Annotation, b: Annotation) -> tuple[Disagreement, ...]:
    """Every place where B's version differs from A's, on character offsets (see the module doc)."""
    return tuple(split(a, b)[2])


def _realign(task: Task, annotation: Annotation, who: str) -> Annotation:
    spans = []
    for s in annotation.spans:
        found = align(task.tokens, s.start, s.end)
        if found is None:
            raise InvalidAnnotation(
                f"{who}'s span [{s.start}:{s.end}] {s.label} {task.text[s.start : s.end]!r} does not fall "
                "on the task's token boundaries"
            )
        # Most spans already carry the task's token indices: replace() is slow enough to count
        # when a review plans a million tasks.
        spans.append(
            s
            if found == (s.token_start, s.token_end)
            else replace(s, token_start=found[0], token_end=found[1])
        )
    ordered = sorted((s for s in spans if s.layer == ENTS), key=lambda s: (s.start, s.end))
    for x, y in itertools.pairwise(ordered):
        if x.overlaps(y):
            raise InvalidAnnotation(
                f"{who}'s spans [{x.start}:{x.end}] {x.label} and [{y.start}:{y.end}] {y.label} overlap"
            )
    return replace(annotation, spans=tuple(spans))


@dataclass(frozen=True, slots=True)
class Adjudication:
    """A's and B's versions of one task, cut into an agreed base and disagreements.

    Build it with :func:`adjudicate`. ``agreed`` holds the spans both versions have (same offsets and
    label) and the relations both have between them, all with source ``"both"``.
    """

    task: Task
    a: Annotation
    b: Annotation
    a_name: str
    b_name: str
    agreed: Annotation
    disagreements: tuple[Disagreement, ...]
    agreed_relations: tuple[RelationKey, ...] = ()

    def start(self) -> Resolution:
        """A resolution with nothing chosen yet."""
        return Resolution(self, (None,) * len(self.disagreements))


def adjudicate(task: Task, a: Annotation, b: Annotation, a_name: str, b_name: str) -> Adjudication:
    """Cut A's and B's versions of ``task`` into an agreed base and disagreements.

    Spans are re-aligned to ``task.tokens`` (so the two versions may come with different token
    indices); a span that does not fall on them, or two spans of one version that overlap, is an
    InvalidAnnotation. ``a_name`` and ``b_name`` are written into ``source``; they must differ from
    each other and from ``"both"``."""
    if a_name == b_name or BOTH in (a_name, b_name):
        raise AnnotatorError(
            f"the two versions need distinct names other than {BOTH!r} (got {a_name!r} and {b_name!r})"
        )
    a = _realign(task, a, a_name)
    b = _realign(task, b, b_name)
    agreed_spans, agreed_rels, disagreements = split(a, b)
    spans, relations = _assemble([replace(s, source=BOTH) for s in agreed_spans], agreed_rels, [])
    return Adjudication(
        task=task,
        a=a,
        b=b,
        a_name=a_name,
        b_name=b_name,
        agreed=Annotation(spans=spans, relations=relations),
        disagreements=tuple(disagreements),
        agreed_relations=tuple(agreed_rels),
    )


def _assemble(
    spans: list[Span], relations: Iterable[RelationKey], extra: Iterable[tuple[RelationKey, str]]
) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
    """Spans with ids 1..n in text order, and the relations whose two arguments are among them."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end, s.layer != ENTS, s.layer, s.label))
    numbered = tuple(replace(s, sid=i + 1) for i, s in enumerate(ordered))
    sid_at = {s.key: s.sid for s in numbered}
    out: list[Relation] = []
    seen: set[tuple[int, int, str]] = set()
    for key, source in [(k, BOTH) for k in relations] + list(extra):
        head, child = sid_at.get(key[0]), sid_at.get(key[1])
        if head is None or child is None or (head, child, key[2]) in seen:
            continue
        seen.add((head, child, key[2]))
        out.append(Relation(head, child, key[2], source))
    out.sort(key=lambda r: (r.head, r.child, r.label))
    return numbered, tuple(out)


def _build(adj: Adjudication, choices: Sequence[Choice | None]) -> Annotation:
    spans = list(adj.agreed.spans)
    extra: list[tuple[RelationKey, str]] = []
    a_by_sid = {s.sid: s for s in adj.a.spans}
    b_by_sid = {s.sid: s for s in adj.b.spans}
    for d, choice in zip(adj.disagreements, choices, strict=True):
        take_a = choice in (Choice.A, Choice.BOTH)
        take_b = choice in (Choice.B, Choice.BOTH)
        if choice is Choice.BOTH and not d.can_take_both:
            raise CannotTakeBoth(_both_message(d))
        if d.kind == "relation":
            if take_a:
                extra.extend((_key(r, a_by_sid), adj.a_name) for r in d.a_relations)
            if take_b:
                extra.extend((_key(r, b_by_sid), adj.b_name) for r in d.b_relations)
            continue
        if take_a:
            spans.extend(replace(s, source=adj.a_name) for s in d.a_spans)
        if take_b:
            spans.extend(replace(s, source=adj.b_name) for s in d.b_spans)
    new_spans, relations = _assemble(spans, adj.agreed_relations, extra)
    return Annotation(spans=new_spans, relations=relations)


def _place(s: Span) -> tuple[int, int, str, str]:
    """Where a span is and what it says, whatever its layer."""
    return (s.start, s.end, s.label, s.layer)


def _key(rel: Relation, by_sid: Mapping[int, Span]) -> RelationKey:
    return (by_sid[rel.head].key, by_sid[rel.child].key, rel.label)


def _both_message(d: Disagreement) -> str:
    def show(spans: Iterable[Span]) -> str:
        return ", ".join(f"[{s.start}:{s.end}] {s.label}" for s in spans)

    return (
        f"cannot take both versions of disagreement {d.index + 1} ({d.kind}): A's {show(d.a_spans)} "
        f"overlaps B's {show(d.b_spans)}; entity spans must not overlap, so take one of them"
    )


@dataclass(frozen=True, slots=True)
class Resolution:
    """An immutable state of a review: the choice made for each disagreement so far (None = none).

    Every ``take_*`` returns a new Resolution, so undo is keeping the previous one."""

    adjudication: Adjudication
    choices: tuple[Choice | None, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.choices) != len(self.adjudication.disagreements):
            raise ValueError(
                f"{len(self.choices)} choices for {len(self.adjudication.disagreements)} disagreements"
            )

    def take(self, index: int, choice: Choice | None) -> Resolution:
        """This state with ``choice`` for disagreement ``index`` (None: no choice). CannotTakeBoth
        when both are asked for where A's and B's spans overlap."""
        if not 0 <= index < len(self.choices):
            raise IndexError(f"there is no disagreement {index}")
        if choice is not None and not isinstance(choice, Choice):
            raise ValueError(f"unknown choice {choice!r}; use one of {', '.join(Choice)}")
        if choice is Choice.BOTH and not self.adjudication.disagreements[index].can_take_both:
            raise CannotTakeBoth(_both_message(self.adjudication.disagreements[index]))
        new = list(self.choices)
        new[index] = choice
        return Resolution(self.adjudication, tuple(new))

    @property
    def unresolved(self) -> tuple[int, ...]:
        """Indices of the disagreements with no choice yet."""
        return tuple(i for i, c in enumerate(self.choices) if c is None)

    def result(self) -> Annotation:
        """The merged annotation (unresolved disagreements count as "neither")."""
        return _build(self.adjudication, self.choices)


def choices_from_result(adj: Adjudication, result: Annotation) -> list[Choice | None]:
    """The choice each disagreement's content in ``result`` shows: A when it holds A's spans (or
    relations) there, B B's, BOTH both, NEITHER when it holds nothing there,
    and None when it holds something else (the reviewer edited it). For a result whose choices are
    not recorded any more, such as a gold version accepted earlier."""
    spans = {_place(s) for s in result.spans}
    by_sid = {s.sid: s for s in result.spans}
    rels = {
        (by_sid[r.head].key, by_sid[r.child].key, r.label)
        for r in result.relations
        if r.head in by_sid and r.child in by_sid
    }
    a_by_sid = {s.sid: s for s in adj.a.spans}
    b_by_sid = {s.sid: s for s in adj.b.spans}
    # The agreed spans of a group may overlap a disagreement there; they are not the reviewer's edits.
    agreed = {_place(s) for s in adj.agreed.spans if s.layer != ENTS}
    by_layer: dict[str, tuple[list[Span], list[int], list[int]]] = {}
    for layer in {s.layer for s in result.spans}:
        ordered = sorted(
            (s for s in result.spans if s.layer == layer and _place(s) not in agreed),
            key=lambda s: (s.start, s.end),
        )
        reach = list(itertools.accumulate((s.end for s in ordered), max, initial=0))[1:]
        by_layer[layer] = (ordered, [s.start for s in ordered], reach)

    def around(layer: str, start: int, end: int) -> list[Span]:
        """The result's spans of ``layer`` sharing a character with [start, end)."""
        ordered, starts, reach = by_layer.get(layer, ([], [], []))
        hi = bisect.bisect_left(starts, end)
        lo = bisect.bisect_right(reach, start, 0, hi)  # before lo, nothing reaches past ``start``
        return [s for s in ordered[lo:hi] if s.end > start]

    out: list[Choice | None] = []
    for d in adj.disagreements:
        if d.kind == "relation":
            a: set[object] = {_key(r, a_by_sid) for r in d.a_relations}
            b: set[object] = {_key(r, b_by_sid) for r in d.b_relations}
            have: set[object] = set(rels)
            other = False
        else:
            a = {_place(s) for s in d.a_spans}
            b = {_place(s) for s in d.b_spans}
            have = set(spans)
            other = any(_place(s) not in a | b for s in around(d.layer, d.start, d.end))
        got_a, got_b = bool(a) and a <= have, bool(b) and b <= have
        if other:
            out.append(None)
        elif got_a and got_b:
            out.append(Choice.BOTH)
        elif got_a:
            out.append(Choice.A)
        elif got_b:
            out.append(Choice.B)
        elif not (a | b) & have:
            out.append(Choice.NEITHER)
        else:
            out.append(None)
    return out
