"""Correction memory: what an annotator decided about a surface form follows them to later tasks.

A surface form is a token sequence ("Gen", "Nakatani"). When an annotator accepts a task in which
they relabelled, deleted or added spans of a form (compared with the suggestions they were shown),
the form's decision is remembered: a label, or ``None`` for "not an entity". Later suggestions for
that form follow it: a suggested span of the form is relabelled or dropped, and unmarked mentions
of a form with a label get a span. Spans it changes or adds carry ``source = "memory"``.

Pure logic; the store keeps the entries per dataset and annotator, the session applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from annotator.core.model import ENTS, Annotation, Span, Task
from annotator.core.scheme import LabelScheme

Form = tuple[str, ...]
MEMORY_SOURCE = "memory"


def form_of(task: Task, span: Span) -> Form:
    return tuple(t.text for t in task.tokens[span.token_start : span.token_end + 1])


def _by_tokens(annotation: Annotation) -> dict[tuple[int, int], Span]:
    # The memory is of entity decisions: span groups hold several labels a place, so a form there
    # says nothing about the entity the tokens are.
    return {(s.token_start, s.token_end): s for s in annotation.spans if s.layer == ENTS}


def decisions(
    task: Task, shown: Annotation, accepted: Annotation, known: Mapping[Form, str | None]
) -> dict[Form, str | None]:
    """What accepting ``accepted`` (started from ``shown``) says about surface forms.

    - a span accepted over tokens where ``shown`` had no span of that label (relabelled or added),
      or of a form the memory holds another decision for: the form takes its label;
    - a span shown and gone, with no accepted span on the same tokens (deleted, or its boundary
      changed): the form is not an entity.
    A form the task decides two ways (one "Washington" a PERSON, another a GPE) is ambiguous and
    not remembered; a form the annotator left as shown teaches nothing new, unless the memory held
    another decision for it (``known``), which the later decision replaces."""
    shown_at = _by_tokens(shown)
    accepted_at = _by_tokens(accepted)
    said: dict[Form, set[str | None]] = {}
    for key, span in accepted_at.items():
        form = form_of(task, span)
        before = shown_at.get(key)
        if before is None or before.label != span.label or known.get(form, span.label) != span.label:
            said.setdefault(form, set())
    for key, span in shown_at.items():
        if key not in accepted_at:
            said.setdefault(form_of(task, span), set()).add(None)
    # Every label the task accepts a decided form with, so that a form kept as shown in one place
    # and changed in another is seen as ambiguous.
    for span in accepted.spans:
        if span.layer != ENTS:
            continue
        form = form_of(task, span)
        if form in said:
            said[form].add(span.label)
    return {form: next(iter(values)) for form, values in said.items() if len(values) == 1}


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class Memory:
    """The remembered decisions of one annotator in one dataset: form -> label, or None (deleted)."""

    entries: dict[Form, str | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def update(self, changes: Mapping[Form, str | None]) -> None:
        """A later decision replaces an earlier one."""
        self.entries.update(changes)

    def lesson(self, task: Task, shown: Annotation, accepted: Annotation) -> dict[Form, str | None]:
        """The entries accepting ``accepted`` (started from ``shown``) would set: the store writes
        them with the decision, then ``update`` takes them in."""
        return {
            form: value
            for form, value in decisions(task, shown, accepted, self.entries).items()
            if self.entries.get(form, ...) != value
        }

    def apply(self, task: Task, suggestion: Annotation, scheme: LabelScheme) -> tuple[Annotation, int]:
        """The suggestion as the memory would have it, and how many spans the memory changed or
        added. Only the scheme's labels are applied. Relations go with a dropped span, and with a
        relabelled one when the scheme does not allow them with its new label."""
        if not self.entries or not task.tokens:
            return suggestion, 0
        allowed = set(scheme.labels)
        touched = 0
        spans: list[Span] = []
        dropped: set[int] = set()
        for span in suggestion.spans:
            form = form_of(task, span)
            if span.layer != ENTS or form not in self.entries:
                spans.append(span)
                continue
            value = self.entries[form]
            if value is None:
                dropped.add(span.sid)
                touched += 1
            elif value != span.label and value in allowed:
                spans.append(replace(span, label=value, source=MEMORY_SOURCE))
                touched += 1
            else:
                spans.append(span)
        added = self._mentions(task, spans, allowed, max((s.sid for s in suggestion.spans), default=0) + 1)
        touched += len(added)
        spans.extend(added)
        if not touched:
            return suggestion, 0
        label = {s.sid: s.label for s in spans}
        relations = tuple(
            r
            for r in suggestion.relations
            if r.head in label
            and r.child in label
            and (
                scheme.relation(r.label) is None
                or not scheme.relation_error(r.label, label[r.head], label[r.child])
            )
        )
        return replace(suggestion, spans=tuple(spans), relations=relations), touched

    def _mentions(self, task: Task, spans: list[Span], allowed: set[str], next_sid: int) -> list[Span]:
        """New spans over unmarked mentions of forms remembered with a label, longest form first."""
        by_first: dict[str, list[tuple[Form, str]]] = {}
        for form, value in self.entries.items():
            if value is not None and value in allowed and form:
                by_first.setdefault(form[0], []).append((form, value))
        if not by_first:
            return []
        for options in by_first.values():
            options.sort(key=lambda fv: -len(fv[0]))
        taken = bytearray(len(task.tokens))
        for s in spans:
            if s.layer != ENTS:
                continue
            taken[s.token_start : s.token_end + 1] = b"\x01" * (s.token_end - s.token_start + 1)
        texts = [t.text for t in task.tokens]
        out: list[Span] = []
        i = 0
        while i < len(texts):
            options = by_first.get(texts[i], []) if not taken[i] else []
            matched = 0
            for form, label in options:
                end = i + len(form)
                if tuple(texts[i:end]) == form and not any(taken[i:end]):
                    first, last = task.tokens[i], task.tokens[end - 1]
                    out.append(
                        Span(first.start, last.end, i, end - 1, label, MEMORY_SOURCE, next_sid + len(out))
                    )
                    matched = len(form)
                    break
            i += matched or 1
        return out
