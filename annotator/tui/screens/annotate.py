"""The annotate screen: the document, the legend and relations beside it, status below.

The screen turns keys into core edits and hands them to the session, which stores them before the
screen repaints. It holds only view state: cursor, selection, mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from annotator.core import edits
from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Annotation, Answer, Relation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.core.tokenize import provisional_tokens
from annotator.session import AnnotationSession, ConcurrentEdit
from annotator.tui.components.document_view import DocumentView, Marks
from annotator.tui.components.side_panels import (
    Legend,
    MessageLine,
    RelationsPanel,
    StatusLine,
    span_names,
)
from annotator.tui.keymap import ANNOTATE_KEYS, bindings
from annotator.tui.screens.modals import HelpScreen, LabelPicker

Mode = Literal["spans", "relation", "browse"]


class AnnotateScreen(Screen[None]):
    BINDINGS = bindings(ANNOTATE_KEYS)  # type: ignore[assignment]
    DEFAULT_CSS = """
    AnnotateScreen #main { height: 1fr; }
    AnnotateScreen DocumentView { width: 1fr; height: 1fr; border: round $panel-lighten-2; }
    AnnotateScreen DocumentView:focus { border: round $accent; }
    AnnotateScreen #side { width: 36; height: 1fr; }
    """

    def __init__(self, session: AnnotationSession, model_name: str = "") -> None:
        super().__init__()
        self.session = session
        self.scheme: LabelScheme = session.scheme
        self.model_name = model_name
        self.mode: Mode = "spans"
        self.cursor = 0
        self.selection: tuple[int, int] | None = None
        self.selected_sid: int | None = None
        self.head_sid: int | None = None
        self.child_sid: int | None = None
        self.browse_index: int | None = None
        self.saved_note = ""
        self.pending_task: Task | None = None  # shown before the first task is stored
        self.done = False
        self.notes: list[str] = []  # about the scheme and model, said when the first task opens

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield DocumentView(self.scheme, id="doc")
            with Vertical(id="side"):
                yield Legend(id="legend")
                yield RelationsPanel(id="relations")
        yield MessageLine(id="message")
        yield StatusLine(id="status")

    @property
    def doc(self) -> DocumentView:
        return self.query_one(DocumentView)

    def on_resize(self, event: events.Resize) -> None:
        # The side panels take about a third of a wide terminal, less of a narrow one, so that an
        # 80-column terminal still gives the text most of its width.
        width = event.size.width
        self.query_one("#side").styles.width = min(max(round(width * 0.3), 30), 44, width // 2)

    def on_mount(self) -> None:
        self.doc.focus()
        self.query_one(Legend).show_labels(self.scheme, relations=False)
        if self.session.current is not None:
            self.load_current()
        elif self.session.finished and self.session.task_ids:
            self.show_done("every task is answered")
        self.update_status()

    # -- what is on screen ------------------------------------------------------------------------

    @property
    def current_task(self) -> Task | None:
        cur = self.session.current
        return cur.task if cur else None

    @property
    def annotation(self) -> Annotation:
        cur = self.session.current
        return cur.annotation if cur else Annotation()

    def show_pending(self, task: Task) -> None:
        """Show a text before its task is stored (provisional tokens: read-only)."""
        if self.session.current is not None:
            return
        self.pending_task = task
        self.cursor = self._first_visible(task)
        self.doc.show(task, Annotation(), self.marks(), provisional=True)
        self.say("loading the model; the text is read-only until its suggestions arrive")
        self.update_status()

    def load_current(self, keep_cursor_char: int | None = None) -> None:
        task = self.current_task
        if task is None:
            return
        self.pending_task = None
        self.done = False
        self.mode, self.selection = "spans", None
        self.selected_sid = self.head_sid = self.child_sid = self.browse_index = None
        self.cursor = self._first_visible(task)
        if keep_cursor_char is not None:
            idx = task.token_index_at_char(keep_cursor_char)
            if idx is not None:
                self.cursor = idx
        self.doc.show(task, self.annotation, self.marks())
        self.doc.scroll_to_token(self.cursor)
        self.refresh_side()
        self.update_status()
        # What was said was about the task on screen before; the notes of the start, once.
        self.say(" · ".join(self.notes))
        self.notes = []

    def _first_visible(self, task: Task) -> int:
        for tok in task.tokens:
            if not tok.text.isspace():
                return tok.id
        return 0

    def marks(self) -> Marks:
        ann = self.annotation
        return Marks(
            cursor=self.cursor,
            selection=self.selection,
            selected_sid=self.selected_sid,
            relation_head=self.head_sid,
            relation_child=self.child_sid if self.mode != "spans" else None,
            heads={r.head for r in ann.relations},
            children={r.child for r in ann.relations},
        )

    def repaint_marks(self) -> None:
        self.doc.set_marks(self.marks())
        self.doc.scroll_to_token(self.cursor)

    def repaint_annotation(self, edit: edits.Edit | None = None) -> None:
        if edit is None:
            self.doc.update_annotation(self.annotation, self.marks())
        else:
            self.doc.update_annotation(self.annotation, self.marks(), edit.removed_spans, edit.added_spans)
        self.doc.scroll_to_token(self.cursor)
        self.refresh_side()
        self.update_status()

    def refresh_side(self) -> None:
        drawn = frozenset(
            r.label
            for r in self.annotation.relations
            if self.mode != "spans" and (r.head, r.child) == (self.head_sid, self.child_sid)
        )
        self.query_one(Legend).show_labels(
            self.scheme, relations=self.mode in ("relation", "browse"), pair=self._pair(), drawn=drawn
        )
        selected = self.browse_index if self.mode == "browse" else None
        if drawn and self.mode == "relation":  # the relation just drawn between head and child
            selected = next(
                i
                for i, r in enumerate(self.annotation.sorted_relations())
                if (r.head, r.child) == (self.head_sid, self.child_sid)
            )
        self.query_one(RelationsPanel).show_relations(
            self.current_task, self.annotation, selected, self.mode == "browse"
        )

    def _pair(self) -> tuple[str, str] | None:
        """The labels of the head and child spans chosen in relation mode (or of the relation
        selected in the list)."""
        if self.mode == "spans" or self.head_sid is None or self.child_sid is None:
            return None
        head, child = self.annotation.span(self.head_sid), self.annotation.span(self.child_sid)
        return (head.label, child.label) if head and child else None

    def say(self, message: str, error: bool = False) -> None:
        self.query_one(MessageLine).say(message, error)

    def update_status(self) -> None:
        s = self.session
        counts = s.counts()
        idx = s.index
        known = len(s.task_ids)
        if s.finished:
            of = str(known)
        else:  # still preparing: the source's size when it could be counted cheaply
            of = str(max(s.total, known)) if s.total is not None else "?"
        if idx is not None:
            position = Text(f"task {idx + 1} of {of}")
            answer = s.current.annotation.answer if s.current is not None else None
            if answer:
                past = {"accept": "accepted", "reject": "rejected", "ignore": "ignored"}[answer]
                color = {"accept": "green", "reject": "red", "ignore": "yellow"}[answer]
                position.append(f": {past}", style=f"bold {color}")
        elif self.done and s.finished and known:
            position = Text(f"all {known} answered")
        else:
            position = Text(f"{known} of {of} tasks ready")
        counts_text = Text.assemble(
            (f"✓{counts.get('accept', 0)}", "green"),
            " ",
            (f"✗{counts.get('reject', 0)}", "red"),
            " ",
            (f"–{counts.get('ignore', 0)}", "yellow"),
            f" ✎{counts.get('draft', 0)}",
        )
        # (text, priority): a narrow terminal leaves out the lowest first; the mode and the
        # position stay.
        parts: list[tuple[Text, int]] = []
        mode = {"spans": "", "relation": "RELATION", "browse": "RELATIONS LIST"}[self.mode]
        if mode:
            parts.append((Text(f" {mode} ", style="bold reverse"), 9))
        parts += [
            (Text(s.dataset, style="bold"), 6),
            (Text(s.annotator), 5),
            (position, 8),
            (counts_text, 4),
            (Text(self.model_name or "no model"), 1),
            (Text(self.saved_note or "saved"), 2),
        ]
        self.query_one(StatusLine).show_parts(parts)

    # -- helpers ----------------------------------------------------------------------------------

    def _editable(self) -> bool:
        if self.session.current is None:
            self.say(
                "nothing to edit yet: the model is still preparing this text"
                if self.pending_task
                else "no task is open",
                error=True,
            )
            return False
        return True

    def _reloaded(self, exc: ConcurrentEdit) -> None:
        """Another window of this annotator saved the task: show what it saved."""
        cursor = self.current_task.tokens[self.cursor].start if self.current_task else None
        self.load_current(keep_cursor_char=cursor)
        self.say(str(exc), error=True)

    def _apply(self, edit: edits.Edit, message: str = "") -> bool:
        """Store the edit and draw it; False when it was refused and the task reloaded."""
        was = self.annotation.answer
        try:
            self.session.apply(edit)
        except ConcurrentEdit as exc:
            self._reloaded(exc)
            return False
        self.repaint_annotation(edit)
        said = " · ".join(part for part in (message, edit.note) if part)
        self.say(said + self._reopened(was))
        return True

    @staticmethod
    def _replaced(task: Task, edit: edits.Edit) -> str:
        """What a new or resized span took the place of, besides itself."""
        kept = {s.sid for s in edit.added_spans}
        gone = [s for s in edit.removed_spans if s.sid not in kept]
        rels = len(edit.removed_relations)
        if not gone and not rels:
            return ""
        parts = [f"{s.label} {task.text[s.start : s.end]!r}" for s in gone[:3]]
        if len(gone) > 3:
            parts.append(f"{len(gone) - 3} more")
        if rels:
            parts.append(f"{rels} relation{'s' if rels > 1 else ''}")
        return " · replaced " + ", ".join(parts)

    def _reopened(self, was: str | None) -> str:
        if was is None or self.annotation.answer is not None:
            return ""
        past, again = {
            "accept": ("accepted", "a accepts it again"),
            "reject": ("rejected", "x rejects it again"),
            "ignore": ("ignored", "space ignores it again"),
        }.get(was, (was, "a accepts it"))
        return f" · was {past}, now a draft: {again}"

    def _target_span(self) -> Span | None:
        ann = self.annotation
        if self.selected_sid is not None:
            span = ann.span(self.selected_sid)
            if span is not None:
                return span
        return ann.span_at_token(self.cursor)

    def _step_token(self, i: int, delta: int) -> int:
        task = self.current_task or self.pending_task
        if task is None:
            return i
        j = i + delta
        while 0 <= j < len(task.tokens) and task.tokens[j].text.isspace():
            j += delta
        return j if 0 <= j < len(task.tokens) else i

    def _move_cursor(self, token: int, keep_selection: bool = False) -> None:
        self.cursor = token
        if not keep_selection:
            self.selection = None
        if self.mode == "spans" and self.selected_sid is not None:
            span = self.annotation.span(self.selected_sid)
            if span is None or not span.token_start <= token <= span.token_end:
                self.selected_sid = None
                self.say("")  # what was said about the span it leaves
        if self.mode == "relation":
            under = self.annotation.span_at_token(token)
            if under is not None and under.sid != self.head_sid and under.sid != self.child_sid:
                self.child_sid = under.sid
                self.repaint_marks()
                self.refresh_side()
                self._relation_prompt()
                return
        self.repaint_marks()

    # -- movement ---------------------------------------------------------------------------------

    def action_cursor_right(self) -> None:
        self._move_cursor(self._step_token(self.cursor, 1))

    def action_cursor_left(self) -> None:
        self._move_cursor(self._step_token(self.cursor, -1))

    def _vertical(self, rows: int) -> None:
        layout = self.doc.wrap
        if layout is None:
            return
        x = layout.x_of(self.cursor)
        row = layout.row_of(self.cursor)
        target = row + rows
        step = 1 if rows > 0 else -1
        while 0 <= target < len(layout.rows):
            token = layout.token_at(target, x)
            if token is not None:
                self._move_cursor(token)
                return
            target += step  # blank line: keep going

    def action_cursor_down(self) -> None:
        if self.mode == "browse":
            self._browse_step(1)
        else:
            self._vertical(1)

    def action_cursor_up(self) -> None:
        if self.mode == "browse":
            self._browse_step(-1)
        else:
            self._vertical(-1)

    def action_page_down(self) -> None:
        self._vertical(max(self.doc.scrollable_content_region.height - 2, 1))

    def action_page_up(self) -> None:
        self._vertical(-max(self.doc.scrollable_content_region.height - 2, 1))

    def action_line_start(self) -> None:
        layout = self.doc.wrap
        if layout is not None:
            pos = layout.positions(layout.row_of(self.cursor))
            if pos:
                self._move_cursor(pos[0][0])

    def action_line_end(self) -> None:
        layout = self.doc.wrap
        if layout is not None:
            pos = layout.positions(layout.row_of(self.cursor))
            if pos:
                self._move_cursor(pos[-1][0])

    # -- spans ------------------------------------------------------------------------------------

    def _spans_in_order(self) -> list[Span]:
        return sorted(self.annotation.spans, key=lambda s: s.start)

    def action_next_span(self) -> None:
        self._cycle_span(1)

    def action_prev_span(self) -> None:
        self._cycle_span(-1)

    def _cycle_span(self, delta: int) -> None:
        if self.mode == "browse":
            self._browse_step(delta)
            return
        spans = self._spans_in_order()
        if self.mode == "relation":
            spans = [s for s in spans if s.sid != self.head_sid]
        if not spans:
            self.say("no spans in this task" if self.mode == "spans" else "no other span to link to")
            return
        current = self.child_sid if self.mode == "relation" else self.selected_sid
        sids = [s.sid for s in spans]
        if current in sids:
            idx = (sids.index(current) + delta) % len(spans)
        elif self.mode == "relation" and self.head_sid is not None:
            head = self.annotation.span(self.head_sid)
            after = [i for i, s in enumerate(spans) if head is not None and s.start > head.start]
            idx = (after[0] if after else 0) if delta > 0 else ((after[0] - 1) if after else len(spans) - 1)
        else:
            after = [i for i, s in enumerate(spans) if s.token_end >= self.cursor]
            before = [i for i, s in enumerate(spans) if s.token_start < self.cursor]
            if delta > 0:
                idx = after[0] if after else 0
            else:
                idx = before[-1] if before else len(spans) - 1
        span = spans[idx]
        if self.mode == "relation":
            self.child_sid = span.sid
        else:
            self.selected_sid = span.sid
            self.selection = None
        self.cursor = span.token_start
        self.repaint_marks()
        self.refresh_side()
        if self.mode == "relation":
            self._relation_prompt()
        elif self.current_task is not None:
            name = span_names(self.current_task, self.annotation)[span.sid]
            self.say(f"{span.label} {_quote(name, 40)} · span {idx + 1} of {len(spans)}")

    def action_label(self, n: int) -> None:
        if self.mode == "relation":
            self._relation_label(n)
            return
        if self.mode == "browse":
            self._browse_relabel(n)
            return
        if n > len(self.scheme.labels):
            self.say(
                f"no label {n}: this scheme has {len(self.scheme.labels)} labels (0 lists them all)",
                error=True,
            )
            return
        self._label_with(self.scheme.labels[n - 1])

    def _label_with(self, label: str) -> None:
        if not self._editable():
            return
        task = self.current_task
        assert task is not None
        try:
            if self.selection is not None:
                first, last = self.selection
                edit = edits.set_span(task, self.annotation, first, last, label, scheme=self.scheme)
                self.selection = None
                self.cursor = first
            else:
                target = self._target_span()
                if target is not None:
                    edit = edits.relabel_span(self.annotation, target.sid, label, self.scheme)
                else:
                    edit = edits.set_span(
                        task, self.annotation, self.cursor, self.cursor, label, scheme=self.scheme
                    )
        except InvalidAnnotation as exc:
            self.say(str(exc), error=True)
            return
        added = edit.added_spans[0] if edit.added_spans else None
        self.selected_sid = added.sid if added else self.selected_sid
        self._apply(
            edit,
            f"{label}: {task.text[added.start : added.end]!r}{self._replaced(task, edit)}" if added else "",
        )

    def action_pick_label(self) -> None:
        if self.mode in ("relation", "browse"):
            names = self.scheme.relation_labels
            title = "relation label"
        else:
            names = self.scheme.labels
            title = "entity label"
        if not names:
            self.say("this scheme has no labels of that kind", error=True)
            return

        def picked(label: str | None) -> None:
            if label is None:
                return
            if self.mode == "relation":
                self._relation_label(names.index(label) + 1, names)
            elif self.mode == "browse":
                self._browse_relabel(names.index(label) + 1, names)
            else:
                self._label_with(label)

        self.app.push_screen(LabelPicker(names, title), picked)

    def action_delete(self) -> None:
        if self.mode == "browse":
            self._browse_delete()
            return
        if not self._editable():
            return
        target = self._target_span()
        if target is None:
            self.say("no span under the cursor")
            return
        edit = edits.delete_span(self.annotation, target.sid)
        self.selected_sid = None
        left = ""
        if self.mode == "relation" and target.sid == self.head_sid:
            self.mode, self.head_sid, self.child_sid = "spans", None, None
            left = "; it was the head, so relation mode is left"
        elif self.mode == "relation" and target.sid == self.child_sid:
            self.child_sid = None
            left = "; tab chooses another child"
        rels = len(edit.removed_relations)
        text = self.current_task.text[target.start : target.end] if self.current_task else ""
        self._apply(
            edit, f"deleted {target.label} {text!r}" + (f" and {rels} relation(s)" if rels else "") + left
        )

    def _resize(self, d_start: int, d_end: int) -> None:
        """Move the edges of the selected span (or the free selection) by whole tokens."""
        task = self.current_task or self.pending_task
        if task is None:
            return
        target = None if self.selection is not None else self._target_span()
        if target is None or self.mode != "spans":
            # a free selection from the cursor
            first, last = self.selection or (self.cursor, self.cursor)
            if d_end:
                last = self._step_token(last, d_end) if (d_end > 0 or last > first) else last
            if d_start:
                first = self._step_token(first, d_start) if (d_start < 0 or first < last) else first
            self.selection = (first, last)
            self.cursor = last if d_end else first
            self.repaint_marks()
            text = task.text[task.tokens[first].start : task.tokens[last].end]
            self.say(f"selection {_quote(' '.join(text.split()), 30)}: 1…9 gives it a label, esc clears it")
            return
        if not self._editable():
            return
        first, last = target.token_start, target.token_end
        if d_end:
            last = self._step_token(last, d_end)
        if d_start:
            first = self._step_token(first, d_start)
        if last < first or (first, last) == (target.token_start, target.token_end):
            self.say("a span keeps at least one token; d deletes it" if last < first else "")
            return
        try:
            edit = edits.resize_span(task, self.annotation, target.sid, first, last, self.scheme)
        except InvalidAnnotation as exc:
            self.say(str(exc), error=True)
            return
        self.selected_sid = target.sid
        self.cursor = last if d_end else first
        new_text = task.text[task.tokens[first].start : task.tokens[last].end]
        self._apply(edit, f"{target.label}: {new_text!r}{self._replaced(task, edit)}")

    def action_grow(self) -> None:
        self._resize(0, 1)

    def action_shrink(self) -> None:
        self._resize(0, -1)

    def action_grow_left(self) -> None:
        self._resize(-1, 0)

    def action_shrink_left(self) -> None:
        self._resize(1, 0)

    def action_clear(self) -> None:
        if self.mode != "spans":
            self.mode = "spans"
            self.head_sid = self.child_sid = self.browse_index = None
            self.say("")
        else:
            self.selection = None
            self.selected_sid = None
        self.repaint_marks()
        self.refresh_side()
        self.update_status()

    # -- relations --------------------------------------------------------------------------------

    def action_relation_mode(self) -> None:
        if not self._editable():
            return
        target = self._target_span()
        if target is None:
            self.say("put the cursor on a span (or tab to one) to make it the head", error=True)
            return
        if not self.scheme.relations:
            self.say("this label scheme has no relation labels (--relations or --config)", error=True)
            return
        self.mode = "relation"
        self.head_sid, self.child_sid = target.sid, None
        self.selected_sid = None
        self.selection = None
        self._cycle_span(1)
        self._relation_prompt()
        self.refresh_side()
        self.update_status()

    def _relation_prompt(self) -> None:
        """Say which span is the head and which the child, and what the keys do."""
        task = self.current_task
        head = self.annotation.span(self.head_sid) if self.head_sid is not None else None
        if task is None or head is None:
            return
        names = span_names(task, self.annotation)
        child = self.annotation.span(self.child_sid) if self.child_sid is not None else None
        if child is None:
            self._say_fitting(
                lambda q: f"{q(names[head.sid])} → ?",
                ("  tab or the arrows choose the child, esc leaves", "  tab: child, esc"),
            )
            return
        self._say_fitting(
            lambda q: f"{q(names[head.sid])} → {q(names[child.sid])}",
            ("  1…9 label (again removes it), tab next, esc", "  1…9 label, tab, esc"),
        )

    def _say_fitting(self, head: Callable[[Callable[[str], str]], str], tails: tuple[str, ...]) -> None:
        """Say ``head`` (built with a quoting function that clips span texts) and the first of
        ``tails`` (key hints, longest first) that fits the message line; span texts are clipped
        shorter, and the hints left out, before anything is cut off at the edge."""
        room = self.query_one(MessageLine).content_region.width or 10_000
        tries = [(clip, tail) for clip in (24, 16) for tail in tails] + [(24, ""), (16, ""), (10, "")]
        line = ""
        for clip, tail in tries:
            line = head(lambda text, clip=clip: _quote(text, clip)) + tail  # type: ignore[misc]
            if len(line) <= room:
                break
        self.say(line)

    def _relation_label(self, n: int, names: tuple[str, ...] | None = None) -> None:
        names = names or self.scheme.relation_labels
        if n > len(names):
            self.say(f"no relation label {n}", error=True)
            return
        if self.head_sid is None or self.child_sid is None or self.annotation.span(self.child_sid) is None:
            self.child_sid = None
            self.say("choose the child span first (tab)", error=True)
            return
        label = names[n - 1]
        try:
            edit = edits.toggle_relation(self.annotation, self.head_sid, self.child_sid, label, self.scheme)
        except InvalidAnnotation as exc:
            self.say(f"refused: {exc}", error=True)
            return
        verb = "removed" if edit.removed_relations else "added"
        rel = (edit.added_relations or edit.removed_relations)[0]
        task = self.current_task
        assert task is not None
        line = self._relation_text(task, self.annotation, rel)
        self._apply(edit, f"{verb} {line}")

    @staticmethod
    def _relation_text(task: Task, annotation: Annotation, rel: Relation) -> str:
        h, c = annotation.span(rel.head), annotation.span(rel.child)
        ht = task.text[h.start : h.end] if h else "?"
        ct = task.text[c.start : c.end] if c else "?"
        return f"{ht} ─{rel.label}→ {ct}"

    def _sorted_relations(self) -> tuple[Relation, ...]:
        return self.annotation.sorted_relations()

    def action_browse_relations(self) -> None:
        if self.mode == "browse":
            self.action_clear()
            return
        if not self._editable():
            return
        rels = self._sorted_relations()
        if not rels:
            self.say("this task has no relations yet")
            return
        self.mode = "browse"
        self.browse_index = 0
        self._show_browsed()
        self._browse_prompt()
        self.update_status()

    def _browse_prompt(self) -> None:
        """The relation selected in the list, whole (the panel clips long texts), and the keys."""
        rels = self._sorted_relations()
        task = self.current_task
        if self.mode != "browse" or self.browse_index is None or not rels or task is None:
            return
        rel = rels[self.browse_index]
        names = span_names(task, self.annotation)
        where = f"{self.browse_index + 1} of {len(rels)}: "
        self._say_fitting(
            lambda q: f"{where}{q(names.get(rel.head, '?'))} ─{rel.label}→ {q(names.get(rel.child, '?'))}",
            (" · j/k move, 1…9 relabel, d deletes, esc", " · j/k, 1…9, d, esc"),
        )

    def _show_browsed(self) -> None:
        rels = self._sorted_relations()
        if not rels:
            self.mode = "spans"
            self.browse_index = self.head_sid = self.child_sid = None
        else:
            self.browse_index = min(self.browse_index or 0, len(rels) - 1)
            rel = rels[self.browse_index]
            self.head_sid, self.child_sid = rel.head, rel.child
            head = self.annotation.span(rel.head)
            if head is not None:
                self.cursor = head.token_start
        self.repaint_marks()
        self.refresh_side()

    def _browse_step(self, delta: int) -> None:
        rels = self._sorted_relations()
        if rels:
            self.browse_index = ((self.browse_index or 0) + delta) % len(rels)
            self._show_browsed()
            self._browse_prompt()

    def _browse_relabel(self, n: int, names: tuple[str, ...] | None = None) -> None:
        names = names or self.scheme.relation_labels
        rels = self._sorted_relations()
        if not rels or self.browse_index is None or n > len(names):
            self.say(f"no relation label {n}", error=True)
            return
        rel = rels[self.browse_index]
        if rel.label == names[n - 1]:
            self.say(f"already {rel.label}")
            return
        try:
            edit = edits.relabel_relation(self.annotation, rel, names[n - 1], self.scheme)
        except InvalidAnnotation as exc:
            self.say(f"refused: {exc}", error=True)
            return
        if not self._apply(edit, f"relabelled to {names[n - 1]}"):
            return
        new = [
            i for i, r in enumerate(self._sorted_relations()) if r.key == (rel.head, rel.child, names[n - 1])
        ]
        if new:
            self.browse_index = new[0]
        self._show_browsed()

    def _browse_delete(self) -> None:
        rels = self._sorted_relations()
        if not rels or self.browse_index is None:
            return
        rel = rels[self.browse_index]
        task = self.current_task
        assert task is not None
        text = self._relation_text(task, self.annotation, rel)
        if not self._apply(edits.delete_relation(self.annotation, rel), f"deleted {text}"):
            return
        self._show_browsed()
        self.update_status()

    # -- history ----------------------------------------------------------------------------------

    def action_undo(self) -> None:
        if not self._editable():
            return
        was = self.annotation.answer
        try:
            edit = self.session.undo()
        except ConcurrentEdit as exc:
            self._reloaded(exc)
            return
        self._after_history(edit, "undid", "nothing to undo", was)

    def action_redo(self) -> None:
        if not self._editable():
            return
        was = self.annotation.answer
        try:
            edit = self.session.redo()
        except ConcurrentEdit as exc:
            self._reloaded(exc)
            return
        self._after_history(edit, "redid", "nothing to redo", was)

    def _after_history(self, edit: edits.Edit | None, verb: str, nothing: str, was: str | None) -> None:
        if edit is None:
            self.say(nothing)
            return
        ann = self.annotation
        if self.selected_sid is not None and ann.span(self.selected_sid) is None:
            self.selected_sid = None
        if self.mode != "spans" and (
            (self.head_sid is not None and ann.span(self.head_sid) is None)
            or (self.child_sid is not None and ann.span(self.child_sid) is None)
        ):
            self.mode, self.head_sid, self.child_sid, self.browse_index = "spans", None, None, None
        moved = edit.added_spans or edit.removed_spans
        if moved:
            self.cursor = moved[0].token_start
        self.repaint_annotation(edit if verb == "redid" else edit.inverse())
        if self.mode == "browse":
            self._show_browsed()
        self.say(f"{verb} {edit.kind.replace('-', ' ')}" + self._reopened(was))

    # -- decisions and navigation -----------------------------------------------------------------

    def _decide(self, answer: Answer) -> None:
        if not self._editable():
            return
        try:
            self.session.decide(answer)
        except ConcurrentEdit as exc:
            self._reloaded(exc)
            return
        past = {"accept": "accepted", "reject": "rejected", "ignore": "ignored"}[answer]
        nxt = self.session.advance()
        if nxt is None:
            self.show_done(f"{past}; no unanswered task is left" + ("" if self.session.finished else " yet"))
            return
        self.load_current()
        self.say(f"{past}; next task")

    def show_done(self, message: str) -> None:
        """No unanswered task is left (or none is ready yet): say so in place of the text, rather
        than leave the last task on screen while no key can edit it."""
        self.done = True
        s = self.session
        counts = s.counts()
        if s.finished:
            text = (
                f"Every task of {s.dataset} is answered ({len(s.task_ids)}): {counts.get('accept', 0)} accepted, "
                f"{counts.get('reject', 0)} rejected, {counts.get('ignore', 0)} ignored.\n\n"
                "[ opens the last task again to change it. q quits: everything is saved."
            )
        else:
            text = "No unanswered task is ready yet: the next ones are being prepared and open here by themselves."
        self.mode, self.selection = "spans", None
        self.selected_sid = self.head_sid = self.child_sid = self.browse_index = None
        self.cursor = 0
        self.doc.show(Task(text, provisional_tokens(text), 0), Annotation(), self.marks(), provisional=True)
        self.refresh_side()
        self.update_status()
        self.say(message)

    def action_accept(self) -> None:
        self._decide("accept")

    def action_reject(self) -> None:
        self._decide("reject")

    def action_ignore(self) -> None:
        self._decide("ignore")

    def action_prev_task(self) -> None:
        if self.session.current is None and self.session.task_ids:
            self.session.open(self.session.task_ids[-1])
            self.load_current()
            return
        if self.session.step(-1) is None:
            self.say("this is the first task")
            return
        self.load_current()

    def action_next_task(self) -> None:
        if self.session.step(1) is None:
            self.say("this is the last task so far")
            return
        self.load_current()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.app.exit()

    # -- mouse ------------------------------------------------------------------------------------

    def on_document_view_token_clicked(self, event: DocumentView.TokenClicked) -> None:
        if self.mode == "spans":
            self.selected_sid = event.sid
            self.selection = None
            self.cursor = event.token
            self.repaint_marks()
        else:
            self._move_cursor(event.token)

    def on_document_view_tokens_dragged(self, event: DocumentView.TokensDragged) -> None:
        self.mode = "spans" if self.mode == "browse" else self.mode
        self.selected_sid = None
        self.selection = (event.first, event.last)
        self.cursor = event.last
        self.repaint_marks()

    # -- the task list grows while the source is being prepared -----------------------------------

    def tasks_arrived(self) -> None:
        s = self.session
        s.refresh_task_ids()
        if s.current is None and not (self.done and s.finished):
            pending_char = None
            if self.pending_task is not None:
                pending_char = (
                    self.pending_task.tokens[self.cursor].start if self.pending_task.tokens else None
                )
            if s.open_first_unanswered() is not None:
                self.load_current(keep_cursor_char=pending_char)
            elif s.finished and s.task_ids and not self.done:
                self.show_done("every task is answered")
        self.update_status()


def _quote(text: str, room: int = 24) -> str:
    return repr(text if len(text) <= room else text[: room - 1] + "…")
