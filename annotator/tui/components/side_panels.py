"""The small panels around the document: the message line, the label legend, the relations list."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from annotator.core.model import ENTS, Annotation, Relation, Task
from annotator.core.scheme import LabelScheme
from annotator.tui import display
from annotator.tui.components.document_view import _text_on
from annotator.tui.components.message_log import log_of


class MessageLine(Static):
    """The latest message, on one line. One that does not fit ends in a mark saying that ``m``
    shows it whole: every message goes into the app's log (``said``), so none is lost."""

    MORE = " …m"  # said at the end of a message cut at the edge: m shows it whole

    _said: tuple[str, bool] = ("", False)

    @property
    def said(self) -> str:
        """The message as said (before it was cut to the line)."""
        return self._said[0]

    def say(self, message: str, error: bool = False, *, log: bool = True) -> None:
        """``log=False``: a prompt redrawn a key at a time (the text of a search being typed), which
        would fill the message log with every stage of it."""
        self._said = (message, error)
        if log:
            log_of(self.app).add(message, error)
        self._show()

    def _show(self) -> None:
        message, error = self._said
        self.set_class(error, "-error")
        text = display.text(message)
        room = self.content_region.width
        if room and text.cell_len > room:
            text.truncate(max(room - len(self.MORE), 1))
            text.append(self.MORE, style="reverse")
        # One line, fixed height: no layout pass (it costs a whole-screen reflow a keystroke).
        self.update(text, layout=False)

    def on_resize(self) -> None:
        self._show()


def chip(label: str, color: str) -> Text:
    return display.text(f" {label} ", style=f"bold {_text_on(color)} on {color}")


class Legend(Static):
    _shown: tuple[LabelScheme, bool, tuple[str, str] | None, frozenset[str], str] | None = None

    def show_labels(
        self,
        scheme: LabelScheme,
        relations: bool,
        pair: tuple[str, str] | None = None,
        drawn: frozenset[str] = frozenset(),
        layer: str = ENTS,
    ) -> None:
        """The entity labels with their keys; in relation mode the relation labels with their
        constraints, and, for the ``(head label, child label)`` pair chosen, a ✗ on each label
        that would be refused and "drawn" on those already drawn between the two spans (their key
        removes them)."""
        shown = (scheme, relations, pair, drawn, layer)
        if shown == self._shown:
            return  # unchanged: no re-render and no layout pass on every keystroke
        self._shown = shown
        self.set_class(relations, "-relations")
        width = self.content_region.width or 10_000
        text = Text()
        if relations:
            self.border_title = display.text(f"{pair[0]} → {pair[1]}") if pair else "relation labels"
            for n, rel in enumerate(scheme.relations[:9], 1):
                refused = pair is not None and scheme.relation_error(rel.label, *pair) is not None
                text.append(f"{n} ", style="dim" if refused else "bold")
                text.append_text(chip(_clip(rel.label, width - 6), rel.color))
                if rel.label in drawn:
                    text.append(" ✓ drawn", style="bold green")
                elif refused:
                    text.append(" ✗", style="bold red")
                heads = display.cells("/".join(sorted(rel.heads))) or "any"
                children = display.cells("/".join(sorted(rel.children))) or "any"
                line = f"  {heads} → {children}"
                if len(line) > width:  # the child labels on a line of their own, indented
                    line = f"  {_clip(heads, width - 4)} →\n    {_clip(children, width - 4)}"
                text.append(f"\n{line}\n", style="dim")  # heads and children drawn above
            if len(scheme.relations) > 9:
                text.append("0 ", style="bold")
                text.append(f"pick any of {len(scheme.relations)}\n", style="dim")
            if not scheme.relations:
                text.append("no relation labels in this scheme", style="dim")
        else:
            labels = scheme.layer_labels(layer)
            # The active layer's labels (g switches): the title says which layer the keys are on.
            self.border_title = "labels" if not scheme.span_groups else display.text(_layer_title(layer))
            for n, label in enumerate(labels[:9], 1):
                text.append(f"{n} ", style="bold")
                text.append_text(chip(_clip(label, width - 4), scheme.color(label)))
                text.append("\n")
            if len(labels) > 9:
                # The rest on a few wrapped lines, so that a model's eighteen labels leave room for
                # the relations below.
                text.append("0 ", style="bold")
                text.append("picks any label:\n", style="dim")
                for label in labels[9:]:
                    text.append_text(chip(label, scheme.color(label)))
                    text.append(" ")
            if scheme.span_groups:
                others = [_layer_title(other) for other in scheme.layers if other != layer]
                text.append("\ng ", style="bold")
                text.append(display.cells("next layer: " + ", ".join(others)), style="dim")
        text.rstrip()
        self.update(text)

    def on_resize(self) -> None:
        shown, self._shown = self._shown, None  # what fits has changed: draw it again
        if shown is not None:
            self.show_labels(*shown)


def _layer_title(layer: str) -> str:
    return "entity labels" if layer == ENTS else f"span group {layer}"


def _clip(text: str, room: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def span_names(task: Task, annotation: Annotation) -> dict[int, str]:
    """The text of each span, and, where several spans have the same text, its place among them
    ("Ana #2"), so that relations between different spans never read the same."""
    by_text: dict[str, list[int]] = {}
    for span in sorted(annotation.spans, key=lambda s: s.start):
        by_text.setdefault(" ".join(task.text[span.start : span.end].split()), []).append(span.sid)
    names: dict[int, str] = {}
    for text, sids in by_text.items():
        for k, sid in enumerate(sids, 1):
            names[sid] = display.cells(text if len(sids) == 1 else f"{text} #{k}")
    return names


def relation_text(task: Task, annotation: Annotation, rel: Relation) -> str:
    """``head ─LABEL→ child`` with the spans' texts, for a message."""
    h, c = annotation.span(rel.head), annotation.span(rel.child)
    ht = task.text[h.start : h.end] if h else "?"
    ct = task.text[c.start : c.end] if c else "?"
    return f"{ht} ─{rel.label}→ {ct}"


def relation_line(
    task: Task,
    annotation: Annotation,
    rel: Relation,
    width: int = 30,
    names: dict[int, str] | None = None,
) -> Text:
    """Two lines that fit ``width`` cells after a three-cell prefix on the first: the head, then
    the label and the child (less indented, and at last the label clipped, when a long label
    leaves the child too little room)."""
    names = names if names is not None else span_names(task, annotation)
    h = names.get(rel.head, "?")
    c = names.get(rel.child, "?")
    label = display.cells(rel.label)
    indent = 4 if width - 4 - len(label) - 3 >= 8 else 2
    room = width - indent - len(label) - 3
    if room < 6:
        label = _clip(label, max(width - indent - 3 - 6, 4))
        room = width - indent - len(label) - 3
    return Text.assemble(
        display.text(_clip(h, width - 3), "bold"),
        "\n" + " " * indent,
        display.text(f"{label} → ", "italic"),
        display.text(_clip(c, max(room, 1)), "bold"),
    )


class RelationsPanel(Static):
    _shown: tuple[Task | None, Annotation, int | None, bool] | None = None

    def show_relations(
        self, task: Task | None, annotation: Annotation, selected: int | None, browsing: bool
    ) -> None:
        shown = (task, annotation, selected, browsing)
        old = self._shown
        if old is not None and old[0] is task and old[1] is annotation and old[2:] == shown[2:]:
            return  # the same (immutable) task and annotation: nothing to draw again
        self._shown = shown
        self.set_class(browsing, "-browsing")
        rels = annotation.sorted_relations() if task is not None else ()
        self.border_title = f"relations ({len(rels)})"
        if task is None or not rels:
            self.update(Text("none yet: r on a span, tab to another, 1…9", style="dim"), layout=False)
            return
        text = Text()
        width = self.content_region.width or 40
        names = span_names(task, annotation)
        # Two lines a relation; when they do not all fit, the window of them around the selected
        # one, with a line above and below saying how many more there are.
        height = self.content_region.height
        n = len(rels)
        room, first = n, 0
        if height and 2 * n > height:
            top = max((height - 1) // 2, 1)  # relations beside one "more" line
            if selected is None or selected < top:
                room, first = top, 0
            elif selected >= n - top:
                room, first = top, n - top
            else:  # a "more" line above and below
                room = max((height - 2) // 2, 1)
                first = max(1, min(selected - room // 2, n - room - 1))
        if first:
            text.append(f"   ↑ {first} more\n", style="dim")
        for i, rel in enumerate(rels[first : first + room], first):
            line = relation_line(task, annotation, rel, width, names)
            if i == selected:
                line.stylize("reverse")
            text.append("▸  " if i == selected else f"{i + 1:<3}", style="bold")
            text.append_text(line)
            text.append("\n")
        below = len(rels) - first - room
        if below > 0:
            text.append(f"   ↓ {below} more", style="dim")
        text.rstrip()
        self.update(text, layout=False)  # the panel keeps its size: no layout pass

    def on_resize(self) -> None:
        shown, self._shown = self._shown, None  # what fits has changed: draw it again
        if shown is not None:
            self.show_relations(*shown)
