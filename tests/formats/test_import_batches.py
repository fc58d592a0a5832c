"""An import stopped midway leaves the dataset as it was or with whole batches: each task stored
with its annotation, its edit-log row and the counts the store keeps with them (a batch is one
transaction), on both backends; and an import killed with SIGKILL, run again, completes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from annotator.store import Store, kept
from annotator.transfer import importing
from annotator.transfer.importing import import_file
from tests.formats.test_import_scale import write_file
from tests.pg_server import raw_sql

ROOT = Path(__file__).resolve().parents[2]


def import_command(source: Path, db: Path) -> tuple[list[str], dict[str, str]]:
    """``annotator import`` of ``source`` into ``db`` (dataset d, annotator alice) as a command of
    its own, and its environment: this checkout's package first on its path."""
    command = [
        sys.executable,
        "-m",
        "annotator",
        "import",
        str(source),
        "-d",
        "d",
        "-a",
        "alice",
        "--db",
        str(db),
    ]
    return command, {**os.environ, "PYTHONPATH": str(ROOT)}


def _rows(target: str) -> tuple[int, int, int, int]:
    """Tasks, annotations, import rows of the edit log, and spans the label tally counts."""
    (tasks,), (annotations,), (logged,), (spans,) = (
        raw_sql(target, q)[0]
        for q in (
            "SELECT COUNT(*) FROM tasks",
            "SELECT COUNT(*) FROM annotations",
            "SELECT COUNT(*) FROM edit_log WHERE event = 'import'",
            "SELECT COALESCE(SUM(n), 0) FROM label_tally WHERE kind = 'span'",
        )
    )
    return int(tasks), int(annotations), int(logged), int(spans)


def test_a_batch_that_fails_midway_leaves_nothing_of_itself(
    db_target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "a.jsonl", 2 * importing.BATCH + 200)  # one span a record
    real_write = kept.write  # what sql's writes import as write_kept, each time one runs
    calls: list[int] = []

    def failing(conn: Any, kept: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the second batch: its tasks, log rows and annotations are written
            raise OSError("the disk went away")
        real_write(conn, kept)

    monkeypatch.setattr(kept, "write", failing)
    with Store(db_target) as store, pytest.raises(OSError, match="went away"):
        import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
    assert _rows(db_target) == (importing.BATCH,) * 4  # the first batch whole, nothing of the second
    monkeypatch.setattr(kept, "write", real_write)
    with Store(db_target) as store:
        report = import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
        assert report.counts.tasks == 2 * importing.BATCH + 200
    whole = 2 * importing.BATCH + 200
    # The first batch's records logged twice (the log is append-only), each stored once.
    assert _rows(db_target) == (whole, whole, importing.BATCH + whole, whole)


def test_an_import_killed_midway_leaves_whole_batches_and_completes_when_run_again(tmp_path: Path) -> None:
    n = 30 * importing.BATCH
    source, db = tmp_path / "a.jsonl", tmp_path / "a.db"
    write_file(source, n)
    command, env = import_command(source, db)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while not stored and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            try:
                stored = _rows(str(db))[0]
            except sqlite3.OperationalError:  # not created yet, or its schema not yet written
                continue
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    tasks, annotations, logged, spans = _rows(str(db))
    assert tasks > 0 and tasks % importing.BATCH == 0  # whole batches, however far it got
    assert tasks == annotations == logged == spans
    assert raw_sql(str(db), "PRAGMA integrity_check") == [("ok",)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert _rows(str(db)) == (n, n, tasks + n, n)
