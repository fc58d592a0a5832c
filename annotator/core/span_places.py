"""Where the spans of one annotation are, for an annotation of many spans: each by its sid, the
highest sid, and each layer's spans in text order (by first character and by first token), so that
a keystroke on a document of 50,000 spans finds the spans it touches by bisection instead of
walking all of them (a label and its undo walked them five times: 5 ms at 52,503 spans).

An edit hands the places of the annotation it changes on to the annotation it makes (``changed``),
updated for what it removed and added, so that they are built once a document and carried through
its edits. Every answer is the one a walk over ``Annotation.spans`` gives, in the same order: each
span carries the number of its place in the tuple (rising, as an edit keeps the spans it does not
remove in order and appends the ones it adds), and what a query finds is sorted by it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the model imports this module: nothing of it is needed at run time)
    from annotator.core.model import Span

_SID = attrgetter("sid")


class _Sorted:
    """The spans of one layer sorted by one edge, with (edge, place) keys, and the most a span
    reaches past its edge (never lowered when one is removed: a bound is all a query needs)."""

    __slots__ = ("keys", "reach", "spans")

    def __init__(self, keys: list[tuple[int, int]], spans: list[Span], reach: int) -> None:
        self.keys = keys
        self.spans = spans
        self.reach = reach

    def add(self, edge: int, place: int, span: Span, reach: int) -> None:
        i = bisect_left(self.keys, (edge, place))
        self.keys.insert(i, (edge, place))
        self.spans.insert(i, span)
        self.reach = max(self.reach, reach)

    def remove(self, edge: int, place: int) -> None:
        i = bisect_left(self.keys, (edge, place))
        del self.keys[i]
        del self.spans[i]

    def between(self, low: int, high: int) -> list[Span]:
        """The spans whose edge is from ``low`` to ``high``."""
        return self.spans[bisect_left(self.keys, (low, -1)) : bisect_left(self.keys, (high + 1, -1))]


class SpanPlaces:
    __slots__ = ("by_char", "by_sid", "by_token", "next_place", "order", "place", "sids")

    def __init__(self, spans: Sequence[Span]) -> None:
        self.by_sid = {s.sid: s for s in spans}
        self.place = {s.sid: i for i, s in enumerate(spans)}  # sid -> its place number
        self.order = list(range(len(spans)))  # the place numbers in tuple order (rising)
        self.next_place = len(spans)
        self.sids = sorted(self.by_sid)
        self.by_char: dict[str, _Sorted] = {}  # layer -> its spans by first character
        self.by_token: dict[str, _Sorted] = {}  # layer -> its spans by first token
        layers: dict[str, list[int]] = {}
        for i, s in enumerate(spans):
            layers.setdefault(s.layer, []).append(i)
        for layer, places in layers.items():
            self.by_char[layer] = _sorted(spans, places, "start", "end")
            self.by_token[layer] = _sorted(spans, places, "token_start", "token_end")

    @classmethod
    def of(cls, spans: Sequence[Span]) -> SpanPlaces | None:
        """The places of ``spans``; None when two share a sid (then only a walk says which one an
        edit by sid means)."""
        if len(set(map(_SID, spans))) != len(spans):
            return None
        return cls(spans)

    def next_sid(self) -> int:
        return self.sids[-1] + 1 if self.sids else 1

    def overlapping(self, start: int, end: int) -> list[Span]:
        """Spans of any layer over a character of ``start..end`` (end exclusive), in tuple order."""
        found: list[Span] = []
        for index in self.by_char.values():
            found.extend(s for s in index.between(start - index.reach + 1, end - 1) if s.end > start)
        return self._in_order(found)

    def over_token(self, token: int, layer: str) -> list[Span]:
        """Spans of ``layer`` over ``token``, in tuple order."""
        index = self.by_token.get(layer)
        if index is None:
            return []
        return self._in_order([s for s in index.between(token - index.reach, token) if s.token_end >= token])

    def _in_order(self, found: list[Span]) -> list[Span]:
        if len(found) > 1:
            found.sort(key=lambda s: self.place[s.sid])
        return found

    def changed(
        self, spans: tuple[Span, ...], removed: Iterable[int], added: Sequence[Span]
    ) -> tuple[Span, ...] | None:
        """The spans of the annotation an edit makes from ``spans`` (those these places are of),
        removing the spans with the sids ``removed`` and appending ``added``, with these places
        updated to them; None, and these places not to be used again, when the result would hold a
        sid twice."""
        gone = sorted(((self.place[sid], sid) for sid in set(removed) if sid in self.place), reverse=True)
        out = spans
        for place, sid in gone:  # from the last, so that the places before it stand
            i = bisect_left(self.order, place)
            out = out[:i] + out[i + 1 :]
            del self.order[i]
            span = self.by_sid.pop(sid)
            del self.place[sid]
            del self.sids[bisect_left(self.sids, sid)]
            self.by_char[span.layer].remove(span.start, place)
            self.by_token[span.layer].remove(span.token_start, place)
        for span in added:
            if span.sid in self.by_sid:
                return None
            place = self.next_place
            self.next_place += 1
            self.by_sid[span.sid] = span
            self.place[span.sid] = place
            self.order.append(place)
            self.sids.insert(bisect_left(self.sids, span.sid), span.sid)
            if span.layer not in self.by_char:
                self.by_char[span.layer] = _Sorted([], [], 0)
                self.by_token[span.layer] = _Sorted([], [], 0)
            self.by_char[span.layer].add(span.start, place, span, span.end - span.start)
            self.by_token[span.layer].add(span.token_start, place, span, span.token_end - span.token_start)
        return out + tuple(added)


def _sorted(spans: Sequence[Span], places: list[int], first: str, last: str) -> _Sorted:
    edge, end = attrgetter(first), attrgetter(last)
    keys = sorted((edge(spans[i]), i) for i in places)
    return _Sorted(keys, [spans[i] for _, i in keys], max(end(spans[i]) - edge(spans[i]) for i in places))
