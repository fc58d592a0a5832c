"""The annotation data model: plain, immutable values with no UI or NLP imports.

Offsets are Python ``str`` indices (code points), end exclusive. Token indices on spans are end
*inclusive*, as Prodigy writes them, so files move between this tool and Prodigy unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, Literal, NamedTuple

from annotator.core.span_places import SpanPlaces

Answer = Literal["accept", "reject", "ignore"]
# The entity layer: spans that never overlap, as spaCy's ``doc.ents``. Every other layer is a span
# group (``doc.spans[key]``), whose spans may overlap and nest.
ENTS = "ents"
# A span's identity within one annotation, compared across annotations: its offsets on the entity
# layer (one span a place), and offsets, layer and label in a group (where one place may carry
# several labels).
SpanKey = tuple[int, int] | tuple[int, int, str, str]
ANSWERS: tuple[Answer, ...] = ("accept", "reject", "ignore")


class Token(NamedTuple):
    """One token of a task's text. A named tuple rather than a frozen dataclass: every task read
    from a file or the database builds one per token, and a frozen dataclass took three times as
    long to build (a fifth of an export's time). Change one with ``token._replace(...)``."""

    text: str
    start: int
    end: int
    id: int
    ws: bool


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled span on a layer: ``ents`` (the default) or a span group's key. ``sid`` names the
    span inside one annotation so that relations follow it through relabels and resizes; it is
    never written to files. ``layer`` comes last so that spans stored before layers existed (seven
    fields) read as entity spans."""

    start: int
    end: int
    token_start: int
    token_end: int
    label: str
    source: str | None = None
    sid: int = 0
    layer: str = ENTS

    @property
    def key(self) -> SpanKey:
        if self.layer == ENTS:
            return (self.start, self.end)
        return (self.start, self.end, self.layer, self.label)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def clashes(self, other: Span) -> bool:
        """Whether the two cannot both be in one annotation: overlapping entity spans, or the same
        place and label twice in one group."""
        if self.layer != other.layer:
            return False
        if self.layer == ENTS:
            return self.overlaps(other)
        return self.key == other.key


@dataclass(frozen=True, slots=True)
class Relation:
    """A directed, labelled link between two spans of one annotation, by span ``sid``."""

    head: int
    child: int
    label: str
    source: str | None = None

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.head, self.child, self.label)


@dataclass(frozen=True, slots=True)
class Task:
    """One input text with its tokens. Suggestions (the starting point) live beside it."""

    text: str
    tokens: tuple[Token, ...]
    input_hash: int
    meta: Mapping[str, Any] = field(default_factory=dict)
    # Top-level keys of an imported record this tool does not use (Prodigy's ``_view_id``, ...),
    # written back on export so that a file read and written again keeps them.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def token_index_at_char(self, char: int) -> int | None:
        """Index of the token that starts at or contains character ``char``."""
        lo, hi = 0, len(self.tokens) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            tok = self.tokens[mid]
            if char < tok.start:
                hi = mid - 1
            elif char >= tok.end:
                lo = mid + 1
            else:
                return mid
        return None


_SID = attrgetter("sid")
# From this many spans an annotation finds its spans through their places (core/span_places.py),
# built at the first question and handed on by each edit; below it a walk is as quick.
PLACES_FROM = 64


@dataclass(frozen=True, slots=True)
class Annotation:
    """A task's spans and relations as one annotator left them (or as a model suggested them)."""

    spans: tuple[Span, ...] = ()
    relations: tuple[Relation, ...] = ()
    answer: Answer | None = None
    annotator: str | None = None
    session: str | None = None
    timestamp: int | None = None
    # Where its spans are (None: not built yet, False: not to be built, a sid being given twice);
    # not a value of the annotation: never compared, shown or copied by ``replace``.
    _places: SpanPlaces | Literal[False] | None = field(default=None, init=False, repr=False, compare=False)

    def places(self) -> SpanPlaces | None:
        """Where its spans are, when it has PLACES_FROM spans or more (built at the first call)."""
        places = self._places
        if places is None:
            if len(self.spans) < PLACES_FROM:
                return None
            places = SpanPlaces.of(self.spans) or False
            object.__setattr__(self, "_places", places)  # a cache of what the value holds
        return places or None

    def hand_places(self) -> SpanPlaces | None:
        """Its places, if built, taken from it for an edit to update and carry on to the annotation
        it makes (``keep_places``); asked again, it builds them anew."""
        places = self._places
        if not places:
            return None
        object.__setattr__(self, "_places", None)
        return places

    def keep_places(self, places: SpanPlaces) -> None:
        """Take ``places``, which an edit updated to these very spans."""
        object.__setattr__(self, "_places", places)

    def span(self, sid: int) -> Span | None:
        places = self.places()
        if places is not None:
            return places.by_sid.get(sid)
        for span in self.spans:
            if span.sid == sid:
                return span
        return None

    def overlapping(self, start: int, end: int) -> list[Span]:
        """Its spans (of every layer) over a character of ``start..end`` (end exclusive), in order."""
        places = self.places()
        if places is not None:
            return places.overlapping(start, end)
        return [s for s in self.spans if s.start < end and start < s.end]

    def span_at_token(self, token: int, layer: str = ENTS) -> Span | None:
        """The span of ``layer`` over ``token``; in a group, the innermost (shortest) one."""
        places = self.places()
        found: Span | None = None
        for span in places.over_token(token, layer) if places is not None else self.spans:
            if span.layer == layer and span.token_start <= token <= span.token_end:
                if layer == ENTS:
                    return span
                if found is None or span.end - span.start < found.end - found.start:
                    found = span
        return found

    def layers(self) -> tuple[str, ...]:
        """The layers its spans are on, the entity layer first, then the groups by name."""
        groups = sorted({s.layer for s in self.spans if s.layer != ENTS})
        return (ENTS, *groups)

    def next_sid(self) -> int:
        places = self.places()
        if places is not None:
            return places.next_sid()
        return max(map(_SID, self.spans), default=0) + 1

    def sorted_relations(self) -> tuple[Relation, ...]:
        """Relations in text order of their heads, then children: the order lists show them in."""
        if not self.relations:
            return ()
        start = {s.sid: (s.start, s.end) for s in self.spans}
        return tuple(
            sorted(
                self.relations,
                key=lambda r: (start.get(r.head, (-1, -1)), start.get(r.child, (-1, -1)), r.label),
            )
        )

    def sorted(self) -> Annotation:
        """Spans in text order and relations in a stable order, so equal content compares equal."""
        spans = tuple(
            sorted(self.spans, key=lambda s: (s.start, s.end, s.layer != ENTS, s.layer, s.label, s.sid))
        )
        order = {s.sid: i for i, s in enumerate(spans)}
        relations = tuple(
            sorted(self.relations, key=lambda r: (order.get(r.head, -1), order.get(r.child, -1), r.label))
        )
        if spans == self.spans and relations == self.relations:
            return self  # stored annotations mostly are: no copy (an export asks for every one)
        return replace(self, spans=spans, relations=relations)

    def content(
        self,
    ) -> tuple[tuple[tuple[int | str, ...], ...], tuple[tuple[SpanKey, SpanKey, str], ...]]:
        """What the annotation says, independent of span ids and order: for equality and hashing.
        An entity span is (start, end, label), as before layers existed, so the hashes of such
        annotations did not change; a group span adds its layer."""
        by_sid = {s.sid: s for s in self.spans}
        spans = tuple(
            sorted(
                ((s.start, s.end, s.label) if s.layer == ENTS else (s.start, s.end, s.label, s.layer))
                for s in self.spans
            )
        )
        rels = tuple(
            sorted(
                (by_sid[r.head].key, by_sid[r.child].key, r.label)
                for r in self.relations
                if r.head in by_sid and r.child in by_sid
            )
        )
        return spans, rels
