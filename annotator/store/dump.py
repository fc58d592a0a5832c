"""A dataset as rows, to copy it from one database to another (``annotator migrate``), and the
fingerprint that proves a copy equal to its source: row counts and a BLAKE2b digest of every row of
every table, with ids taken relative to the dataset's first (a copy's ids are its database's own).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from annotator.store.base import Store


class TaskRow(NamedTuple):
    id: int
    input_hash: int
    text: str
    tokens: bytes
    meta: bytes
    extra: bytes
    suggestion: bytes
    created: float


class LogRow(NamedTuple):
    id: int
    task_id: int
    annotator: str
    session: str
    event: str
    payload: bytes | None
    created: float


class AnnotationRow(NamedTuple):
    task_id: int
    annotator: str
    answer: str | None
    session: str | None
    timestamp: int | None
    data: bytes
    base_log_id: int | None
    last_log_id: int | None


class MemoryRow(NamedTuple):
    annotator: str
    form: bytes
    label: str | None
    task_id: int
    updated: float


class DoubtRow(NamedTuple):
    task_id: int
    score: float
    data: bytes


class ReviewRow(NamedTuple):
    reviewer: str
    annotators: bytes
    updated: float


class AssignmentRow(NamedTuple):
    task_id: int
    annotator: str
    done: int


@dataclass
class DatasetDump:
    """Streams: each iterator reads its table page by page, in id order, when consumed."""

    name: str
    created: float
    scheme: tuple[bytes, float] | None  # the scheme blob and when it was stored
    tasks: Iterator[TaskRow]
    log: Iterator[LogRow]
    annotations: Iterator[AnnotationRow]
    memory: Iterator[MemoryRow]
    reviews: Iterator[ReviewRow]
    routing: tuple[int | None, bytes, int] | None  # overlap, loads, last task routed
    assignments: Iterator[AssignmentRow]
    doubts: Iterator[DoubtRow]


def remap(log_id: int | None, shift: int) -> int | None:
    return None if log_id is None else log_id + shift


@dataclass
class Fingerprint:
    """Counts and digests of a dataset's tables."""

    counts: dict[str, int] = field(
        default_factory=lambda: {
            "tasks": 0,
            "edit_log": 0,
            "annotations": 0,
            "memory": 0,
            "reviews": 0,
            "assignments": 0,
            "doubts": 0,
        }
    )
    digests: dict[str, str] = field(default_factory=dict)
    _hashes: dict[str, Any] = field(default_factory=dict, repr=False)
    _first: dict[str, int] = field(default_factory=dict, repr=False)

    def watch(self, dump: DatasetDump) -> DatasetDump:
        """The same dump, fingerprinted as it is read."""
        head = self._hash("dataset")
        _feed(head, (dump.name, dump.created, *(dump.scheme or (None, None))))
        if dump.routing is not None:
            _feed(head, dump.routing[:2])
        return replace(
            dump,
            tasks=self._rows("tasks", dump.tasks, self._task),
            log=self._rows("edit_log", dump.log, self._log),
            annotations=self._rows("annotations", dump.annotations, self._annotation),
            memory=self._rows("memory", dump.memory, self._memory),
            reviews=self._rows("reviews", dump.reviews, tuple),
            assignments=self._rows("assignments", dump.assignments, self._assignment),
            doubts=self._rows("doubts", dump.doubts, self._doubt),
        )

    def finish(self) -> Fingerprint:
        self.digests = {name: h.hexdigest() for name, h in self._hashes.items()}
        return self

    def _hash(self, name: str) -> Any:
        return self._hashes.setdefault(name, hashlib.blake2b(digest_size=16))

    def _rows(
        self, name: str, rows: Iterator[Any], canonical: Callable[[Any], tuple[Any, ...]]
    ) -> Iterator[Any]:
        h = self._hash(name)
        for row in rows:
            self.counts[name] += 1
            _feed(h, canonical(row))
            yield row

    def _relative(self, table: str, value: int | None) -> int | None:
        if value is None:
            return None
        return value - self._first.setdefault(table, value)

    def _task(self, t: TaskRow) -> tuple[Any, ...]:
        return (self._relative("tasks", t.id), *t[1:])

    def _log(self, e: LogRow) -> tuple[Any, ...]:
        return (self._relative("edit_log", e.id), self._relative("tasks", e.task_id), *e[2:])

    def _annotation(self, a: AnnotationRow) -> tuple[Any, ...]:
        return (
            self._relative("tasks", a.task_id),
            *a[1:6],
            self._relative("edit_log", a.base_log_id),
            self._relative("edit_log", a.last_log_id),
        )

    def _memory(self, m: MemoryRow) -> tuple[Any, ...]:
        return (*m[:3], self._relative("tasks", m.task_id), m.updated)

    def _assignment(self, a: AssignmentRow) -> tuple[Any, ...]:
        return (self._relative("tasks", a.task_id), a.annotator, a.done)

    def _doubt(self, d: DoubtRow) -> tuple[Any, ...]:
        return (self._relative("tasks", d.task_id), d.score, d.data)


def fingerprint(dump: DatasetDump) -> Fingerprint:
    fp = Fingerprint()
    watched = fp.watch(dump)
    for rows in (
        watched.tasks,
        watched.log,
        watched.annotations,
        watched.memory,
        watched.reviews,
        watched.assignments,
        watched.doubts,
    ):
        for _ in rows:
            pass
    return fp.finish()


def _feed(h: Any, values: tuple[Any, ...]) -> None:
    """Each value with its type and length, so that no two rows hash alike by concatenation."""
    for value in values:
        if value is None:
            h.update(b"N")
        elif isinstance(value, bytes):
            h.update(b"B" + struct.pack("<Q", len(value)) + value)
        elif isinstance(value, str):
            raw = value.encode("utf-8", "surrogatepass")
            h.update(b"S" + struct.pack("<Q", len(raw)) + raw)
        elif isinstance(value, float):
            h.update(b"F" + struct.pack("<d", value))
        elif isinstance(value, int):
            raw = str(value).encode()
            h.update(b"I" + struct.pack("<Q", len(raw)) + raw)
        else:
            raise TypeError(f"cannot fingerprint {type(value).__name__}")


@dataclass(frozen=True)
class Copied:
    dataset: str
    fingerprint: Fingerprint


def copy_dataset(source: Store, target: Store, dataset: str) -> Copied:
    """Copy one dataset (tasks, suggestions, the scheme, every annotation, the whole edit log and the
    correction memory, the reviews, the routing and its assignments)
    into ``target`` in one transaction, verified before it commits: the row counts and the digests
    of every table read back from the target equal those of the rows read from the source."""
    expected = Fingerprint()
    got = target.load(expected.watch(source.dump(dataset)), expected)
    return Copied(dataset, got)
