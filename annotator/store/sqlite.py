"""The SQLite backend: one database file in WAL mode.

Durability. Each edit and each decision is its own transaction, committed before the method
returns. Edits commit with ``synchronous=NORMAL``: the commit is in the WAL file (in the OS page
cache) when the call returns, so a crash or SIGKILL of the process loses nothing; a power cut can
lose the transactions since the WAL was last fsynced, but never corrupts the file. Decisions
(``record_answer``) commit with ``synchronous=FULL``, which fsyncs the WAL and with it every earlier
edit. So a power cut loses at most the draft edits made since the last decision, while an edit never
waits for the disk: an fsync added 0.3-0.6 ms a commit on the test machine, but takes milliseconds
on many laptop disks and more on network disks, on every keystroke that changes a span.
``Store(path, durable_edits=True)`` fsyncs every edit too.

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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from annotator.store.errors import StoreError
from annotator.store.migrations import LATEST, migrate, schema_version
from annotator.store.sql import SqlStore

BUSY_TIMEOUT_S = 10.0
AUTOCHECKPOINT_PAGES = 10_000  # ~40 MB of WAL at 4 KiB pages


class SQLiteStore(SqlStore):
    """One SQLite database file."""

    _others_insert_meanwhile = False  # a write transaction holds the file's one write lock

    def __init__(
        self, path: Path | str, *, create: bool = True, durable_edits: bool = False, read_only: bool = False
    ) -> None:
        """Open (and create, unless ``create`` is False) the database and bring its schema up to
        date. ``durable_edits`` fsyncs every edit, not only every decision (see the module doc).

        ``read_only`` is for commands that only read (stats, export, agreement): a database whose
        file or folder cannot be written is then opened read-only instead of refused. Without it,
        a database that cannot be written is refused at once, before any work is done on it."""
        super().__init__()
        self.path = Path(path)
        self._lock = threading.RLock()
        self._durable_edits = durable_edits
        self._closed = False
        self._conn = self._open(create, read_only)

    # -- connection ---------------------------------------------------------------------------

    def _open(self, create: bool, read_only: bool) -> sqlite3.Connection:
        try:
            return self._open_for_writing(create, read_only)
        except StoreError:
            # A full disk cannot take the ``-shm`` file a WAL reader needs (SQLite says "disk I/O
            # error"); a command that only reads then reads the file as it is, as in a read-only folder.
            if not read_only or not self.path.exists() or str(self.path) == ":memory:":
                raise
            return self._open_read_only()

    def _open_for_writing(self, create: bool, read_only: bool) -> sqlite3.Connection:
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
            if not _writable(self.path):
                if read_only and self.path.exists():
                    return self._open_read_only()
                raise StoreError(_read_only_message(self.path))
            # mode=rw never creates the file, so a mistyped --db does not leave an empty database.
            mode = "rwc" if create else "rw"
            target = f"file:{quote(str(self.path.absolute()))}?mode={mode}"
        try:
            conn = sqlite3.connect(
                target, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
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
        except sqlite3.Error as exc:  # locked, "file is not a database", corruption, disk full
            conn.close()
            raise self._sqlite_error(exc) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """The database of a read-only command, when its file or folder cannot be written.

        SQLite reads a WAL database read-only only if it can create the ``-shm`` file beside it or
        finds one there. In a read-only folder (or on a full disk) it can do neither, and the database is opened as
        immutable instead: right when no ``-wal`` file holds writes that are not in the main file
        yet (a closed database has none), and refused when one does, as reading the main file alone
        would then miss them."""
        uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
        try:
            return self._connect_read_only(uri)
        except sqlite3.OperationalError as exc:
            if not getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
                raise self._sqlite_error(exc) from exc
            wal = Path(f"{self.path}-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreError(
                    f"cannot read database {self.path}: its folder cannot be written (read-only or a "
                    f"full disk) and {wal} holds "
                    "writes not yet merged into it; open it once where the folder can be written, "
                    "or copy both files to a folder that can"
                ) from exc
            try:
                return self._connect_read_only(uri + "&immutable=1")
            except sqlite3.Error as again:
                raise self._sqlite_error(again) from again
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc

    def _connect_read_only(self, uri: str) -> sqlite3.Connection:
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA query_only = ON")
            version = schema_version(conn)  # the first read: where SQLite finds it cannot open
            if version == 0:
                raise StoreError(f"{self.path} holds no annotator database")
            if version < LATEST:
                raise StoreError(
                    f"database {self.path} was written by an older annotator and its schema needs "
                    "an upgrade, which cannot be written there (read-only); make it writable once"
                )
            migrate(conn, where=str(self.path))  # refuses a newer schema; writes nothing here
        except BaseException:
            conn.close()
            raise
        return conn

    def _parameters(self, conn: Any) -> int:
        # 32,766 unless SQLite was built (or the connection set) otherwise; 999 before 3.32.
        return int(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))

    def _blobs_in(self, blobs: Sequence[bytes]) -> Sequence[Any]:
        # As bytearrays: Python's sqlite3 binds int, float, str and bytearray as they are, but asks
        # every other value (bytes too) whether an adapter is registered for it, raising and
        # dropping an AttributeError each time: six a task imported, 2% of an import's machine
        # instructions, where a copy of the bytes takes a tenth of that.
        return list(map(bytearray, blobs))

    @property
    def _default_sync(self) -> str:
        return "FULL" if self._durable_edits else "NORMAL"

    def _sqlite_error(self, exc: sqlite3.Error) -> StoreError:
        """A storage fault as one line for the user: what happened to which file, and what to do.
        Said by SQLite's error code (``SQLITE_FULL``, ``SQLITE_READONLY_*``, ...), not its wording."""
        text = str(exc)
        code = getattr(exc, "sqlite_errorname", "") or ""
        where = self.path
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
            return StoreError(f"database {where} is locked by another process (waited {BUSY_TIMEOUT_S:g} s)")
        if (
            code == "SQLITE_FULL"
            or "disk is full" in text
            or (code.startswith("SQLITE_IOERR") and _disk_full(where))
        ):
            return StoreError(
                f"the disk is full (database {where}): nothing more was written, what was saved "
                "before is kept; free space on that disk and run the command again"
            )
        if code.startswith("SQLITE_READONLY") or "readonly" in text:
            return StoreError(_read_only_message(where))
        if code == "SQLITE_NOTADB":
            return StoreError(f"{where} is not an annotator database ({text}); check the --db path")
        if code.startswith("SQLITE_CORRUPT") or "malformed" in text:
            return StoreError(
                f"database {where} is damaged ({text}); restore it from a backup, or recover what "
                f"it holds with: sqlite3 {where} .recover | sqlite3 recovered.db"
            )
        if code.startswith("SQLITE_IOERR"):
            return StoreError(
                f"the disk failed to read or write database {where} ({text}); check the disk and "
                "that the file is still there, then run the command again"
            )
        if code.startswith("SQLITE_CANTOPEN"):
            return StoreError(
                f"cannot open database {where} ({text}): check that it and its folder exist and can be read"
            )
        return StoreError(f"database {where}: {text}")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    @property
    def location(self) -> str:
        return str(self.path)

    def _is_missing_task(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "FOREIGN KEY" in str(exc)

    @contextmanager
    def _write(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on leaving the block. ``durable`` fsyncs the commit.
        Inside ``batch``, part of the batch's transaction, which commits (or rolls back) it."""
        with self._lock:
            conn = self._conn
            if self._in_batch:
                yield conn
                return
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
                except sqlite3.Error as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise self._sqlite_error(exc) from exc
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                if switch:
                    conn.execute(f"PRAGMA synchronous = {self._default_sync}")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several reads from one snapshot of the database (inside ``batch``, its transaction's)."""
        with self._lock:
            conn = self._conn
            if self._in_batch:
                yield conn
                return
            try:
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._sqlite_error(exc) from exc

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._sqlite_error(exc) from exc


def _disk_full(path: Path) -> bool:
    """Whether the disk holding ``path`` has no room left: SQLite reports a full disk met while
    creating or growing the ``-shm`` file as a plain I/O error."""
    try:
        room = os.statvfs(path.absolute().parent)
    except OSError:
        return False
    return room.f_bavail * room.f_frsize < 64 * 1024


def _writable(path: Path) -> bool:
    """Whether SQLite can write the database: the file (if it exists) and its folder, where the
    ``-wal`` and ``-shm`` files go. A read-only mount or an immutable file says no even to root."""
    folder = path.absolute().parent
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _read_only_message(path: Path) -> str:
    folder = path.absolute().parent
    if not path.exists() or os.access(path, os.W_OK):
        what = f"its folder {folder} is read-only"
    elif os.access(folder, os.W_OK):
        what = "the file is read-only"
    else:
        what = f"the file and its folder {folder} are read-only"
    return (
        f"database {path} cannot be written: {what}; make it writable, or give --db a copy in a "
        "folder you can write (stats, export and agreement read it as it is)"
    )


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
