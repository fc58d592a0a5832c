"""The edit mode, where a task opens: select spans, give labels, resize and delete spans."""

from __future__ import annotations

from collections.abc import Callable

from annotator.core import edits
from annotator.core.doubts import Look, looks, next_look
from annotator.core.errors import InvalidAnnotation
from annotator.core.memory import form_of
from annotator.core.model import ENTS, Span, Task
from annotator.core.wording import counted
from annotator.tui.components.side_panels import span_names
from annotator.tui.display import cells
from annotator.tui.keymap import Key
from annotator.tui.modes.base import Editor, Mode, cycle_index, quote, spans_in_order

DIGITS = "1,2,3,4,5,6,7,8,9"


class EditMode(Mode):
    name = "edit"
    # The span keys; the other modes give some of them their own meaning (their descriptions say so).
    KEYS = (
        Key("next_span", "tab", "select the next span (child, in relation mode)", "tab", "spans"),
        Key("prev_span", "shift+tab", "select the previous span", "shift+tab", "spans"),
        Key(
            "grow",
            "shift+right,L",
            "grow the selection (or selected span) by one token",
            "shift+→ L",
            "spans",
        ),
        Key(
            "shrink",
            "shift+left,H",
            "shrink the selection (or selected span) by one token",
            "shift+← H",
            "spans",
        ),
        Key("grow_left", "less_than_sign", "move the selected span's start one token left", "<", "spans"),
        Key(
            "shrink_left", "greater_than_sign", "move the selected span's start one token right", ">", "spans"
        ),
        Key(
            "label",
            DIGITS,
            "give the selection (or span under the cursor) label N",
            "1…9",
            "spans",
            numbered=True,
        ),
        Key("pick_label", "0", "pick any label from a list (letters narrow it)", "0", "spans"),
        Key(
            "next_layer",
            "g",
            "switch the active layer: the entities, then each span group (the span keys work on it)",
            "g",
            "spans",
        ),
        Key("delete", "d,delete", "delete the span under the cursor and its relations", "d del", "spans"),
        Key("clear", "escape", "clear the selection; leave relation mode", "esc", "spans"),
        Key(
            "same_next",
            "asterisk",
            "select the next span with the same text as the selected one",
            "*",
            "spans",
        ),
        Key("same_prev", "number_sign", "select the previous span with the same text", "#", "spans"),
        Key(
            "next_doubt",
            "semicolon",
            "go to the next place worth a look: an unsure span (?), a near miss, a contradiction",
            ";",
            "spans",
        ),
        Key("prev_doubt", "comma", "go to the previous place worth a look", ",", "spans"),
        Key(
            "repeat_all",
            "exclamation_mark",
            "repeat the last span edit on every other mention of the same text (one undo)",
            "!",
            "spans",
        ),
    )

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        # The place ; or , went to last, and which way: an edit that settles it goes on to the next.
        self._tour: tuple[Look, bool] | None = None

    def cursor_moved(self, token: int) -> None:
        ed = self.editor
        if ed.selected_sid is not None:
            span = ed.annotation.span(ed.selected_sid)
            if span is None or not span.token_start <= token <= span.token_end:
                ed.selected_sid = None
                ed.say("")  # what was said about the span it leaves

    def action_cursor_right(self) -> None:
        """With a span selected, → leaves it in one key (to the token after it): tab, which goes on
        from the selected span, and the cursor agree on where the work continues."""
        span = self._selected_span()
        self.editor.move_cursor(self.step_token(span.token_end if span else self.editor.cursor, 1))

    def action_cursor_left(self) -> None:
        span = self._selected_span()
        self.editor.move_cursor(self.step_token(span.token_start if span else self.editor.cursor, -1))

    def _selected_span(self) -> Span | None:
        ed = self.editor
        return ed.annotation.span(ed.selected_sid) if ed.selected_sid is not None else None

    def clicked(self, token: int, sid: int | None) -> None:
        ed = self.editor
        ed.selected_sid = sid
        ed.selection = None
        ed.cursor = token

    # -- selecting spans ---------------------------------------------------------------------------

    def cycle(self, delta: int) -> None:
        ed = self.editor
        spans = spans_in_order(ed.annotation, ed.active_layer)
        if not spans:
            ed.say(f"no spans {layer_name(ed.active_layer, 'in')} in this task")
            return
        cursor = ed.cursor
        idx = cycle_index(
            spans, ed.selected_sid, delta, lambda s: s.token_end >= cursor, lambda s: s.token_start < cursor
        )
        span = spans[idx]
        ed.selected_sid = span.sid
        ed.selection = None
        ed.cursor = span.token_start
        if ed.current_task is not None:
            name = span_names(ed.current_task, ed.annotation)[span.sid]
            ed.say(f"{span.label} {quote(name, 40)} · span {idx + 1} of {len(spans)}")

    def action_clear(self) -> None:
        self.editor.selection = None
        self.editor.selected_sid = None

    # -- the same text elsewhere -------------------------------------------------------------------

    def action_same_next(self) -> None:
        self._same(1)

    def action_same_prev(self) -> None:
        self._same(-1)

    def _same(self, delta: int) -> None:
        """Select the next (previous) span whose tokens read the same as the selected span's, as
        vim's ``*`` and ``#``; wraps."""
        ed = self.editor
        task, target = ed.current_task, ed.target_span()
        if task is None or target is None:
            ed.say("select a span first (tab); * and # go to the next and previous one with its text")
            return
        form = form_of(task, target)
        spans = [s for s in spans_in_order(ed.annotation) if form_of(task, s) == form]
        idx = next(i for i, s in enumerate(spans) if s.sid == target.sid)
        span = spans[(idx + delta) % len(spans)]
        ed.selected_sid = span.sid
        ed.selection = None
        ed.cursor = span.token_start
        ed.say(
            f"{span.label} {quote(task.text[span.start : span.end], 40)} · {(idx + delta) % len(spans) + 1} of {len(spans)} with this text"
        )

    # -- where the model doubts, and where the annotation contradicts itself --------------------------

    def action_next_doubt(self) -> None:
        self._look(True)

    def action_prev_doubt(self) -> None:
        self._look(False)

    def _look(self, forward: bool) -> None:
        """Select the next (previous) place worth a look, in text order, round at the ends: a span
        as it selects any span, a near miss as a selection of its tokens (a digit labels it)."""
        ed = self.editor
        task = ed.current_task
        if task is None:
            return
        places = looks(task, ed.annotation, ed.doubts)
        if not places:
            ed.say("nothing here the model doubts or the spans contradict")
            return
        current = next((p for p in places if self._at(p)), None)
        place = next_look(places, ed.cursor, current, forward)
        assert place is not None
        ed.say(self._go_to(task, places, place, forward))

    def _go_to(self, task: Task, places: list[Look], place: Look, forward: bool) -> str:
        """Select ``place`` (a span as any span is selected, a near miss as a selection of its
        tokens); what to say about it."""
        ed = self.editor
        ed.selected_sid = place.sid
        ed.selection = None if place.sid is not None else (place.token_start, place.token_end)
        ed.cursor = place.token_start
        self._tour = (place, forward)
        text = task.text[task.tokens[place.token_start].start : task.tokens[place.token_end].end]
        head = f"{place.label} {quote(text, 30)}" if place.sid is not None else f"{quote(text, 30)}"
        return f"{head} · {place.why} · {places.index(place) + 1} of {len(places)} to look at"

    def _fixing(self, edit_it: Callable[[], object]) -> None:
        """Make an edit; when it was made on the place ; or , went to and settled it (the span is
        no longer one to look at), go on to the next place that way (not round: the message says
        when none is left), so that working through the places takes one key a fix."""
        ed = self.editor
        tour, before = self._tour, ed.last_edit
        on_place = tour is not None and self._at(tour[0])
        edit_it()
        task = ed.current_task
        if tour is None or not on_place or ed.last_edit is before or task is None:
            return
        place, forward = tour
        places = looks(task, ed.annotation, ed.doubts)
        if any(p.token_start <= place.token_end and place.token_start <= p.token_end for p in places):
            return  # still worth a look there (a relabel the annotation still contradicts)
        self._tour = None
        ahead = [
            p
            for p in places
            if (p.token_start > place.token_start if forward else p.token_start < place.token_start)
        ]
        said = ed.said
        if not ahead:
            ed.say(f"{said} · no place to look at {'after' if forward else 'before'} this one")
            return
        nxt = ahead[0] if forward else ahead[-1]
        ed.say(f"{said} · next: {self._go_to(task, places, nxt, forward)}")

    def _at(self, place: Look) -> bool:
        """Whether the screen is on ``place`` (its span selected, or its tokens)."""
        ed = self.editor
        if place.sid is not None:
            return ed.selected_sid == place.sid
        return ed.selected_sid is None and ed.selection == (place.token_start, place.token_end)

    def action_repeat_all(self) -> None:
        """The last span edit (relabel, delete, new span) again on every other mention of its text."""
        # Imported on the first `!`: its two dataclasses, made at import, are not on the first screen.
        from annotator.core.repeat import repeat_on_all, what_to_repeat

        ed = self.editor
        if not ed.editable():
            return
        task = ed.current_task
        assert task is not None
        what = what_to_repeat(task, ed.last_edit)
        if what is None:
            ed.say(
                "! repeats a relabel, a deletion, a new span or a boundary change: make one first", error=True
            )
            return
        done = repeat_on_all(task, ed.annotation, what, ed.scheme)
        text = quote(" ".join(what.form), 30)
        refused = f" · refused {len(done.refused)}: {done.refused[0]}" if done.refused else ""
        if not done.changed:
            ed.say(f"no other mention of {text} to change{refused}", error=bool(done.refused))
            return
        verb = {
            "relabel": f"relabelled {what.label}",
            "delete": "deleted",
            "add": f"labelled {what.label}",
            "resize": "resized",
        }[what.kind]
        ed.apply(done.edit, f"{verb} {counted(done.changed, 'other mention')} of {text}{refused}")

    # -- labels ------------------------------------------------------------------------------------

    def action_label(self, n: int) -> None:
        self._fixing(lambda: self._label(n))

    def _label(self, n: int) -> None:
        ed = self.editor
        labels = ed.scheme.layer_labels(ed.active_layer)
        if n > len(labels):
            ed.say(
                f"no label {n}: {layer_name(ed.active_layer, 'of')} has {len(labels)} labels (0 lists them all)",
                error=True,
            )
            return
        self.label_with(labels[n - 1])

    def action_pick_label(self) -> None:
        ed = self.editor
        title = "entity label" if ed.active_layer == ENTS else f"label of span group {ed.active_layer}"
        ed.pick_label(
            ed.scheme.layer_labels(ed.active_layer),
            title,
            lambda label: self._fixing(lambda: self.label_with(label)),
        )

    def action_next_layer(self) -> None:
        """The next layer of the scheme (after the last group, the entities again)."""
        ed = self.editor
        layers = ed.scheme.layers
        if len(layers) == 1:
            ed.say(
                "this scheme has no span groups: --span-groups sc:SKILL,TOOL (or [span_groups.sc]) adds one"
            )
            return
        ed.active_layer = layers[
            (layers.index(ed.active_layer) + 1) % len(layers) if ed.active_layer in layers else 0
        ]
        ed.selected_sid = None
        ed.refresh_side()
        ed.update_status()
        labels = ", ".join(ed.scheme.layer_labels(ed.active_layer)[:9])
        ed.say(
            f"active layer: {layer_name(ed.active_layer, 'of')} ({labels}); the span keys work on it · g: next"
        )

    def label_with(self, label: str) -> None:
        """Give ``label`` to the selection, else to the selected span or the one under the cursor,
        else to the token under the cursor."""
        ed = self.editor
        if not ed.editable():
            return
        task, ann = ed.current_task, ed.annotation
        assert task is not None
        try:
            if ed.selection is not None:
                first, last = ed.selection
                edit = edits.set_span(task, ann, first, last, label, scheme=ed.scheme, layer=ed.active_layer)
                ed.selection = None
                ed.cursor = first
            elif (target := self._relabelled()) is not None:
                edit = edits.relabel_span(ann, target.sid, label, ed.scheme)
            else:
                edit = edits.set_span(
                    task, ann, ed.cursor, ed.cursor, label, scheme=ed.scheme, layer=ed.active_layer
                )
        except InvalidAnnotation as exc:
            ed.say(str(exc), error=True)
            return
        added = edit.added_spans[0] if edit.added_spans else None
        if added is not None:
            ed.selected_sid = added.sid
        ed.apply(
            edit, f"{label}: {task.text[added.start : added.end]!r}{replaced(task, edit)}" if added else ""
        )

    def _relabelled(self) -> Span | None:
        """The span a digit relabels: the target span; in a span group only a selected one, since
        there the token under the cursor may take a label more (a nested or stacked span)."""
        ed = self.editor
        if ed.active_layer == ENTS:
            return ed.target_span()
        return ed.annotation.span(ed.selected_sid) if ed.selected_sid is not None else None

    # -- changing spans ----------------------------------------------------------------------------

    def action_delete(self) -> None:
        self._fixing(self.editor.delete_target)

    def select(self, d_start: int, d_end: int) -> None:
        """Move the edges of the selected span (or the span under the cursor) by whole tokens; with
        a selection, or no span, the selection's."""
        ed = self.editor
        target = ed.target_span() if ed.selection is None else None
        if target is None:
            super().select(d_start, d_end)
            return
        self._fixing(lambda: self._resize(target, d_start, d_end))

    def _resize(self, target: Span, d_start: int, d_end: int) -> None:
        ed = self.editor
        if not ed.editable():
            return
        first, last = target.token_start, target.token_end
        if d_end:
            last = self.step_token(last, d_end)
        if d_start:
            first = self.step_token(first, d_start)
        if last < first or (first, last) == (target.token_start, target.token_end):
            ed.say("a span keeps at least one token; d deletes it" if last < first else "")
            return
        task = ed.current_task
        assert task is not None
        try:
            edit = edits.resize_span(task, ed.annotation, target.sid, first, last, ed.scheme)
        except InvalidAnnotation as exc:
            ed.say(str(exc), error=True)
            return
        ed.selected_sid = target.sid
        ed.cursor = last if d_end else first
        new_text = task.text[task.tokens[first].start : task.tokens[last].end]
        ed.apply(edit, f"{target.label}: {new_text!r}{replaced(task, edit)}")


def layer_name(layer: str, preposition: str) -> str:
    """How a message names a layer: "in the entities", "of span group sc"."""
    return f"{preposition} the entities" if layer == ENTS else f"{preposition} span group {cells(layer)}"


def replaced(task: Task, edit: edits.Edit) -> str:
    """What a new or resized span took the place of, besides itself."""
    kept = {s.sid for s in edit.added_spans}
    gone: list[Span] = [s for s in edit.removed_spans if s.sid not in kept]
    # A relabel's own note says which relations its label no longer allows: not said twice.
    rels = 0 if edit.kind == "relabel" else len(edit.removed_relations)
    if not gone and not rels:
        return ""
    parts = [f"{s.label} {task.text[s.start : s.end]!r}" for s in gone[:3]]
    if len(gone) > 3:
        parts.append(f"{len(gone) - 3} more")
    if rels:
        parts.append(f"{rels} relation{'s' if rels > 1 else ''}")
    return " · replaced " + ", ".join(parts)
