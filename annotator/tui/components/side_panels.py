"""The small panels around the document: the status line, the label legend, the relations list."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from annotator.core.model import Annotation, Relation, Task
from annotator.core.scheme import LabelScheme
from annotator.tui.components.document_view import _text_on


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """


class MessageLine(Static):
    DEFAULT_CSS = """
    MessageLine { height: 1; padding: 0 1; color: $text-muted; }
    MessageLine.-error { color: $error; text-style: bold; }
    """

    def say(self, message: str, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.update(message)


def chip(label: str, color: str) -> Text:
    return Text(f" {label} ", style=f"bold {_text_on(color)} on {color}")


class Legend(Static):
    DEFAULT_CSS = """
    Legend { height: auto; padding: 0 1; border-title-color: $text-muted; border: round $panel-lighten-2; }
    """

    def show_labels(self, scheme: LabelScheme, relations: bool) -> None:
        text = Text()
        if relations:
            self.border_title = "relation labels"
            for n, rel in enumerate(scheme.relations[:9], 1):
                text.append(f"{n} ", style="bold")
                text.append_text(chip(rel.label, rel.color))
                heads = "/".join(sorted(rel.heads)) or "any"
                children = "/".join(sorted(rel.children)) or "any"
                text.append(f"\n   {heads} → {children}\n", style="dim")
            if not scheme.relations:
                text.append("no relation labels in this scheme", style="dim")
        else:
            self.border_title = "labels"
            for n, label in enumerate(scheme.labels, 1):
                key = str(n) if n <= 9 else " "
                text.append(f"{key} ", style="bold")
                text.append_text(chip(label, scheme.color(label)))
                text.append("\n")
            if len(scheme.labels) > 9:
                text.append("0 pick any label\n", style="dim")
        text.rstrip()
        self.update(text)


def _clip(text: str, room: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def relation_line(task: Task, annotation: Annotation, rel: Relation, width: int = 30) -> Text:
    """Two lines: the head, then the label and the child, each clipped to the panel's width."""
    head, child = annotation.span(rel.head), annotation.span(rel.child)
    h = task.text[head.start : head.end] if head else "?"
    c = task.text[child.start : child.end] if child else "?"
    second = f"{rel.label} → "
    return Text.assemble(
        (_clip(h, width - 2), "bold"),
        "\n    ",
        (second, "italic"),
        (_clip(c, max(width - 4 - len(second), 6)), "bold"),
    )


class RelationsPanel(Static):
    DEFAULT_CSS = """
    RelationsPanel { height: 1fr; padding: 0 1; border: round $panel-lighten-2; border-title-color: $text-muted; }
    RelationsPanel.-browsing { border: round $accent; }
    """

    def show_relations(
        self, task: Task | None, annotation: Annotation, selected: int | None, browsing: bool
    ) -> None:
        self.set_class(browsing, "-browsing")
        rels = annotation.sorted_relations()
        self.border_title = f"relations ({len(rels)})"
        if task is None or not rels:
            self.update(Text("none yet: r on a span, tab to another, 1…9", style="dim"))
            return
        text = Text()
        width = max(self.content_region.width - 2, 20)
        # Two lines a relation; show the window of them around the selected one.
        room = max(self.content_region.height // 2, 1)
        first = 0
        if selected is not None and len(rels) > room:
            first = max(0, min(selected - room // 2, len(rels) - room))
        if first:
            text.append(f"   ↑ {first} more\n", style="dim")
        for i, rel in enumerate(rels[first : first + room], first):
            line = relation_line(task, annotation, rel, width)
            if i == selected:
                line.stylize("reverse")
            text.append("▸  " if i == selected else f"{i + 1:<3}", style="bold")
            text.append_text(line)
            text.append("\n")
        text.rstrip()
        self.update(text)
