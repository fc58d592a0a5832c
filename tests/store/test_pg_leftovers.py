"""The test server's own upkeep: a test run killed with SIGKILL leaves its PostgreSQL server running
and its data folder behind; the next server started sweeps them away, and leaves a running run's
server alone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_server import OWNER, PREFIX, _alive, _read_pid, sweep_orphans

ROOT = Path(__file__).resolve().parents[2]

# A test process that starts a server and is killed before it can stop it.
KILLED_RUN = """
import os, signal
from tests.pg_server import LocalPostgres
server = LocalPostgres()
print(server.folder, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def temp() -> Iterator[Path]:
    """A temporary folder the server's user (nobody, under root) can reach, as /tmp is."""
    folder = Path(tempfile.mkdtemp(prefix="sweep-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_killed_runs_server_is_stopped_and_its_folder_deleted(temp: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_RUN],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    folder = Path(proc.stdout.strip())
    assert folder.parent == temp and folder.name.startswith(PREFIX)
    server = _read_pid(folder / "data" / "postmaster.pid")
    assert server is not None and _alive(server), "the killed run's server should still be running"

    # A folder whose owner runs (this process) is another run's: left alone.
    mine = temp / (PREFIX + "running")
    mine.mkdir()
    (mine / OWNER).write_text(str(os.getpid()), encoding="ascii")
    # A folder being set up right now, its owner file not written yet: left alone too.
    (temp / (PREFIX + "starting")).mkdir()

    assert sweep_orphans(temp) == [folder]
    assert not folder.exists()
    deadline = time.monotonic() + 10
    while _alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(server)
    assert mine.exists() and (temp / (PREFIX + "starting")).exists()
