"""The editing screen: the document, the legend and relations beside it, message and status below.

It holds the view state as reactive attributes (the mode, the cursor, the selection, the selected
span, the head and child of a relation); the document view is bound to them and repaints the rows
that changed, and the watchers here redraw the side panels. Keys go to the active mode first (see
``annotator.tui.modes``), then to the screen, which moves the cursor, undoes and redoes. Edits go
through the session, which stores each before the screen repaints.

The annotate screen and the review's edit screen are this screen with their own decisions and task
navigation.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen

from annotator.core import edits
from annotator.core.doubts import Doubts
from annotator.core.errors import AnnotatorError
from annotator.core.model import ENTS, Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.core.wording import counted
from annotator.session import AnnotationSession, ConcurrentEdit
from annotator.store import StoreError
from annotator.tui import collector
from annotator.tui.components.document_view import DocumentView
from annotator.tui.components.layout import Layout
from annotator.tui.components.message_log import MessagesScreen, log_of
from annotator.tui.components.side_panels import Legend, MessageLine, RelationsPanel
from annotator.tui.components.status_line import StatusLine, status_parts
from annotator.tui.faults import FaultReporting, fault_message
from annotator.tui.keymap import Key, KeyDispatch, key_bindings, ordered
from annotator.tui.modes import MODES, Mode
from annotator.tui.modes.base import MOVE_KEYS, quote

# How soon after the label list closed a digit is taken for the rest of a number typed into it.
DIGIT_AFTER_PICKER_S = 0.6

SCREEN_KEYS: tuple[Key, ...] = (
    Key("undo", "u,ctrl+z", "undo", "u ctrl+z", "history", True),
    Key("redo", "U,ctrl+y", "redo", "U ctrl+y", "history", True),
    Key("accept", "a,enter", "accept the task and go to the next", "a enter", "decide", True),
    Key("reject", "x", "reject the task and go to the next", "x", "decide", True),
    Key("ignore", "space", "ignore (skip) the task and go to the next", "space", "decide", True),
    Key("prev_task", "left_square_bracket", "previous task, no decision (draft kept)", "[", "decide"),
    Key("next_task", "right_square_bracket", "next task, no decision (draft kept)", "]", "decide"),
    Key("help", "question_mark", "show the keys", "?", "app", True),
    Key("messages", "m", "show every message said so far, whole", "m", "app"),
    Key("quit", "q", "quit (everything is already saved)", "q", "app", True),
)


def editor_keys(modes: tuple[type[Mode], ...]) -> tuple[Key, ...]:
    """Every key of a screen with these modes, in the order the help screen lists them."""
    return ordered(MOVE_KEYS + SCREEN_KEYS + tuple(k for mode in modes for k in mode.KEYS))


ANNOTATE_KEYS = editor_keys(MODES)


class EditorScreen(KeyDispatch, Screen[None]):
    # A screen with one more mode: MODES = (*MODES, NewMode), KEYS = editor_keys(MODES), and
    # BINDINGS = key_bindings(KEYS).
    MODES: tuple[type[Mode], ...] = MODES
    KEYS = ANNOTATE_KEYS
    BINDINGS = key_bindings(ANNOTATE_KEYS)  # type: ignore[assignment]

    mode: var[str] = var(MODES[0].name, init=False, bindings=True)  # the active mode's name
    cursor: var[int] = var(0, init=False)
    selection: var[tuple[int, int] | None] = var(None, init=False)  # token range, inclusive
    selected_sid: var[int | None] = var(None, init=False)
    head_sid: var[int | None] = var(None, init=False)  # of the relation drawn or pointed at
    child_sid: var[int | None] = var(None, init=False)

    def __init__(self, session: AnnotationSession, model_name: str = "") -> None:
        super().__init__()
        self.session = session
        self.scheme: LabelScheme = session.scheme
        self.model_name = model_name
        self.modes: dict[str, Mode] = {cls.name: cls(self) for cls in self.MODES}
        self.saved_note = ""
        self.pending_task: Task | None = None  # shown before the first task is stored
        self.done = False
        self.notes: list[str] = []  # about the scheme and model, said when the first task opens
        self._picker_closed = float("-inf")  # when the label list last closed (time.monotonic)
        self.unprepared = ""  # why the text on screen could not be made a task, when it could not
        self.active_layer = ENTS  # the active layer (g): the span keys work on it

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield DocumentView(self.scheme, id="doc").data_bind(
                EditorScreen.cursor,
                EditorScreen.selection,
                EditorScreen.selected_sid,
                relation_head=EditorScreen.head_sid,
                relation_child=EditorScreen.child_sid,
            )
            with Vertical(id="side"):
                yield Legend(id="legend")
                yield RelationsPanel(id="relations")
        yield MessageLine(id="message")
        yield StatusLine(id="status")

    @property
    def doc(self) -> DocumentView:
        return self.query_one(DocumentView)

    @property
    def wrapped(self) -> Layout | None:
        return self.doc.wrap

    @property
    def page_rows(self) -> int:
        return self.doc.scrollable_content_region.height

    @property
    def controller(self) -> Mode:
        return self.modes[self.mode]

    def on_mount(self) -> None:
        self.doc.focus()
        self.query_one(Legend).show_labels(self.scheme, relations=False, layer=self.active_layer)
        self.open_first()
        if self.current_task is None:  # else load_current has said it (the counts are a query)
            self.update_status()

    def open_first(self) -> None:
        """What the screen shows when it opens: the session's open task."""
        self.load_current()

    # -- keys: the active mode first, then the screen -------------------------------------------

    def key_handler(self, action: str) -> Callable[..., object] | None:
        return self.controller.handler(action) or super().key_handler(action)

    def action_mode(self, mode: str, action: str = "enter") -> None:
        """A key a mode gives every mode: turn it on (``r``, ``R``, ``/``: its ``action_enter``), or
        another of its actions (``n``: the search mode's ``action_next_match``)."""
        handler = self.modes[mode].handler(action)
        if handler is not None:
            handler()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While a mode takes text, no key is a command (the movement keys are priority bindings).
        if action == "key" and self.controller.takes_text:
            return False
        return super().check_action(action, parameters)

    def on_key(self, event: events.Key) -> None:
        """A mode that takes text (the search query) gets every key while it is on."""
        if self.controller.takes_text:
            event.stop()
            event.prevent_default()
            self.controller.text_key(event.key, event.character)

    # -- what the watchers redraw ---------------------------------------------------------------

    def watch_mode(self, new: str) -> None:
        if not self.controller.shows_relations:
            self.head_sid = self.child_sid = None
        self.refresh_side()
        self.update_status()

    def watch_head_sid(self) -> None:
        self.refresh_side()

    def watch_child_sid(self) -> None:
        self.refresh_side()

    # -- what is on screen ----------------------------------------------------------------------

    @property
    def current_task(self) -> Task | None:
        cur = self.session.current
        return cur.task if cur else None

    @property
    def annotation(self) -> Annotation:
        cur = self.session.current
        return cur.annotation if cur else Annotation()

    @property
    def doubts(self) -> Doubts | None:
        """How sure the model was of the open task's suggestion."""
        cur = self.session.current
        return cur.doubts if cur else None

    def load_current(self, keep_cursor_char: int | None = None) -> None:
        task = self.current_task
        if task is None:
            return
        collector.reading()
        self.pending_task = None
        self.done = False
        self.reset_view(first_visible(task))
        if keep_cursor_char is not None:
            idx = task.token_index_at_char(keep_cursor_char)
            if idx is not None:
                self.cursor = idx
        self.doc.show(task, self.annotation, doubts=self.doubts)
        self.refresh_side()
        self.update_status()
        # What was said was about the task on screen before; the notes of the start, once.
        self.say(" · ".join(self.notes))
        self.notes = []
        # No long pause of the garbage collector on a key (tui/collector.py); after the paint, as its
        # collection of what the start made (Textual's modules and screens) is 20 ms of the first one.
        self.call_after_refresh(collector.editing)
        # The places of a long document's spans (core/span_places.py), built once it is drawn rather
        # than on the first key (50 ms at 52,503 spans), then carried from edit to edit.
        self.call_after_refresh(self.annotation.places)

    def reset_view(self, cursor: int) -> None:
        """The edit mode, nothing selected, the cursor on ``cursor``: how a text opens."""
        self.mode = MODES[0].name
        self.selection = self.selected_sid = self.head_sid = self.child_sid = None
        self.cursor = cursor

    def repaint_annotation(self, edit: edits.Edit | None = None) -> None:
        if edit is None:
            self.doc.update_annotation(self.annotation)
        else:
            self.doc.update_annotation(self.annotation, edit.removed_spans, edit.added_spans)
        self.refresh_side()
        self.update_status()

    def refresh_side(self) -> None:
        mode, ann = self.controller, self.annotation
        pair: tuple[str, str] | None = None
        drawn: frozenset[str] = frozenset()
        if mode.shows_relations and self.head_sid is not None and self.child_sid is not None:
            head, child = ann.span(self.head_sid), ann.span(self.child_sid)
            pair = (head.label, child.label) if head and child else None
            key = (self.head_sid, self.child_sid)
            drawn = frozenset(r.label for r in ann.relations if (r.head, r.child) == key)
        self.query_one(Legend).show_labels(
            self.scheme, relations=mode.shows_relations, pair=pair, drawn=drawn, layer=self.active_layer
        )
        self.query_one(RelationsPanel).show_relations(
            self.current_task, ann, mode.selected_relation(), mode.browsing
        )

    def say(self, message: str, error: bool = False, *, log: bool = True) -> None:
        self.query_one(MessageLine).say(message, error, log=log)

    @property
    def said(self) -> str:
        """What the message line says now."""
        return self.query_one(MessageLine).said

    def say_fitting(self, head: Callable[[Callable[[str], str]], str], tails: tuple[str, ...]) -> None:
        """Say ``head`` (built with a quoting function that clips span texts) and the first of
        ``tails`` (key hints, longest first) that fits the message line; span texts are clipped
        shorter, and the hints left out, before anything is cut off at the edge."""
        room = self.query_one(MessageLine).content_region.width or 10_000
        tries = [(clip, tail) for clip in (24, 16) for tail in tails] + [(24, ""), (16, ""), (10, "")]
        line = ""
        for clip, tail in tries:
            line = head(lambda text, clip=clip: quote(text, clip)) + tail  # type: ignore[misc]
            if len(line) <= room:
                break
        self.say(line)

    def update_status(self) -> None:
        self.query_one(StatusLine).show_parts(
            status_parts(
                self.session,
                self.controller.badge,
                self.model_name,
                self.saved_note,
                self.done,
                self.active_layer,
            )
        )

    # -- what the modes ask of the screen ---------------------------------------------------------

    def editable(self) -> bool:
        if self.fault is not None:
            self.storage_fault(self.fault)
            return False
        if self.session.current is None:
            if self.unprepared:
                self.say(f"nothing to edit: this text could not be prepared ({self.unprepared})", error=True)
            elif self.pending_task:
                self.say("nothing to edit yet: this text is still being prepared", error=True)
            else:
                self.say("no task is open", error=True)
            return False
        return True

    def storage_fault(self, exc: StoreError) -> None:
        """The database refused a read or a write: say so, take no more edits, and make the app
        exit non-zero (its summary says what was not saved)."""
        self.fault = exc
        if isinstance(self.app, FaultReporting):
            self.app.record_fault(exc)
        self.saved_note = "NOT SAVED"
        self.say(fault_message(exc), error=True)
        self.update_status()

    def reloaded(self, exc: ConcurrentEdit) -> None:
        """Another window of this annotator saved the task: show what it saved."""
        cursor = self.current_task.tokens[self.cursor].start if self.current_task else None
        self.load_current(keep_cursor_char=cursor)
        self.say(str(exc), error=True)

    def apply(self, edit: edits.Edit, message: str = "") -> bool:
        """Store the edit and draw it; False when it was refused and the task reloaded."""
        was = self.annotation.answer
        try:
            self.session.apply(edit)
        except ConcurrentEdit as exc:
            self.reloaded(exc)
            return False
        except StoreError as exc:  # reached from the label picker too, not only from keys
            self.storage_fault(exc)
            return False
        if not edit.empty:  # as the session stored it: with the relations the rules see for new spans
            edit = self.last_edit or edit
        self.repaint_annotation(edit)
        said = " · ".join(part for part in (message, edit.note) if part)
        self.say(said + reopened(was, self.annotation.answer))
        return True

    @property
    def last_edit(self) -> edits.Edit | None:
        """The latest step of the open task's history (what ``u`` would undo)."""
        cur = self.session.current
        return cur.history.done[-1] if cur is not None and cur.history.done else None

    def target_span(self) -> Span | None:
        """The selected span, else the span of the active layer under the cursor (in a span
        group, the innermost): from the document's index of the spans on screen where it can (a
        look through every span was milliseconds a key on a long document)."""
        ann = self.annotation
        index = self.doc.spans
        if index.annotation is not ann:  # not drawn yet: look through the annotation itself
            span = ann.span(self.selected_sid) if self.selected_sid is not None else None
            return span if span is not None else ann.span_at_token(self.cursor, self.active_layer)
        if self.selected_sid is not None:
            span = index.by_sid.get(self.selected_sid) or index.groups.by_sid.get(self.selected_sid)
            if span is not None:
                return span
        if self.active_layer == ENTS:
            return index.span_at.get(self.cursor)  # entity spans never overlap: the one there
        return ann.span_at_token(self.cursor, self.active_layer)

    def split_token(self, at: int) -> None:
        """Split the token holding character ``at`` there (the split mode's enter)."""
        if not self.editable():
            return
        try:
            edit = self.session.split_token(at)
        except ConcurrentEdit as exc:
            self.reloaded(exc)
            return
        except StoreError as exc:
            self.storage_fault(exc)
            return
        except AnnotatorError as exc:
            self.say(str(exc), error=True)
            return
        self.retokenized(at - 1)
        self.say(f"{edit.note} (for every annotator of the dataset) · u merges it back")

    def retokenized(self, char: int) -> None:
        """The open task's tokens changed (a split, or its undo): draw it anew, the cursor on the
        token holding ``char``."""
        task = self.current_task
        if task is None:
            return
        self.selection = self.selected_sid = None
        self.cursor = task.token_index_at_char(char) or 0
        self.doc.show(task, self.annotation)
        self.refresh_side()
        self.update_status()

    def delete_target(self, before: Callable[[Span], str] | None = None) -> None:
        """Delete the target span and its relations; ``before`` (the mode's) says what else
        changes, for the message."""
        if not self.editable():
            return
        target = self.target_span()
        if target is None:
            self.say("no span under the cursor")
            return
        edit = edits.delete_span(self.annotation, target.sid)
        self.selected_sid = None
        left = before(target) if before else ""
        rels = len(edit.removed_relations)
        text = self.current_task.text[target.start : target.end] if self.current_task else ""
        self.apply(
            edit,
            f"deleted {target.label} {text!r}" + (f" and {counted(rels, 'relation')}" if rels else "") + left,
        )

    def move_cursor(self, token: int) -> None:
        self.cursor = token
        self.selection = None
        self.controller.cursor_moved(token)

    def pick_label(self, names: tuple[str, ...], title: str, then: Callable[[str], None]) -> None:
        if not names:
            self.say("this scheme has no labels of that kind", error=True)
            return

        def closed(label: str | None) -> None:
            self._picker_closed = time.monotonic()
            if label is not None:
                then(label)

        from annotator.tui.components.dialogs import LabelPicker  # on the first use (see action_help)

        self.app.push_screen(LabelPicker(names, title), closed)

    def run_key(self, key_id: str, *digit: int) -> object:
        """A digit that comes right after the label list closed is the rest of a number typed
        into it (``1`` ``4`` for a fourteenth label): it is said, not applied to the screen."""
        if digit and time.monotonic() - self._picker_closed < DIGIT_AFTER_PICKER_S:
            self.say(
                f"{digit[0]} not applied: it came right after the label list closed, which numbers "
                "its first nine labels only (type letters there to find the others)",
                error=True,
            )
            return None
        return super().run_key(key_id, *digit)

    # -- keys the screen answers in every mode (after the mode, which may answer them first) ------

    def action_undo(self) -> None:
        self._history(self.session.undo, "undid", "nothing to undo")

    def action_redo(self) -> None:
        self._history(self.session.redo, "redid", "nothing to redo")

    def _history(self, step: Callable[[], edits.Edit | None], verb: str, nothing: str) -> None:
        if not self.editable():
            return
        was = self.annotation.answer
        try:
            edit = step()
        except ConcurrentEdit as exc:
            self.reloaded(exc)
            return
        except AnnotatorError as exc:  # a split that a span needs cannot be undone
            self.say(str(exc), error=True)
            return
        if edit is None:
            self.say(nothing)
            return
        at = edit.split_at if edit.split_at is not None else edit.merge_at
        if at is not None:
            self.retokenized(at - 1)
            self.say(f"{verb}: {edit.note}" + reopened(was, self.annotation.answer))
            return
        # The step's spans against the index of the spans on screen (still the annotation before
        # it): which of the marked spans are gone, without a look through every span.
        applied = edit if verb == "redid" else edit.inverse()
        removed = {s.sid for s in applied.removed_spans}
        added = {s.sid for s in applied.added_spans}
        index = self.doc.spans

        def gone(sid: int | None) -> bool:
            there = sid in index.by_sid or sid in index.groups.by_sid
            return sid is not None and sid not in added and (sid in removed or not there)

        if gone(self.selected_sid):
            self.selected_sid = None
        gone_marks = [sid for sid in (self.head_sid, self.child_sid) if gone(sid)]
        if gone_marks:
            self.controller.leave()
        moved = edit.added_spans or edit.removed_spans
        if moved:
            self.cursor = moved[0].token_start
        self.repaint_annotation(edit if verb == "redid" else edit.inverse())
        self.controller.annotation_changed()
        self.say(f"{verb} {edit.kind.replace('-', ' ')}" + reopened(was, self.annotation.answer))

    def action_messages(self) -> None:
        self.app.push_screen(MessagesScreen(log_of(self.app)))

    def action_help(self) -> None:
        # The dialogs are imported when first opened, not at the start: the first screen has none.
        from annotator.tui.components.dialogs import HelpScreen

        self.app.push_screen(HelpScreen(self.KEYS))

    async def action_quit(self) -> None:
        self.app.exit()

    # -- mouse ------------------------------------------------------------------------------------

    def on_document_view_token_clicked(self, event: DocumentView.TokenClicked) -> None:
        self.controller.clicked(event.token, event.sid)

    def on_document_view_tokens_dragged(self, event: DocumentView.TokensDragged) -> None:
        self.controller.dragged(event.first, event.last)


def first_visible(task: Task) -> int:
    return next((tok.id for tok in task.tokens if not tok.text.isspace()), 0)


def reopened(was: str | None, now: str | None) -> str:
    """What to add to the message when an edit made a decided task a draft again."""
    if was is None or now is not None:
        return ""
    past, again = {
        "accept": ("accepted", "a accepts it again"),
        "reject": ("rejected", "x rejects it again"),
        "ignore": ("ignored", "space ignores it again"),
    }.get(was, (was, "a accepts it"))
    return f" · was {past}, now a draft: {again}"
