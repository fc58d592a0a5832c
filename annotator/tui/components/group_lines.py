"""Span-group spans drawn under the text (issue 14): a group's spans overlap and nest, so they are
not coloured in the text like entity spans; each is a line under its tokens on an underline row of
the text row, one row a nesting level, labelled at its end (``──── SKILL``). The layout places
them (``Layout.placed``: levels in cells, so that a line and its label never touch the next one on
its row); this index says which spans touch a row, and draws an underline row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from annotator.core.model import ENTS, Annotation, Span
from annotator.tui.components.layout import Layout, Under
from annotator.tui.display import cells

LINE = "─"


class GroupIndex:
    """The span-group spans of the annotation on screen, by token; kept edit by edit."""

    def __init__(self) -> None:
        self.by_sid: dict[int, Span] = {}
        self.at: dict[int, list[int]] = {}  # token -> sids of the group spans over it

    def rebuild(self, annotation: Annotation) -> None:
        self.by_sid, self.at = {}, {}
        self.add(s for s in annotation.spans if s.layer != ENTS)

    def add(self, spans: Iterable[Span]) -> None:
        for span in spans:
            self.by_sid[span.sid] = span
            for i in range(span.token_start, span.token_end + 1):
                self.at.setdefault(i, []).append(span.sid)

    def remove(self, spans: Iterable[Span]) -> None:
        for span in spans:
            if self.by_sid.pop(span.sid, None) is None:
                continue
            for i in range(span.token_start, span.token_end + 1):
                sids = self.at.get(i)
                if sids is not None and span.sid in sids:
                    sids.remove(span.sid)
                    if not sids:
                        del self.at[i]

    def spans_in(self, first: int, end: int) -> list[Span]:
        """The group spans touching tokens ``first..end-1``, in a fixed order (text, then sid)."""
        at = self.at
        if not at:
            return []
        sids = {sid for i in range(first, end) for sid in at.get(i, ())}
        return sorted((self.by_sid[sid] for sid in sids), key=lambda s: (s.start, -s.end, s.sid))

    def under(self, first: int, end: int) -> Sequence[Under]:
        """What the layout places under a row: each span's tokens and the cells of its label."""
        return [(s.token_start, s.token_end, 1 + cell_len(cells(s.label))) for s in self.spans_in(first, end)]


def underline_row(
    layout: Layout,
    row: int,
    groups: GroupIndex,
    style_of: Callable[[Span], Style],
    base: Style,
) -> list[Segment]:
    """The segments of underline row ``row``: the lines (and labels, where spans end) of the spans
    placed on its level under the text row above."""
    level = layout.kinds[row]
    text_row = row - level
    first, end = layout.rows[text_row]
    spans = groups.spans_in(first, end)
    out: list[Segment] = []
    x = 0
    for lv, x0, width, k in sorted(layout.placed(text_row), key=lambda p: p[1]):
        if lv != level or k >= len(spans):
            continue
        span = spans[k]
        if x0 > x:
            out.append(Segment(" " * (x0 - x), base))
        label = f" {cells(span.label)}" if span.token_end < end else ""
        line = max(width - cell_len(label), 1)
        style = style_of(span)
        out.append(Segment(LINE * line, style))
        if label:
            out.append(Segment(label, style + Style(bold=True)))
        x = x0 + line + cell_len(label)
    return out
