"""The relations list (``R``): go through the task's relations in the relations panel, relabel or
delete the one selected."""

from __future__ import annotations

from annotator.core import edits
from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Relation
from annotator.tui.components.side_panels import relation_text, span_names
from annotator.tui.keymap import Key
from annotator.tui.modes.base import Mode, pick_relation_label


class RelationsListMode(Mode):
    name = "relations"
    badge = "RELATIONS LIST"
    shows_relations = True
    browsing = True
    KEYS = (
        Key(
            "relations_list",
            "R",
            "go through the task's relations (j/k, 1…9 relabel, d delete)",
            "R",
            "relations",
            action="mode",
            params=("relations",),
        ),
    )

    index = 0  # of the selected relation, in sorted order

    def action_enter(self) -> None:
        ed = self.editor
        if self.active:  # R again leaves
            self.action_clear()
            return
        if not ed.editable():
            return
        if not self._relations():
            ed.say("this task has no relations yet")
            return
        ed.mode = self.name
        self.index = 0
        self.show()
        self.prompt()

    def action_clear(self) -> None:
        self.leave()
        self.editor.say("")

    def _relations(self) -> tuple[Relation, ...]:
        return self.editor.annotation.sorted_relations()

    def selected_relation(self) -> int | None:
        return self.index

    def show(self) -> None:
        """Point at the selected relation: its head and child, the cursor on the head; leave the
        list when no relation is left."""
        ed = self.editor
        rels = self._relations()
        if not rels:
            self.leave()
            return
        self.index = min(self.index, len(rels) - 1)
        rel = rels[self.index]
        ed.head_sid, ed.child_sid = rel.head, rel.child
        head = ed.annotation.span(rel.head)
        if head is not None:
            ed.cursor = head.token_start
        ed.refresh_side()

    def prompt(self) -> None:
        """The relation selected in the list, whole (the panel clips long texts), and the keys."""
        ed = self.editor
        rels = self._relations()
        task = ed.current_task
        if not self.active or not rels or task is None:
            return
        rel = rels[self.index]
        names = span_names(task, ed.annotation)
        where = f"{self.index + 1} of {len(rels)}: "
        ed.say_fitting(
            lambda q: f"{where}{q(names.get(rel.head, '?'))} ─{rel.label}→ {q(names.get(rel.child, '?'))}",
            (" · j/k move, 1…9 relabel, d deletes, esc", " · j/k, 1…9, d, esc"),
        )

    def annotation_changed(self) -> None:
        self.show()

    def dragged(self, first: int, last: int) -> None:
        self.leave()
        super().dragged(first, last)

    # -- moving through the list -------------------------------------------------------------------

    def cycle(self, delta: int) -> None:
        rels = self._relations()
        if rels:
            self.index = (self.index + delta) % len(rels)
            self.show()
            self.prompt()

    def action_cursor_down(self) -> None:
        self.cycle(1)

    def action_cursor_up(self) -> None:
        self.cycle(-1)

    # -- changing the selected relation ------------------------------------------------------------

    def action_label(self, n: int, names: tuple[str, ...] | None = None) -> None:
        ed = self.editor
        names = names or ed.scheme.relation_labels
        rels = self._relations()
        if not rels or n > len(names):
            ed.say(f"no relation label {n}", error=True)
            return
        rel = rels[self.index]
        if rel.label == names[n - 1]:
            ed.say(f"already {rel.label}")
            return
        try:
            edit = edits.relabel_relation(ed.annotation, rel, names[n - 1], ed.scheme)
        except InvalidAnnotation as exc:
            ed.say(f"refused: {exc}", error=True)
            return
        if not ed.apply(edit, f"relabelled to {names[n - 1]}"):
            return
        new_key = (rel.head, rel.child, names[n - 1])
        self.index = next((i for i, r in enumerate(self._relations()) if r.key == new_key), self.index)
        self.show()

    def action_pick_label(self) -> None:
        pick_relation_label(self.editor, self.action_label)

    def action_delete(self) -> None:
        ed = self.editor
        rels = self._relations()
        if not rels:
            return
        rel = rels[self.index]
        task = ed.current_task
        assert task is not None
        text = relation_text(task, ed.annotation, rel)
        if ed.apply(edits.delete_relation(ed.annotation, rel), f"deleted {text}"):
            self.show()
