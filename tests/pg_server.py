"""A real PostgreSQL server for the tests and benchmarks, started from nothing: no service, no
password, no set-up on the machine.

The binaries come from the ``pgserver`` package (PyPI, in the test extras: it ships PostgreSQL 16),
else from a PostgreSQL installed on the machine (``initdb`` on PATH, /usr/local/bin or
/usr/lib/postgresql/*/bin). The server gets a new data folder under the system's temporary folder,
listens on 127.0.0.1 on a free port (and a socket in its folder), trusts local connections, and is
stopped and deleted by ``stop()``. PostgreSQL refuses to run as root, so as root it runs as
``nobody``. A test run killed with SIGKILL cannot stop its server (it runs in a session of its own,
so that a Ctrl-C reaches pytest first): the next server started sweeps such leftovers away
(``sweep_orphans``: a folder whose owning process is gone has its server stopped and is deleted).

The fixtures: ``postgres`` (one server per test process, started on first use), ``pg_url`` (a new,
empty database on it for one test, dropped afterwards), ``db_target`` (parametrised: an SQLite file,
then a PostgreSQL database, so a store test runs against both backends).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from annotator.store import Store

START_TIMEOUT_S = 60.0
SETTINGS = {
    "shared_buffers": "32MB",  # several servers may run at once on a small machine
    "max_connections": "120",  # the load test's 20 annotators and more
    "fsync": "on",  # commits are as durable as a real server's (the latency figures depend on it)
}


PREFIX = "annotator-pg-"
OWNER = "owner.pid"  # the pid of the process that started the server, in its folder
# A folder without its owner file yet may be a server being set up by another process right now.
UNOWNED_GRACE_S = 600.0


# C locale: names sort by code point, as in SQLite; no fsync of the new data folder (it is thrown
# away; the server itself fsyncs its commits).
INITDB = ("--no-locale", "--no-sync")


class NoPostgres(RuntimeError):
    pass


def binaries(user: str | None = None) -> Path:
    """The folder holding ``initdb`` and ``postgres`` that ``user`` (None: this process) can run.
    The pgserver binaries live in the virtual environment, which a user other than root may not
    reach (a clone in /root): then the machine's own PostgreSQL is the fallback."""
    candidates: list[Path] = []
    with contextlib.suppress(ImportError):
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates.append(Path("/usr/local/bin"))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    tried = []
    for folder in candidates:
        if not ((folder / "initdb").exists() and (folder / "postgres").exists()):
            continue
        tried.append(str(folder))
        run_as = {"user": user, "group": "nogroup"} if user else {}
        try:
            subprocess.run(
                [str(folder / "initdb"), "--version"], check=True, capture_output=True, timeout=30, **run_as
            )  # type: ignore[call-overload]
        except (OSError, subprocess.SubprocessError):
            continue
        return folder
    raise NoPostgres(
        "the PostgreSQL tests start a server of their own and found none"
        + (f" that {user} can run (tried {', '.join(tried)})" if tried else "")
        + ': pip install -e ".[test]" (it brings pgserver, which ships PostgreSQL), '
        "or install PostgreSQL (apt-get install postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPostgres:
    """One throw-away server; ``url(db)`` names a database on it."""

    def __init__(self) -> None:
        self.user = "nobody" if os.geteuid() == 0 else None
        self.bin = binaries(self.user)
        sweep_orphans(Path(tempfile.gettempdir()))
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.folder / OWNER).write_text(str(os.getpid()), encoding="ascii")
        self.data = self.folder / "data"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _run_as(self) -> dict[str, Any]:
        return {"user": self.user, "group": "nogroup"} if self.user else {}

    def _start(self) -> None:
        if self.user:
            shutil.chown(self.folder, self.user, "nogroup")
        subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                *INITDB,
            ],
            check=True,
            capture_output=True,
            cwd=self.folder,
            **self._run_as(),
        )
        for attempt in range(5):
            self.port = _free_port()
            options = ["-k", str(self.folder)]  # the socket, beside the data
            options += [arg for key, value in SETTINGS.items() for arg in ("-c", f"{key}={value}")]
            log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (the server writes it)
            self.proc = subprocess.Popen(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    *options,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which stops it
                **self._run_as(),
            )
            log.close()
            if self._wait_ready():
                return
            self.proc.wait(timeout=10)
            self.proc = None
            if attempt == 4:
                raise NoPostgres(f"PostgreSQL did not start; its log: {self.folder / 'server.log'}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # the port was taken, or the server failed: see the log
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return True
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.proc.terminate()
        return False

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: ends the sessions, then exits
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether the process runs: a zombie (ended, not yet reaped by a parent that may never reap
    it) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: assume it runs, and leave its folder alone
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _read_pid(path: Path) -> int | None:
    """The number on the first line of a pid file, None when it is missing or not a number."""
    try:
        first = path.read_text(encoding="ascii", errors="replace").split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None


def sweep_orphans(temp: Path) -> list[Path]:
    """Stop the servers and delete the folders that killed test runs left in ``temp``: those whose
    owner process is gone (or, without an owner file, older than UNOWNED_GRACE_S). The folders
    removed."""
    removed = []
    for folder in temp.glob(PREFIX + "*"):
        owner = _read_pid(folder / OWNER)
        try:
            age = time.time() - folder.stat().st_mtime
        except OSError:
            continue
        if owner is not None and _alive(owner):
            continue
        if owner is None and age < UNOWNED_GRACE_S:
            continue
        server = _read_pid(folder / "data" / "postmaster.pid")
        if server is not None and _alive(server):
            with contextlib.suppress(OSError):
                os.kill(server, signal.SIGQUIT)  # immediate shutdown: the data is thrown away
            deadline = time.monotonic() + 10
            while _alive(server) and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: LocalPostgres) -> Iterator[str]:
    name = postgres.create_database()
    try:
        yield postgres.url(name)
    finally:
        postgres.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store test keeps its data: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "a.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    """A store on ``db_target`` (both backends), closed after the test."""
    s = Store(db_target)
    yield s
    s.close()


def raw_sql(target: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement on a store's database with the driver itself, outside the store (to look
    at tables, or to try what the store must refuse); the driver's error propagates."""
    if target.startswith(("postgresql://", "postgres://")):
        with psycopg.connect(target, autocommit=True) as conn:
            cur = conn.execute(sql.encode())
            return list(cur.fetchall()) if cur.description else []
    raw = sqlite3.connect(target, isolation_level=None)
    try:
        return list(raw.execute(sql).fetchall())
    finally:
        raw.close()
