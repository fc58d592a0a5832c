"""Repeating a span edit on every other mention of the same token sequence, as one undoable edit.

The last span edit (a relabel, a deletion, a new span with its label, or a boundary change) is read
from the history;
its surface form (the token texts) is looked for elsewhere in the task and the same change is made
there. What cannot be made is refused and said, never forced: a new span that would overlap an
existing one, a relabel that would break a relation the scheme constrains.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from annotator.core.edits import Edit
from annotator.core.model import ENTS, Annotation, Relation, Span, Task
from annotator.core.scheme import LabelScheme

Form = tuple[str, ...]


@dataclass(frozen=True)
class Repeat:
    """What to repeat: ``kind`` is "relabel", "delete", "add" or "resize"; ``label`` the new label
    (of a resize: the label of the spans it applies to)."""

    kind: str
    form: Form
    label: str | None
    done_at: tuple[int, int]  # the token run it was made on (not repeated there)
    layer: str = ENTS  # the layer of the span it was made on: it is repeated on that layer
    was: str | None = None  # a group relabel: the label it replaced (a place may hold several)
    shift: tuple[int, int] = (0, 0)  # a resize: how far the first and the last token moved


@dataclass
class Repeated:
    edit: Edit
    changed: int = 0
    refused: list[str] = field(default_factory=list)


def _form(task: Task, first: int, last: int) -> Form:
    return tuple(t.text for t in task.tokens[first : last + 1])


def what_to_repeat(task: Task, edit: Edit | None) -> Repeat | None:
    """The repeatable span change an edit made, or None (a relation edit, a resize, ...)."""
    if edit is None:
        return None
    if edit.kind == "relabel" and len(edit.added_spans) == 1:
        s = edit.added_spans[0]
        old = edit.removed_spans[0].label if len(edit.removed_spans) == 1 else None
        return Repeat(
            "relabel",
            _form(task, s.token_start, s.token_end),
            s.label,
            (s.token_start, s.token_end),
            s.layer,
            old,
        )
    if edit.kind == "delete" and len(edit.removed_spans) == 1:
        s = edit.removed_spans[0]
        run = (s.token_start, s.token_end)
        return Repeat("delete", _form(task, *run), None, run, s.layer, s.label)
    if edit.kind == "add" and len(edit.added_spans) == 1:
        s = edit.added_spans[0]
        run = (s.token_start, s.token_end)
        return Repeat("add", _form(task, *run), s.label, run, s.layer)
    if edit.kind in ("grow", "shrink") and len(edit.added_spans) == 1:
        new = edit.added_spans[0]
        before = next((s for s in edit.removed_spans if s.sid == new.sid), None)
        if before is not None:
            shift = (new.token_start - before.token_start, new.token_end - before.token_end)
            run = (before.token_start, before.token_end)
            return Repeat("resize", _form(task, *run), before.label, run, before.layer, shift=shift)
    return None


def occurrences(task: Task, form: Form) -> list[tuple[int, int]]:
    """Every token run with exactly these token texts."""
    n = len(form)
    texts = [t.text for t in task.tokens]
    return [(i, i + n - 1) for i in range(len(texts) - n + 1) if tuple(texts[i : i + n]) == form]


def repeat_on_all(
    task: Task, annotation: Annotation, what: Repeat, scheme: LabelScheme | None = None
) -> Repeated:
    """One edit making ``what`` at every other mention of its form, on its layer. In a span group
    a place may hold several labels, so a deletion or relabel there is of the span with the label
    the first edit changed, and an addition overlaps whatever it likes."""
    group = what.layer != ENTS
    by_run = {
        (s.token_start, s.token_end): s
        for s in annotation.spans
        if s.layer == what.layer and (not group or s.label == (what.was or what.label))
    }
    removed: list[Span] = []
    added: list[Span] = []
    dropped: list[Relation] = []
    refused: list[str] = []
    next_sid = annotation.next_sid()
    taken = [False] * len(task.tokens)
    for s in annotation.spans:
        if s.layer != ENTS or group:
            continue
        for i in range(s.token_start, s.token_end + 1):
            taken[i] = True
    text = " ".join(what.form)
    for run in occurrences(task, what.form):
        if run == what.done_at:
            continue
        span = by_run.get(run)
        where = f"{text!r} at character {task.tokens[run[0]].start}"
        if what.kind == "delete":
            if span is not None:
                removed.append(span)
                dropped += [r for r in annotation.relations if span.sid in (r.head, r.child)]
        elif what.kind == "relabel":
            if span is None or span.label == what.label:
                continue
            assert what.label is not None
            new = replace(span, label=what.label, source=None)
            if scheme is not None and _breaks(annotation, new, scheme):
                refused.append(f"{where}: its relations do not allow {what.label}")
                continue
            removed.append(span)
            added.append(new)
        elif what.kind == "resize":
            if span is None or span.label != what.label:
                continue
            lo, hi = run[0] + what.shift[0], run[1] + what.shift[1]
            if not 0 <= lo <= hi < len(task.tokens):
                refused.append(f"{where}: the text ends there")
                continue
            if any(taken[i] for i in range(lo, hi + 1) if not run[0] <= i <= run[1]):
                refused.append(f"{where}: would overlap a span")
                continue
            removed.append(span)
            added.append(
                replace(
                    span,
                    start=task.tokens[lo].start,
                    end=task.tokens[hi].end,
                    token_start=lo,
                    token_end=hi,
                    source=None,
                )
            )
        else:  # add
            if span is not None and span.label == what.label:
                continue
            if any(taken[run[0] : run[1] + 1]):
                refused.append(f"{where}: overlaps a span")
                continue
            assert what.label is not None
            first, last = task.tokens[run[0]], task.tokens[run[1]]
            added.append(Span(first.start, last.end, run[0], run[1], what.label, None, next_sid, what.layer))
            next_sid += 1
    changed = len(added) if what.kind != "delete" else len(removed)
    edit = Edit(
        f"repeat-{what.kind}",
        tuple(removed),
        tuple(added),
        tuple(dict.fromkeys(dropped)),
        (),
    )
    return Repeated(edit, changed, refused)


def _breaks(annotation: Annotation, new: Span, scheme: LabelScheme) -> bool:
    for rel in annotation.relations:
        if new.sid not in (rel.head, rel.child) or scheme.relation(rel.label) is None:
            continue
        head = new if rel.head == new.sid else annotation.span(rel.head)
        child = new if rel.child == new.sid else annotation.span(rel.child)
        if head is None or child is None or scheme.relation_error(rel.label, head.label, child.label):
            return True
    return False
