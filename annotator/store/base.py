"""The store interface every backend implements (SQLite in sqlite.py, PostgreSQL in postgres.py),
and the values it hands out.

``Store(target)`` opens the backend the target names: a ``postgresql://`` URL opens PostgreSQL, any
other path an SQLite file (see target.py). Both keep the same guarantees: each edit and decision is
one transaction committed before the method returns; the edit log is append-only, enforced by the
database; the schema goes through the same numbered migrations; a guarded write compares versions
in the statement that writes (the same-annotator guard); decisions are durable.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final, NamedTuple, Self

from annotator.core.model import Annotation, Task
from annotator.core.records import Plain

# Named in annotations only: what the methods take or make (a task's doubts, its edit history, a
# dataset's scheme and reviewers, an export's rows, ...) is imported by the backends' methods that
# use it, not on every command's start (an export uses none of the first four).
if TYPE_CHECKING:
    from annotator.core.doubts import Doubts
    from annotator.core.edits import Edit, History
    from annotator.core.reviews import Review
    from annotator.core.scheme import LabelScheme
    from annotator.formats.base import StoredRow
    from annotator.store.dump import DatasetDump, Fingerprint
    from annotator.store.stats import PairTally, StatsRow


class _Unchecked(Enum):
    UNCHECKED = "unchecked"


# A write that does not compare versions (importers, the review screen, scripts).
UNCHECKED = _Unchecked.UNCHECKED

# The version a write expects to replace: the id of the last log row of this task and annotator
# when it was read (None: nothing written yet), or UNCHECKED.
Expect = int | None | _Unchecked

EDIT_EVENTS = ("do", "undo", "redo")
DRAFT = "draft"


# TaskState, Decision and Routing are plain classes, not frozen dataclasses: nothing compares or
# prints one, and a dataclass's generated methods (__init__, frozen __setattr__ and __delattr__) are
# compiled from source at import, on every start. ``Final`` keeps them read-only for mypy.
class TaskState:
    """One annotator's task as read in one snapshot: the history (current annotation with its undo
    and redo stacks), the stored row (None if this annotator never wrote the task) and its version
    (the id of the latest log row of this task and annotator, None before any)."""

    __slots__ = ("history", "stored", "version")

    def __init__(self, history: History, stored: Annotation | None, version: int | None) -> None:
        self.history: Final = history
        self.stored: Final = stored
        self.version: Final = version


# A task to store with its suggestion, or a record read as it came (``Plain``: its own spans and
# relations are the suggestion), which is stored without a Task or an Annotation made of it.
NewTask = tuple[Task, Annotation] | Plain


class Saved(NamedTuple):
    """One row for ``save_annotations``: the annotation (or the record read as it came, ``Plain``)
    stored as ``annotator``'s current row of the task, the log row naming ``session`` as its
    writer."""

    task_id: int
    annotator: str
    annotation: Annotation | Plain
    session: str = "import"


class Decision:
    """A decision as stored (annotator, session and timestamp filled in) and its log row's id."""

    __slots__ = ("annotation", "version")

    def __init__(self, annotation: Annotation, version: int) -> None:
        self.annotation: Final = annotation
        self.version: Final = version


class Routing:
    """How a dataset's tasks go to annotators: ``overlap`` annotators a task (None: every annotator
    every task), the routed annotators with how many tasks each was given (in the order they were
    named), and the last task id given out (tasks stored later are routed as they arrive)."""

    __slots__ = ("assigned_upto", "loads", "overlap", "version")

    def __init__(
        self, overlap: int | None, loads: dict[str, int], assigned_upto: int = 0, version: int = 0
    ) -> None:
        self.overlap: Final = overlap
        self.loads: Final = loads
        self.assigned_upto: Final = assigned_upto
        self.version: Final = version  # as read; route() refuses to write over a newer one

    @property
    def annotators(self) -> tuple[str, ...]:
        return tuple(self.loads)


class Store:
    """The interface. ``Store(target)`` returns the backend for ``target``; a Store is also a
    context manager that closes it. One Store may be used from several threads."""

    def __new__(
        cls, target: str | Path, *, create: bool = True, durable_edits: bool = False, read_only: bool = False
    ) -> Store:
        """``create=False`` refuses a database that does not exist yet (a mistyped ``--db`` must not
        leave an empty one behind). ``durable_edits`` fsyncs every edit, not only every decision
        (SQLite; PostgreSQL commits every transaction durably). ``read_only`` (commands that only
        read) opens an SQLite file that cannot be written instead of refusing it."""
        if cls is Store:
            from annotator.store.target import backend_for

            cls = backend_for(target)
        return super().__new__(cls)

    @property
    def location(self) -> str:
        """Where the data is, for messages (a file path, or a URL without its password)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def batch(self) -> AbstractContextManager[None]:
        """Every write made inside the block (from this thread) is one transaction, committed on
        leaving it: all are stored or none. An import stores a batch of records so, so that one
        stopped midway (killed, a full disk) leaves the dataset as it was or with whole batches,
        never a task without its annotation. Reads inside see those writes."""
        raise NotImplementedError

    # -- datasets and tasks -------------------------------------------------------------------

    def datasets(self) -> list[str]:
        raise NotImplementedError

    def scheme(self, dataset: str) -> LabelScheme | None:
        """The label scheme stored with the dataset, None before one was."""
        raise NotImplementedError

    def save_scheme(self, dataset: str, scheme: LabelScheme) -> None:
        """Store (or replace) the dataset's label scheme; creates the dataset if needed."""
        raise NotImplementedError

    def memory(self, dataset: str, annotator: str) -> dict[tuple[str, ...], str | None]:
        """The annotator's correction memory in the dataset: surface form -> label (None: not an
        entity)."""
        raise NotImplementedError

    def record_review(self, dataset: str, reviewer: str, annotators: Sequence[str]) -> None:
        """Record that ``reviewer`` adjudicates ``annotators``' work on the dataset: the reviewer's
        annotations are then one of its gold sets (``reviewers``)."""
        raise NotImplementedError

    def reviewers(self, dataset: str) -> list[Review]:
        """Who reviewed the dataset (each one's annotations a gold set), by name."""
        raise NotImplementedError

    def add_tasks(self, dataset: str, items: Iterable[NewTask], *, unheld: bool = False) -> list[int]:
        """Store tasks with their suggestions, a batch a transaction; returns their ids in input
        order. A task whose input hash is already in the dataset keeps its id, its tokens and its
        suggestion (annotations may have been made on them). ``unheld``: the caller found none of
        their hashes in the dataset (``find_tasks``) inside the same ``batch()``, so they are not
        looked up again; outside a batch it is ignored (another writer may have stored one)."""
        raise NotImplementedError

    def set_suggestion(self, task_id: int, suggestion: Annotation) -> None:
        """Replace a task's suggestion (model output that arrived after the task was stored)."""
        raise NotImplementedError

    def set_doubts(self, items: Iterable[tuple[int, Doubts]]) -> None:
        """Keep how sure the model was of these tasks' suggestions (replacing what was kept)."""
        raise NotImplementedError

    def doubts(self, task_id: int) -> Doubts | None:
        """How sure the model was of the task's suggestion; None when nothing was kept."""
        raise NotImplementedError

    def doubt_scores(self, task_ids: Collection[int]) -> dict[int, float]:
        """The uncertainty score of those of ``task_ids`` that have one."""
        raise NotImplementedError

    def set_tokens(self, task_id: int, task: Task) -> None:
        """Replace a task's tokens; the text must be the same."""
        raise NotImplementedError

    def retokenize(self, task_id: int, task: Task) -> None:
        """Replace a task's tokens (the text the same, every old span still on token boundaries: a
        split or its undo) and move the suggestion and every current annotation onto them, in one
        transaction."""
        raise NotImplementedError

    def task_ids(self, dataset: str) -> list[int]:
        """The dataset's task ids in insertion order."""
        raise NotImplementedError

    def task_count(self, dataset: str) -> int:
        raise NotImplementedError

    def task(self, task_id: int) -> Task:
        raise NotImplementedError

    def suggestion(self, task_id: int) -> Annotation:
        raise NotImplementedError

    def tasks(self, task_ids: Collection[int]) -> dict[int, Task]:
        """task id -> task, for those of ``task_ids`` that exist (a few queries for a batch: an
        import compares a batch of records with the tasks the dataset holds)."""
        raise NotImplementedError

    def task_bodies(self, task_ids: Collection[int]) -> dict[int, tuple[str, bytes]]:
        """task id -> (its text, its tokens as stored: the bytes of ``tokens_to_blob``), for those
        of ``task_ids`` that exist: what an import compares a record read as it came (``Plain``)
        with, without making the stored tasks' Tokens."""
        raise NotImplementedError

    def find_task(self, dataset: str, input_hash: int) -> int | None:
        raise NotImplementedError

    def find_tasks(self, dataset: str, input_hashes: Iterable[int]) -> dict[int, int]:
        """input hash -> task id, for those of ``input_hashes`` the dataset holds (one query a
        few hundred hashes: an import looks up a batch of records at once)."""
        raise NotImplementedError

    # -- annotations and the edit log ---------------------------------------------------------

    def annotation(self, task_id: int, annotator: str) -> Annotation | None:
        """This annotator's current annotation of the task; a draft has ``answer`` None."""
        raise NotImplementedError

    def annotations_of(self, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Annotation]:
        """The current annotation of each (task id, annotator) pair that has one, read in one
        snapshot (a few queries for a batch, as ``annotation`` gives each)."""
        raise NotImplementedError

    def last_log_id(self, task_id: int, annotator: str) -> int | None:
        """The version of this annotator's row for the task: the id of its latest log row (None
        before any)."""
        raise NotImplementedError

    def record_edit(
        self,
        task_id: int,
        annotator: str,
        session: str,
        event: str,
        edit: Edit | None,
        current: Annotation,
        *,
        expect: Expect = UNCHECKED,
    ) -> int:
        """Log one edit ("do", "undo" or "redo"; ``edit`` is required for "do") and store
        ``current``, the annotation after it, as the draft: both in one committed transaction.
        Returns the new version (the log row's id).

        An edit reopens a decided task: its row becomes a draft (answer None) until the next
        decision, so an exported "accept" always means the spans the annotator accepted.

        ``expect`` (the version the caller read) makes the write conditional: if another process
        wrote the task since, nothing is written and StaleWrite is raised."""
        raise NotImplementedError

    def record_answer(
        self,
        task_id: int,
        annotator: str,
        session: str,
        annotation: Annotation,
        *,
        expect: Expect = UNCHECKED,
        remember: Mapping[tuple[str, ...], str | None] | None = None,
    ) -> Decision:
        """Store a decision (annotation.answer is accept, reject or ignore), durably; returns the
        annotation as stored, with annotator, session and timestamp filled in, and its version.
        ``expect`` as in record_edit. ``remember``: what the decision teaches the annotator's
        correction memory in the task's dataset (surface form -> label, None: not an entity; a
        form's later decision replaces its earlier one), written in the same transaction."""
        raise NotImplementedError

    def save_annotation(
        self, task_id: int, annotator: str, annotation: Annotation, session: str = "import"
    ) -> None:
        """Overwrite the current row (for importers and the review screen); ``answer`` may be set
        or None. The annotation keeps its own session and timestamp when it has them (an imported
        record's ``_session_id``/``_timestamp``); the log row names ``session`` as its writer.
        Not fsynced in SQLite: importers write thousands of rows and still have their source file."""
        self.save_annotations([Saved(task_id, annotator, annotation, session)])

    def save_annotations(self, rows: Iterable[Saved]) -> None:
        """``save_annotation`` for many rows, in one transaction: all are stored or none (an
        import writes a batch of records at once; a transaction each was most of its time)."""
        raise NotImplementedError

    def history(self, task_id: int, annotator: str) -> History:
        """The task's current annotation with its undo and redo stacks (see ``state``)."""
        return self.state(task_id, annotator).history

    def state(self, task_id: int, annotator: str) -> TaskState:
        """The task as this annotator left it, read in one snapshot: the current annotation with
        its undo and redo stacks, rebuilt by replaying the edits logged since this annotator's last
        import on top of it (or of the suggestion), across the decisions made in between; the
        stored row; its version.
        ``history.current`` is always the stored current annotation: if the log does not lead to it
        (the suggestion was replaced after edits were made on the old one), the undo history is
        dropped rather than the draft."""
        raise NotImplementedError

    def next_unanswered(self, dataset: str, annotator: str, after: int | None = None) -> int | None:
        """The first task in insertion order (after task ``after``, if given) that this annotator
        has not decided; drafts count as undecided. None when there is none (no wrap-around)."""
        found = self.unanswered(dataset, annotator, 1, after)
        return found[0] if found else None

    def unanswered(self, dataset: str, annotator: str, limit: int, after: int | None = None) -> list[int]:
        """The first ``limit`` tasks in insertion order (after task ``after``) this annotator has not
        decided, as ``next_unanswered`` finds them."""
        raise NotImplementedError

    def answer_counts(self, dataset: str, annotator: str) -> dict[str, int]:
        """Tasks this annotator accepted, rejected, ignored and left as drafts."""
        raise NotImplementedError

    def log_counts(self, dataset: str, annotator: str | None = None) -> dict[str, int]:
        """Rows of the edit log per event ("do", "undo", "redo", "answer", "import") for the
        dataset (and annotator); events that never happened are left out."""
        raise NotImplementedError

    def annotators(self, dataset: str) -> list[str]:
        """Who has a row (a draft or a decision) in the dataset, by name."""
        raise NotImplementedError

    def rows_not_of(self, dataset: str, annotator: str, session: str) -> int:
        """The annotator's rows in the dataset that another session than ``session`` wrote (a
        reviewer's work of their own, beside the gold set their review writes)."""
        raise NotImplementedError

    def annotations(
        self,
        dataset: str,
        annotator: str | None = None,
        answers: Collection[str] | None = ("accept",),
        *,
        tokens: bool = True,
    ) -> Iterator[tuple[int, Task, Annotation]]:
        """(task id, task, annotation) in task order, then annotator order. ``answers`` None gives
        every row including drafts; "draft" may also be named in ``answers``. Read page by page,
        so the caller may write to the store while iterating. ``tokens`` False: the tasks come
        with no tokens (the column is not read), for a writer that needs only texts and offsets."""
        raise NotImplementedError

    def annotation_rows(
        self, dataset: str, annotator: str | None = None, answers: Collection[str] | None = ("accept",)
    ) -> Iterator[StoredRow]:
        """The rows of ``annotations`` (without tokens) as the store holds them: text, hash, meta and
        the annotation's span and relation lists, for a writer that needs no Task or Annotation."""
        raise NotImplementedError

    def accepted_labels(self, dataset: str, annotators: Collection[str]) -> tuple[list[str], list[str]]:
        """The span labels and the relation labels of these annotators' accepted tasks, from the
        counts the store keeps (no pass over the annotations), most used first."""
        raise NotImplementedError

    def pair_tallies(self, dataset: str) -> dict[tuple[str, str], PairTally]:
        """For each pair of annotators (in name order) who both accepted a task of the dataset, what
        their accepted tasks share, from the counts the store keeps (no pass over the annotations)."""
        raise NotImplementedError

    def stats(self, dataset: str | None = None) -> list[StatsRow]:
        """Per dataset and annotator: decided and drafted tasks, spans per label of accepted tasks."""
        raise NotImplementedError

    # -- routing --------------------------------------------------------------------------------

    def routing(self, dataset: str) -> Routing | None:
        """The dataset's routing, None when it has none (every annotator sees every task)."""
        raise NotImplementedError

    def route(
        self,
        dataset: str,
        routing: Routing,
        assign: Iterable[tuple[int, str]] = (),
        unassign: Iterable[tuple[int, str]] = (),
        *,
        expect: Routing | None = None,
    ) -> None:
        """Store the routing and give (take) these (task, annotator) assignments, in one
        transaction. ``expect``: the routing this change was planned from; if another process
        changed it since, nothing is written (RoutedMeanwhile), so that two processes never route
        the same tasks. Without it the routing is set whatever it was (``assign`` on a new one)."""
        raise NotImplementedError

    def task_ids_after(self, dataset: str, after: int) -> list[int]:
        """The dataset's task ids above ``after``, in order (an index range)."""
        raise NotImplementedError

    def queue(self, dataset: str, annotator: str) -> list[int]:
        """The tasks this annotator works through, in order: their assignments when the dataset is
        routed, else every task."""
        raise NotImplementedError

    def queue_size(self, dataset: str, annotator: str) -> int:
        """How many tasks ``queue`` holds, without reading them (kept counts, an index range)."""
        raise NotImplementedError

    def queue_rank(
        self, dataset: str, annotator: str, task_id: int, near: tuple[int, int] | None = None
    ) -> int | None:
        """The task's place in the annotator's queue (0: the first), None when it is not in it.
        ``near``: another task of the queue and its place, to count from (the one open before)."""
        raise NotImplementedError

    def queue_ids(
        self, dataset: str, annotator: str, after: int | None, limit: int, *, backwards: bool = False
    ) -> list[int]:
        """Up to ``limit`` tasks of the annotator's queue after task ``after`` in order (None: from
        the first), or with ``backwards`` before it, nearest first (None: from the last)."""
        raise NotImplementedError

    def unstarted(self, dataset: str, annotator: str, limit: int) -> list[int]:
        """Up to ``limit`` of the annotator's assigned tasks they have not touched, last first."""
        raise NotImplementedError

    def shared_tasks(self, dataset: str) -> dict[tuple[str, str], int]:
        """Tasks each pair of annotators is assigned together (the pairs routing made)."""
        raise NotImplementedError

    def open_assignments(self, dataset: str) -> tuple[int, int]:
        """Assignments not decided yet, and the tasks they are on."""
        raise NotImplementedError

    def activity(self, dataset: str) -> dict[str, list[tuple[float, int, str]]]:
        """Per annotator, their edits and decisions on the dataset from the edit log, in time
        order: (time, task id, event)."""
        raise NotImplementedError

    # -- copying a dataset between databases (annotator migrate) ------------------------------

    def dump(self, dataset: str) -> DatasetDump:
        """The whole dataset as rows, streamed in id order: tasks, the edit log, current rows, the
        scheme (see dump.py)."""
        raise NotImplementedError

    def load(self, dump: DatasetDump, expected: Fingerprint) -> Fingerprint:
        """Write a dump as a new dataset, in one transaction; the dataset must not exist here yet.
        Ids are this database's own; references follow them. Before committing, the dataset is
        read back and its fingerprint compared with ``expected`` (the source's, taken as the dump
        was read: see Fingerprint.watch): a copy that differs is rolled back (StoreError). Returns
        the copy's fingerprint."""
        raise NotImplementedError
