"""The PostgreSQL backend (psycopg 3), for a team whose annotators work on several machines.

Opened with ``--db postgresql://user@host:port/dbname`` (or ``ANNOTATOR_DB``). The database must
exist; the store creates its tables in it (numbered migrations, the version in ``annotator_schema``,
run under an advisory lock so that annotators starting at once migrate it once).

Durability: the store's sessions commit with ``synchronous_commit = on``, so every edit and decision
is in the server's fsynced WAL before the call returns. The edit log is append-only by a trigger
that refuses UPDATE, DELETE and TRUNCATE. Writes of one task are serialised by a transaction-scoped
advisory lock, so log ids follow commit order (history() replays them in id order) and the pair
counts read the other annotators' rows as committed; the same-annotator guard is the conditional upsert shared with SQLite (see sql.py), which
PostgreSQL evaluates on the row's latest committed version under its row lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from annotator.store.errors import StoreError
from annotator.store.migrations import LATEST, apply, check_not_newer, render
from annotator.store.sql import Connection, Rows, SqlStore
from annotator.store.target import mask_url

CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT = "10s"  # waiting for another writer's lock, as SQLite's busy_timeout
_MIGRATION_LOCK = 0x616E6E6F  # "anno": the advisory lock key under which migrations run


@lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    """The shared code's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Adapter:
    """A psycopg connection that speaks the shared code's SQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.raw = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Rows:
        if parameters:
            return self.raw.execute(_pyformat(sql), tuple(parameters))
        return self.raw.execute(sql)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(_pyformat(sql), [tuple(row) for row in parameters])


def _task_key(task_id: int) -> int:
    digest = hashlib.blake2b(f"task {task_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class PostgresStore(SqlStore):
    """One PostgreSQL database, through one connection (a lock serialises threads on it)."""

    def __init__(
        self, url: str | Path, *, create: bool = True, durable_edits: bool = False, read_only: bool = False
    ) -> None:
        """``durable_edits`` is accepted for the interface: every commit here is durable; so is
        ``read_only``: what a role may write is the server's to say."""
        super().__init__()
        self.url = str(url)
        self._lock = threading.RLock()
        self._closed = False
        self._conn = self._connect()
        try:
            self._migrate(create)
        except BaseException:
            self._conn.raw.close()
            raise

    @property
    def location(self) -> str:
        return mask_url(self.url)

    # -- connection ---------------------------------------------------------------------------

    def _connect(self) -> _Adapter:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {self.location}: {_first_line(exc)}") from exc
        except ValueError as exc:  # a URL psycopg cannot parse
            raise StoreError(f"cannot connect to PostgreSQL at {self.location}: {exc}") from exc
        try:
            conn.execute("SET synchronous_commit = on")
            conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        except psycopg.Error as exc:
            conn.close()
            raise self._error(exc) from exc
        return _Adapter(conn)

    def _ready(self) -> _Adapter:
        """The connection, opened again if the server dropped it (a restart between two edits)."""
        if self._closed:
            raise StoreError(f"the store at {self.location} is closed")
        if self._conn.raw.broken or self._conn.raw.closed:
            if self._in_batch:  # a new connection would commit the rest of the batch on its own
                raise StoreError(f"lost the connection to PostgreSQL at {self.location} during a batch")
            self._conn = self._connect()
        return self._conn

    def _migrate(self, create: bool) -> None:
        where = self.location
        conn = self._conn
        try:
            exists = conn.execute("SELECT to_regclass('annotator_schema') IS NOT NULL").fetchone()[0]
            version = _version(conn) if exists else 0
            check_not_newer(version, LATEST, where)
            if version == LATEST:
                return
            if not exists and not create:
                raise StoreError(f"there is no annotator database at {where} (no annotator tables in it)")
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                conn.execute("CREATE TABLE IF NOT EXISTS annotator_schema (version INTEGER NOT NULL)")
                version = _version(conn)
                check_not_newer(version, LATEST, where)
                apply(conn, render("postgresql"), version)
                conn.execute("DELETE FROM annotator_schema")
                conn.execute("INSERT INTO annotator_schema (version) VALUES (?)", (LATEST,))
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: psycopg.Error) -> StoreError:
        if isinstance(exc, pg_errors.LockNotAvailable):
            return StoreError(f"database {self.location} is locked by another writer (waited {LOCK_TIMEOUT})")
        if isinstance(exc, psycopg.OperationalError):
            return StoreError(f"lost the connection to PostgreSQL at {self.location}: {_first_line(exc)}")
        return StoreError(f"database {self.location}: {_first_line(exc)}")

    @staticmethod
    def _rollback(conn: _Adapter) -> None:
        if conn.raw.closed or conn.raw.broken:
            return
        if conn.raw.info.transaction_status != TransactionStatus.IDLE:
            conn.raw.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.raw.close()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[_Adapter]:
        """One transaction, committed on leaving the block; inside ``batch``, part of its one."""
        with self._lock:
            if self._in_batch:
                yield self._conn
                return
            conn = self._ready()
            try:
                conn.execute(begin)
                yield conn
                conn.execute("COMMIT")
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self._error(exc) from exc
            except BaseException:
                self._rollback(conn)
                raise

    def _write(self, *, durable: bool = False) -> AbstractContextManager[_Adapter]:
        return self._transaction("BEGIN")

    def _read(self) -> AbstractContextManager[_Adapter]:
        return self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            conn = self._ready()
            try:
                return conn.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    # -- where PostgreSQL differs ---------------------------------------------------------------

    def _is_missing_task(self, exc: Exception) -> bool:
        return isinstance(exc, pg_errors.ForeignKeyViolation)

    def _text_in(self, text: str) -> Any:
        return text.encode("utf-8")  # BYTEA: TEXT cannot hold NUL

    def _text_out(self, value: Any) -> str:
        return bytes(value).decode("utf-8")

    def _lock_task_of(self, conn: Connection, task_id: int, annotator: str) -> None:
        # The task, not only the (task, annotator) pair: a write that changes an accepted annotation
        # reads the other annotators' accepted rows of the task to keep the pair counts (kept.py),
        # and two annotators' writes of one task must not each read the other's old row.
        conn.execute("SELECT pg_advisory_xact_lock(?)", (_task_key(task_id),))

    def _new_ids(self, conn: Connection, table: str, count: int) -> list[int]:
        rows = conn.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, ?)", (count,)
        ).fetchall()
        return sorted(int(r[0]) for r in rows)

    def _lock_for_load(self, conn: Connection) -> None:
        conn.execute("LOCK TABLE datasets, tasks, edit_log, annotations, schemes IN SHARE ROW EXCLUSIVE MODE")

    def _after_load(self, conn: Connection) -> None:
        for table in ("tasks", "edit_log"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )


def _version(conn: _Adapter) -> int:
    row = conn.execute("SELECT MAX(version) FROM annotator_schema").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
