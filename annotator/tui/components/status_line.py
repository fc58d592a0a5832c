"""The status line: dataset, annotator, where the task is in the queue, the counts, the model; the
mode's name while a mode other than the edit mode is on."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from annotator.core.model import ENTS
from annotator.session import AnnotationSession
from annotator.tui import display


def status_parts(
    s: AnnotationSession, badge: str, model_name: str, saved_note: str, done: bool, layer: str = ENTS
) -> list[tuple[Text, int]]:
    """The parts of the line in display order, each with a priority: a narrow terminal leaves out
    the lowest first; the mode and the position stay."""
    counts = s.counts()
    idx = s.index
    known = s.queue_size()
    if s.finished:
        of = str(known)
    elif s.total is not None:  # still preparing: the source's size when it could be counted cheaply
        of = str(max(s.total, known))
    else:  # a source too large to count (or a pipe): at least the tasks already in the queue
        of = f"{known}+" if known else "?"
    if idx is not None:
        position = Text(f"task {idx + 1} of {of}")
        answer = s.current.annotation.answer if s.current is not None else None
        if answer:
            past = {"accept": "accepted", "reject": "rejected", "ignore": "ignored"}[answer]
            color = {"accept": "green", "reject": "red", "ignore": "yellow"}[answer]
            position.append(f": {past}", style=f"bold {color}")
    elif done and s.finished and known:
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
    mode = [(Text(f" {badge} ", style="bold reverse"), 9)] if badge else []
    # With span groups, which layer the span keys work on (g switches): kept as long as the mode.
    if s.scheme.span_groups:
        mode.append(
            (
                display.text(
                    "layer: " + ("entities" if layer == ENTS else f"span group {layer}"), style="bold"
                ),
                9,
            )
        )
    # Where the suggestions came from, beyond the model: the correction memory and the learner.
    learnt: list[tuple[Text, int]] = []
    from_memory = s.current.from_memory if s.current is not None and not done else 0
    if from_memory:
        learnt.append((Text(f"{from_memory} from memory", style="magenta"), 3))
    if s.model_note is not None:
        learnt.append((Text(s.model_note()), 3))
    return [
        *mode,
        (display.text(s.dataset, style="bold"), 6),
        (display.text(s.annotator), 5),
        (position, 8),
        (counts_text, 4),
        *learnt,
        (display.text(model_name or "no model"), 1),
        (Text(saved_note or "saved"), 2),
    ]


class StatusLine(Static):
    _parts: list[tuple[Text, int]] = []

    def show_parts(self, parts: list[tuple[Text, int]]) -> None:
        """``parts`` in display order, each with a priority: when the line is too narrow, the parts
        of the lowest priority are left out first."""
        self._parts = parts
        room = self.content_region.width or 10_000
        kept = list(parts)
        while len(kept) > 1 and self._width(kept) > room:
            kept.remove(min(kept, key=lambda part: part[1]))
        self.update(Text(" · ").join(t for t, _ in kept), layout=False)

    @staticmethod
    def _width(parts: list[tuple[Text, int]]) -> int:
        return sum(t.cell_len for t, _ in parts) + 3 * (len(parts) - 1)

    def on_resize(self) -> None:
        if self._parts:
            self.show_parts(self._parts)
