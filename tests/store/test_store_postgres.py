"""What only the PostgreSQL backend has: its schema version table and migrations under a lock,
connection errors, a dropped connection, and names as PostgreSQL keeps them. Everything else runs
on both backends in the other store tests."""

from __future__ import annotations

import psycopg
import pytest

import annotator.store.postgres as pg_store
from annotator.core.model import Annotation, Task
from annotator.store import Store, StoreError, mask_url
from annotator.store.migrations import LATEST
from tests.pg_server import LocalPostgres, raw_sql
from tests.strategies import tokenize

TABLES = {"annotator_schema", "datasets", "tasks", "edit_log", "annotations", "schemes"}


def tables(url: str) -> set[str]:
    return {r[0] for r in raw_sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_an_empty_database_is_migrated_once_and_reopening_changes_nothing(pg_url: str) -> None:
    assert tables(pg_url) == set()
    with Store(pg_url):
        pass
    assert tables(pg_url) >= TABLES
    assert raw_sql(pg_url, "SELECT version FROM annotator_schema") == [(LATEST,)]
    columns = raw_sql(pg_url, "SELECT table_name, column_name FROM information_schema.columns ORDER BY 1, 2")
    for _ in range(2):
        with Store(pg_url) as store:
            store.add_tasks("d", [])
    assert raw_sql(pg_url, "SELECT version FROM annotator_schema") == [(LATEST,)]
    assert (
        raw_sql(pg_url, "SELECT table_name, column_name FROM information_schema.columns ORDER BY 1, 2")
        == columns
    )


def test_create_false_refuses_a_database_without_annotator_tables(pg_url: str) -> None:
    with pytest.raises(StoreError, match="no annotator tables"):
        Store(pg_url, create=False)
    assert tables(pg_url) == set()  # nothing was created


def test_a_newer_database_is_refused(pg_url: str) -> None:
    Store(pg_url).close()
    raw_sql(pg_url, f"UPDATE annotator_schema SET version = {LATEST + 1}")
    with pytest.raises(StoreError, match="newer than this annotator"):
        Store(pg_url)


def test_a_failing_migration_changes_nothing(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    good = ("CREATE TABLE one (x INTEGER)",)
    bad = ("CREATE TABLE two (y INTEGER)", "INSERT INTO nowhere VALUES (1)")
    monkeypatch.setattr(pg_store, "render", lambda dialect: (good, bad))
    monkeypatch.setattr(pg_store, "LATEST", 2)
    with pytest.raises(StoreError, match="nowhere"):
        Store(pg_url)
    assert tables(pg_url) == set()  # not even the version table: DDL is transactional here


def test_connection_errors_are_one_line_without_the_password(postgres: object) -> None:
    url = "postgresql://alice:s3cret@127.0.0.1:1/nothing"
    with pytest.raises(StoreError) as caught:
        Store(url)
    message = str(caught.value)
    assert "cannot connect to PostgreSQL at postgresql://alice:***@127.0.0.1:1/nothing" in message
    assert "s3cret" not in message and "\n" not in message
    assert "s3cret" not in mask_url("postgresql://bob@host/db?password=s3cret&sslmode=require")
    assert mask_url("postgresql://bob@host:5432/db") == "postgresql://bob@host:5432/db"


def test_a_missing_database_is_named(pg_url: str) -> None:
    missing = pg_url.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(StoreError, match='database "no_such_db" does not exist'):
        Store(missing)


def test_a_dropped_connection_fails_one_call_and_the_next_reconnects(pg_url: str) -> None:
    text = "Alice met Bob ."
    with Store(pg_url) as store:
        [task_id] = store.add_tasks("d", [(Task(text, tokenize(text), 1), Annotation())])
        store.record_edit(task_id, "alice", "s", "undo", None, Annotation())
        raw_sql(
            pg_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        with pytest.raises(StoreError, match="connection"):
            store.record_edit(task_id, "alice", "s", "redo", None, Annotation())
        store.record_answer(task_id, "alice", "s", Annotation(answer="accept"))  # reconnected
        assert store.log_counts("d") == {"undo": 1, "answer": 1}  # the failed edit left nothing


def test_text_with_nul_is_kept_and_names_sort_by_code_point(pg_url: str) -> None:
    text = "NUL\x00 inside , Ünïcode and emoji 🙂 ."
    with Store(pg_url) as store:
        [task_id] = store.add_tasks("d", [(Task(text, tokenize(text), 7), Annotation())])
        for who in ("b", "B", "ä", "a", "Z"):
            store.save_annotation(task_id, who, Annotation(answer="accept", session="s\x00"))
        assert store.task(task_id).text == text
        assert store.annotators("d") == sorted(["b", "B", "ä", "a", "Z"])  # as SQLite orders them
        stored = store.annotation(task_id, "a")
        assert stored is not None and stored.session == "s\x00"


def test_the_server_setting_for_commits_is_durable(pg_url: str) -> None:
    store = Store(pg_url)
    try:
        conn = store._conn.raw  # type: ignore[attr-defined]
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        assert isinstance(conn, psycopg.Connection)
    finally:
        store.close()


def test_a_socket_url_as_pgserver_prints_it_works(postgres: LocalPostgres, pg_url: str) -> None:
    database = pg_url.rsplit("/", 1)[1]
    url = f"postgresql://postgres:@/{database}?host={postgres.folder}&port={postgres.port}"
    with Store(url) as store:
        store.add_tasks("d", [])
        assert store.datasets() == ["d"]
        assert store.location.startswith(f"postgresql://postgres:***@/{database}?host=")
