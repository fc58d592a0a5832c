"""Relation mode (``r``): the selected span is the head; tab, the arrows or a click choose the child,
a digit draws (or removes) the relation of that label between them."""

from __future__ import annotations

from annotator.core import edits
from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Span
from annotator.tui.components.side_panels import relation_text, span_names
from annotator.tui.keymap import Key
from annotator.tui.modes.base import Mode, cycle_index, pick_relation_label, spans_in_order


class RelationMode(Mode):
    name = "relation"
    badge = "RELATION"
    shows_relations = True
    KEYS = (
        Key(
            "relation_mode",
            "r",
            "relation mode: the selected span (or the one under the cursor) is the head; tab or the "
            "arrows choose the child, 1…9 the label (again removes it), esc leaves",
            "r",
            "relations",
            action="mode",
            params=("relation",),
        ),
    )

    def action_enter(self) -> None:
        ed = self.editor
        if not ed.editable():
            return
        target = ed.target_span()
        if target is None:
            ed.say("put the cursor on a span (or tab to one) to make it the head", error=True)
            return
        if not ed.scheme.relations:
            ed.say("this label scheme has no relation labels (--relations or --config)", error=True)
            return
        ed.mode = self.name
        ed.head_sid, ed.child_sid = target.sid, None
        ed.selected_sid = None
        ed.selection = None
        self._nearest()
        self.prompt()

    def _children(self) -> list[Span]:
        """The spans tab goes through: those some relation label allows as the head's child (a
        DATE is nobody's child in the news scheme), in text order; every other span when none is."""
        ed = self.editor
        others = [s for s in spans_in_order(ed.annotation) if s.sid != ed.head_sid]
        head = ed.annotation.span(ed.head_sid) if ed.head_sid is not None else None
        if head is None:
            return others
        labels = ed.scheme.relation_labels
        allowed = [
            s for s in others if any(ed.scheme.relation_error(r, head.label, s.label) is None for r in labels)
        ]
        return allowed or others

    def _nearest(self) -> None:
        """The first child offered: the allowed span nearest the head, before or after it (the
        other argument of a relation is mostly close by: "Japanese Defense Minister X", "X met Y")."""
        ed = self.editor
        spans, head = self._children(), ed.annotation.span(ed.head_sid) if ed.head_sid is not None else None
        if not spans or head is None:
            self.cycle(1)
            return
        span = min(
            spans,
            key=lambda s: (
                s.token_start - head.token_end
                if s.token_start > head.token_end
                else head.token_start - s.token_end,
                s.start,
            ),
        )
        ed.child_sid = span.sid
        ed.cursor = span.token_start

    def action_clear(self) -> None:
        ed = self.editor
        head = ed.annotation.span(ed.head_sid) if ed.head_sid is not None else None
        self.leave()
        if head is not None:  # back where relation mode started: on the head, selected
            ed.cursor = head.token_start
            ed.selected_sid = head.sid
        ed.say("")

    def cursor_moved(self, token: int) -> None:
        ed = self.editor
        # The active layer's span under the cursor, else the entity's: a relation may join any two.
        under = ed.annotation.span_at_token(token, ed.active_layer) or ed.annotation.span_at_token(token)
        if under is not None and under.sid not in (ed.head_sid, ed.child_sid):
            ed.child_sid = under.sid
            self.prompt()

    def selected_relation(self) -> int | None:
        ed = self.editor
        pair = (ed.head_sid, ed.child_sid)
        return next(
            (i for i, r in enumerate(ed.annotation.sorted_relations()) if (r.head, r.child) == pair), None
        )

    # -- choosing the child ------------------------------------------------------------------------

    def cycle(self, delta: int) -> None:
        ed = self.editor
        spans = self._children()
        if not spans:
            ed.say("no other span to link to")
            return
        head = ed.annotation.span(ed.head_sid) if ed.head_sid is not None else None
        at = head.start if head is not None else -1
        span = spans[cycle_index(spans, ed.child_sid, delta, lambda s: s.start > at, lambda s: s.start <= at)]
        ed.child_sid = span.sid
        ed.cursor = span.token_start
        self.prompt()

    def prompt(self) -> None:
        """Say which span is the head and which the child, and what the keys do."""
        ed = self.editor
        task = ed.current_task
        head = ed.annotation.span(ed.head_sid) if ed.head_sid is not None else None
        if task is None or head is None:
            return
        names = span_names(task, ed.annotation)
        child = ed.annotation.span(ed.child_sid) if ed.child_sid is not None else None
        if child is None:
            ed.say_fitting(
                lambda q: f"{q(names[head.sid])} → ?",
                ("  tab or the arrows choose the child, esc leaves", "  tab: child, esc"),
            )
            return
        ed.say_fitting(
            lambda q: f"{q(names[head.sid])} → {q(names[child.sid])}",
            ("  1…9 label (again removes it), tab next, esc", "  1…9 label, tab, esc"),
        )

    # -- drawing the relation ----------------------------------------------------------------------

    def action_label(self, n: int, names: tuple[str, ...] | None = None) -> None:
        ed = self.editor
        names = names or ed.scheme.relation_labels
        if n > len(names):
            ed.say(f"no relation label {n}", error=True)
            return
        if ed.head_sid is None or ed.child_sid is None or ed.annotation.span(ed.child_sid) is None:
            ed.child_sid = None
            ed.say("choose the child span first (tab)", error=True)
            return
        label = names[n - 1]
        try:
            edit = edits.toggle_relation(ed.annotation, ed.head_sid, ed.child_sid, label, ed.scheme)
        except InvalidAnnotation as exc:
            ed.say(f"refused: {exc}", error=True)
            return
        verb = "removed" if edit.removed_relations else "added"
        rel = (edit.added_relations or edit.removed_relations)[0]
        task = ed.current_task
        assert task is not None
        ed.apply(edit, f"{verb} {relation_text(task, ed.annotation, rel)}")

    def action_pick_label(self) -> None:
        pick_relation_label(self.editor, self.action_label)

    def action_delete(self) -> None:
        self.editor.delete_target(self._losing)

    def _losing(self, target: Span) -> str:
        """Before the span is deleted: leave the mode if it is the head, choose no child if it is the
        child; what to add to the message."""
        ed = self.editor
        if target.sid == ed.head_sid:
            self.leave()
            return "; it was the head, so relation mode is left"
        if target.sid == ed.child_sid:
            ed.child_sid = None
            return "; tab chooses another child"
        return ""
