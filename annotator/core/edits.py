"""Edit operations as invertible commands, and the undo/redo history built on them.

Every edit is a pair (what it removes, what it adds) of spans and relations. That one shape covers
add, relabel, delete, grow and shrink, inverts by swapping its halves, and serialises to the edit log
so that undo works across restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Relation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.core.validate import validate_span
from annotator.core.wording import counted

# A review's choices (a dataclass and an enum, made at import) are imported where an edit carries
# one, not on annotate's start: annotate's edits never do.
if TYPE_CHECKING:
    from annotator.core.choices import ReviewChoice

# The kinds of edit that change relations alone: what they remove, the annotator removed.
RELATION_EDITS = frozenset({"add-relation", "remove-relation", "relabel-relation"})

# Edits logged before review choices were typed carry the choice in the note: "review:{index}={choice}".
_LEGACY_CHOICE = "review:"


@dataclass(frozen=True, slots=True)
class Edit:
    kind: str
    removed_spans: tuple[Span, ...] = ()
    added_spans: tuple[Span, ...] = ()
    removed_relations: tuple[Relation, ...] = ()
    added_relations: tuple[Relation, ...] = ()
    note: str = ""
    choice: ReviewChoice | None = None  # the reviewer's choice this edit applies to a gold version
    # A token split (``s``) at this character, or its undo (the two halves merged back there): the
    # task's tokens change, the spans do not (core/retokenize.py; the session applies it).
    split_at: int | None = None
    merge_at: int | None = None

    def apply(self, annotation: Annotation) -> Annotation:
        # Removal by span id, not by equality: an edit always removes the exact stored span. An
        # annotation of many spans hands its places on (core/span_places.py): the spans removed are
        # found by bisection, not by a walk over every span of the document.
        gone = {s.sid for s in self.removed_spans}
        places = annotation.hand_places()
        spans = places.changed(annotation.spans, gone, self.added_spans) if places is not None else None
        if spans is None:
            places = None
            kept = [s for s in annotation.spans if s.sid not in gone] if gone else list(annotation.spans)
            spans = (*kept, *self.added_spans)
        rels = list(annotation.relations)
        if self.removed_relations:
            rels = [r for r in rels if r not in self.removed_relations]
        rels.extend(self.added_relations)
        out = replace(annotation, spans=spans, relations=tuple(rels))
        if places is not None:
            out.keep_places(places)
        return out

    def inverse(self) -> Edit:
        return Edit(
            kind=f"undo-{self.kind}" if not self.kind.startswith("undo-") else self.kind[5:],
            removed_spans=self.added_spans,
            added_spans=self.removed_spans,
            removed_relations=self.added_relations,
            added_relations=self.removed_relations,
            split_at=self.merge_at,
            merge_at=self.split_at,
        )

    @property
    def empty(self) -> bool:
        """Changes nothing and says nothing. An edit that changes nothing but carries a note or a
        review choice (a reviewer's "take neither" where the result already has neither) is still
        a step of the history, so that undo and a restart know about it."""
        changes = self.removed_spans or self.added_spans or self.removed_relations or self.added_relations
        tokens = self.split_at is not None or self.merge_at is not None
        return not (changes or tokens or self.note or self.choice)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "removed_spans": [span_to_json(s) for s in self.removed_spans],
            "added_spans": [span_to_json(s) for s in self.added_spans],
            "removed_relations": [relation_to_json(r) for r in self.removed_relations],
            "added_relations": [relation_to_json(r) for r in self.added_relations],
            "note": self.note,
        }
        if self.choice is not None:  # only review edits: every other edit's row stays as it was
            data["choice"] = self.choice.to_json()
        if self.split_at is not None:
            data["split_at"] = self.split_at
        if self.merge_at is not None:
            data["merge_at"] = self.merge_at
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Edit:
        note = data.get("note", "")
        if "choice" in data:
            from annotator.core.choices import ReviewChoice

            choice: ReviewChoice | None = ReviewChoice.from_json(data["choice"])
        else:
            choice = _legacy_choice(note)
        return cls(
            kind=data["kind"],
            removed_spans=tuple(span_from_json(s) for s in data["removed_spans"]),
            added_spans=tuple(span_from_json(s) for s in data["added_spans"]),
            removed_relations=tuple(relation_from_json(r) for r in data["removed_relations"]),
            added_relations=tuple(relation_from_json(r) for r in data["added_relations"]),
            note="" if choice is not None and "choice" not in data else note,
            choice=choice,
            split_at=_offset(data.get("split_at")),
            merge_at=_offset(data.get("merge_at")),
        )


def _offset(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _legacy_choice(note: str) -> ReviewChoice | None:
    """The choice an edit logged before choices were typed carries in its note, if any: databases
    written then are read as they are (the edit log is append-only, so it is never rewritten)."""
    if not note.startswith(_LEGACY_CHOICE):
        return None
    from annotator.core.choices import Choice, ReviewChoice

    index, _, choice = note.removeprefix(_LEGACY_CHOICE).partition("=")
    if index.isdigit() and choice in {c.value for c in Choice}:
        return ReviewChoice(int(index), Choice(choice))
    return None


def span_to_json(s: Span) -> list[Any]:
    # An entity span is written as before layers existed (seven fields); a group span adds its key.
    out = [s.start, s.end, s.token_start, s.token_end, s.label, s.source, s.sid]
    if s.layer != ENTS:
        out.append(s.layer)
    return out


def span_from_json(d: list[Any]) -> Span:
    layer = str(d[7]) if len(d) > 7 else ENTS
    return Span(int(d[0]), int(d[1]), int(d[2]), int(d[3]), str(d[4]), d[5], int(d[6]), layer)


def relation_to_json(r: Relation) -> list[Any]:
    return [r.head, r.child, r.label, r.source]


def relation_from_json(d: list[Any]) -> Relation:
    return Relation(int(d[0]), int(d[1]), str(d[2]), d[3])


def _relations_of(annotation: Annotation, sids: Iterable[int]) -> tuple[Relation, ...]:
    gone = set(sids)
    return tuple(r for r in annotation.relations if r.head in gone or r.child in gone)


def _disallowed_relations(
    annotation: Annotation, changed: Span, scheme: LabelScheme | None
) -> tuple[Relation, ...]:
    """Relations of ``changed`` that its new label no longer allows under the scheme."""
    if scheme is None:
        return ()
    out = []
    for rel in annotation.relations:
        if changed.sid not in (rel.head, rel.child):
            continue
        if scheme.relation(rel.label) is None:
            continue  # a label from imported data that this scheme does not define: not ours to judge
        head = changed if rel.head == changed.sid else annotation.span(rel.head)
        child = changed if rel.child == changed.sid else annotation.span(rel.child)
        if head is None or child is None or scheme.relation_error(rel.label, head.label, child.label):
            out.append(rel)
    return tuple(out)


def set_span(
    task: Task,
    annotation: Annotation,
    token_start: int,
    token_end: int,
    label: str,
    *,
    source: str | None = None,
    keep_sid: int | None = None,
    scheme: LabelScheme | None = None,
    kind: str = "add",
    layer: str = ENTS,
) -> Edit:
    """Put a span over tokens ``token_start..token_end`` (inclusive) on ``layer``. On the entity
    layer it replaces every span it overlaps; relations follow when it takes the place of exactly
    one old span (or of ``keep_sid``), and relations of the other replaced spans go with them. In a
    span group spans may overlap and nest, so it replaces only ``keep_sid`` (a resize) and the same
    place with the same label (which it is)."""
    if not 0 <= token_start <= token_end < len(task.tokens):
        raise InvalidAnnotation(f"tokens {token_start}..{token_end} are outside the document")
    start, end = task.tokens[token_start].start, task.tokens[token_end].end
    if keep_sid is not None:
        kept = annotation.span(keep_sid)
        layer = kept.layer if kept is not None else layer
    new = Span(start, end, token_start, token_end, label, source, 0, layer)
    overlapped = [s for s in annotation.overlapping(start, end) if s.clashes(new)]
    keep = None
    if keep_sid is not None:
        keep = annotation.span(keep_sid)
    elif len(overlapped) == 1:
        keep = overlapped[0]
    sid = keep.sid if keep is not None else annotation.next_sid()
    new = replace(new, sid=sid)
    validate_span(task, new)
    removed = list(overlapped)
    if keep is not None and keep not in removed:
        removed.append(keep)
    if removed == [new]:
        return Edit(kind)
    dropped = _relations_of(annotation, [s.sid for s in removed if s.sid != sid])
    after_drop = replace(annotation, relations=tuple(r for r in annotation.relations if r not in dropped))
    dropped += _disallowed_relations(after_drop, new, scheme)
    return Edit(kind, tuple(removed), (new,), dropped, ())


def relabel_span(annotation: Annotation, sid: int, label: str, scheme: LabelScheme | None = None) -> Edit:
    old = _require_span(annotation, sid)
    if old.label == label:
        return Edit("relabel")
    new = replace(old, label=label, source=None)
    if any(s.clashes(new) for s in annotation.overlapping(new.start, new.end) if s.sid != sid):
        raise InvalidAnnotation(
            f"span group {old.layer} has a {label} span on these tokens already; delete this one instead"
        )
    dropped = _disallowed_relations(annotation, new, scheme)
    note = f"removed {counted(len(dropped), 'relation')} that {label} does not allow" if dropped else ""
    return Edit("relabel", (old,), (new,), dropped, (), note)


def delete_span(annotation: Annotation, sid: int) -> Edit:
    old = _require_span(annotation, sid)
    return Edit("delete", (old,), (), _relations_of(annotation, [sid]), ())


def resize_span(
    task: Task,
    annotation: Annotation,
    sid: int,
    token_start: int,
    token_end: int,
    scheme: LabelScheme | None = None,
) -> Edit:
    """Move a span's edges (grow or shrink); it keeps its label, source and relations."""
    old = _require_span(annotation, sid)
    if token_start > token_end:
        raise InvalidAnnotation("a span cannot shrink below one token; delete it instead")
    kind = "grow" if (token_end - token_start) > (old.token_end - old.token_start) else "shrink"
    return set_span(
        task,
        annotation,
        token_start,
        token_end,
        old.label,
        source=old.source,
        keep_sid=sid,
        scheme=scheme,
        kind=kind,
    )


def toggle_relation(
    annotation: Annotation,
    head: int,
    child: int,
    label: str,
    scheme: LabelScheme | None = None,
    source: str | None = None,
) -> Edit:
    """Add the relation, or remove it if it is already there (the same keys undo a mistake)."""
    h, c = _require_span(annotation, head), _require_span(annotation, child)
    for rel in annotation.relations:
        if rel.head == head and rel.child == child and rel.label == label:
            return Edit("remove-relation", removed_relations=(rel,))
    if head == child:
        raise InvalidAnnotation("a relation needs two different spans")
    if scheme is not None:
        error = scheme.relation_error(label, h.label, c.label)
        if error:
            raise InvalidAnnotation(error)
    return Edit("add-relation", added_relations=(Relation(head, child, label, source),))


def delete_relation(annotation: Annotation, relation: Relation) -> Edit:
    if relation not in annotation.relations:
        raise InvalidAnnotation(f"relation {relation.label} is not in the task")
    return Edit("remove-relation", removed_relations=(relation,))


def relabel_relation(
    annotation: Annotation, relation: Relation, label: str, scheme: LabelScheme | None = None
) -> Edit:
    if relation not in annotation.relations:
        raise InvalidAnnotation(f"relation {relation.label} is not in the task")
    if label == relation.label:
        return Edit("relabel-relation")
    h, c = _require_span(annotation, relation.head), _require_span(annotation, relation.child)
    if scheme is not None:
        error = scheme.relation_error(label, h.label, c.label)
        if error:
            raise InvalidAnnotation(error)
    new = Relation(relation.head, relation.child, label, None)
    if any(r.key == new.key for r in annotation.relations):
        return Edit("relabel-relation", removed_relations=(relation,))
    return Edit("relabel-relation", removed_relations=(relation,), added_relations=(new,))


def _require_span(annotation: Annotation, sid: int) -> Span:
    span = annotation.span(sid)
    if span is None:
        raise InvalidAnnotation(f"no span with id {sid} in the task")
    return span


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class History:
    """The current annotation of a task with its undo and redo stacks."""

    current: Annotation
    done: list[Edit] = field(default_factory=list)
    undone: list[Edit] = field(default_factory=list)

    def do(self, edit: Edit) -> Annotation:
        if edit.empty:
            return self.current
        self.current = edit.apply(self.current)
        self.done.append(edit)
        self.undone.clear()
        return self.current

    def undo(self) -> Edit | None:
        if not self.done:
            return None
        edit = self.done.pop()
        self.current = edit.inverse().apply(self.current)
        self.undone.append(edit)
        return edit

    def redo(self) -> Edit | None:
        if not self.undone:
            return None
        edit = self.undone.pop()
        self.current = edit.apply(self.current)
        self.done.append(edit)
        return edit

    def replay(self, event: str, edit: Edit | None = None) -> None:
        """Re-run one logged event ("do", "undo" or "redo"), as when a session is restored."""
        if event == "do":
            if edit is None:  # a log row without its edit: say so, even under python -O
                raise ValueError("a logged 'do' event has no edit")
            self.do(edit)
        elif event == "undo":
            self.undo()
        elif event == "redo":
            self.redo()
        else:
            raise ValueError(f"unknown history event {event!r}")
