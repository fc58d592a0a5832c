"""`annotator stats` through the real Typer app, on an SQLite file and on a PostgreSQL URL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.store import Store
from tests.pg_server import raw_sql
from tests.strategies import tokenize

runner = CliRunner()


def make_task(text: str) -> Task:
    return Task(text, tokenize(text), input_hash(text))


def span(task: Task, first: int, last: int, label: str, sid: int) -> Span:
    return Span(task.tokens[first].start, task.tokens[last].end, first, last, label, None, sid)


@pytest.fixture
def db(db_target: str) -> str:
    path = db_target
    tasks = [make_task(f"Alice Smith met Bob in Paris on day {i} .") for i in range(5)]
    with Store(path) as store:
        ids = store.add_tasks("news", [(t, Annotation()) for t in tasks])
        store.add_tasks("backlog", [(make_task("Not yet ."), Annotation())])
        both = Annotation(spans=(span(tasks[0], 0, 1, "PERSON", 1), span(tasks[0], 5, 5, "GPE", 2)))
        store.record_answer(ids[0], "alice", "s", replace(both, answer="accept"))
        store.record_answer(ids[1], "alice", "s", replace(both, answer="accept"))
        store.record_answer(ids[2], "alice", "s", replace(both, answer="reject"))
        store.record_answer(ids[3], "alice", "s", Annotation(answer="ignore"))
        store.record_edit(ids[4], "alice", "s", "undo", None, both)
        store.record_answer(ids[0], "bob", "s", Annotation(spans=both.spans[:1], answer="accept"))
    return path


def rows(output: str) -> dict[tuple[str, str], list[str]]:
    lines = output.strip().splitlines()
    assert lines[0].split()[:7] == [
        "dataset",
        "annotator",
        "tasks",
        "accepted",
        "rejected",
        "ignored",
        "drafted",
    ]
    out = {}
    for line in lines[1:]:
        cells = line.split(maxsplit=7)
        out[(cells[0], cells[1])] = cells[2:]
    return out


def test_stats_table(db: str) -> None:
    result = runner.invoke(app, ["stats", "--db", str(db)])
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert table == {
        ("backlog", "-"): ["1", "0", "0", "0", "0", "-"],
        ("news", "alice"): ["5", "2", "1", "1", "1", "GPE 2, PERSON 2"],
        ("news", "bob"): ["5", "1", "0", "0", "0", "PERSON 1"],
    }
    # Columns line up: every number ends where its header ends.
    lines = result.stdout.splitlines()
    end = lines[0].index("accepted") + len("accepted")
    assert all(line[end - 1].isdigit() for line in lines[1:])


def test_stats_of_one_dataset_and_from_the_environment(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOTATOR_DB", str(db))
    result = runner.invoke(app, ["stats", "--dataset", "news"])
    assert result.exit_code == 0, result.output
    assert set(rows(result.stdout)) == {("news", "alice"), ("news", "bob")}
    result = runner.invoke(app, ["stats", "-d", "backlog"])
    assert rows(result.stdout) == {("backlog", "-"): ["1", "0", "0", "0", "0", "-"]}


def test_missing_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = runner.invoke(app, ["stats", "--db", str(missing)])
    assert result.exit_code == 1
    assert "no database at" in result.stderr and str(missing) in result.stderr
    assert "Traceback" not in result.output
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


def test_unknown_dataset_lists_the_known_ones(db: str) -> None:
    result = runner.invoke(app, ["stats", "--db", str(db), "--dataset", "nwes"])
    assert result.exit_code == 1
    assert "no dataset 'nwes'" in result.stderr
    assert "backlog, news" in result.stderr


def test_not_a_database_is_an_error(tmp_path: Path) -> None:
    bogus = tmp_path / "corpus.txt"
    bogus.write_text("SEOUL — Defense ministers met on Saturday.\n" * 40)
    result = runner.invoke(app, ["stats", "--db", str(bogus)])
    assert result.exit_code == 1
    assert "corpus.txt" in result.stderr and "not a database" in result.stderr
    assert "Traceback" not in result.output


def test_empty_database(db_target: str) -> None:
    Store(db_target).close()
    result = runner.invoke(app, ["stats", "--db", db_target])
    assert result.exit_code == 0
    assert "no datasets yet" in result.stdout


def test_a_postgresql_database_without_annotator_tables_is_not_changed(pg_url: str) -> None:
    result = runner.invoke(app, ["stats", "--db", pg_url])
    assert result.exit_code == 1
    assert "no annotator tables" in result.stderr and "Traceback" not in result.output
    assert raw_sql(pg_url, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
