"""What every reader and writer shares: the item they pass around and the counts they report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from annotator.core.model import Annotation, Task
from annotator.core.records import Plain

Item = tuple[Task, Annotation]


class StoredRow(NamedTuple):
    """A stored annotation with its task's text as the store holds them, for a writer that needs
    neither tokens nor a Task or an Annotation (``Format.write_rows``). Span rows are in the blob's
    field order (start, end, token_start, token_end, label, source, sid, then layer unless
    ``ents``); relation rows are (head, child, label, source)."""

    input_hash: int
    text: str
    meta: Mapping[str, Any]
    spans: list[list[Any]]
    relations: list[list[Any]]


class Suggestion(Annotation):
    """A model's suggestion for a task, as a file may carry it beside people's annotations (Label
    Studio's predictions): stored as the task's suggestion, never as anyone's annotation.

    Annotation's dataclass methods serve it as they are (its ``__eq__`` asks for the same class, its
    ``__repr__`` names this one, ``replace`` makes this one): running @dataclass again for it was 4-5M
    machine instructions of every import's and export's start."""

    __slots__ = ()


def as_suggestion(annotation: Annotation, source: str) -> Suggestion:
    """``annotation`` as a suggestion whose spans and relations name ``source`` (the model)."""
    spans = tuple(replace(s, source=source) for s in annotation.spans)
    relations = tuple(replace(r, source=source) for r in annotation.relations)
    return Suggestion(spans, relations)


@dataclass
class Counts:
    """What a writer wrote (or a reader read), and what it left out."""

    tasks: int = 0
    spans: int = 0
    relations: int = 0
    paths: list[Path] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)  # what (plural) -> how many
    changed: Counter[str] = field(default_factory=Counter)  # what was written otherwise -> how many
    said: list[str] = field(default_factory=list)  # one line each: what was left out, and where
    failed: int = 0  # tasks the format could not hold at all (left out)

    def leave_out(self, what: str, n: int = 1) -> None:
        if n:
            self.left_out[what] += n

    def add(self, annotation: Annotation | Plain | StoredRow) -> None:
        self.tasks += 1
        self.spans += len(annotation.spans)
        self.relations += len(annotation.relations)

    def __iadd__(self, other: Counts) -> Counts:
        self.tasks += other.tasks
        self.spans += other.spans
        self.relations += other.relations
        self.paths += other.paths
        self.left_out += other.left_out
        self.changed += other.changed
        self.said += other.said
        self.failed += other.failed
        return self


def describe(task: Task | StoredRow) -> str:
    """How a task is named in an error message: its source if it has one, its hash always."""
    source = task.meta.get("source") if isinstance(task.meta, dict) else None
    start = task.text[:40].replace("\n", " ")
    name = f"task {task.input_hash}"
    if isinstance(source, str) and source:
        name += f" ({source})"
    return f"{name} {start!r}{'...' if len(task.text) > 40 else ''}"


def reiterable(items: Iterable[Item]) -> Iterable[Item]:
    """``items`` itself if it can be iterated more than once, else a list of it."""
    if isinstance(items, Iterator):
        return list(items)
    return items
