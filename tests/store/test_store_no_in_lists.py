"""Migration 13: the statements every write runs build no temporary b-tree in SQLite (a CHECK or a
partial index's condition written ``x IN (a, b, c, ...)`` built one each time a statement ran, a
row of an executemany, three a task imported), while the database still refuses what the CHECKs
refused, the query of the edit log's rows of work still uses their index, and a database made
before the migration gets it with its rows as they were, on both backends."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from annotator.core.edits import Edit
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.store import Store
from annotator.store.base import Saved
from annotator.store.migrations import LATEST
from annotator.store.sql import (
    _INSERT_LOG,
    _INSERT_LOG_WITH_ID,
    _INSERT_TASK,
    _UPSERT_DECISION,
    _UPSERT_DRAFT,
)
from tests.pg_server import raw_sql
from tests.schema_support import downgrade
from tests.strategies import tokenize

WRITES = {
    "task": _INSERT_TASK,
    "log row": _INSERT_LOG,
    "import's log row": _INSERT_LOG_WITH_ID,
    "decision": _UPSERT_DECISION,
    "draft": _UPSERT_DRAFT,
}
ACTIVITY = """SELECT e.annotator, e.created, e.task_id, e.event FROM edit_log e
               CROSS JOIN tasks t
               WHERE t.id = e.task_id AND e.event <> 'import' AND t.dataset_id = ?"""


def work(store: Store) -> int:
    """A task imported for alice, then edited and accepted by bob: log rows of both kinds."""
    text = "Alice met Bob in Paris ."
    task = Task(text, tokenize(text), input_hash(text))
    [task_id] = store.add_tasks("d", [(task, Annotation())])
    store.save_annotations([Saved(task_id, "alice", Annotation(answer="accept"), "import")])
    span = Span(0, 5, 0, 0, "PERSON", sid=1)
    store.record_edit(task_id, "bob", "s", "do", Edit("add", added_spans=(span,)), Annotation((span,)))
    store.record_answer(task_id, "bob", "s", Annotation((span,), answer="accept"))
    return task_id


def temporary_tables(path: Path, sql: str) -> int:
    """How many temporary b-trees a run of ``sql`` builds, beyond the one that holds the rows of
    its RETURNING clause, if it has one."""
    raw = sqlite3.connect(path)
    try:
        raw.execute("PRAGMA foreign_keys = ON")  # as the store runs them
        codes = [row[1] for row in raw.execute("EXPLAIN " + sql, (None,) * sql.count("?"))]
    finally:
        raw.close()
    return codes.count("OpenEphemeral") - sql.count("RETURNING")


def definitions(raw: sqlite3.Connection, *names: str) -> list[str]:
    """The SQL that defines each named table or index, as the schema stores it."""
    marks = ", ".join("?" * len(names))
    rows = raw.execute(f"SELECT sql FROM sqlite_schema WHERE name IN ({marks})", names).fetchall()
    assert len(rows) == len(names)
    return [str(sql) for (sql,) in rows]


def test_the_writes_build_no_temporary_table_and_the_checks_still_refuse(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        task_id = work(store)
    for what, sql in WRITES.items():
        assert temporary_tables(path, sql) == 0, what
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            raw.execute(
                "INSERT INTO edit_log (task_id, annotator, session, event, created) VALUES (?, 'x', 's', 'edit', 0)",
                (task_id,),
            )
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            raw.execute("UPDATE annotations SET answer = 'maybe' WHERE annotator = 'bob'")
        raw.execute("UPDATE annotations SET answer = NULL WHERE annotator = 'bob'")  # a draft
        plan = " ".join(str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + ACTIVITY, (1,)))
    finally:
        raw.close()
    assert "edit_log_work" in plan


def test_a_database_made_before_gets_the_conditions_without_in_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        work(store)
        activity = store.activity("d")
        counts = store.answer_counts("d", "bob")
    raw = sqlite3.connect(path, isolation_level=None)
    downgrade(raw, 12)
    before = definitions(raw, "edit_log", "annotations", "edit_log_work")
    rows = [raw.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("edit_log", "annotations")]
    raw.close()
    assert all("IN (" in sql for sql in before)  # as migrations 1 and 11 made them
    assert temporary_tables(path, _INSERT_LOG_WITH_ID) == 2
    with Store(path) as store:
        assert store.activity("d") == activity
        assert store.answer_counts("d", "bob") == counts
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST
        after = definitions(raw, "edit_log", "annotations", "edit_log_work")
        assert not any("IN (" in sql for sql in after)
        assert [
            raw.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("edit_log", "annotations")
        ] == rows
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        raw.close()
    for what, sql in WRITES.items():
        assert temporary_tables(path, sql) == 0, what


def test_postgresql_indexes_the_rows_of_work_as_the_query_names_them(pg_url: str) -> None:
    with Store(pg_url) as store:
        work(store)
        activity = store.activity("d")
    # As a database of version 12 has it, then opened again.
    raw_sql(pg_url, "DROP INDEX edit_log_work")
    raw_sql(
        pg_url,
        "CREATE INDEX edit_log_work ON edit_log(task_id) WHERE event IN ('do', 'undo', 'redo', 'answer')",
    )
    raw_sql(pg_url, "UPDATE annotator_schema SET version = 12")
    with Store(pg_url) as store:
        assert store.activity("d") == activity
    [(definition,)] = raw_sql(pg_url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'edit_log_work'")
    assert definition.endswith("WHERE (event <> 'import'::text)")
    assert raw_sql(pg_url, "SELECT version FROM annotator_schema") == [(LATEST,)]


def test_an_sqlite_that_refuses_its_schema_written_keeps_the_old_checks_and_opens(tmp_path: Path) -> None:
    """A build in defensive mode refuses writable_schema's UPDATE; an authorizer refuses it the same
    way. The migration then leaves both CHECKs as they were (they refuse the same values) and the
    database still opens at the latest version with its rows."""
    path = tmp_path / "a.db"
    with Store(path) as store:
        work(store)
        counts = store.answer_counts("d", "bob")
    raw = sqlite3.connect(path, isolation_level=None)
    downgrade(raw, 12)
    raw.close()

    writable = [False]  # as defensive mode: the schema's own DDL runs, a hand-written UPDATE does not

    def refuse_schema(action: int, name: str | None, value: str | None, *_: str | None) -> int:
        if action == sqlite3.SQLITE_PRAGMA and name == "writable_schema" and value is not None:
            writable[0] = value.upper() == "ON"
        schema = name in ("sqlite_master", "sqlite_schema")
        refused = action == sqlite3.SQLITE_UPDATE and schema and writable[0]
        return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

    connect = sqlite3.connect

    def refusing(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = connect(*args, **kwargs)
        conn.set_authorizer(refuse_schema)
        return conn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite3, "connect", refusing)
        with Store(path) as store:
            assert store.answer_counts("d", "bob") == counts
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST
        tables = definitions(raw, "edit_log", "annotations")
        assert all("IN (" in sql for sql in tables)
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            raw.execute("UPDATE annotations SET answer = 'maybe' WHERE annotator = 'bob'")
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        raw.close()
