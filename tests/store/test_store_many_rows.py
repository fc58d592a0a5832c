"""A many-row write (the tasks of add_tasks, the log rows and current rows of save_annotations)
runs as INSERT statements of many rows each, a page of ROWS_A_STATEMENT rows at a time (fewer when
the database takes fewer parameters a statement): more rows than a page come back whole and in
order, on both backends, and a write that fails leaves none."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.core.model import Annotation, Span, Task
from annotator.store import Store, UnknownTask
from annotator.store.base import Saved
from annotator.store.sql import ROWS_A_STATEMENT, _with_rows
from tests.pg_server import raw_sql
from tests.strategies import tokenize

ROWS = 2 * ROWS_A_STATEMENT + 3  # two whole pages and a part of a third


def task(i: int) -> Task:
    text = f"Alice met Bob {i} times ."
    return Task(text, tokenize(text), 7000 + i, {"i": i})


def test_more_rows_than_a_statement_takes_are_stored_whole_and_in_order(store: Store, db_target: str) -> None:
    stored_whole_and_in_order(store, db_target)


def test_a_database_that_takes_fewer_parameters_gets_fewer_rows_a_statement(tmp_path: Path) -> None:
    # SQLite before 3.32 took 999 parameters a statement (and a build may set another limit): each
    # of the writes' statements then holds 111 to 142 rows.
    path = tmp_path / "a.db"
    with Store(path) as store:
        store._conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # type: ignore[attr-defined]
        stored_whole_and_in_order(store, str(path))


def stored_whole_and_in_order(store: Store, db_target: str) -> None:
    tasks = [task(i) for i in range(ROWS)]
    ids = store.add_tasks("d", [(t, Annotation()) for t in tasks])
    assert ids == sorted(ids) and len(set(ids)) == ROWS
    assert store.tasks(ids) == dict(zip(ids, tasks, strict=True))
    rows = [
        Saved(
            task_id,
            "alice",
            Annotation(
                (Span(0, 5, 0, 0, "PERSON", None, 1),) if i % 2 else (),
                answer="accept" if i % 3 else "reject",
            ),
            f"file {i}",
        )
        for i, task_id in enumerate(ids)
    ]
    store.save_annotations(list(reversed(rows)))  # stored in (task, annotator) order whatever the order given
    for i, task_id in enumerate(ids):
        got = store.annotation(task_id, "alice")
        assert got is not None
        assert (got.spans, got.answer, got.session) == (
            rows[i].annotation.spans,
            rows[i].annotation.answer,
            f"file {i}",
        )
    log = raw_sql(db_target, "SELECT task_id, event FROM edit_log ORDER BY id")
    assert log == [(task_id, "import") for task_id in ids]
    counts = store.answer_counts("d", "alice")
    assert (counts["accept"], counts["reject"]) == (
        sum(1 for i in range(ROWS) if i % 3),
        sum(1 for i in range(ROWS) if not i % 3),
    )
    # A write whose last row names no task stores none of its rows.
    again = [Saved(r.task_id, "bob", r.annotation, "again") for r in rows] + [
        Saved(10**9, "bob", Annotation(answer="accept"))
    ]
    with pytest.raises(UnknownTask):
        store.save_annotations(again)
    assert all(store.annotation(task_id, "bob") is None for task_id in ids)
    assert store.log_counts("d") == {"import": ROWS}


def test_only_an_insert_of_one_row_of_values_is_made_many() -> None:
    assert _with_rows("INSERT INTO t (a, b) VALUES (?, NULL) ON CONFLICT DO NOTHING", 3) == (
        "INSERT INTO t (a, b) VALUES (?, NULL), (?, NULL), (?, NULL) ON CONFLICT DO NOTHING"
    )
    with pytest.raises(ValueError, match="not an INSERT"):
        _with_rows("UPDATE t SET a = ?", 2)
