"""The annotation data model: plain, immutable values with no UI or NLP imports.

Offsets are Python ``str`` indices (code points), end exclusive. Token indices on spans are end
*inclusive*, as Prodigy writes them, so files move between this tool and Prodigy unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Answer = Literal["accept", "reject", "ignore"]
ANSWERS: tuple[Answer, ...] = ("accept", "reject", "ignore")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int
    id: int
    ws: bool


@dataclass(frozen=True, slots=True)
class Span:
    """An entity span. ``sid`` names the span inside one annotation so that relations follow it
    through relabels and resizes; it is never written to files."""

    start: int
    end: int
    token_start: int
    token_end: int
    label: str
    source: str | None = None
    sid: int = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.start, self.end)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


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


@dataclass(frozen=True, slots=True)
class Annotation:
    """A task's spans and relations as one annotator left them (or as a model suggested them)."""

    spans: tuple[Span, ...] = ()
    relations: tuple[Relation, ...] = ()
    answer: Answer | None = None
    annotator: str | None = None
    session: str | None = None
    timestamp: int | None = None

    def span(self, sid: int) -> Span | None:
        for span in self.spans:
            if span.sid == sid:
                return span
        return None

    def span_at_token(self, token: int) -> Span | None:
        for span in self.spans:
            if span.token_start <= token <= span.token_end:
                return span
        return None

    def next_sid(self) -> int:
        return max((s.sid for s in self.spans), default=0) + 1

    def sorted_relations(self) -> tuple[Relation, ...]:
        """Relations in text order of their heads, then children: the order lists show them in."""
        start = {s.sid: (s.start, s.end) for s in self.spans}
        return tuple(
            sorted(
                self.relations,
                key=lambda r: (start.get(r.head, (-1, -1)), start.get(r.child, (-1, -1)), r.label),
            )
        )

    def sorted(self) -> Annotation:
        """Spans in text order and relations in a stable order, so equal content compares equal."""
        spans = tuple(sorted(self.spans, key=lambda s: (s.start, s.end, s.label, s.sid)))
        order = {s.sid: i for i, s in enumerate(spans)}
        relations = tuple(
            sorted(self.relations, key=lambda r: (order.get(r.head, -1), order.get(r.child, -1), r.label))
        )
        return replace(self, spans=spans, relations=relations)

    def content(
        self,
    ) -> tuple[tuple[tuple[int, int, str], ...], tuple[tuple[tuple[int, int], tuple[int, int], str], ...]]:
        """What the annotation says, independent of span ids and order: for equality and hashing."""
        by_sid = {s.sid: s for s in self.spans}
        spans = tuple(sorted((s.start, s.end, s.label) for s in self.spans))
        rels = tuple(
            sorted(
                (by_sid[r.head].key, by_sid[r.child].key, r.label)
                for r in self.relations
                if r.head in by_sid and r.child in by_sid
            )
        )
        return spans, rels
