"""Numbered schema migrations: from an empty file, step by step, idempotent, atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.store import Store, StoreError
from annotator.store.migrations import LATEST, MIGRATIONS, migrate, schema_version
from tests.strategies import tokenize

TABLES = {"datasets", "tasks", "edit_log", "annotations"}


def tables(path: Path) -> set[str]:
    raw = sqlite3.connect(path)
    try:
        return {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        raw.close()


def raw_connection(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_an_empty_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()  # zero bytes, as `touch annotator.db` leaves it
    with Store(path):
        pass
    raw = raw_connection(path)
    assert schema_version(raw) == LATEST == len(MIGRATIONS)
    raw.close()
    assert tables(path) >= TABLES


def test_reopening_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    text = "Alice met Bob ."
    task = Task(text, tokenize(text), input_hash(text))
    with Store(path) as store:
        [task_id] = store.add_tasks("d", [(task, Annotation())])
        store.record_answer(task_id, "alice", "s", Annotation(answer="accept"))
    raw = raw_connection(path)
    schema_before = raw.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    raw.close()
    for _ in range(3):
        with Store(path) as store:
            assert store.task(task_id) == task
            assert store.answer_counts("d", "alice")["accept"] == 1
    raw = raw_connection(path)
    assert schema_version(raw) == LATEST
    assert raw.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema_before
    raw.close()


def test_migrations_run_in_order_and_only_once(tmp_path: Path) -> None:
    steps = (
        ("CREATE TABLE one (x)", "INSERT INTO one VALUES (1)"),
        ("CREATE TABLE two (y)",),
        ("ALTER TABLE one ADD COLUMN z", "UPDATE one SET z = 3"),
    )
    raw = raw_connection(tmp_path / "steps.db")
    assert migrate(raw, steps[:1]) == 1
    assert migrate(raw, steps[:1]) == 1  # CREATE TABLE again would fail: it did not run
    assert migrate(raw, steps) == 3
    assert migrate(raw, steps) == 3
    assert schema_version(raw) == 3
    assert raw.execute("SELECT x, z FROM one").fetchall() == [(1, 3)]
    assert raw.execute("SELECT COUNT(*) FROM two").fetchone()[0] == 0
    raw.close()


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    good = ("CREATE TABLE one (x)",)
    bad = ("CREATE TABLE two (y)", "INSERT INTO two VALUES (1)", "INSERT INTO nowhere VALUES (1)")
    raw = raw_connection(tmp_path / "atomic.db")
    migrate(raw, (good,))
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        migrate(raw, (good, bad))
    assert schema_version(raw) == 1
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    assert names == {"one"}
    assert not raw.in_transaction
    raw.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with Store(path):
        pass
    raw = raw_connection(path)
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer than this annotator"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"text": "not a database"}\n' * 50)
    with pytest.raises(StoreError, match=r"tasks\.jsonl.*not a database"):
        Store(path)
    assert path.read_text().startswith('{"text"')  # left as it was
