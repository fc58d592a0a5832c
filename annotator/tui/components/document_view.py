"""The document: a line-by-line ``ScrollView`` that draws tokens, spans, labels, the cursor, the
selection and relation markers, caching each rendered row and repainting only rows that change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.core.doubts import Doubts
from annotator.core.model import ENTS, Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.tui.components.layout import Layout
from annotator.tui.display import cells


class _Marked(NamedTuple):
    cursor: int
    selected: int | None
    head: int | None
    child: int | None


def _token_range(tokens: tuple[int, int] | None) -> set[int]:
    return set(range(tokens[0], tokens[1] + 1)) if tokens else set()


def _text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (#rrggbb)."""
    try:
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    except ValueError:
        return "black"
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"


@dataclass
class Marks:
    """Where the cursor, the selection and the pointed-at spans are, set at once (the review screen
    computes them whole); the annotate screen binds the same attributes one by one instead."""

    cursor: int = 0
    selection: tuple[int, int] | None = None  # token range, inclusive
    selected_sid: int | None = None
    relation_head: int | None = None  # sid
    relation_child: int | None = None  # sid
    # Spans shown with a reviewer's colour instead of their label colour (sid -> colour).
    span_colors: dict[int, str] = field(default_factory=dict)


class DocumentView(ScrollView, can_focus=True):
    """The text of one task with its spans. The marks (cursor, selection, the selected span, the
    head and child of a relation) are reactive: each watcher repaints the rows of the old and the
    new place only, and the cursor's watcher keeps the cursor on screen."""

    DEFAULT_CSS = """
    DocumentView {
        scrollbar-size-vertical: 1;
        overflow-y: scroll;
        scrollbar-size-horizontal: 0;
        padding: 0 1;
    }
    """

    cursor: var[int] = var(0, init=False)
    selection: var[tuple[int, int] | None] = var(None, init=False)
    selected_sid: var[int | None] = var(None, init=False)
    relation_head: var[int | None] = var(None, init=False)
    relation_child: var[int | None] = var(None, init=False)

    class TokenClicked(Message):
        def __init__(self, token: int, sid: int | None) -> None:
            super().__init__()
            self.token = token
            self.sid = sid

    class TokensDragged(Message):
        def __init__(self, first: int, last: int) -> None:
            super().__init__()
            self.first = first
            self.last = last

    def __init__(self, scheme: LabelScheme, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scheme = scheme
        self.doc_task: Task | None = None
        self.annotation = Annotation()
        self.span_colors: dict[int, str] = {}
        self.wrap: Layout | None = None
        self._span_at: dict[int, Span] = {}
        self._by_sid: dict[int, Span] = {}
        self._tag_after: dict[int, str] = {}
        self._heads: set[int] = set()  # sids that head some relation
        self._children: set[int] = set()
        self._cache: dict[int, Strip] = {}
        self._drag_from: int | None = None
        self._base = Style()
        self._styles: dict[str, Style] = {}
        self.provisional = False
        # What the model doubted (core/doubts.py): a span that is still the one it doubted (same
        # tokens, same label) carries "?" after its label; the tokens of a near miss no span covers
        # are underlined.
        self._doubted: frozenset[tuple[int, int, str]] = frozenset()
        self._near: set[int] = set()

    # -- content ----------------------------------------------------------------------------------

    def show(
        self, task: Task, annotation: Annotation, provisional: bool = False, doubts: Doubts | None = None
    ) -> None:
        self.doc_task = task
        self.provisional = provisional
        places = doubts.places if doubts is not None else ()
        self._doubted = frozenset((d.token_start, d.token_end, d.label) for d in places if not d.missed)
        self._near = {i for d in places if d.missed for i in range(d.token_start, d.token_end + 1)}
        self._index(annotation)
        self._layout_all()
        self.scroll_to(0, 0, animate=False)
        self.scroll_to_token(self.cursor)
        self.refresh()

    def set_marks(self, marks: Marks) -> None:
        """Set every mark at once; each watcher repaints what moved."""
        self.span_colors = marks.span_colors
        self.cursor = marks.cursor
        self.selection = marks.selection
        self.selected_sid = marks.selected_sid
        self.relation_head = marks.relation_head
        self.relation_child = marks.relation_child

    def _index(self, annotation: Annotation) -> None:
        self.annotation = annotation
        self._heads = {r.head for r in annotation.relations}
        self._children = {r.child for r in annotation.relations}
        self._span_at = {}
        self._tag_after = {}
        self._by_sid = {s.sid: s for s in annotation.spans}
        for span in annotation.spans:
            for i in range(span.token_start, span.token_end + 1):
                self._span_at[i] = span
            self._tag_after[span.token_end] = self._tag(span)

    def _tag(self, span: Span) -> str:
        markers = ("▶" if span.sid in self._heads else "") + ("◀" if span.sid in self._children else "")
        doubted = span.layer == ENTS and (span.token_start, span.token_end, span.label) in self._doubted
        unsure = "?" if doubted else ""
        return f" {cells(span.label)}{unsure}{markers}"

    def _extra_width(self, i: int) -> int:
        tag = self._tag_after.get(i)
        return cell_len(tag) if tag else 0

    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width, 20)

    def _layout_all(self) -> None:
        if self.doc_task is None:
            return
        self.wrap = Layout(self.doc_task, self._content_width(), self._extra_width)
        self._cache.clear()
        self._set_virtual_height(len(self.wrap.rows))

    def update_annotation(
        self,
        annotation: Annotation,
        removed: Sequence[Span] | None = None,
        added: Sequence[Span] = (),
    ) -> None:
        """Redraw after an edit: re-wrap only from the rows whose tags changed, repaint only the rows
        of spans that changed. ``removed``/``added`` (what an edit did) let a keystroke skip
        comparing every span of a long document; without them, it compares."""
        old_annotation = self.annotation
        if removed is None:
            old_tags = dict(self._tag_after)
            changed = list(set(old_annotation.spans) ^ set(annotation.spans))
            self._index(annotation)
            tag_changed = {
                i
                for i in old_tags.keys() | self._tag_after.keys()
                if old_tags.get(i) != self._tag_after.get(i)
            }
        else:
            changed = [*removed, *added]
            tag_changed = self._reindex(annotation, removed, added)
        layout = self.wrap
        if layout is None:
            return
        touched: set[int] = set()
        for span in changed:
            touched.update(range(span.token_start, span.token_end + 1))
        if tag_changed:
            first, old_end, new_end = layout.rewrap(min(tag_changed), max(tag_changed))
            shift = new_end - old_end
            if shift:
                # Rows after the re-wrapped ones are the same rows one place up or down: move their
                # cached strips rather than render them again.
                cache = self._cache
                self._cache = {
                    r if r < first else r + shift: v for r, v in cache.items() if r < first or r >= old_end
                }
                self._set_virtual_height(len(layout.rows))
                self.refresh()
            self._invalidate_rows(range(first, new_end))
        self._invalidate_tokens(touched)
        self.scroll_to_token(self.cursor)

    def _set_virtual_height(self, rows: int) -> None:
        # A new virtual size reflows the whole screen (~40 ms on a long document). Rounding it up
        # to a multiple of 16 rows means a label that adds or removes a row rarely changes it; the
        # rows past the end are drawn blank.
        height = -(-rows // 16) * 16
        size = Size(self._content_width(), height)
        if size != self.virtual_size:
            self.virtual_size = size

    def _reindex(self, annotation: Annotation, removed: Sequence[Span], added: Sequence[Span]) -> set[int]:
        """Update the token -> span map and the tags for what one edit removed and added, and the
        tags of spans whose relation markers changed; returns the tokens whose tag changed."""
        self.annotation = annotation
        heads = {r.head for r in annotation.relations}
        children = {r.child for r in annotation.relations}
        markers = (heads ^ self._heads) | (children ^ self._children)
        self._heads, self._children = heads, children
        before: dict[int, str | None] = {}
        for span in removed:
            before.setdefault(span.token_end, self._tag_after.get(span.token_end))
            self._by_sid.pop(span.sid, None)
            for i in range(span.token_start, span.token_end + 1):
                if (at := self._span_at.get(i)) is not None and at.sid == span.sid:
                    del self._span_at[i]
            self._tag_after.pop(span.token_end, None)
        for span in added:
            before.setdefault(span.token_end, self._tag_after.get(span.token_end))
            self._by_sid[span.sid] = span
            for i in range(span.token_start, span.token_end + 1):
                self._span_at[i] = span
            self._tag_after[span.token_end] = self._tag(span)
        for sid in markers:
            if (marked := self._by_sid.get(sid)) is not None:
                before.setdefault(marked.token_end, self._tag_after.get(marked.token_end))
                self._tag_after[marked.token_end] = self._tag(marked)
        return {i for i, tag in before.items() if self._tag_after.get(i) != tag}

    # -- the marks: each watcher repaints the rows of where the mark was and where it is ----------

    def watch_cursor(self, old: int, new: int) -> None:
        self._invalidate_tokens({old, new})
        self.scroll_to_token(new)

    def watch_selection(self, old: tuple[int, int] | None, new: tuple[int, int] | None) -> None:
        self._invalidate_tokens(_token_range(old) | _token_range(new))

    def watch_selected_sid(self, old: int | None, new: int | None) -> None:
        self._invalidate_spans(old, new)

    def watch_relation_head(self, old: int | None, new: int | None) -> None:
        self._invalidate_spans(old, new)

    def watch_relation_child(self, old: int | None, new: int | None) -> None:
        self._invalidate_spans(old, new)

    def _invalidate_spans(self, *sids: int | None) -> None:
        tokens: set[int] = set()
        for sid in sids:
            span = self._by_sid.get(sid) if sid is not None else None
            if span is not None:
                tokens.update(range(span.token_start, span.token_end + 1))
        self._invalidate_tokens(tokens)

    def _invalidate_tokens(self, tokens: set[int]) -> None:
        if self.wrap is None or not tokens:
            return
        self._invalidate_rows({self.wrap.row_of(t) for t in tokens})

    def _invalidate_rows(self, rows: Iterable[int]) -> None:
        scroll_y = int(self.scroll_offset.y)
        height = self.size.height
        for r in rows:
            self._cache.pop(r, None)
            if scroll_y <= r < scroll_y + height:
                self.refresh_line(r)

    # -- drawing ----------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap is not None and self.wrap.width != self._content_width():
            self._layout_all()
            self.scroll_to_token(self.cursor)

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_offset.y) + y
        layout = self.wrap
        width = self.scrollable_content_region.width
        # Widget.rich_style walks the DOM for inherited styles: once a line, not once a token.
        self._base = self.rich_style
        if layout is None or row >= len(layout.rows):
            return Strip.blank(width, self._base)
        strip = self._cache.get(row)
        if strip is None:
            strip = self._render_row(row)
            self._cache[row] = strip
        return strip.crop_extend(0, width, self._base)

    def _render_row(self, row: int) -> Strip:
        assert self.wrap is not None and self.doc_task is not None
        layout = self.wrap
        base = self._base
        first, end = layout.rows[row]
        sel = self.selection
        # The marks read once a row: reactive attributes are descriptors, slower than locals.
        marked = _Marked(self.cursor, self.selected_sid, self.relation_head, self.relation_child)
        segments: list[Segment] = []
        for i in range(first, end):
            span = self._span_at.get(i)
            if layout.is_space(i):
                pass  # a tab or a second space, as spaCy makes a token of: drawn as its gap below
            else:
                style = self._token_style(i, span, sel, marked)
                segments.append(Segment(layout.shown(i), style))
                if span is not None and span.token_end == i:
                    segments.append(Segment(self._tag_after[i], self._tag_style(span, marked)))
            if layout.spaces_after[i] and i + 1 < end:
                inside = span is not None and span.token_end > i
                in_sel = sel is not None and sel[0] <= i < sel[1]
                gap_style = self._span_style(span) if inside else base
                if in_sel:
                    gap_style = gap_style + Style(bgcolor="grey37")
                segments.append(Segment(" " * layout.spaces_after[i], gap_style))
        return Strip(segments)

    def _span_style(self, span: Span | None) -> Style:
        if span is None:
            return self._base
        color = self.span_colors.get(span.sid) or self.scheme.color(span.label)
        style = self._styles.get(color)
        if style is None:
            style = self._styles[color] = Style(color=_text_on(color), bgcolor=color)
        return style

    def _tag_style(self, span: Span, marked: _Marked) -> Style:
        style = self._span_style(span) + Style(bold=True, italic=True)
        if span.sid in (marked.head, marked.child, marked.selected):
            style += Style(underline=True)
        return style

    def _token_style(self, i: int, span: Span | None, sel: tuple[int, int] | None, marked: _Marked) -> Style:
        style = self._span_style(span)
        if self.provisional:
            style += Style(dim=True)
        if span is None and i in self._near:
            style += Style(underline=True)
        if span is not None:
            if span.sid == marked.head:
                # inverted, so the head stands apart from the child and the cursor
                style += Style(reverse=True, bold=True, underline=True)
            elif span.sid == marked.child or span.sid == marked.selected:
                style += Style(underline=True, bold=True)
        if sel is not None and sel[0] <= i <= sel[1]:
            style += Style(bgcolor="grey37", color="white", underline=True)
        # On the child of a relation being drawn the cursor is not inverted, so that the child
        # never looks like the head (inverted as a whole).
        if i == marked.cursor and (span is None or span.sid != marked.child):
            style += Style(reverse=True, bold=True)
        return style

    # -- geometry ---------------------------------------------------------------------------------

    def scroll_to_token(self, token: int) -> None:
        """Keep the token's row on screen, a few rows from the edge when it has to scroll."""
        if self.wrap is None:
            return
        row = self.wrap.row_of(token)
        top = int(self.scroll_offset.y)
        height = max(self.scrollable_content_region.height, 1)
        margin = min(2, height // 4)
        if row < top + margin:
            self.scroll_to(y=max(row - margin, 0), animate=False)
        elif row >= top + height - margin:
            self.scroll_to(y=row - height + margin + 1, animate=False)

    def token_from_event(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None or self.wrap is None:
            return None
        row = int(self.scroll_offset.y) + offset.y
        if not 0 <= row < len(self.wrap.rows):
            return None
        return self.wrap.token_at(row, offset.x)

    # -- mouse: a click puts the cursor (and selects a span), a drag selects tokens -------------------

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._drag_from = self.token_from_event(event)
        self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.release_mouse()
        start, self._drag_from = self._drag_from, None
        end = self.token_from_event(event)
        if start is None or end is None:
            return
        if start == end:
            span = self._span_at.get(end)
            self.post_message(self.TokenClicked(end, span.sid if span else None))
        else:
            self.post_message(self.TokensDragged(min(start, end), max(start, end)))
