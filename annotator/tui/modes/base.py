"""What a mode is, and what a mode may ask of the screen it runs on.

A mode is a small controller: the annotate screen holds one of each and hands every key to the
active one first (a method ``action_<name>`` answers the key of that name); a key the mode does
not answer goes to the screen (movement, history, decisions). A mode keeps its own state (the
relations list its position) and sets the screen's reactive state (cursor, selection, the selected
span, the relation's head and child), whose watchers repaint what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Protocol

from annotator.core import edits
from annotator.core.doubts import Doubts
from annotator.core.model import Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.tui.components.layout import Layout
from annotator.tui.keymap import Key


class Editor(Protocol):
    """The screen as a mode sees it."""

    scheme: LabelScheme
    mode: str
    active_layer: str  # the active layer: ents, or a span group's key (g switches)
    cursor: int
    selection: tuple[int, int] | None
    selected_sid: int | None
    head_sid: int | None
    child_sid: int | None

    @property
    def annotation(self) -> Annotation: ...

    @property
    def current_task(self) -> Task | None: ...

    @property
    def doubts(self) -> Doubts | None: ...

    pending_task: Task | None  # a text shown before its task is stored: it can be selected, not edited

    @property
    def wrapped(self) -> Layout | None: ...

    @property
    def page_rows(self) -> int: ...

    def say(self, message: str, error: bool = False, *, log: bool = True) -> None: ...

    @property
    def said(self) -> str: ...

    def say_fitting(self, head: Callable[[Callable[[str], str]], str], tails: tuple[str, ...]) -> None: ...

    def editable(self) -> bool: ...

    def apply(self, edit: edits.Edit, message: str = "") -> bool: ...

    def target_span(self) -> Span | None: ...

    @property
    def last_edit(self) -> edits.Edit | None: ...

    def move_cursor(self, token: int) -> None: ...

    def delete_target(self, before: Callable[[Span], str] | None = None) -> None: ...

    def refresh_side(self) -> None: ...

    def pick_label(self, names: tuple[str, ...], title: str, then: Callable[[str], None]) -> None: ...

    def split_token(self, at: int) -> None: ...

    def update_status(self) -> None: ...


# Every mode moves the cursor with these (the relations list gives j/k a meaning of its own).
MOVE_KEYS: tuple[Key, ...] = (
    Key("cursor_right", "right,l", "cursor to the next token", "→ l", "move"),
    Key("cursor_left", "left,h", "cursor to the previous token", "← h", "move"),
    Key("cursor_down", "down,j", "cursor to the token below", "↓ j", "move"),
    Key("cursor_up", "up,k", "cursor to the token above", "↑ k", "move"),
    Key("line_start", "home", "cursor to the start of the line", "home", "move"),
    Key("line_end", "end", "cursor to the end of the line", "end", "move"),
    Key("page_down", "pagedown", "one screen down", "pgdn", "move"),
    Key("page_up", "pageup", "one screen up", "pgup", "move"),
)


class Mode:
    """The base of every mode: the keys they share (the cursor, a selection of tokens) and the
    defaults of the hooks the screen calls."""

    name: ClassVar[str]
    badge: ClassVar[str] = ""  # in the status line while the mode is on
    shows_relations: ClassVar[bool] = False  # the legend lists relation labels, not entity labels
    browsing: ClassVar[bool] = False  # the relations panel has the focus of the keys
    takes_text: ClassVar[bool] = False  # every key goes to text_key: none is a command
    KEYS: ClassVar[tuple[Key, ...]] = ()  # the keys this mode adds to the screen's table

    def __init__(self, editor: Editor) -> None:
        self.editor = editor

    @property
    def active(self) -> bool:
        return self.editor.mode == self.name

    def handler(self, action: str) -> Callable[..., object] | None:
        found = getattr(self, f"action_{action}", None)
        return found if callable(found) else None

    def action_enter(self) -> None:
        """What the mode's key does (``r``, ``R``): turn the mode on, when it can be."""
        self.editor.mode = self.name

    def leave(self) -> None:
        self.editor.mode = "edit"

    # -- hooks the screen calls; a mode overrides what it does differently -------------------------

    def cursor_moved(self, token: int) -> None:
        """The cursor was moved to ``token`` by a movement key or a click."""

    def clicked(self, token: int, sid: int | None) -> None:
        self.editor.move_cursor(token)

    def dragged(self, first: int, last: int) -> None:
        ed = self.editor
        ed.selected_sid = None
        ed.selection = (first, last)
        ed.cursor = last

    def text_key(self, key: str, character: str | None) -> None:
        """A key pressed while a mode that takes text is on."""

    def annotation_changed(self) -> None:
        """An undo or redo changed the annotation under the mode."""

    def selected_relation(self) -> int | None:
        """The relation the relations panel points at (its index in sorted order)."""
        return None

    # -- tab and shift+tab: the next and previous span (the child, the relation) of the mode -------

    def action_next_span(self) -> None:
        self.cycle(1)

    def action_prev_span(self) -> None:
        self.cycle(-1)

    def cycle(self, delta: int) -> None:
        """Select the next (``delta`` 1) or previous (-1) of what the mode goes through."""

    # -- the cursor --------------------------------------------------------------------------------

    def step_token(self, token: int, delta: int) -> int:
        """The next (``delta`` 1) or previous (-1) token that is not whitespace; ``token`` itself
        at either end."""
        task = self.editor.current_task or self.editor.pending_task
        if task is None:
            return token
        j = token + delta
        while 0 <= j < len(task.tokens) and task.tokens[j].text.isspace():
            j += delta
        return j if 0 <= j < len(task.tokens) else token

    def action_cursor_right(self) -> None:
        self.editor.move_cursor(self.step_token(self.editor.cursor, 1))

    def action_cursor_left(self) -> None:
        self.editor.move_cursor(self.step_token(self.editor.cursor, -1))

    def _rows_away(self, rows: int) -> None:
        wrapped = self.editor.wrapped
        token = wrapped.token_rows_away(self.editor.cursor, rows) if wrapped is not None else None
        if token is not None:
            self.editor.move_cursor(token)

    def action_cursor_down(self) -> None:
        self._rows_away(1)

    def action_cursor_up(self) -> None:
        self._rows_away(-1)

    def action_page_down(self) -> None:
        self._rows_away(max(self.editor.page_rows - 2, 1))

    def action_page_up(self) -> None:
        self._rows_away(-max(self.editor.page_rows - 2, 1))

    def _row_end(self, end: int) -> None:
        wrapped = self.editor.wrapped
        ends = wrapped.row_ends(self.editor.cursor) if wrapped is not None else None
        if ends is not None:
            self.editor.move_cursor(ends[end])

    def action_line_start(self) -> None:
        self._row_end(0)

    def action_line_end(self) -> None:
        self._row_end(1)

    # -- a selection of tokens (the edit mode resizes the selected span instead, if there is one) --

    def action_grow(self) -> None:
        self.select(0, 1)

    def action_shrink(self) -> None:
        self.select(0, -1)

    def action_grow_left(self) -> None:
        self.select(-1, 0)

    def action_shrink_left(self) -> None:
        self.select(1, 0)

    def select(self, d_start: int, d_end: int) -> None:
        """Grow or shrink the selection (from the cursor when there is none) by one token."""
        ed = self.editor
        task = ed.current_task or ed.pending_task
        if task is None:
            return
        first, last = ed.selection or (ed.cursor, ed.cursor)
        if d_end:
            last = self.step_token(last, d_end) if (d_end > 0 or last > first) else last
        if d_start:
            first = self.step_token(first, d_start) if (d_start < 0 or first < last) else first
        ed.selection = (first, last)
        ed.cursor = last if d_end else first
        text = task.text[task.tokens[first].start : task.tokens[last].end]
        ed.say(f"selection {quote(' '.join(text.split()), 30)}: 1…9 gives it a label, esc clears it")


def spans_in_order(annotation: Annotation, layer: str | None = None) -> list[Span]:
    """The spans (of ``layer``, when given) in text order, the longer first at one start."""
    spans = annotation.spans if layer is None else [s for s in annotation.spans if s.layer == layer]
    return sorted(spans, key=lambda s: (s.start, -s.end))


def cycle_index(
    spans: Sequence[Span],
    current: int | None,
    delta: int,
    is_after: Callable[[Span], bool],
    is_before: Callable[[Span], bool],
) -> int:
    """The index of the span ``tab`` (delta 1) or ``shift+tab`` (-1) goes to: the one after the
    current span, or, with none current, the first span ``is_after`` the place (the last
    ``is_before`` it, going back); round at the ends."""
    sids = [s.sid for s in spans]
    if current in sids:
        return (sids.index(current) + delta) % len(spans)
    if delta > 0:
        return next((i for i, s in enumerate(spans) if is_after(s)), 0)
    return next((i for i in range(len(spans) - 1, -1, -1) if is_before(spans[i])), len(spans) - 1)


def pick_relation_label(editor: Editor, draw: Callable[[int, tuple[str, ...]], None]) -> None:
    """The picker of every relation label; ``draw(n, names)`` uses the one picked."""
    names = editor.scheme.relation_labels
    editor.pick_label(names, "relation label", lambda label: draw(names.index(label) + 1, names))


def quote(text: str, room: int = 24) -> str:
    return repr(text if len(text) <= room else text[: room - 1] + "…")
