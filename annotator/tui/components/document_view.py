"""The document: a line-by-line ``ScrollView`` that draws tokens, spans, labels, the cursor, the
selection and relation markers, caching each rendered row and repainting only rows that change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

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
from annotator.tui.components.group_lines import underline_row
from annotator.tui.components.layout import Layout
from annotator.tui.components.span_index import SpanIndex


class _Marked(NamedTuple):
    cursor: int
    selected: int | None
    head: int | None
    child: int | None


class _Look(NamedTuple):
    """The styles of the marks, from the component classes (so from the theme and the CSS)."""

    cursor: Style
    selection: Style
    selection_gap: Style  # the space between two selected tokens
    head: Style
    pointed: Style
    tag: Style
    provisional: Style
    near_miss: Style


# Where a span shown in the review came from, or the kind of an open disagreement: each a component
# class, document-view--<state>, whose background the span is drawn on instead of its label colour.
REVIEW_STATES = ("agreed", "a", "b", "edited", "a-only", "b-only", "label", "boundary", "relation")


def _token_range(tokens: tuple[int, int] | None) -> set[int]:
    return set(range(tokens[0], tokens[1] + 1)) if tokens else set()


def _text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (#rrggbb)."""
    try:
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    except ValueError:
        return "black"
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class Marks:
    """Where the cursor, the selection and the pointed-at spans are, set at once (the review screen
    computes them whole); the annotate screen binds the same attributes one by one instead."""

    cursor: int = 0
    selection: tuple[int, int] | None = None  # token range, inclusive
    selected_sid: int | None = None
    relation_head: int | None = None  # sid
    relation_child: int | None = None  # sid
    # Spans shown in the colour of a review state instead of their label's (sid -> REVIEW_STATES).
    span_states: dict[int, str] = field(default_factory=dict)


class DocumentView(ScrollView, can_focus=True):
    """The text of one task with its spans. The marks (cursor, selection, the selected span, the
    head and child of a relation) are reactive: each watcher repaints the rows of the old and the
    new place only, and the cursor's watcher keeps the cursor on screen."""

    # Styled in annotator.tcss; a theme restyles them. Labels keep the scheme's colours.
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "document-view--cursor",
        "document-view--selection",
        "document-view--head",
        "document-view--pointed",
        "document-view--tag",
        "document-view--provisional",
        "document-view--near-miss",
    }

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
        self.spans = SpanIndex()
        self.span_states: dict[int, str] = {}  # sid -> one of REVIEW_STATES
        self.wrap: Layout | None = None
        self._cache: dict[int, Strip] = {}
        self._drag_from: int | None = None
        self._base = Style()
        self._styles: dict[str, Style] = {}  # label colour -> style
        self._look: _Look | None = None
        self._state_styles: dict[str, Style] = {}  # review state -> style
        self.provisional = False
        # What the model doubted (core/doubts.py): a span that is still the one it doubted (same
        # tokens, same label) carries "?" after its label; the tokens of a near miss no span covers
        # are underlined.
        self._near: set[int] = set()

    # -- content ----------------------------------------------------------------------------------

    @property
    def annotation(self) -> Annotation:
        """The annotation drawn."""
        return self.spans.annotation

    def show(
        self, task: Task, annotation: Annotation, provisional: bool = False, doubts: Doubts | None = None
    ) -> None:
        places = doubts.places if doubts is not None else ()
        doubted = frozenset((d.token_start, d.token_end, d.label) for d in places if not d.missed)
        near = {i for d in places if d.missed for i in range(d.token_start, d.token_end + 1)}
        drawn = self.spans.annotation
        if (
            task is self.doc_task
            and self.wrap is not None
            and annotation.spans is drawn.spans
            and annotation.relations == drawn.relations
            and (doubted, near) == (self.spans.doubted, self._near)
        ):
            # The text drawn while it was being stored (or the model loaded), opened now with the
            # very spans drawn: its index and layout stand (building them again took half a
            # second of a 500,000-token document's first edit); only the look of its rows changes.
            self.spans.annotation = annotation
            self._cache.clear()
        else:
            self.doc_task = task
            self.spans.doubted = doubted
            self._near = near
            self.spans.rebuild(annotation)
            self._layout_all()
        self.provisional = provisional
        self.scroll_to(0, 0, animate=False)
        self.scroll_to_token(self.cursor)
        self.refresh()

    def set_marks(self, marks: Marks) -> None:
        """Set every mark at once; each watcher repaints what moved."""
        self.span_states = marks.span_states
        self.cursor = marks.cursor
        self.selection = marks.selection
        self.selected_sid = marks.selected_sid
        self.relation_head = marks.relation_head
        self.relation_child = marks.relation_child

    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width, 20)

    def _layout_all(self) -> None:
        if self.doc_task is None:
            return
        self.wrap = Layout(
            self.doc_task, self._content_width(), self.spans.tag_width, self.spans.groups.under
        )
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
        if removed is None:
            changed = list(set(self.spans.annotation.spans) ^ set(annotation.spans))
            tag_changed = self.spans.rebuild(annotation)
        else:
            changed = [*removed, *added]
            tag_changed = self.spans.update(annotation, removed, added)
        # A group span changes the underline rows of the rows it lies on: they are wrapped again.
        for span in changed:
            if span.layer != ENTS:
                tag_changed |= {span.token_start, span.token_end}
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

    def _sync_height(self) -> None:
        if self.wrap is not None:
            self._set_virtual_height(len(self.wrap.rows))

    def _set_virtual_height(self, rows: int) -> None:
        # A new virtual size reflows the whole screen (~40 ms on a long document). Rounding it up
        # to a multiple of 16 rows means a label that adds or removes a row rarely changes it; the
        # rows past the end are drawn blank.
        height = -(-rows // 16) * 16
        size = Size(self._content_width(), height)
        if size != self.virtual_size:
            self.virtual_size = size

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
        self._invalidate_tokens(self.spans.tokens_of(*sids))

    def _invalidate_tokens(self, tokens: set[int]) -> None:
        layout = self.wrap
        if layout is None or not tokens:
            return
        rows = {layout.row_of(t) for t in tokens}
        for r in list(rows):  # and the underline rows of each
            k = r + 1
            while k < len(layout.kinds) and layout.kinds[k]:
                rows.add(k)
                k += 1
        self._invalidate_rows(rows)

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
        if layout is None:
            return Strip.blank(width, self._base)
        made = len(layout.made)
        layout.wrap_rows(row + 1)  # the rows below the screen are wrapped as they come into view
        if len(layout.made) != made:
            self.call_after_refresh(self._sync_height)  # the estimate of the rows below moved
        if row >= len(layout.made):
            return Strip.blank(width, self._base)
        strip = self._cache.get(row)
        if strip is None:
            if layout.kinds[row]:
                strip = Strip(underline_row(layout, row, self.spans.groups, self._group_style, self._base))
            else:
                strip = self._render_row(row)
            self._cache[row] = strip
        return strip.crop_extend(0, width, self._base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # The CSS or the theme changed: the rows were drawn with the old styles.
        self._look = None
        self._state_styles = {}
        self._cache.clear()

    def _marks_look(self) -> _Look:
        if self._look is None:

            def style(name: str, partial: bool = True) -> Style:
                return self.get_component_rich_style(f"document-view--{name}", partial=partial)

            selection = style("selection", partial=False)
            self._look = _Look(
                cursor=style("cursor"),
                selection=selection,
                selection_gap=Style(bgcolor=selection.bgcolor),
                head=style("head"),
                pointed=style("pointed"),
                tag=style("tag"),
                provisional=style("provisional"),
                near_miss=style("near-miss"),
            )
        return self._look

    def _render_row(self, row: int) -> Strip:
        assert self.wrap is not None and self.doc_task is not None
        layout = self.wrap
        base = self._base
        first, end = layout.rows[row]
        sel = self.selection
        look = self._marks_look()
        # The marks read once a row: reactive attributes are descriptors, slower than locals.
        marked = _Marked(self.cursor, self.selected_sid, self.relation_head, self.relation_child)
        segments: list[Segment] = []
        for i in range(first, end):
            span = self.spans.span_at.get(i)
            if layout.is_space(i):
                pass  # a tab or a second space, as spaCy makes a token of: drawn as its gap below
            else:
                style = self._token_style(i, span, sel, marked, look)
                segments.append(Segment(layout.shown(i), style))
                if span is not None and span.token_end == i:
                    segments.append(Segment(self.spans.tag_after[i], self._tag_style(span, marked, look)))
            if layout.spaces_after[i] and i + 1 < end:
                inside = span is not None and span.token_end > i
                in_sel = sel is not None and sel[0] <= i < sel[1]
                gap_style = self._span_style(span) if inside else base
                if in_sel:
                    gap_style = gap_style + look.selection_gap
                segments.append(Segment(" " * layout.spaces_after[i], gap_style))
        return Strip(segments)

    def _group_style(self, span: Span) -> Style:
        """A group span's line: its label's colour (on the review screen, its state's); the
        selected one inverted, like a selection."""
        state = self.span_states.get(span.sid)
        color = self.state_style(state).bgcolor if state is not None else None
        style = Style(color=color or self.scheme.color(span.label))
        if span.sid == self.selected_sid:
            style += Style(reverse=True, bold=True)
        return style

    def _span_style(self, span: Span | None) -> Style:
        if span is None:
            return self._base
        state = self.span_states.get(span.sid)
        if state is not None:
            return self.state_style(state)
        color = self.scheme.color(span.label)
        style = self._styles.get(color)
        if style is None:
            style = self._styles[color] = Style(color=_text_on(color), bgcolor=color)
        return style

    def state_style(self, state: str) -> Style:
        """How a span of a review state is drawn (its background and text colour); the review's
        panels colour their chips with it."""
        found = self._state_styles.get(state)
        if found is None:
            found = self.get_component_rich_style(f"document-view--{state}", partial=False)
            self._state_styles[state] = found
        return found

    def _tag_style(self, span: Span, marked: _Marked, look: _Look) -> Style:
        style = self._span_style(span) + look.tag
        if span.sid in (marked.head, marked.child, marked.selected):
            style += Style(underline=True)
        return style

    def _token_style(
        self, i: int, span: Span | None, sel: tuple[int, int] | None, marked: _Marked, look: _Look
    ) -> Style:
        style = self._span_style(span)
        if self.provisional:
            style += look.provisional
        if span is None and i in self._near:
            style += look.near_miss
        if span is not None:
            if span.sid == marked.head:
                style += look.head
            elif span.sid == marked.child or span.sid == marked.selected:
                style += look.pointed
        if sel is not None and sel[0] <= i <= sel[1]:
            style += look.selection
        # On the child of a relation being drawn the cursor is not inverted, so that the child
        # never looks like the head (inverted as a whole).
        if i == marked.cursor and (span is None or span.sid != marked.child):
            style += look.cursor
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
        self.wrap.wrap_rows(row + 1)
        if not 0 <= row < len(self.wrap.made):
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
            span = self.spans.span_at.get(end)
            self.post_message(self.TokenClicked(end, span.sid if span else None))
        else:
            self.post_message(self.TokensDragged(min(start, end), max(start, end)))


class ReviewDocumentView(DocumentView):
    """The review screen's document view: its spans are drawn in the colour of their review state
    (``span_states``), whose component classes (styled in review.tcss) only it has. Textual styles
    every component class of a widget each time its styles change, before the annotate screen's
    first frame too, where no span is ever in a review state (9M machine instructions)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"document-view--{state}" for state in REVIEW_STATES}
