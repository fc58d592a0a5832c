"""The SQLite store: datasets, tasks with their suggestions, one current annotation per (task,
annotator), and an append-only log of every edit and decision.

Durability. The database runs in WAL mode. Each edit and each decision is its own transaction,
committed before the method returns. Edits commit with ``synchronous=NORMAL``: the commit is in the
WAL file (in the OS page cache) when the call returns, so a crash or SIGKILL of the process loses
nothing; a power cut can lose the transactions since the WAL was last fsynced, but never corrupts
the file. Decisions (``record_answer``) commit with ``synchronous=FULL``, which fsyncs the WAL and
with it every earlier edit. So a power cut loses at most the draft edits made since the last
decision, while an edit never waits for the disk: an fsync added 0.3-0.6 ms a commit on the test
machine, but takes milliseconds on many laptop disks and more on network disks, on every keystroke
that changes a span. ``Store(path, durable_edits=True)`` fsyncs every edit too.

Concurrency. Several processes may open one file: WAL lets readers run beside the one writer,
writes take the lock up front (BEGIN IMMEDIATE) so they queue behind ``busy_timeout`` instead of
failing half-way, and every write is a short transaction. One Store may be used from several
threads (a Textual worker and the UI thread); a lock serialises them on its one connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import orjson

from annotator.core.edits import Edit, History
from annotator.core.errors import AnnotatorError
from annotator.core.model import ANSWERS, Annotation, Task
from annotator.core.reviews import Review
from annotator.core.scheme import LabelScheme, scheme_from_dict, scheme_to_dict
from annotator.store.base import UNCHECKED, Decision, Expect, TaskState
from annotator.store.errors import StaleWrite, StoreError, UnknownTask
from annotator.store.migrations import migrate
from annotator.store.serialize import (
    annotation_from_blob,
    annotation_to_blob,
    answer_or_none,
    edit_from_blob,
    edit_to_blob,
    mapping_from_blob,
    mapping_to_blob,
    tokens_from_blob,
    tokens_to_blob,
)
from annotator.store.stats import StatsRow

BUSY_TIMEOUT_S = 10.0
BATCH_SIZE = 500  # tasks per transaction in add_tasks, rows per page in annotations()
EDIT_EVENTS = ("do", "undo", "redo")
AUTOCHECKPOINT_PAGES = 10_000  # ~40 MB of WAL at 4 KiB pages
DRAFT = "draft"


def default_db_path(db: Path | None) -> Path:
    """``--db``, else ``$ANNOTATOR_DB``, else ``./annotator.db``."""
    if db is not None:
        return db
    env = os.environ.get("ANNOTATOR_DB")
    if env:
        return Path(env)
    return Path("annotator.db")


_INSERT_TASK = """
    INSERT INTO tasks (dataset_id, input_hash, text, tokens, meta, extra, suggestion, created)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (dataset_id, input_hash) DO NOTHING
    RETURNING id
"""

_INSERT_LOG = """
    INSERT INTO edit_log (task_id, annotator, session, event, payload, created)
    VALUES (?, ?, ?, ?, ?, ?)
"""

# An edit keeps the row's base (the last decision) and makes it a draft.
_UPSERT_DRAFT = """
    INSERT INTO annotations (task_id, annotator, answer, session, timestamp, data, base_log_id, last_log_id)
    VALUES (?, ?, NULL, ?, ?, ?, NULL, ?)
    ON CONFLICT (task_id, annotator) DO UPDATE SET
        answer = NULL, session = excluded.session, timestamp = excluded.timestamp, data = excluded.data,
        last_log_id = excluded.last_log_id
"""

# A decision replaces the current row. An import (a whole annotation from elsewhere) is the new base
# that history() replays from; an answer keeps the base, so that undo reaches across it.
_UPSERT_DECISION = """
    INSERT INTO annotations (task_id, annotator, answer, session, timestamp, data, base_log_id, last_log_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (task_id, annotator) DO UPDATE SET
        answer = excluded.answer, session = excluded.session, timestamp = excluded.timestamp,
        data = excluded.data, base_log_id = COALESCE(excluded.base_log_id, annotations.base_log_id),
        last_log_id = excluded.last_log_id
"""

# The same-annotator guard: the row is replaced only if it is still the version the writer read, in
# the statement that replaces it (a row that appeared since is a conflict too). No row comes back
# when the version moved on, and the caller rolls the transaction back.
_GUARD = " WHERE annotations.last_log_id IS NOT DISTINCT FROM ?"
_RETURNING = " RETURNING id"


class Store:
    """One SQLite database file. Also a context manager that closes it."""

    def __init__(self, path: Path | str, *, create: bool = True, durable_edits: bool = False) -> None:
        """Open (and create, unless ``create`` is False) the database and bring its schema up to
        date. ``durable_edits`` fsyncs every edit, not only every decision (see the module doc)."""
        self.path = Path(path)
        self._lock = threading.RLock()
        self._durable_edits = durable_edits
        self._dataset_ids: dict[str, int] = {}
        self._closed = False
        self._conn = self._open(create)

    # -- connection ---------------------------------------------------------------------------

    def _open(self, create: bool) -> sqlite3.Connection:
        memory = str(self.path) == ":memory:"
        if memory:
            target = ":memory:"
        else:
            if self.path.is_dir():
                raise StoreError(f"{self.path} is a folder, not a database file")
            if not self.path.exists():
                if not create:
                    raise StoreError(f"there is no database at {self.path}")
                if not self.path.parent.is_dir():
                    raise StoreError(
                        f"cannot create database {self.path}: folder {self.path.parent} does not exist"
                    )
            # mode=rw never creates the file, so a mistyped --db does not leave an empty database.
            mode = "rwc" if create else "rw"
            target = f"file:{quote(str(self.path.absolute()))}?mode={mode}"
        try:
            conn = sqlite3.connect(
                target, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            mode_now = _enable_wal(conn)
            if not memory and str(mode_now).lower() != "wal":
                raise StoreError(
                    f"cannot use write-ahead logging on {self.path} (journal mode stays {mode_now}); "
                    "put the database on a local disk"
                )
            conn.execute(f"PRAGMA synchronous = {self._default_sync}")
            conn.execute("PRAGMA foreign_keys = ON")
            # The automatic checkpoint (copying the WAL into the database, with an fsync) runs
            # inside whichever commit crosses the threshold. An edit of a 20,000-token document
            # writes ~35 pages, so at the default of 1,000 pages every 30th edit paid ~10 ms
            # for it; at 10,000 pages (a WAL of up to ~40 MB while the store is open) every 300th.
            conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
            migrate(conn, where=str(self.path))
        except sqlite3.OperationalError as exc:
            conn.close()
            raise self._sqlite_error(exc) from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database", corruption
            conn.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    @property
    def _default_sync(self) -> str:
        return "FULL" if self._durable_edits else "NORMAL"

    def _sqlite_error(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(
                f"database {self.path} is locked by another process (waited {BUSY_TIMEOUT_S:g} s)"
            )
        return StoreError(f"database {self.path}: {text}")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _write(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on leaving the block. ``durable`` fsyncs the commit."""
        with self._lock:
            conn = self._conn
            switch = durable and not self._durable_edits
            if switch:
                conn.execute("PRAGMA synchronous = FULL")
            try:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    raise self._sqlite_error(exc) from exc
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                if switch:
                    conn.execute(f"PRAGMA synchronous = {self._default_sync}")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several reads from one snapshot of the database."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- datasets and tasks -------------------------------------------------------------------

    def _dataset_id(self, conn: sqlite3.Connection, name: str) -> int | None:
        cached = self._dataset_ids.get(name)
        if cached is not None:
            return cached
        row = conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        # Datasets are never deleted, so a found id stays valid (also in other processes' stores).
        self._dataset_ids[name] = row[0]
        return int(row[0])

    def _ensure_dataset(self, conn: sqlite3.Connection, name: str) -> int:
        conn.execute(
            "INSERT INTO datasets (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, time.time()),
        )
        return int(conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()[0])

    def scheme(self, dataset: str) -> LabelScheme | None:
        """The label scheme stored with the dataset, None before one was."""
        rows = self._dataset_rows("SELECT scheme FROM schemes WHERE dataset_id = ?", dataset)
        if not rows:
            return None
        try:
            return scheme_from_dict(
                orjson.loads(rows[0][0]), f"the scheme stored with dataset {dataset!r}", written=False
            )
        except (orjson.JSONDecodeError, AnnotatorError) as exc:
            raise StoreError(f"database {self.path}: {exc}") from exc

    def save_scheme(self, dataset: str, scheme: LabelScheme) -> None:
        """Store (or replace) the dataset's label scheme; creates the dataset if needed."""
        blob = orjson.dumps(scheme_to_dict(scheme))
        with self._write() as conn:
            dataset_id = self._ensure_dataset(conn, dataset)
            conn.execute(
                """INSERT INTO schemes (dataset_id, scheme, updated) VALUES (?, ?, ?)
                   ON CONFLICT (dataset_id) DO UPDATE SET scheme = excluded.scheme, updated = excluded.updated""",
                (dataset_id, blob, time.time()),
            )

    def memory(self, dataset: str, annotator: str) -> dict[tuple[str, ...], str | None]:
        """The annotator's correction memory in the dataset: surface form -> label (None: not an
        entity)."""
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return {}
            rows = self._conn.execute(
                "SELECT form, label FROM memory WHERE dataset_id = ? AND annotator = ?",
                (dataset_id, annotator),
            ).fetchall()
        return {tuple(orjson.loads(form)): label for form, label in rows}

    def remember(
        self, dataset: str, annotator: str, task_id: int, changes: Mapping[tuple[str, ...], str | None]
    ) -> None:
        """Keep what an accepted task decided about surface forms; a form's later decision
        replaces its earlier one."""
        if not changes:
            return
        now = time.time()
        with self._write() as conn:
            dataset_id = self._ensure_dataset(conn, dataset)
            conn.executemany(
                """INSERT INTO memory (dataset_id, annotator, form, label, task_id, updated)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (dataset_id, annotator, form) DO UPDATE SET
                       label = excluded.label, task_id = excluded.task_id, updated = excluded.updated""",
                [
                    (dataset_id, annotator, orjson.dumps(list(form)), label, task_id, now)
                    for form, label in changes.items()
                ],
            )

    def record_review(self, dataset: str, reviewer: str, annotators: Sequence[str]) -> None:
        """Record that ``reviewer`` adjudicates ``annotators``' work on the dataset: the reviewer's
        annotations are then one of its gold sets (``reviewers``)."""
        blob = orjson.dumps(list(annotators))
        with self._write() as conn:
            dataset_id = self._ensure_dataset(conn, dataset)
            conn.execute(
                """INSERT INTO reviews (dataset_id, reviewer, annotators, updated) VALUES (?, ?, ?, ?)
                   ON CONFLICT (dataset_id, reviewer) DO UPDATE SET
                       annotators = excluded.annotators, updated = excluded.updated""",
                (dataset_id, reviewer, blob, time.time()),
            )

    def reviewers(self, dataset: str) -> list[Review]:
        """Who reviewed the dataset (each one's annotations a gold set), by name."""
        rows = self._dataset_rows(
            "SELECT reviewer, annotators FROM reviews WHERE dataset_id = ? ORDER BY reviewer", dataset
        )
        return [Review(name, tuple(str(a) for a in orjson.loads(blob))) for name, blob in rows]

    def _dataset_rows(self, sql: str, dataset: str) -> list[Any]:
        """The rows of ``sql``, whose one parameter is the dataset's id; none for an unknown dataset."""
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return []
            return self._conn.execute(sql, (dataset_id,)).fetchall()

    def add_tasks(self, dataset: str, items: Iterable[tuple[Task, Annotation]]) -> list[int]:
        """Store tasks with their suggestions, in transactions of BATCH_SIZE tasks; returns their
        ids in input order. A task whose input hash is already in the dataset keeps its id, its
        tokens and its suggestion (annotations may have been made on them)."""
        ids: list[int] = []
        stream = iter(items)
        first = True
        while True:
            batch = list(islice(stream, BATCH_SIZE))
            if not batch and not first:
                break
            first = False
            now = time.time()
            rows = [
                (
                    task.input_hash,
                    task.text,
                    tokens_to_blob(task.tokens),
                    mapping_to_blob(task.meta),
                    mapping_to_blob(task.extra),
                    annotation_to_blob(suggestion),
                    now,
                )
                for task, suggestion in batch
            ]
            with self._write() as conn:
                dataset_id = self._ensure_dataset(conn, dataset)
                for row in rows:
                    try:
                        found = conn.execute(_INSERT_TASK, (dataset_id, *row)).fetchone()
                    except OverflowError as exc:
                        raise StoreError(f"input hash {row[0]} does not fit in 64 bits") from exc
                    if found is None:
                        found = conn.execute(
                            "SELECT id FROM tasks WHERE dataset_id = ? AND input_hash = ?",
                            (dataset_id, row[0]),
                        ).fetchone()
                    ids.append(int(found[0]))
            if not batch:
                break
        return ids

    def set_suggestion(self, task_id: int, suggestion: Annotation) -> None:
        """Replace a task's suggestion (model output that arrived after the task was stored)."""
        blob = annotation_to_blob(suggestion)
        with self._write() as conn:
            cur = conn.execute("UPDATE tasks SET suggestion = ? WHERE id = ?", (blob, task_id))
            if cur.rowcount == 0:
                raise UnknownTask(task_id)

    def set_tokens(self, task_id: int, task: Task) -> None:
        """Replace a task's tokens; the text must be the same."""
        blob = tokens_to_blob(task.tokens)
        with self._write() as conn:
            row = conn.execute("SELECT text FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise UnknownTask(task_id)
            if row[0] != task.text:
                raise ValueError(f"set_tokens: task {task_id} has a different text")
            conn.execute("UPDATE tasks SET tokens = ? WHERE id = ?", (blob, task_id))

    def datasets(self) -> list[str]:
        return [r[0] for r in self._query("SELECT name FROM datasets ORDER BY name")]

    def task_ids(self, dataset: str) -> list[int]:
        """The dataset's task ids in insertion order."""
        return [
            r[0] for r in self._dataset_rows("SELECT id FROM tasks WHERE dataset_id = ? ORDER BY id", dataset)
        ]

    def task_count(self, dataset: str) -> int:
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return 0
            return int(
                self._conn.execute(
                    "SELECT COUNT(*) FROM tasks WHERE dataset_id = ?", (dataset_id,)
                ).fetchone()[0]
            )

    def task(self, task_id: int) -> Task:
        rows = self._query("SELECT text, tokens, input_hash, meta, extra FROM tasks WHERE id = ?", (task_id,))
        if not rows:
            raise UnknownTask(task_id)
        return _task_from_row(rows[0])

    def suggestion(self, task_id: int) -> Annotation:
        rows = self._query("SELECT suggestion FROM tasks WHERE id = ?", (task_id,))
        if not rows:
            raise UnknownTask(task_id)
        return annotation_from_blob(rows[0][0])

    def find_task(self, dataset: str, input_hash: int) -> int | None:
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return None
            row = self._conn.execute(
                "SELECT id FROM tasks WHERE dataset_id = ? AND input_hash = ?", (dataset_id, input_hash)
            ).fetchone()
        return None if row is None else int(row[0])

    # -- annotations and the edit log ---------------------------------------------------------

    def annotation(self, task_id: int, annotator: str) -> Annotation | None:
        """This annotator's current annotation of the task; a draft has ``answer`` None."""
        rows = self._query(
            "SELECT data FROM annotations WHERE task_id = ? AND annotator = ?", (task_id, annotator)
        )
        return annotation_from_blob(rows[0][0]) if rows else None

    def last_log_id(self, task_id: int, annotator: str) -> int | None:
        """The version of this annotator's row for the task: the id of its latest log row (None
        before any)."""
        rows = self._query(
            "SELECT last_log_id FROM annotations WHERE task_id = ? AND annotator = ?", (task_id, annotator)
        )
        value = rows[0][0] if rows else None
        return int(value) if value is not None else None

    def _log(
        self,
        conn: sqlite3.Connection,
        task_id: int,
        annotator: str,
        session: str,
        event: str,
        payload: bytes | None,
        now: float,
    ) -> int:
        try:
            cur = conn.execute(_INSERT_LOG, (task_id, annotator, session, event, payload, now))
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                raise UnknownTask(task_id) from exc
            raise
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _set_current(
        self,
        conn: sqlite3.Connection,
        sql: str,
        params: tuple[Any, ...],
        task_id: int,
        annotator: str,
        expect: Expect,
    ) -> None:
        """Replace the current row, comparing its version with ``expect`` in the same statement."""
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
        """Log one edit ("do", "undo" or "redo"; ``edit`` is required for "do") and store
        ``current``, the annotation after it, as the draft: both in one committed transaction.
        Returns the new version (the log row's id).

        An edit reopens a decided task: its row becomes a draft (answer None) until the next
        decision, so an exported "accept" always means the spans the annotator accepted.

        ``expect`` (the version the caller read) makes the write conditional: if another process
        wrote the task since, nothing is written and StaleWrite is raised."""
        if event not in EDIT_EVENTS:
            raise ValueError(f"edit event must be one of {', '.join(EDIT_EVENTS)}, not {event!r}")
        if event == "do" and edit is None:
            raise ValueError('a "do" event needs its edit')
        now = time.time()
        stored = replace(current, answer=None, annotator=annotator, session=session, timestamp=int(now))
        payload = edit_to_blob(edit) if edit is not None else None
        data = annotation_to_blob(stored)
        with self._write() as conn:
            log_id = self._log(conn, task_id, annotator, session, event, payload, now)
            self._set_current(
                conn,
                _UPSERT_DRAFT,
                (task_id, annotator, session, int(now), data, log_id),
                task_id,
                annotator,
                expect,
            )
        return log_id

    def record_answer(
        self,
        task_id: int,
        annotator: str,
        session: str,
        annotation: Annotation,
        *,
        expect: Expect = UNCHECKED,
    ) -> Decision:
        """Store a decision (annotation.answer is accept, reject or ignore), fsynced; returns the
        annotation as stored, with annotator, session and timestamp filled in, and its version.
        ``expect`` as in record_edit."""
        if annotation.answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}, not {annotation.answer!r}")
        now = time.time()
        filled = replace(annotation, annotator=annotator, session=session, timestamp=int(now))
        version = self._decide(
            task_id, annotator, session, "answer", filled, now, durable=True, expect=expect
        )
        return Decision(filled, version)

    def save_annotation(
        self, task_id: int, annotator: str, annotation: Annotation, session: str = "import"
    ) -> None:
        """Overwrite the current row (for importers and the review screen); ``answer`` may be set
        or None. The annotation keeps its own session and timestamp when it has them (an imported
        record's ``_session_id``/``_timestamp``); the log row names ``session`` as its writer.
        Not fsynced: importers write thousands of rows and still have their source file."""
        answer_or_none(annotation.answer)
        now = time.time()
        filled = replace(
            annotation,
            annotator=annotator,
            session=annotation.session if annotation.session is not None else session,
            timestamp=annotation.timestamp if annotation.timestamp is not None else int(now),
        )
        self._decide(task_id, annotator, session, "import", filled, now, durable=False, expect=UNCHECKED)

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
    ) -> int:
        data = annotation_to_blob(annotation)
        with self._write(durable=durable) as conn:
            log_id = self._log(conn, task_id, annotator, session, event, data, now)
            params = (
                task_id,
                annotator,
                annotation.answer,
                annotation.session,
                annotation.timestamp,
                data,
                log_id if event == "import" else None,
                log_id,
            )
            self._set_current(conn, _UPSERT_DECISION, params, task_id, annotator, expect)
        return log_id

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
        with self._read() as conn:
            row = conn.execute(
                "SELECT data, base_log_id, last_log_id FROM annotations WHERE task_id = ? AND annotator = ?",
                (task_id, annotator),
            ).fetchone()
            sugg = conn.execute("SELECT suggestion FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if sugg is None:
                raise UnknownTask(task_id)
            if row is None:
                return TaskState(History(current=annotation_from_blob(sugg[0])), None, None)
            data, base_log_id, version = row
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
        stored = annotation_from_blob(data)
        return TaskState(_replay(base_blob, events, stored), stored, version)

    def next_unanswered(self, dataset: str, annotator: str, after: int | None = None) -> int | None:
        """The first task in insertion order (after task ``after``, if given) that this annotator
        has not decided; drafts count as undecided. None when there is none (no wrap-around)."""
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return None
            start = -1 if after is None else after
            row = self._conn.execute(
                """SELECT t.id FROM tasks t
                   WHERE t.dataset_id = ? AND t.id > ?
                     AND NOT EXISTS (SELECT 1 FROM annotations a
                                     WHERE a.task_id = t.id AND a.annotator = ? AND a.answer IS NOT NULL)
                   ORDER BY t.id LIMIT 1""",
                (dataset_id, start, annotator),
            ).fetchone()
        return None if row is None else int(row[0])

    def answer_counts(self, dataset: str, annotator: str) -> dict[str, int]:
        """Tasks this annotator accepted, rejected, ignored and left as drafts."""
        counts = dict.fromkeys((*ANSWERS, DRAFT), 0)
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return counts
            rows = self._conn.execute(
                """SELECT a.answer, COUNT(*) FROM annotations a JOIN tasks t ON t.id = a.task_id
                   WHERE t.dataset_id = ? AND a.annotator = ? GROUP BY a.answer""",
                (dataset_id, annotator),
            ).fetchall()
        for answer, count in rows:
            counts[answer if answer is not None else DRAFT] = count
        return counts

    def log_counts(self, dataset: str, annotator: str | None = None) -> dict[str, int]:
        """Rows of the edit log per event ("do", "undo", "redo", "answer", "import") for the
        dataset (and annotator); events that never happened are left out."""
        where, params = ("AND e.annotator = ?", (annotator,)) if annotator is not None else ("", ())
        rows = self._query(
            f"""SELECT e.event, COUNT(*) FROM edit_log e JOIN tasks t ON t.id = e.task_id
                JOIN datasets d ON d.id = t.dataset_id WHERE d.name = ? {where} GROUP BY e.event""",
            (dataset, *params),
        )
        return {event: int(count) for event, count in rows}

    def annotators(self, dataset: str) -> list[str]:
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
            if dataset_id is None:
                return []
            rows = self._conn.execute(
                """SELECT DISTINCT a.annotator FROM annotations a JOIN tasks t ON t.id = a.task_id
                   WHERE t.dataset_id = ? ORDER BY a.annotator""",
                (dataset_id,),
            ).fetchall()
        return [r[0] for r in rows]

    def annotations(
        self,
        dataset: str,
        annotator: str | None = None,
        answers: Collection[str] | None = ("accept",),
    ) -> Iterator[tuple[int, Task, Annotation]]:
        """(task id, task, annotation) in task order, then annotator order. ``answers`` None gives
        every row including drafts; "draft" may also be named in ``answers``. Read page by page,
        so the caller may write to the store while iterating."""
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
        sql = f"""SELECT a.task_id, a.annotator, a.data, t.text, t.tokens, t.input_hash, t.meta, t.extra
                  FROM tasks t JOIN annotations a ON a.task_id = t.id
                  WHERE {" AND ".join(where)} AND (t.id, a.annotator) > (?, ?)
                  ORDER BY t.id, a.annotator LIMIT {BATCH_SIZE:d}"""
        with self._lock:
            dataset_id = self._dataset_id(self._conn, dataset)
        if dataset_id is None:
            return
        last: tuple[int, str] = (-1, "")
        task_cache: tuple[int, Task] | None = None
        while True:
            page = self._query(sql, (dataset_id, *params, *last))
            for task_id, _who, data, *task_row in page:
                if task_cache is None or task_cache[0] != task_id:
                    task_cache = (task_id, _task_from_row(tuple(task_row)))
                yield task_id, task_cache[1], annotation_from_blob(data)
            if len(page) < BATCH_SIZE:
                return
            last = (page[-1][0], page[-1][1])

    def stats(self, dataset: str | None = None) -> list[StatsRow]:
        """Per dataset and annotator: decided and drafted tasks, spans per label of accepted tasks."""
        filter_sql, params = ("WHERE d.name = ?", (dataset,)) if dataset is not None else ("", ())
        with self._read() as conn:
            counts = conn.execute(
                f"""SELECT d.name, a.annotator, a.answer, COUNT(*)
                    FROM annotations a JOIN tasks t ON t.id = a.task_id JOIN datasets d ON d.id = t.dataset_id
                    {filter_sql} GROUP BY d.name, a.annotator, a.answer""",
                params,
            ).fetchall()
            accepted = conn.execute(
                f"""SELECT d.name, a.annotator, a.data
                    FROM annotations a JOIN tasks t ON t.id = a.task_id JOIN datasets d ON d.id = t.dataset_id
                    {filter_sql} {"AND" if filter_sql else "WHERE"} a.answer = 'accept'""",
                params,
            ).fetchall()
            sizes = dict(
                conn.execute(
                    f"""SELECT d.name, COUNT(t.id) FROM datasets d LEFT JOIN tasks t ON t.dataset_id = d.id
                        {filter_sql} GROUP BY d.name""",
                    params,
                ).fetchall()
            )
        tally: dict[tuple[str, str], dict[str, int]] = {}
        for name, who, answer, count in counts:
            tally.setdefault((name, who), {})[answer if answer is not None else DRAFT] = count
        labels: dict[tuple[str, str], Counter[str]] = {}
        for name, who, data in accepted:
            spans = orjson.loads(data)["spans"]
            labels.setdefault((name, who), Counter()).update(s[4] for s in spans)
        return [
            StatsRow(
                dataset=name,
                annotator=who,
                accepted=t.get("accept", 0),
                rejected=t.get("reject", 0),
                ignored=t.get("ignore", 0),
                drafted=t.get(DRAFT, 0),
                spans_per_label=dict(sorted(labels.get((name, who), Counter()).items())),
                tasks=sizes.get(name, 0),
            )
            for (name, who), t in sorted(tally.items())
        ]


def _enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL (a setting kept in the file) and return the journal mode in force.

    Switching needs an exclusive lock, and SQLite reports "locked" at once rather than waiting
    for busy_timeout when another process is opening the same new file; so wait here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
            if mode.lower() != "wal":
                mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            return mode
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _replay(base_blob: bytes, events: list[Any], stored: Annotation) -> History:
    history = History(current=annotation_from_blob(base_blob))
    try:
        for event, payload in events:
            history.replay(event, edit_from_blob(payload) if payload is not None else None)
    except (ValueError, KeyError, TypeError):
        return History(current=stored)  # a log row this version cannot replay: keep the draft
    same = set(history.current.spans) == set(stored.spans) and set(history.current.relations) == set(
        stored.relations
    )
    if not same:
        return History(current=stored)
    history.current = stored
    return history


def _task_from_row(row: tuple[Any, ...]) -> Task:
    text, tokens, input_hash, meta, extra = row
    return Task(
        text=text,
        tokens=tokens_from_blob(tokens),
        input_hash=input_hash,
        meta=mapping_from_blob(meta),
        extra=mapping_from_blob(extra),
    )
