"""The panels of the review screen: which colour is which version, the selected disagreement, and
the gold's relations. Their colours are the document view's review states (component classes
styled in review.tcss), so the panels and the text agree and a theme restyles both; every string
from the data goes through ``display``."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text

from annotator.core.adjudication import Adjudication, Disagreement
from annotator.core.model import Annotation, Span
from annotator.core.wording import counted
from annotator.tui import display

# A review state (DocumentView's REVIEW_STATES) -> its style: a background and a text colour on it.
StateStyle = Callable[[str], Style]

KIND_NAME = {
    "a_only": "A only",
    "b_only": "B only",
    "label": "label conflict",
    "boundary": "boundary",
    "relation": "relation",
}


def state_of(kind: str) -> str:
    """The review state of a disagreement's kind ("a_only" is drawn as "a-only")."""
    return kind.replace("_", "-")


def chip(label: str, style: Style) -> Text:
    return display.text(f" {label} ", style + Style(bold=True))


def ink(style: Style) -> Style:
    """Text in the colour a state's spans are drawn on."""
    return Style(color=style.bgcolor, bold=True)


def versions_legend(a: str, b: str, look: StateStyle) -> Text:
    return Text(" ").join(
        [
            chip("agreed", look("agreed")),
            chip(f"A {a}", look("a")),
            Text.assemble(chip(f"B {b}", look("b")), "\n", chip("label conflict", look("label"))),
            chip("boundary", look("boundary")),
            chip("edited", look("edited")),
        ]
    )


def note_line(note: str | None, look: StateStyle) -> Text:
    """What the plan noted about the open task (one annotator did not accept it), bold."""
    text = Text()
    if note:
        text.append_text(display.text(note, ink(look("label"))))
        text.append("\n")
    return text


def disagreement_detail(
    adj: Adjudication, d: Disagreement, taken: str | None, a: str, b: str, note: str | None, look: StateStyle
) -> Text:
    """The selected disagreement: its kind, what was taken, both versions, the keys."""
    text = note_line(note, look)
    text.append_text(chip(KIND_NAME[d.kind], look(state_of(d.kind))))
    text.append(f"  {'taken: ' + taken if taken else 'open'}\n", style="bold" if taken else "dim")
    t = adj.task.text
    if d.kind == "relation":
        for who, rels, version in (("A", d.a_relations, adj.a), ("B", d.b_relations, adj.b)):
            for r in rels:
                h, c = version.span(r.head), version.span(r.child)
                ht = t[h.start : h.end] if h else "?"
                ct = t[c.start : c.end] if c else "?"
                text.append_text(display.text(f"{who}: {ht} ─{r.label}→ {ct}"))
                text.append("\n")
            if not rels:
                text.append(f"{who}: —\n")
    else:
        for who, name, spans, state in (("A", a, d.a_spans, "a"), ("B", b, d.b_spans, "b")):
            text.append_text(display.text(f"{who} {name}: ", ink(look(state))))
            text.append_text(display.text(describe(spans, t)))
            text.append("\n")
    keys = "1 A · 2 B · " + ("b both · " if d.can_take_both else "") + "0 neither · n/p move"
    text.append(keys, style="dim")
    return text


def gold_relations(
    text_of_task: str, result: Annotation, a: str, b: str, open_relations: int, look: StateStyle
) -> Text:
    """The gold's relations, each marked with the colour of where it came from."""
    text = Text()
    t = text_of_task
    for r in result.sorted_relations():
        h, c = result.span(r.head), result.span(r.child)
        state = {"both": "agreed", a: "a", b: "b"}.get(r.source or "", "edited")
        text.append("● ", style=ink(look(state)))
        text.append_text(
            display.text(f"{t[h.start : h.end] if h else '?'} ─{r.label}→ {t[c.start : c.end] if c else '?'}")
        )
        text.append("\n")
    if open_relations:
        text.append(f"{counted(open_relations, 'relation disagreement')} open\n", style=ink(look("relation")))
    return text if text.plain else Text("none", style="dim")


def describe(spans: tuple[Span, ...], text: str) -> str:
    if not spans:
        return "—"
    return ", ".join(f"{text[s.start : s.end]!r} {s.label}" for s in spans)
