"""The store in SQL that both databases run: every statement is written once, with ``?`` for
parameters (the PostgreSQL backend turns them into ``%s``), and the backends supply the connection,
transactions, error mapping and the few places where the two databases differ (the hooks at the top
of SqlStore).

Tables (see migrations.py): datasets; tasks with their suggestion; edit_log, every edit and decision,
append-only; annotations, one current row per (task, annotator) with its version (``last_log_id``,
the latest log row) and its base (``base_log_id``, the last import, that history() replays from,
across the decisions made since).
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from functools import lru_cache
from itertools import chain, combinations, islice, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from annotator.core.errors import AnnotatorError
from annotator.core.model import ANSWERS, Annotation, Task
from annotator.core.records import Plain, new_plain
from annotator.store.base import (
    DRAFT,
    EDIT_EVENTS,
    UNCHECKED,
    Decision,
    Expect,
    NewTask,
    Routing,
    Saved,
    Store,
    TaskState,
)
from annotator.store.errors import RoutedMeanwhile, StaleWrite, StoreError, UnknownTask
from annotator.store.migrations import SHARED_TASKS, count_accepted_labels
from annotator.store.serialize import (
    RELATION,
    SPAN,
    annotation_from_blob,
    annotation_to_blob,
    annotation_to_json,
    answer_or_none,
    edit_to_blob,
    label_from_key,
    mapping_from_blob,
    mapping_to_blob,
    plain_suggestion_blob,
    plain_to_blob,
    plain_tokens_blob,
    tokens_from_blob,
    tokens_to_blob,
)

# A dataset's copy (annotator copy) only: imported by the methods that make one. The rows of
# annotator stats and of the agreement report, a dataset's reviewers and the rows an export writes
# (dataclasses whose methods are compiled at import, a few million machine instructions each
# module) likewise: not on annotate's start. So are a task's doubts, its edit history (and the
# retokenizer that realigns one), a dataset's scheme and the kept counts a write updates (kept.py):
# an export, which reads rows and writes files, uses none of them.
if TYPE_CHECKING:
    from annotator.core.doubts import Doubts
    from annotator.core.edits import Edit, History
    from annotator.core.reviews import Review
    from annotator.core.scheme import LabelScheme
    from annotator.formats.base import StoredRow
    from annotator.store.dump import DatasetDump, Fingerprint
    from annotator.store.kept import Kept
    from annotator.store.stats import PairTally, StatsRow

BATCH_SIZE = 500  # tasks per transaction in add_tasks, rows per page in annotations() and dump()
# An edit of an annotation of at least this many spans and relations is stored as its log row alone,
# the row keeping the annotation as it was (a snapshot): rewriting 50,000 spans took ~45 ms a key. At
# most MAX_REPLAY edits pile up on a snapshot before the next edit writes the annotation whole, so
# reading the current annotation replays a bounded number of edits.
SNAPSHOT_FROM = 1_000
MAX_REPLAY = 32
INT64 = (-(2**63), 2**63 - 1)


class Rows(Protocol):
    @property
    def rowcount(self) -> int: ...  # the rows an INSERT, UPDATE or DELETE changed

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What the shared code needs of a connection: sqlite3's, or the PostgreSQL adapter."""

    def execute(self, sql: str, parameters: Any = (), /) -> Rows: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...


# Tasks and import log rows are written a batch at a time (executemany) with ids taken beforehand
# (_new_ids): a statement and a row read back for each was most of an import's store time.
_INSERT_TASK = """
    INSERT INTO tasks (id, dataset_id, input_hash, text, tokens, meta, extra, suggestion, created)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (dataset_id, input_hash) DO NOTHING
"""

_INSERT_LOG = """
    INSERT INTO edit_log (task_id, annotator, session, event, payload, created)
    VALUES (?, ?, ?, ?, ?, ?)
    RETURNING id
"""
_INSERT_LOG_WITH_ID = """
    INSERT INTO edit_log (id, task_id, annotator, session, event, payload, created)
    VALUES (?, ?, ?, ?, ?, ?, ?)
"""

# An edit keeps the row's base (the last import) and makes it a draft.
_UPSERT_DRAFT = """
    INSERT INTO annotations (task_id, annotator, answer, session, timestamp, data, base_log_id, last_log_id)
    VALUES (?, ?, NULL, ?, ?, ?, NULL, ?)
    ON CONFLICT (task_id, annotator) DO UPDATE SET
        answer = NULL, session = excluded.session, timestamp = excluded.timestamp, data = excluded.data,
        last_log_id = excluded.last_log_id, data_log_id = NULL
"""

# An edit of a large annotation (see SNAPSHOT_FROM): the row becomes a draft and names the edit as
# its version; its annotation is the snapshot (as of log row data_log_id) in table snapshots, and
# ``data`` is empty.
_DRAFT_ON_SNAPSHOT = """
    UPDATE annotations SET answer = NULL, session = ?, timestamp = ?, last_log_id = ?, data_log_id = ?, data = ?
    WHERE task_id = ? AND annotator = ?
"""
_TAKE_SNAPSHOT = """
    INSERT INTO snapshots (task_id, annotator, data)
    SELECT task_id, annotator, data FROM annotations WHERE task_id = ? AND annotator = ?
    ON CONFLICT (task_id, annotator) DO UPDATE SET data = excluded.data
"""
_DROP_SNAPSHOT = "DELETE FROM snapshots WHERE task_id = ? AND annotator = ?"

# A decision replaces the current row. An import (a whole annotation from elsewhere) is the new base
# that history() replays from; an answer keeps the base, so that undo reaches across it.
_UPSERT_DECISION = """
    INSERT INTO annotations (task_id, annotator, answer, session, timestamp, data, base_log_id, last_log_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (task_id, annotator) DO UPDATE SET
        answer = excluded.answer, session = excluded.session, timestamp = excluded.timestamp,
        data = excluded.data, base_log_id = COALESCE(excluded.base_log_id, annotations.base_log_id),
        last_log_id = excluded.last_log_id, data_log_id = NULL
"""

# The same-annotator guard: the row is replaced only if it is still the version the writer read, in
# the statement that replaces it (a row that appeared since is a conflict too). No row comes back
# when the version moved on, and the caller rolls the transaction back. In PostgreSQL the upsert
# locks the row and checks the condition against its latest committed version, so two writers
# cannot both pass; in SQLite every write transaction holds the database's write lock.
_GUARD = " WHERE annotations.last_log_id IS NOT DISTINCT FROM ?"
_RETURNING = " RETURNING id"

_TASK_COLUMNS = "t.text, t.tokens, t.input_hash, t.meta, t.extra"
# The same with the tokens left unread (NULL: the column never is), for a writer that needs none.
_TASK_COLUMNS_NO_TOKENS = "t.text, NULL, t.input_hash, t.meta, t.extra"


# A many-row write runs as statements of many rows each (``INSERT ... VALUES (...), (...), ...``),
# not as executemany, which runs its statement once a row: the start and end of each run (its
# statement transaction, its foreign-key count checked at its end) were 5% of an import's machine
# instructions. As many rows as the database takes parameters in one statement, up to this.
ROWS_A_STATEMENT = 500


@lru_cache(maxsize=32)
def _with_rows(sql: str, count: int) -> str:
    """``sql``, an INSERT of the one row ``VALUES (?, ...)``, as the INSERT of ``count`` rows."""
    head, values, rest = sql.partition("VALUES (")
    group, close, tail = rest.partition(")")
    if not values or not close:
        raise ValueError(f"not an INSERT of one row of values: {sql}")
    return f"{head}VALUES {', '.join(['(' + group + ')'] * count)}{tail}"


def _insert_rows(conn: Connection, sql: str, rows: Sequence[Sequence[Any]], parameters: int) -> None:
    """The rows written by ``sql`` (an INSERT of one row of values), in order, as executemany would,
    in statements of at most ``parameters`` parameters."""
    if not rows:
        return
    step = max(1, min(ROWS_A_STATEMENT, parameters // len(rows[0])))
    for i in range(0, len(rows), step):
        page = rows[i : i + step]
        conn.execute(_with_rows(sql, len(page)), list(chain.from_iterable(page)))


_TASK_AND_ANNOTATOR = itemgetter(0, 1)  # of a row of save_annotations: its sort key, made in C


def _hash_of(item: NewTask) -> int:
    return item.input_hash if isinstance(item, Plain) else item[0].input_hash


def _chunks(values: Iterable[Any]) -> Iterator[tuple[list[Any], str]]:
    """Sorted distinct ``values`` a page (BATCH_SIZE) at a time, each with its ``?, ?, ...`` list
    for an ``IN (...)``."""
    ordered = sorted(set(values))
    for i in range(0, len(ordered), BATCH_SIZE):
        chunk = ordered[i : i + BATCH_SIZE]
        yield chunk, ", ".join("?" * len(chunk))


class SqlStore(Store):
    """Everything but the connection. Subclasses open ``self._conn`` and implement the hooks."""

    _lock: threading.RLock  # the subclass's: serialises threads on its one connection

    def __init__(self) -> None:
        self._dataset_ids: dict[str, int] = {}
        self._in_batch = False  # inside batch(): every write joins its transaction (see _write)
        # Tasks the batch's transaction stored that no annotation has been written to since (task
        # id -> dataset id): a write of their annotations has nothing to read first (no other
        # writer can add one to a task not yet committed; this store's writes take them out).
        self._bare: dict[int, int] = {}
        # Every task the batch's find_tasks found or add_tasks stored or found (task id -> dataset
        # id): a write of their annotations need not read their datasets again (tasks are never
        # deleted or moved).
        self._batch_tasks: dict[int, int] = {}

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._lock:
            if self._in_batch:  # already inside one: part of it
                yield
                return
            with self._write():
                self._in_batch = True
                try:
                    yield
                finally:
                    self._in_batch = False
                    self._bare.clear()
                    self._batch_tasks.clear()

    # -- hooks ------------------------------------------------------------------------------------

    @abstractmethod
    def _write(self, *, durable: bool = False) -> AbstractContextManager[Connection]:
        """One write transaction, committed on leaving the block (rolled back on an exception).
        ``durable``: the commit must survive a power cut before it returns. Inside ``batch``
        (``self._in_batch``), part of the batch's transaction, which commits or rolls it back."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Connection]:
        """Several reads from one snapshot of the database."""

    @abstractmethod
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """One statement outside any transaction: its rows."""

    @abstractmethod
    def _is_missing_task(self, exc: Exception) -> bool:
        """Whether ``exc`` is the foreign-key error of a row naming a task that does not exist."""

    def _text_in(self, text: str) -> Any:
        """Text from the data (a task's text, a session id) as the database stores it."""
        return text

    def _text_out(self, value: Any) -> str:
        return str(value)

    def _text_or_none(self, text: str | None) -> Any:
        return None if text is None else self._text_in(text)

    def _blobs_in(self, blobs: Sequence[bytes]) -> Sequence[Any]:
        """Blobs as the many-row writes pass them to the driver (the same bytes are stored)."""
        return blobs

    # Whether another writer can insert tasks while a write transaction is open (PostgreSQL can;
    # SQLite's write transaction holds the database's one write lock).
    _others_insert_meanwhile = True

    def _lock_task_of(self, conn: Connection, task_id: int, annotator: str) -> None:
        """Serialise writers of one (task, annotator) until the transaction ends, so that log ids
        follow commit order; SQLite's write lock already does."""

    def _new_ids(self, conn: Connection, table: str, count: int) -> list[int]:
        """``count`` ids for new rows of ``table`` (tasks or edit_log), in increasing order, that no
        other writer can take. SQLite: the ones after the largest, since the write transaction holds
        the database's write lock from its start."""
        (last,) = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
        return list(range(int(last) + 1, int(last) + 1 + count))

    def _parameters(self, conn: Connection) -> int:
        """The most parameters a statement may have (PostgreSQL's; SQLite says its own)."""
        return 65_535

    def _lock_for_load(self, conn: Connection) -> None:
        """Keep other writers out while a dump is loaded with ids of its own (SQLite: the write
        lock already does)."""

    def _after_load(self, conn: Connection) -> None:
        """Bring id generators past ids written explicitly by load()."""

    # -- datasets and tasks -----------------------------------------------------------------------

    def _dataset_id(self, name: str) -> int | None:
        cached = self._dataset_ids.get(name)
        if cached is not None:
            return cached
        rows = self._query("SELECT id FROM datasets WHERE name = ?", (name,))
        if not rows:
            return None
        # Datasets are never deleted, so a found id stays valid (also in other processes' stores).
        self._dataset_ids[name] = int(rows[0][0])
        return int(rows[0][0])

    @staticmethod
    def _ensure_dataset(conn: Connection, name: str, created: float | None = None) -> int:
        conn.execute(
            "INSERT INTO datasets (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, time.time() if created is None else created),
        )
        return int(conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()[0])

    def datasets(self) -> list[str]:
        return [r[0] for r in self._query("SELECT name FROM datasets ORDER BY name")]

    def scheme(self, dataset: str) -> LabelScheme | None:
        from annotator.core.scheme import scheme_from_dict

        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return None
        rows = self._query("SELECT scheme FROM schemes WHERE dataset_id = ?", (dataset_id,))
        if not rows:
            return None
        try:
            return scheme_from_dict(
                orjson.loads(rows[0][0]), f"the scheme stored with dataset {dataset!r}", written=False
            )
        except (orjson.JSONDecodeError, AnnotatorError) as exc:
            raise StoreError(f"database {self.location}: {exc}") from exc

    def save_scheme(self, dataset: str, scheme: LabelScheme) -> None:
        from annotator.core.scheme import scheme_to_dict

        blob = orjson.dumps(scheme_to_dict(scheme))
        with self._write() as conn:
            dataset_id = self._ensure_dataset(conn, dataset)
            self._put_scheme(conn, dataset_id, blob, time.time())

    @staticmethod
    def _put_scheme(conn: Connection, dataset_id: int, blob: bytes, updated: float) -> None:
        conn.execute(
            """INSERT INTO schemes (dataset_id, scheme, updated) VALUES (?, ?, ?)
               ON CONFLICT (dataset_id) DO UPDATE SET scheme = excluded.scheme, updated = excluded.updated""",
            (dataset_id, blob, updated),
        )

    def memory(self, dataset: str, annotator: str) -> dict[tuple[str, ...], str | None]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return {}
        rows = self._query(
            "SELECT form, label FROM memory WHERE dataset_id = ? AND annotator = ?", (dataset_id, annotator)
        )
        return {tuple(orjson.loads(form)): label for form, label in rows}

    @staticmethod
    def _put_memory(
        conn: Connection,
        dataset_id: int,
        annotator: str,
        form: bytes,
        label: str | None,
        task_id: int,
        updated: float,
    ) -> None:
        conn.execute(
            """INSERT INTO memory (dataset_id, annotator, form, label, task_id, updated)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (dataset_id, annotator, form) DO UPDATE SET
                   label = excluded.label, task_id = excluded.task_id, updated = excluded.updated""",
            (dataset_id, annotator, form, label, task_id, updated),
        )

    def record_review(self, dataset: str, reviewer: str, annotators: Sequence[str]) -> None:
        blob = orjson.dumps(list(annotators))
        with self._write() as conn:
            dataset_id = self._ensure_dataset(conn, dataset)
            self._put_review(conn, dataset_id, reviewer, blob, time.time())

    @staticmethod
    def _put_review(
        conn: Connection, dataset_id: int, reviewer: str, annotators: bytes, updated: float
    ) -> None:
        conn.execute(
            """INSERT INTO reviews (dataset_id, reviewer, annotators, updated) VALUES (?, ?, ?, ?)
               ON CONFLICT (dataset_id, reviewer) DO UPDATE SET
                   annotators = excluded.annotators, updated = excluded.updated""",
            (dataset_id, reviewer, annotators, updated),
        )

    def reviewers(self, dataset: str) -> list[Review]:
        from annotator.core.reviews import Review

        rows = self._dataset_rows(
            "SELECT reviewer, annotators FROM reviews WHERE dataset_id = ? ORDER BY reviewer", dataset
        )
        return [Review(name, tuple(str(a) for a in orjson.loads(blob))) for name, blob in rows]

    def _dataset_rows(self, sql: str, dataset: str) -> list[Any]:
        """The rows of ``sql``, whose one parameter is the dataset's id; none for an unknown dataset."""
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        return self._query(sql, (dataset_id,))

    def add_tasks(self, dataset: str, items: Iterable[NewTask], *, unheld: bool = False) -> list[int]:
        ids: list[int] = []
        # Inside a batch, the caller's lookup was in this transaction: no need to look again.
        unheld = unheld and self._in_batch
        stream = iter(items)
        first = True
        while True:
            batch = list(islice(stream, BATCH_SIZE))
            if not batch and not first:
                break
            first = False
            for item in batch:
                ihash = _hash_of(item)
                if not INT64[0] <= ihash <= INT64[1]:
                    raise StoreError(f"input hash {ihash} does not fit in 64 bits")
            with self._write() as conn:
                dataset_id = self._ensure_dataset(conn, dataset)
                ids.extend(self._insert_tasks(conn, dataset_id, batch, unheld))
            if not batch:
                break
        return ids

    def _insert_tasks(
        self, conn: Connection, dataset_id: int, batch: list[NewTask], unheld: bool
    ) -> list[int]:
        """Store the tasks the dataset does not hold yet (the first of each input hash); every
        task's id. Only the new ones are serialised. ``unheld``: it holds none of them."""
        hashes = [_hash_of(item) for item in batch]
        held = {} if unheld else self._ids_by_hash(conn, dataset_id, hashes)
        new: dict[int, NewTask] = {}
        for ihash, item in zip(hashes, batch, strict=True):
            if ihash not in held:
                new.setdefault(ihash, item)
        if new:
            taken = self._new_ids(conn, "tasks", len(new))
            now = time.time()
            _insert_rows(
                conn,
                _INSERT_TASK,
                [
                    (
                        task_id,
                        dataset_id,
                        ihash,
                        self._text_in(item.text if isinstance(item, Plain) else item[0].text),
                        *self._blobs_in(self._task_blobs(item)),
                        now,
                    )
                    for task_id, (ihash, item) in zip(taken, new.items(), strict=True)
                ],
                self._parameters(conn),
            )
            if self._others_insert_meanwhile:
                # Read back: another writer may have stored one of these hashes meanwhile.
                stored = self._ids_by_hash(conn, dataset_id, list(new))
                added = sum(stored[h] == task_id for h, task_id in zip(new, taken, strict=True))
            else:
                stored, added = dict(zip(new, taken, strict=True)), len(new)
            if self._in_batch:
                self._bare.update(
                    (task_id, dataset_id)
                    for h, task_id in zip(new, taken, strict=True)
                    if stored[h] == task_id
                )
            held.update(stored)
            if added:
                conn.execute("UPDATE datasets SET tasks = tasks + ? WHERE id = ?", (added, dataset_id))
        if self._in_batch:
            self._batch_tasks.update(zip(held.values(), repeat(dataset_id)))
        return [held[ihash] for ihash in hashes]

    @staticmethod
    def _task_blobs(item: NewTask) -> tuple[bytes, bytes, bytes, bytes]:
        """tokens, meta, extra and suggestion of a new task's row."""
        if isinstance(item, Plain):  # a record stored as it was read: its suggestion is itself
            return (
                plain_tokens_blob(item),
                mapping_to_blob(item.meta),
                mapping_to_blob(item.extra),
                plain_suggestion_blob(item),
            )
        task, suggestion = item
        return (
            tokens_to_blob(task.tokens),
            mapping_to_blob(task.meta),
            mapping_to_blob(task.extra),
            annotation_to_blob(suggestion),
        )

    @staticmethod
    def _ids_by_hash(conn: Connection, dataset_id: int, hashes: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for chunk, marks in _chunks(hashes):
            rows = conn.execute(
                f"SELECT input_hash, id FROM tasks WHERE dataset_id = ? AND input_hash IN ({marks})",
                (dataset_id, *chunk),
            ).fetchall()
            found.update((int(h), int(task_id)) for h, task_id in rows)
        return found

    def set_suggestion(self, task_id: int, suggestion: Annotation) -> None:
        blob = annotation_to_blob(suggestion)
        with self._write() as conn:
            found = conn.execute(
                "UPDATE tasks SET suggestion = ? WHERE id = ? RETURNING id", (blob, task_id)
            ).fetchone()
            if found is None:
                raise UnknownTask(task_id)

    def set_doubts(self, items: Iterable[tuple[int, Doubts]]) -> None:
        rows = [(task_id, d.score, orjson.dumps(d.to_dict())) for task_id, d in items]
        if not rows:
            return
        with self._write() as conn:
            for row in rows:
                conn.execute(
                    """INSERT INTO doubts (task_id, score, data) VALUES (?, ?, ?)
                       ON CONFLICT (task_id) DO UPDATE SET score = excluded.score, data = excluded.data""",
                    row,
                )

    def doubts(self, task_id: int) -> Doubts | None:
        from annotator.core.doubts import Doubts

        rows = self._query("SELECT data FROM doubts WHERE task_id = ?", (task_id,))
        return Doubts.from_dict(orjson.loads(rows[0][0])) if rows else None

    def doubt_scores(self, task_ids: Collection[int]) -> dict[int, float]:
        out: dict[int, float] = {}
        for chunk, marks in _chunks(task_ids):
            rows = self._query(f"SELECT task_id, score FROM doubts WHERE task_id IN ({marks})", tuple(chunk))
            out.update((int(task_id), float(score)) for task_id, score in rows)
        return out

    def set_tokens(self, task_id: int, task: Task) -> None:
        with self._write() as conn:
            self._put_tokens(conn, task_id, task)

    def _put_tokens(self, conn: Connection, task_id: int, task: Task) -> None:
        row = conn.execute("SELECT text FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise UnknownTask(task_id)
        if self._text_out(row[0]) != task.text:
            raise ValueError(f"task {task_id} has a different text; its tokens are not replaced")
        conn.execute("UPDATE tasks SET tokens = ? WHERE id = ?", (tokens_to_blob(task.tokens), task_id))

    def retokenize(self, task_id: int, task: Task) -> None:
        from annotator.core.retokenize import realign

        # One transaction: the tokens, the suggestion and every annotator's current row together,
        # so no reader ever sees spans whose token indices belong to the other tokens. No log row:
        # the edit log keeps offsets, which a split never changes (a history is realigned as read).
        with self._write() as conn:
            self._put_tokens(conn, task_id, task)
            [(blob,)] = conn.execute("SELECT suggestion FROM tasks WHERE id = ?", (task_id,)).fetchall()
            suggestion = annotation_to_blob(realign(task, annotation_from_blob(blob)))
            conn.execute("UPDATE tasks SET suggestion = ? WHERE id = ?", (suggestion, task_id))
            rows = conn.execute(
                "SELECT id, annotator, data, data_log_id, session, timestamp FROM annotations WHERE task_id = ?",
                (task_id,),
            ).fetchall()
            for row_id, annotator, data, data_log_id, session, timestamp in rows:
                # A snapshot is made whole here: the edits logged on it hold the old token indices.
                before = self._stored(conn, task_id, annotator, data, data_log_id, session, timestamp)
                after = realign(task, before)
                if after is not before or data_log_id is not None:
                    conn.execute(
                        "UPDATE annotations SET data = ?, data_log_id = NULL WHERE id = ?",
                        (annotation_to_blob(after), row_id),
                    )
                if data_log_id is not None:
                    conn.execute(_DROP_SNAPSHOT, (task_id, annotator))

    def task_ids(self, dataset: str) -> list[int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        rows = self._query("SELECT id FROM tasks WHERE dataset_id = ? ORDER BY id", (dataset_id,))
        return [int(r[0]) for r in rows]

    def task_count(self, dataset: str) -> int:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return 0
        return int(self._query("SELECT tasks FROM datasets WHERE id = ?", (dataset_id,))[0][0])  # kept

    def task(self, task_id: int) -> Task:
        rows = self._query(f"SELECT {_TASK_COLUMNS} FROM tasks t WHERE t.id = ?", (task_id,))
        if not rows:
            raise UnknownTask(task_id)
        return self._task_from_row(rows[0])

    def suggestion(self, task_id: int) -> Annotation:
        rows = self._query("SELECT suggestion FROM tasks WHERE id = ?", (task_id,))
        if not rows:
            raise UnknownTask(task_id)
        return annotation_from_blob(rows[0][0])

    def find_task(self, dataset: str, input_hash: int) -> int | None:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None or not INT64[0] <= input_hash <= INT64[1]:
            return None
        rows = self._query(
            "SELECT id FROM tasks WHERE dataset_id = ? AND input_hash = ?", (dataset_id, input_hash)
        )
        return int(rows[0][0]) if rows else None

    def find_tasks(self, dataset: str, input_hashes: Iterable[int]) -> dict[int, int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return {}
        with self._read() as conn:
            found = self._ids_by_hash(
                conn, dataset_id, [h for h in input_hashes if INT64[0] <= h <= INT64[1]]
            )
        if self._in_batch:
            self._batch_tasks.update(zip(found.values(), repeat(dataset_id)))
        return found

    def tasks(self, task_ids: Collection[int]) -> dict[int, Task]:
        out: dict[int, Task] = {}
        for chunk, marks in _chunks(task_ids):
            rows = self._query(
                f"SELECT t.id, {_TASK_COLUMNS} FROM tasks t WHERE t.id IN ({marks})", tuple(chunk)
            )
            out.update((int(task_id), self._task_from_row(row)) for task_id, *row in rows)
        return out

    def task_bodies(self, task_ids: Collection[int]) -> dict[int, tuple[str, bytes]]:
        out: dict[int, tuple[str, bytes]] = {}
        for chunk, marks in _chunks(task_ids):
            rows = self._query(f"SELECT id, text, tokens FROM tasks WHERE id IN ({marks})", tuple(chunk))
            out.update(
                (int(task_id), (self._text_out(text), bytes(tokens))) for task_id, text, tokens in rows
            )
        return out

    def _task_from_row(self, row: Iterable[Any]) -> Task:
        text, tokens, input_hash, meta, extra = row
        return Task(
            text=self._text_out(text),
            tokens=tokens_from_blob(tokens) if tokens is not None else (),
            input_hash=int(input_hash),
            meta=mapping_from_blob(meta),
            extra=mapping_from_blob(extra),
        )

    # -- annotations and the edit log -------------------------------------------------------------

    def annotation(self, task_id: int, annotator: str) -> Annotation | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT data, data_log_id, session, timestamp FROM annotations WHERE task_id = ? AND annotator = ?",
                (task_id, annotator),
            ).fetchone()
            return None if row is None else self._stored(conn, task_id, annotator, *row)

    def annotations_of(self, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Annotation]:
        by_annotator: dict[str, list[int]] = {}
        for task_id, annotator in set(pairs):
            by_annotator.setdefault(annotator, []).append(task_id)
        out: dict[tuple[int, str], Annotation] = {}
        with self._read() as conn:
            for annotator, task_ids in sorted(by_annotator.items()):
                for chunk, marks in _chunks(task_ids):
                    rows = conn.execute(
                        f"""SELECT task_id, data, data_log_id, session, timestamp FROM annotations
                            WHERE annotator = ? AND task_id IN ({marks})""",
                        (annotator, *chunk),
                    ).fetchall()
                    for task_id, *row in rows:
                        out[(int(task_id), annotator)] = self._stored(conn, int(task_id), annotator, *row)
        return out

    def last_log_id(self, task_id: int, annotator: str) -> int | None:
        rows = self._query(
            "SELECT last_log_id FROM annotations WHERE task_id = ? AND annotator = ?", (task_id, annotator)
        )
        value = rows[0][0] if rows else None
        return int(value) if value is not None else None

    def _log(
        self,
        conn: Connection,
        task_id: int,
        annotator: str,
        session: str,
        event: str,
        payload: bytes | None,
        now: float,
    ) -> int:
        self._lock_task_of(conn, task_id, annotator)
        try:
            row = conn.execute(
                _INSERT_LOG, (task_id, annotator, self._text_in(session), event, payload, now)
            ).fetchone()
        except Exception as exc:
            if self._is_missing_task(exc):
                raise UnknownTask(task_id) from exc
            raise
        return int(row[0])

    def _set_current(
        self,
        conn: Connection,
        sql: str,
        params: tuple[Any, ...],
        task_id: int,
        annotator: str,
        expect: Expect,
    ) -> None:
        """Replace the current row, comparing its version with ``expect`` in the same statement."""
        self._bare.pop(task_id, None)
        if expect is UNCHECKED:
            conn.execute(sql, params)
            return
        if conn.execute(sql + _GUARD + _RETURNING, (*params, expect)).fetchone() is None:
            raise StaleWrite(task_id, annotator)

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
        if event not in EDIT_EVENTS:
            raise ValueError(f"edit event must be one of {', '.join(EDIT_EVENTS)}, not {event!r}")
        if event == "do" and edit is None:
            raise ValueError('a "do" event needs its edit')
        from annotator.store.kept import Kept
        from annotator.store.kept import write as write_kept

        now = time.time()
        payload = edit_to_blob(edit) if edit is not None else None
        with self._write() as conn:
            log_id = self._log(conn, task_id, annotator, session, event, payload, now)
            kept = Kept()
            was_snapshot = self._replacing(conn, task_id, annotator, None, kept)
            snapshot = self._snapshot_kept(conn, task_id, annotator, current, payload)
            if snapshot is None:
                stored = replace(
                    current, answer=None, annotator=annotator, session=session, timestamp=int(now)
                )
                params = (
                    task_id,
                    annotator,
                    self._text_in(session),
                    int(now),
                    annotation_to_blob(stored),
                    log_id,
                )
                self._set_current(conn, _UPSERT_DRAFT, params, task_id, annotator, expect)
                if was_snapshot:
                    conn.execute(_DROP_SNAPSHOT, (task_id, annotator))
            else:
                if not was_snapshot:  # the annotation moves out of the row, once
                    conn.execute(_TAKE_SNAPSHOT, (task_id, annotator))
                update = (self._text_in(session), int(now), log_id, snapshot, b"", task_id, annotator)
                guard = "" if expect is UNCHECKED else " AND last_log_id IS NOT DISTINCT FROM ?"
                found = conn.execute(
                    _DRAFT_ON_SNAPSHOT + guard + _RETURNING,
                    update if expect is UNCHECKED else (*update, expect),
                ).fetchone()
                if found is None:
                    raise StaleWrite(task_id, annotator)
            write_kept(conn, kept)  # a draft counts nothing: only an accept it leaves does
        return log_id

    @staticmethod
    def _snapshot_kept(
        conn: Connection, task_id: int, annotator: str, current: Annotation, payload: bytes | None
    ) -> int | None:
        """For an edit just logged: the log row whose state the stored ``data`` holds, when the
        edit can leave it there (a large annotation, an edit that can be replayed, few edits on the
        snapshot so far); None when the row is to be written whole."""
        if payload is None or len(current.spans) + len(current.relations) < SNAPSHOT_FROM:
            return None
        row = conn.execute(
            "SELECT data_log_id, last_log_id FROM annotations WHERE task_id = ? AND annotator = ?",
            (task_id, annotator),
        ).fetchone()
        if row is None or row[1] is None:
            return None
        if row[0] is None:
            return int(row[1])  # ``data`` is the annotation as of the row's latest log row
        (pending,) = conn.execute(
            "SELECT COUNT(*) FROM edit_log WHERE task_id = ? AND annotator = ? AND id > ?",
            (task_id, annotator, row[0]),
        ).fetchone()
        return int(row[0]) if pending <= MAX_REPLAY else None

    def _whole_blob(
        self, task_id: int, annotator: str, data: bytes, data_log_id: int, session: Any, timestamp: int | None
    ) -> bytes:
        """A snapshot row's current annotation as one blob (a copy holds every row whole)."""
        with self._read() as conn:
            return annotation_to_blob(
                self._stored(conn, task_id, annotator, data, data_log_id, session, timestamp)
            )

    def _stored(
        self,
        conn: Connection,
        task_id: int,
        annotator: str,
        data: bytes,
        data_log_id: int | None,
        session: Any,
        timestamp: int | None,
    ) -> Annotation:
        """A row's current annotation: ``data``, or when the row is a snapshot, the snapshot with the
        edits logged since applied (each of those log rows holds its edit)."""
        if data_log_id is None:
            return annotation_from_blob(data)
        from annotator.core.edits import Edit  # a snapshot's edits (a large annotation's): rare

        (snapshot,) = conn.execute(
            "SELECT data FROM snapshots WHERE task_id = ? AND annotator = ?", (task_id, annotator)
        ).fetchone()
        annotation = annotation_from_blob(snapshot)
        events = conn.execute(
            """SELECT event, payload FROM edit_log
               WHERE task_id = ? AND annotator = ? AND id > ? AND event IN ('do', 'undo', 'redo')
               ORDER BY id""",
            (task_id, annotator, data_log_id),
        ).fetchall()
        for event, payload in events:
            edit = Edit.from_json(orjson.loads(payload))
            annotation = (edit.inverse() if event == "undo" else edit).apply(annotation)
        return replace(
            annotation,
            answer=None,
            session=None if session is None else self._text_out(session),
            timestamp=None if timestamp is None else int(timestamp),
        )

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
        if annotation.answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}, not {annotation.answer!r}")
        now = time.time()
        filled = replace(annotation, annotator=annotator, session=session, timestamp=int(now))
        version = self._decide(
            task_id, annotator, session, "answer", filled, now, durable=True, expect=expect, remember=remember
        )
        return Decision(filled, version)

    def save_annotations(self, rows: Iterable[Saved]) -> None:
        from annotator.store.kept import Kept, accepted_on, changes
        from annotator.store.kept import write as write_kept

        now = time.time()
        prepared: list[tuple[int, str, str, Annotation | Plain]] = []
        stamp = int(now)
        for task_id, annotator, annotation, session in rows:
            if annotation.answer is not None and annotation.answer not in ANSWERS:
                answer_or_none(annotation.answer)  # raises, saying what is allowed
            filled: Annotation | Plain
            if isinstance(annotation, Plain):  # a record stored as it was read
                # Made whole, as below: NamedTuple._replace took several times as long.
                filled = new_plain(
                    (
                        *annotation[:8],
                        annotator,
                        annotation.session if annotation.session is not None else session,
                        annotation.timestamp if annotation.timestamp is not None else stamp,
                        None,
                    )
                )
            else:
                # Built whole rather than with dataclasses.replace, which took several times as long.
                filled = Annotation(
                    annotation.spans,
                    annotation.relations,
                    annotation.answer,
                    annotator,
                    annotation.session if annotation.session is not None else session,
                    annotation.timestamp if annotation.timestamp is not None else stamp,
                )
            prepared.append((task_id, annotator, session, filled))
        if not prepared:
            return
        # In (task, annotator) order: PostgreSQL locks each pair, and two imports taking the same
        # pairs in different orders could deadlock. (A batch names a pair once.)
        prepared.sort(key=_TASK_AND_ANNOTATOR)
        blobs = self._blobs_in(
            [
                plain_to_blob(filled) if isinstance(filled, Plain) else annotation_to_blob(filled)
                for *_, filled in prepared
            ]
        )
        with self._write() as conn:
            for task_id, annotator, _, _ in prepared:
                self._lock_task_of(conn, task_id, annotator)
            # Tasks this batch stored and nobody has annotated yet hold nothing to read: the rest do.
            bare = {row[0]: self._bare.pop(row[0]) for row in prepared if row[0] in self._bare}
            others = {row[0] for row in prepared if row[0] not in bare}
            datasets = dict(bare)
            if others:
                known = self._batch_tasks
                datasets.update((task_id, known[task_id]) for task_id in others if task_id in known)
                datasets.update(self._datasets_of(conn, others - datasets.keys()))
            for task_id, *_ in prepared:
                if task_id not in datasets:
                    raise UnknownTask(task_id)
            kept = Kept()
            snapshot_rows: set[tuple[int, str]] = set()
            changes(
                kept,
                datasets,
                accepted_on(conn, others, BATCH_SIZE, snapshot_rows),
                [
                    (task_id, annotator, filled if filled.answer == "accept" else None)
                    for task_id, annotator, _, filled in prepared
                ],
            )
            snapshots = (
                [(row[0], row[1]) for row in prepared if (row[0], row[1]) in snapshot_rows]
                if snapshot_rows
                else []
            )
            log_ids = self._new_ids(conn, "edit_log", len(prepared))
            _insert_rows(
                conn,
                _INSERT_LOG_WITH_ID,
                [
                    (log_id, task_id, annotator, self._text_in(session), "import", blob, now)
                    for log_id, (task_id, annotator, session, _), blob in zip(
                        log_ids, prepared, blobs, strict=True
                    )
                ],
                self._parameters(conn),
            )
            _insert_rows(
                conn,
                _UPSERT_DECISION,
                [
                    (
                        task_id,
                        annotator,
                        filled.answer,
                        self._text_or_none(filled.session),
                        filled.timestamp,
                        blob,
                        log_id,
                        log_id,
                    )
                    for log_id, (task_id, annotator, _, filled), blob in zip(
                        log_ids, prepared, blobs, strict=True
                    )
                ],
                self._parameters(conn),
            )
            for task_id, annotator in snapshots:
                conn.execute(_DROP_SNAPSHOT, (task_id, annotator))
            write_kept(conn, kept)

    @staticmethod
    def _datasets_of(conn: Connection, task_ids: Collection[int]) -> dict[int, int]:
        """task id -> dataset id, for those of ``task_ids`` that exist."""
        found: dict[int, int] = {}
        for chunk, marks in _chunks(task_ids):
            rows = conn.execute(
                f"SELECT id, dataset_id FROM tasks WHERE id IN ({marks})", tuple(chunk)
            ).fetchall()
            found.update((int(task_id), int(dataset_id)) for task_id, dataset_id in rows)
        return found

    def _decide(
        self,
        task_id: int,
        annotator: str,
        session: str,
        event: str,
        annotation: Annotation,
        now: float,
        *,
        durable: bool,
        expect: Expect,
        remember: Mapping[tuple[str, ...], str | None] | None = None,
    ) -> int:
        from annotator.store.kept import Kept
        from annotator.store.kept import write as write_kept

        with self._write(durable=durable) as conn:
            kept = Kept()
            log_id = self._put_decision(
                conn,
                task_id,
                annotator,
                session,
                event,
                annotation,
                now,
                expect=expect,
                remember=remember,
                kept=kept,
            )
            write_kept(conn, kept)
            return log_id

    def _put_decision(
        self,
        conn: Connection,
        task_id: int,
        annotator: str,
        session: str,
        event: str,
        annotation: Annotation,
        now: float,
        *,
        expect: Expect,
        kept: Kept,
        remember: Mapping[tuple[str, ...], str | None] | None = None,
    ) -> int:
        """Log a decision and make it the current row, inside the caller's transaction; add what it
        changes in the kept counts to ``kept`` (the caller writes them with ``write_kept``)."""
        data = annotation_to_blob(annotation)
        log_id = self._log(conn, task_id, annotator, session, event, data, now)
        if self._replacing(conn, task_id, annotator, annotation, kept):
            conn.execute(_DROP_SNAPSHOT, (task_id, annotator))
        params = (
            task_id,
            annotator,
            annotation.answer,
            self._text_or_none(annotation.session),
            annotation.timestamp,
            data,
            log_id if event == "import" else None,
            log_id,
        )
        self._set_current(conn, _UPSERT_DECISION, params, task_id, annotator, expect)
        if remember:
            # In the decision's transaction: a crash after the accept cannot lose what it taught.
            (dataset_id,) = conn.execute("SELECT dataset_id FROM tasks WHERE id = ?", (task_id,)).fetchone()
            for form, label in remember.items():
                self._put_memory(conn, dataset_id, annotator, orjson.dumps(list(form)), label, task_id, now)
        return log_id

    @staticmethod
    def _dataset_of(conn: Connection, task_id: int) -> int:
        return int(conn.execute("SELECT dataset_id FROM tasks WHERE id = ?", (task_id,)).fetchone()[0])

    def _replacing(
        self, conn: Connection, task_id: int, annotator: str, new: Annotation | None, kept: Kept
    ) -> bool:
        """Before the (task, annotator) row is replaced by ``new`` (None: by a draft), in the same
        transaction: add to ``kept`` what that changes (read only when an accepted annotation comes
        or goes: an edit of a draft, most keystrokes, reads nothing more); whether the row is a
        snapshot (its annotation in table snapshots)."""
        from annotator.store.kept import accepted_on, changes

        row = conn.execute(
            "SELECT answer, data_log_id FROM annotations WHERE task_id = ? AND annotator = ?",
            (task_id, annotator),
        ).fetchone()
        if (row is not None and row[0] == "accept") or (new is not None and new.answer == "accept"):
            before = accepted_on(conn, [task_id], BATCH_SIZE)
            after = new if new is not None and new.answer == "accept" else None
            changes(kept, {task_id: self._dataset_of(conn, task_id)}, before, [(task_id, annotator, after)])
        return row is not None and row[1] is not None

    def state(self, task_id: int, annotator: str) -> TaskState:
        from annotator.core.edits import History

        with self._read() as conn:
            row = conn.execute(
                """SELECT data, base_log_id, last_log_id, data_log_id, session, timestamp FROM annotations
                   WHERE task_id = ? AND annotator = ?""",
                (task_id, annotator),
            ).fetchone()
            sugg = conn.execute("SELECT suggestion FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if sugg is None:
                raise UnknownTask(task_id)
            if row is None:
                return TaskState(History(current=annotation_from_blob(sugg[0])), None, None)
            data, base_log_id, version, data_log_id, session, timestamp = row
            stored = self._stored(conn, task_id, annotator, data, data_log_id, session, timestamp)
            if base_log_id is None:
                base_blob = sugg[0]
                since = 0
            else:
                base_blob = conn.execute(
                    "SELECT payload FROM edit_log WHERE id = ?", (base_log_id,)
                ).fetchone()[0]
                since = base_log_id
            events = conn.execute(
                """SELECT event, payload FROM edit_log
                   WHERE task_id = ? AND annotator = ? AND id > ? AND event IN ('do', 'undo', 'redo')
                   ORDER BY id""",
                (task_id, annotator, since),
            ).fetchall()
        return TaskState(_replay(base_blob, events, stored), stored, version)

    def unanswered(self, dataset: str, annotator: str, limit: int, after: int | None = None) -> list[int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        start = -1 if after is None else after
        if self._routed(dataset_id):
            rows = self._query(
                """SELECT task_id FROM assignments
                   WHERE dataset_id = ? AND annotator = ? AND done = 0 AND task_id > ?
                   ORDER BY task_id LIMIT ?""",
                (dataset_id, annotator, start, limit),
            )
            return [int(r[0]) for r in rows]
        # Every task is this annotator's: walk the tasks from the resume hint, below which every task
        # is decided (a restart does not walk the decided ones again), then raise the hint.
        hint = None
        if after is None:
            found = self._query(
                "SELECT task_id FROM resume WHERE dataset_id = ? AND annotator = ?", (dataset_id, annotator)
            )
            hint = int(found[0][0]) if found else None
            start = -1 if hint is None else hint - 1
        rows = self._query(
            """SELECT t.id FROM tasks t
               WHERE t.dataset_id = ? AND t.id > ?
                 AND NOT EXISTS (SELECT 1 FROM annotations a
                                 WHERE a.task_id = t.id AND a.annotator = ? AND a.answer IS NOT NULL)
               ORDER BY t.id LIMIT ?""",
            (dataset_id, start, annotator, limit),
        )
        task_ids = [int(r[0]) for r in rows]
        if after is None:
            self._raise_hint(dataset_id, annotator, hint, task_ids[0] if task_ids else None)
        return task_ids

    def _raise_hint(self, dataset_id: int, annotator: str, hint: int | None, found: int | None) -> None:
        """Move the resume hint up to ``found`` (past the last task when every task is decided),
        only if no writer lowered it since it was read. A hint that cannot be written (a database
        opened read-only) only costs the next restart a longer walk."""
        if found is None:
            last = self._query("SELECT MAX(id) FROM tasks WHERE dataset_id = ?", (dataset_id,))[0][0]
            found = int(last or 0) + 1
        if hint is not None and found <= hint:
            return
        try:
            with self._write() as conn:
                if hint is None:
                    conn.execute(
                        """INSERT INTO resume (dataset_id, annotator, task_id) VALUES (?, ?, ?)
                           ON CONFLICT (dataset_id, annotator) DO NOTHING""",
                        (dataset_id, annotator, found),
                    )
                else:
                    conn.execute(
                        "UPDATE resume SET task_id = ? WHERE dataset_id = ? AND annotator = ? AND task_id = ?",
                        (found, dataset_id, annotator, hint),
                    )
        except StoreError:
            pass

    def answer_counts(self, dataset: str, annotator: str) -> dict[str, int]:
        counts = dict.fromkeys((*ANSWERS, DRAFT), 0)
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return counts
        rows = self._query(  # kept by the annotations' triggers
            "SELECT answer, n FROM tally WHERE dataset_id = ? AND annotator = ?", (dataset_id, annotator)
        )
        for answer, count in rows:
            counts[answer] = int(count)
        return counts

    # -- routing ----------------------------------------------------------------------------------

    def _routed(self, dataset_id: int) -> bool:
        """Whether the dataset's tasks are routed (assigned to annotators with an overlap)."""
        rows = self._query("SELECT overlap FROM routing WHERE dataset_id = ?", (dataset_id,))
        return bool(rows) and rows[0][0] is not None

    def routing(self, dataset: str) -> Routing | None:
        rows = self._dataset_rows(
            "SELECT overlap, annotators, assigned_upto, version FROM routing WHERE dataset_id = ?", dataset
        )
        if not rows:
            return None
        overlap, loads, upto, version = rows[0]
        return Routing(
            None if overlap is None else int(overlap), dict(orjson.loads(loads)), int(upto), int(version)
        )

    def route(
        self,
        dataset: str,
        routing: Routing,
        assign: Iterable[tuple[int, str]] = (),
        unassign: Iterable[tuple[int, str]] = (),
        *,
        expect: Routing | None = None,
    ) -> None:
        with self._write() as conn:
            dataset_id = self._ensure_dataset(conn, dataset)
            blob = orjson.dumps(routing.loads)
            if expect is None:
                conn.execute(
                    """INSERT INTO routing (dataset_id, overlap, annotators, assigned_upto, version, updated)
                       VALUES (?, ?, ?, ?, 1, ?)
                       ON CONFLICT (dataset_id) DO UPDATE SET overlap = excluded.overlap,
                           annotators = excluded.annotators, assigned_upto = excluded.assigned_upto,
                           version = routing.version + 1, updated = excluded.updated""",
                    (dataset_id, routing.overlap, blob, routing.assigned_upto, time.time()),
                )
            elif (
                conn.execute(
                    """UPDATE routing SET annotators = ?, assigned_upto = ?, version = version + 1, updated = ?
                       WHERE dataset_id = ? AND version = ? RETURNING dataset_id""",
                    (blob, routing.assigned_upto, time.time(), dataset_id, expect.version),
                ).fetchone()
                is None
            ):
                raise RoutedMeanwhile(dataset)
            unassign, assign = list(unassign), list(assign)
            # Each task's annotators before and after, for the pairs' shared tasks routing_pairs keeps.
            before = self._assigned_to(conn, {t for t, _ in unassign} | {t for t, _ in assign})
            after = {task_id: set(names) for task_id, names in before.items()}
            for task_id, annotator in unassign:
                gone = conn.execute(
                    "DELETE FROM assignments WHERE task_id = ? AND annotator = ?", (task_id, annotator)
                )
                if gone.rowcount:
                    after[task_id].discard(annotator)
            for task_id, annotator in assign:
                made = conn.execute(
                    """INSERT INTO assignments (task_id, annotator, dataset_id, done)
                       SELECT ?, ?, ?, CASE WHEN EXISTS (
                           SELECT 1 FROM annotations x
                           WHERE x.task_id = ? AND x.annotator = ? AND x.answer IS NOT NULL) THEN 1 ELSE 0 END
                       WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ? AND dataset_id = ?)
                       ON CONFLICT (task_id, annotator) DO NOTHING""",
                    (task_id, annotator, dataset_id, task_id, annotator, task_id, dataset_id),
                )
                if made.rowcount:
                    after[task_id].add(annotator)
            shared: Counter[tuple[str, str]] = Counter()
            for task_id, names in after.items():
                if names != before[task_id]:
                    shared.update(combinations(sorted(names), 2))
                    shared.subtract(combinations(sorted(before[task_id]), 2))
            conn.executemany(
                """INSERT INTO routing_pairs (dataset_id, a, b, tasks) VALUES (?, ?, ?, ?)
                   ON CONFLICT (dataset_id, a, b) DO UPDATE SET tasks = routing_pairs.tasks + excluded.tasks""",
                [(dataset_id, a, b, n) for (a, b), n in sorted(shared.items()) if n],
            )

    @staticmethod
    def _assigned_to(conn: Connection, task_ids: Collection[int]) -> dict[int, set[str]]:
        """The annotators each task is assigned to, read a page of tasks at a time."""
        out: dict[int, set[str]] = {task_id: set() for task_id in task_ids}
        for chunk, marks in _chunks(out):
            rows = conn.execute(
                f"SELECT task_id, annotator FROM assignments WHERE task_id IN ({marks})", tuple(chunk)
            ).fetchall()
            for task_id, annotator in rows:
                out[int(task_id)].add(annotator)
        return out

    def task_ids_after(self, dataset: str, after: int) -> list[int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        rows = self._query(
            "SELECT id FROM tasks WHERE dataset_id = ? AND id > ? ORDER BY id", (dataset_id, after)
        )
        return [int(r[0]) for r in rows]

    def queue(self, dataset: str, annotator: str) -> list[int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        if not self._routed(dataset_id):
            return self.task_ids(dataset)
        rows = self._query(
            "SELECT task_id FROM assignments WHERE dataset_id = ? AND annotator = ? ORDER BY task_id",
            (dataset_id, annotator),
        )
        return [int(r[0]) for r in rows]

    def _queue_sql(self, dataset_id: int, annotator: str) -> tuple[str, str, tuple[Any, ...]]:
        """The annotator's queue as (id column, FROM ... WHERE ..., its parameters)."""
        if self._routed(dataset_id):
            return "task_id", "assignments WHERE dataset_id = ? AND annotator = ?", (dataset_id, annotator)
        return "id", "tasks WHERE dataset_id = ?", (dataset_id,)

    def queue_size(self, dataset: str, annotator: str) -> int:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return 0
        if not self._routed(dataset_id):
            return self.task_count(dataset)  # kept
        _, source, params = self._queue_sql(dataset_id, annotator)
        return int(self._query(f"SELECT COUNT(*) FROM {source}", params)[0][0])

    def queue_rank(
        self, dataset: str, annotator: str, task_id: int, near: tuple[int, int] | None = None
    ) -> int | None:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return None
        column, source, params = self._queue_sql(dataset_id, annotator)
        with self._read() as conn:
            if (
                conn.execute(f"SELECT 1 FROM {source} AND {column} = ?", (*params, task_id)).fetchone()
                is None
            ):
                return None
            if near is not None and near[0] != task_id and abs(task_id - near[0]) < task_id:
                # From a task whose place is known, counting the tasks between the two: the next
                # task is one index entry away, where counting from the first task walked half a
                # million entries (60 ms) halfway through a queue of a million.
                low, high = sorted((near[0], task_id))
                (between,) = conn.execute(
                    f"SELECT COUNT(*) FROM {source} AND {column} > ? AND {column} < ?", (*params, low, high)
                ).fetchone()
                return near[1] + int(between) + 1 if task_id > near[0] else near[1] - int(between) - 1
            # An index range counted.
            (rank,) = conn.execute(
                f"SELECT COUNT(*) FROM {source} AND {column} < ?", (*params, task_id)
            ).fetchone()
        return int(rank)

    def queue_ids(
        self, dataset: str, annotator: str, after: int | None, limit: int, *, backwards: bool = False
    ) -> list[int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        column, source, params = self._queue_sql(dataset_id, annotator)
        if after is None:
            after = INT64[1] if backwards else -1
        rows = self._query(
            f"""SELECT {column} FROM {source} AND {column} {"<" if backwards else ">"} ?
                ORDER BY {column} {"DESC" if backwards else ""} LIMIT {int(limit):d}""",
            (*params, after),
        )
        return [int(r[0]) for r in rows]

    def unstarted(self, dataset: str, annotator: str, limit: int) -> list[int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        rows = self._query(
            f"""SELECT a.task_id FROM assignments a
                WHERE a.dataset_id = ? AND a.annotator = ? AND a.done = 0
                  AND NOT EXISTS (SELECT 1 FROM annotations x WHERE x.task_id = a.task_id AND x.annotator = ?)
                ORDER BY a.task_id DESC LIMIT {int(limit):d}""",
            (dataset_id, annotator, annotator),
        )
        return [int(r[0]) for r in rows]

    def shared_tasks(self, dataset: str) -> dict[tuple[str, str], int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return {}
        rows = self._query(
            "SELECT a, b, tasks FROM routing_pairs WHERE dataset_id = ? AND tasks > 0 ORDER BY a, b",
            (dataset_id,),
        )
        return {(a, b): int(n) for a, b, n in rows}

    def open_assignments(self, dataset: str) -> tuple[int, int]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return 0, 0
        rows = self._query(
            "SELECT COUNT(*), COUNT(DISTINCT task_id) FROM assignments WHERE dataset_id = ? AND done = 0",
            (dataset_id,),
        )
        return int(rows[0][0]), int(rows[0][1])

    def activity(self, dataset: str) -> dict[str, list[tuple[float, int, str]]]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return {}
        out: dict[str, list[tuple[float, int, str]]] = {}
        # From the edit log's rows of work (their own index, edit_log_work, whose condition this
        # names as the index does: both databases use a partial index only for a query that says
        # it), each joined to its task: the import rows, most of a large dataset's log, are never
        # read. (In SQLite, CROSS JOIN keeps that order; PostgreSQL chooses by its statistics.)
        rows = self._query(
            """SELECT e.annotator, e.created, e.task_id, e.event FROM edit_log e
               CROSS JOIN tasks t
               WHERE t.id = e.task_id AND e.event <> 'import' AND t.dataset_id = ?""",
            (dataset_id,),
        )
        for annotator, created, task_id, event in rows:
            out.setdefault(annotator, []).append((float(created), int(task_id), event))
        for events in out.values():
            events.sort()
        return out

    def log_counts(self, dataset: str, annotator: str | None = None) -> dict[str, int]:
        where, params = ("AND e.annotator = ?", (annotator,)) if annotator is not None else ("", ())
        rows = self._query(
            f"""SELECT e.event, COUNT(*) FROM edit_log e JOIN tasks t ON t.id = e.task_id
                JOIN datasets d ON d.id = t.dataset_id WHERE d.name = ? {where} GROUP BY e.event""",
            (dataset, *params),
        )
        return {event: int(count) for event, count in rows}

    def annotators(self, dataset: str) -> list[str]:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return []
        rows = self._query(  # kept by the annotations' triggers: no pass over the rows
            "SELECT DISTINCT annotator FROM tally WHERE dataset_id = ? AND n > 0 ORDER BY annotator",
            (dataset_id,),
        )
        return [r[0] for r in rows]

    def rows_not_of(self, dataset: str, annotator: str, session: str) -> int:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return 0
        # The annotator's rows of any other session: three ranges of annotations_by_session (no
        # session, before the review's, after it), each row's task checked for the dataset. A
        # review started again, whose reviewer has only the review's rows, reads none of them
        # (counting those walked every task of the dataset: 0.6 s at a million); counted only
        # when there is one.
        part = """SELECT a.id FROM annotations a CROSS JOIN tasks t
                  WHERE t.id = a.task_id AND t.dataset_id = ? AND a.annotator = ? AND a.session {}"""
        other = " UNION ALL ".join(part.format(test) for test in ("IS NULL", "< ?", "> ?"))
        session_in = self._text_in(session)
        params = (dataset_id, annotator, dataset_id, annotator, session_in, dataset_id, annotator, session_in)
        if not self._query(f"{other} LIMIT 1", params):
            return 0
        return int(self._query(f"SELECT COUNT(*) FROM ({other}) AS own", params)[0][0])

    def annotations(
        self,
        dataset: str,
        annotator: str | None = None,
        answers: Collection[str] | None = ("accept",),
        *,
        tokens: bool = True,
    ) -> Iterator[tuple[int, Task, Annotation]]:
        columns = _TASK_COLUMNS if tokens else _TASK_COLUMNS_NO_TOKENS
        task_cache: tuple[int, Task] | None = None
        for task_id, data, current, task_row in self._annotation_pages(dataset, annotator, answers, columns):
            if task_cache is None or task_cache[0] != task_id:
                task_cache = (task_id, self._task_from_row(task_row))
            yield task_id, task_cache[1], current if current is not None else annotation_from_blob(data)

    def annotation_rows(
        self, dataset: str, annotator: str | None = None, answers: Collection[str] | None = ("accept",)
    ) -> Iterator[StoredRow]:
        from annotator.formats.base import StoredRow

        # The blob's lists as they are: no Task, Span or Annotation made (at 10,000 tasks those took
        # two thirds of a brat export's reading).
        for _, data, current, (text, input_hash, meta) in self._annotation_pages(
            dataset, annotator, answers, "t.text, t.input_hash, t.meta"
        ):
            lists = annotation_to_json(current) if current is not None else orjson.loads(data)
            yield StoredRow(
                int(input_hash),
                self._text_out(text),
                mapping_from_blob(meta),
                lists["spans"],
                lists["relations"],
            )

    def _annotation_pages(
        self, dataset: str, annotator: str | None, answers: Collection[str] | None, columns: str
    ) -> Iterator[tuple[int, bytes, Annotation | None, list[Any]]]:
        """(task id, the annotation's blob, the annotation when the row is a snapshot and its edits,
        the task's ``columns``) of ``annotations``, in its order, read a page at a time."""
        where = ["t.dataset_id = ?"]
        params: list[Any] = []
        if annotator is not None:
            where.append("a.annotator = ?")
            params.append(annotator)
        if answers is not None:
            unknown = set(answers) - {*ANSWERS, DRAFT}
            if unknown:
                raise ValueError(f"unknown answers {sorted(unknown)}; use {', '.join((*ANSWERS, DRAFT))}")
            named = sorted(set(answers) & set(ANSWERS))
            alternatives = []
            if named:
                alternatives.append(f"a.answer IN ({', '.join('?' * len(named))})")
                params.extend(named)
            if DRAFT in answers:
                alternatives.append("a.answer IS NULL")
            if not alternatives:
                return
            where.append(f"({' OR '.join(alternatives)})")
        # Ordered by t.id, not a.task_id (the same value): then SQLite walks tasks_by_dataset in
        # order and needs no sort per page, which made paging quadratic in the dataset's size.
        sql = f"""SELECT a.task_id, a.annotator, a.data, a.data_log_id, a.session, a.timestamp, {columns}
                  FROM tasks t JOIN annotations a ON a.task_id = t.id
                  WHERE {" AND ".join(where)} AND (t.id, a.annotator) > (?, ?)
                  ORDER BY t.id, a.annotator LIMIT {BATCH_SIZE:d}"""
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return
        last: tuple[int, str] = (-1, "")
        while True:
            page = self._query(sql, (dataset_id, *params, *last))
            for task_id, who, data, data_log_id, session, timestamp, *task_row in page:
                if data_log_id is None:
                    yield task_id, data, None, task_row
                else:  # a large draft kept as a snapshot and its edits
                    with self._read() as conn:
                        current = self._stored(conn, task_id, who, data, data_log_id, session, timestamp)
                    yield task_id, data, current, task_row
            if len(page) < BATCH_SIZE:
                return
            last = (page[-1][0], page[-1][1])

    def accepted_labels(self, dataset: str, annotators: Collection[str]) -> tuple[list[str], list[str]]:
        dataset_id = self._dataset_id(dataset)
        names = sorted(set(annotators))
        if dataset_id is None or not names:
            return [], []
        rows = self._query(
            f"""SELECT kind, label, SUM(n) FROM label_tally
                WHERE dataset_id = ? AND annotator IN ({", ".join("?" * len(names))}) AND n > 0
                GROUP BY kind, label ORDER BY 3 DESC, 2""",
            (dataset_id, *names),
        )
        spans = [label_from_key(label) for kind, label, _ in rows if kind == SPAN]
        relations = [label_from_key(label) for kind, label, _ in rows if kind == RELATION]
        return spans, relations

    def pair_tallies(self, dataset: str) -> dict[tuple[str, str], PairTally]:
        from annotator.store.stats import PairTally

        rows = self._dataset_rows(
            "SELECT a, b, compared, tp, fp, fn FROM pair_tally WHERE dataset_id = ? AND compared > 0 ORDER BY a, b",
            dataset,
        )
        return {(a, b): PairTally(*map(int, counts)) for a, b, *counts in rows}

    def stats(self, dataset: str | None = None) -> list[StatsRow]:
        from annotator.store.stats import StatsRow

        filter_sql, params = ("WHERE d.name = ?", (dataset,)) if dataset is not None else ("", ())
        by_name = "AND d.name = ?" if dataset is not None else ""
        # Read from the counts kept beside the rows (migrations 7 and 8): a few rows per annotator.
        with self._read() as conn:
            counts = conn.execute(
                f"""SELECT d.name, k.annotator, k.answer, k.n FROM tally k JOIN datasets d ON d.id = k.dataset_id
                    {filter_sql}""",
                params,
            ).fetchall()
            accepted = conn.execute(
                f"""SELECT d.name, k.annotator, k.label, k.n FROM label_tally k
                    JOIN datasets d ON d.id = k.dataset_id WHERE k.kind = 'span' {by_name}""",
                params,
            ).fetchall()
            sizes = dict(
                conn.execute(f"SELECT d.name, d.tasks FROM datasets d {filter_sql}", params).fetchall()
            )
        tally: dict[tuple[str, str], dict[str, int]] = {}
        for name, who, answer, count in counts:
            tally.setdefault((name, who), {})[answer] = int(count)
        labels: dict[tuple[str, str], dict[str, int]] = {}
        for name, who, label, count in accepted:
            if count:
                labels.setdefault((name, who), {})[label_from_key(label)] = int(count)
        return [
            StatsRow(
                dataset=name,
                annotator=who,
                accepted=t.get("accept", 0),
                rejected=t.get("reject", 0),
                ignored=t.get("ignore", 0),
                drafted=t.get(DRAFT, 0),
                spans_per_label=dict(sorted(labels.get((name, who), {}).items())),
                tasks=int(sizes.get(name, 0)),
            )
            for (name, who), t in sorted(tally.items())
            if any(t.values())
        ]

    # -- copying a dataset between databases ------------------------------------------------------

    def _pages(self, sql: str, dataset_id: int) -> Iterator[Any]:
        """Rows of ``sql`` (keyed by its first column, ``?`` for the dataset then the last key)
        page by page in key order."""
        last = -1
        while True:
            page = self._query(sql, (dataset_id, last))
            yield from page
            if len(page) < BATCH_SIZE:
                return
            last = int(page[-1][0])

    def dump(self, dataset: str) -> DatasetDump:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            known = ", ".join(self.datasets()) or "none"
            raise StoreError(f"no dataset {dataset!r} in {self.location} (datasets: {known})")
        return self._dump(dataset_id, dataset)

    def _dump(self, dataset_id: int, dataset: str) -> DatasetDump:
        # Here, not at the top: its ten row and dump classes are made at import (a dataclass or
        # named tuple, about a millisecond each), and only a copy of a dataset uses them.
        from annotator.store.dump import (
            AnnotationRow,
            AssignmentRow,
            DatasetDump,
            DoubtRow,
            LogRow,
            MemoryRow,
            ReviewRow,
            TaskRow,
        )

        created = float(self._query("SELECT created FROM datasets WHERE id = ?", (dataset_id,))[0][0])
        scheme = self._query("SELECT scheme, updated FROM schemes WHERE dataset_id = ?", (dataset_id,))
        limit = f"ORDER BY 1 LIMIT {BATCH_SIZE:d}"
        tasks = (
            TaskRow(
                int(r[0]),
                int(r[1]),
                self._text_out(r[2]),
                bytes(r[3]),
                bytes(r[4]),
                bytes(r[5]),
                bytes(r[6]),
                float(r[7]),
            )
            for r in self._pages(
                f"""SELECT id, input_hash, text, tokens, meta, extra, suggestion, created FROM tasks
                    WHERE dataset_id = ? AND id > ? {limit}""",
                dataset_id,
            )
        )
        log = (
            LogRow(int(r[0]), int(r[1]), r[2], self._text_out(r[3]), r[4], _bytes_or_none(r[5]), float(r[6]))
            for r in self._pages(
                f"""SELECT e.id, e.task_id, e.annotator, e.session, e.event, e.payload, e.created
                    FROM edit_log e JOIN tasks t ON t.id = e.task_id
                    WHERE t.dataset_id = ? AND e.id > ? {limit}""",
                dataset_id,
            )
        )
        annotations = (
            AnnotationRow(
                int(r[1]),
                r[2],
                r[3],
                None if r[4] is None else self._text_out(r[4]),
                r[5],
                bytes(r[6]) if r[9] is None else self._whole_blob(int(r[1]), r[2], r[6], r[9], r[4], r[5]),
                r[7],
                r[8],
            )
            for r in self._pages(
                f"""SELECT a.id, a.task_id, a.annotator, a.answer, a.session, a.timestamp, a.data,
                           a.base_log_id, a.last_log_id, a.data_log_id
                    FROM annotations a JOIN tasks t ON t.id = a.task_id
                    WHERE t.dataset_id = ? AND a.id > ? {limit}""",
                dataset_id,
            )
        )
        memory = (
            MemoryRow(r[0], bytes(r[1]), r[2], int(r[3]), float(r[4]))
            for r in self._query(
                """SELECT annotator, form, label, task_id, updated FROM memory
                   WHERE dataset_id = ? ORDER BY annotator, form""",
                (dataset_id,),
            )
        )
        reviews = (
            ReviewRow(r[0], bytes(r[1]), float(r[2]))
            for r in self._query(
                "SELECT reviewer, annotators, updated FROM reviews WHERE dataset_id = ? ORDER BY reviewer",
                (dataset_id,),
            )
        )
        routing = self._query(
            "SELECT overlap, annotators, assigned_upto FROM routing WHERE dataset_id = ?", (dataset_id,)
        )
        assignments = (
            AssignmentRow(int(r[0]), r[1], int(r[2]))
            for r in self._query(
                """SELECT task_id, annotator, done FROM assignments WHERE dataset_id = ?
                   ORDER BY task_id, annotator""",
                (dataset_id,),
            )
        )
        doubts = (
            DoubtRow(int(r[0]), float(r[1]), bytes(r[2]))
            for r in self._pages(
                f"""SELECT d.task_id, d.score, d.data FROM doubts d JOIN tasks t ON t.id = d.task_id
                    WHERE t.dataset_id = ? AND d.task_id > ? {limit}""",
                dataset_id,
            )
        )
        return DatasetDump(
            name=dataset,
            created=created,
            scheme=(bytes(scheme[0][0]), float(scheme[0][1])) if scheme else None,
            tasks=tasks,
            log=log,
            annotations=annotations,
            memory=memory,
            reviews=reviews,
            routing=(routing[0][0], bytes(routing[0][1]), int(routing[0][2])) if routing else None,
            assignments=assignments,
            doubts=doubts,
        )

    def load(self, dump: DatasetDump, expected: Fingerprint) -> Fingerprint:
        from annotator.store.dump import fingerprint  # a copy only (see _dump)

        try:
            with self._write(durable=True) as conn:
                self._lock_for_load(conn)
                if conn.execute("SELECT 1 FROM datasets WHERE name = ?", (dump.name,)).fetchone() is not None:
                    raise StoreError(
                        f"{self.location} already has a dataset {dump.name!r}; nothing was copied"
                    )
                dataset_id = self._ensure_dataset(conn, dump.name, dump.created)
                self._insert_dump(conn, dataset_id, dump)
                # Read back inside the same transaction: a copy that differs is never committed.
                got = fingerprint(self._dump(dataset_id, dump.name))
                expected.finish()
                if (got.counts, got.digests) != (expected.counts, expected.digests):
                    differ = [t for t in expected.digests if got.digests.get(t) != expected.digests[t]]
                    raise StoreError(
                        f"the copy of dataset {dump.name!r} in {self.location} differs from its source "
                        f"({', '.join(differ) or 'row counts'}); nothing was copied"
                    )
                self._after_load(conn)
        finally:
            self._dataset_ids.pop(dump.name, None)  # the id of a rolled-back dataset must not stay
        return got

    def _insert_dump(self, conn: Connection, dataset_id: int, dump: DatasetDump) -> None:
        from annotator.store.dump import remap  # a copy only (see _dump)
        from annotator.store.kept import count_pairs

        if dump.scheme is not None:
            self._put_scheme(conn, dataset_id, *dump.scheme)
        # Ids keep their order and distances: each table's are shifted past what this database
        # holds, so references follow by the same shift.
        task_shift = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM tasks").fetchone()[0])
        log_shift = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM edit_log").fetchone()[0])
        for t in dump.tasks:
            conn.execute(
                """INSERT INTO tasks (id, dataset_id, input_hash, text, tokens, meta, extra, suggestion, created)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (t.id + task_shift, dataset_id, t.input_hash, self._text_in(t.text), *t[3:]),
            )
        for e in dump.log:
            conn.execute(
                """INSERT INTO edit_log (id, task_id, annotator, session, event, payload, created)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (e.id + log_shift, e.task_id + task_shift, e.annotator, self._text_in(e.session), *e[4:]),
            )
        for a in dump.annotations:
            conn.execute(
                """INSERT INTO annotations
                   (task_id, annotator, answer, session, timestamp, data, base_log_id, last_log_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    a.task_id + task_shift,
                    a.annotator,
                    a.answer,
                    self._text_or_none(a.session),
                    a.timestamp,
                    a.data,
                    remap(a.base_log_id, log_shift),
                    remap(a.last_log_id, log_shift),
                ),
            )
        for m in dump.memory:
            self._put_memory(
                conn, dataset_id, m.annotator, m.form, m.label, m.task_id + task_shift, m.updated
            )
        for r in dump.reviews:
            self._put_review(conn, dataset_id, *r)
        if dump.routing is not None:
            overlap, loads, upto = dump.routing
            conn.execute(
                """INSERT INTO routing (dataset_id, overlap, annotators, assigned_upto, version, updated)
                   VALUES (?, ?, ?, ?, 1, ?)""",
                (dataset_id, overlap, loads, upto + task_shift if upto else 0, time.time()),
            )
        for given in dump.assignments:
            conn.execute(
                "INSERT INTO assignments (task_id, annotator, dataset_id, done) VALUES (?, ?, ?, ?)",
                (given.task_id + task_shift, given.annotator, dataset_id, given.done),
            )
        conn.execute(
            "INSERT INTO routing_pairs (dataset_id, a, b, tasks) "
            + SHARED_TASKS.format(where="WHERE x.dataset_id = ?"),
            (dataset_id,),
        )
        for d in dump.doubts:
            conn.execute(
                "INSERT INTO doubts (task_id, score, data) VALUES (?, ?, ?)",
                (d.task_id + task_shift, d.score, d.data),
            )
        conn.execute(
            "UPDATE datasets SET tasks = (SELECT COUNT(*) FROM tasks WHERE dataset_id = ?) WHERE id = ?",
            (dataset_id, dataset_id),
        )
        count_accepted_labels(conn, dataset_id)
        count_pairs(conn, dataset_id)


def _bytes_or_none(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _replay(base_blob: bytes, events: list[Any], stored: Annotation) -> History:
    from annotator.core.edits import Edit, History  # once a task, outside the loop over its edits

    history = History(current=annotation_from_blob(base_blob))
    try:
        for event, payload in events:
            history.replay(event, Edit.from_json(orjson.loads(payload)) if payload is not None else None)
    except (ValueError, KeyError, TypeError):
        return History(current=stored)  # a log row this version cannot replay: keep the draft
    same = set(history.current.spans) == set(stored.spans) and set(history.current.relations) == set(
        stored.relations
    )
    if not same:
        return History(current=stored)
    history.current = stored
    return history
