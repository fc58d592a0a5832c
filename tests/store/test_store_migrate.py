"""`annotator migrate`: a dataset, its tasks, annotations, scheme and whole edit log copied from an
SQLite file into PostgreSQL (and back), verified by counts and digests, in one transaction."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import annotator.store.sql as sql_store
from annotator import routing
from annotator.cli import app
from annotator.core.doubts import Doubt, Doubts
from annotator.core.edits import delete_span, set_span
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession
from annotator.store import Store, TaskState
from annotator.store.dump import DatasetDump, fingerprint
from tests.pg_server import raw_sql
from tests.strategies import tokenize

runner = CliRunner()
SCHEME = LabelScheme(("PERSON", "ORG", "GPE"))
TEXTS = [f"Alice Smith met Bob Jones in Paris on day {i} ." for i in range(12)] + ["NUL \x00 and 🙂 ."]


def build(path: Path) -> None:
    """Two datasets as annotators leave them: decisions, drafts, undo and redo, imports, a scheme."""
    with Store(path) as store:
        tasks = [Task(t, tokenize(t), input_hash(t), {"n": i}) for i, t in enumerate(TEXTS)]
        store.add_tasks("news", [(t, Annotation()) for t in tasks])
        store.add_tasks("other", [(tasks[0], Annotation())])
        store.save_scheme("news", SCHEME)
        for who in ("alice", "bob"):
            session = AnnotationSession(store, "news", who, SCHEME)
            session.guard = True
            for k, task_id in enumerate(session.queue()[:9]):
                session.open(task_id)
                cur = session.current
                assert cur is not None
                session.apply(set_span(cur.task, cur.annotation, 0, 1, "PERSON"))
                session.apply(set_span(cur.task, cur.annotation, 7, 7, "GPE"))
                if k % 3 == 0:
                    session.undo()
                if k % 3 == 1:
                    session.undo()
                    session.redo()
                if k < 7:
                    session.decide(("accept", "reject", "ignore")[k % 3])
            cur = session.current
            assert cur is not None
            session.apply(delete_span(cur.annotation, cur.annotation.spans[0].sid))  # reopens a task
        store.save_annotation(
            store.task_ids("news")[-1], "imported", Annotation(answer="accept", session="s\x00")
        )
        news = store.task_ids("news")
        store.record_answer(
            news[2],
            "alice",
            "s",
            Annotation(answer="accept"),
            remember={("Alice", "Smith"): "PERSON", ("Paris",): None},
        )
        store.record_review("news", "carol", ["alice", "bob"])
        routing.assign(store, "news", ["alice", "bob", "carol"], 2)
        store.set_doubts(
            [(news[0], Doubts(2.5, (Doubt(0, 1, "PERSON", 0.3), Doubt(3, 3, "GPE", None, True)), "m"))]
        )


def states(store: Store, dataset: str) -> dict[tuple[str, str], tuple[object, ...]]:
    """Everything a user can see of a dataset, keyed by text (ids differ between databases)."""
    out: dict[tuple[str, str], tuple[object, ...]] = {}
    for task_id in store.task_ids(dataset):
        task = store.task(task_id)
        for who in [*store.annotators(dataset), "nobody"]:
            state: TaskState = store.state(task_id, who)
            h = state.history
            out[(task.text, who)] = (
                task,
                store.suggestion(task_id),
                state.stored,
                h.current,
                h.done,
                h.undone,
            )
    return out


def test_migrate_copies_everything_and_verifies_it(tmp_path: Path, pg_url: str) -> None:
    db = tmp_path / "annotator.db"
    build(db)
    result = runner.invoke(app, ["migrate", "--from", str(db), "--to", pg_url])
    assert result.exit_code == 0, result.output
    assert "copied 'news'" in result.stdout and "copied 'other'" in result.stdout
    assert "13 tasks" in result.stdout and "verified" in result.stdout
    with Store(db) as old, Store(pg_url) as new:
        assert new.datasets() == old.datasets() == ["news", "other"]
        for name in ("news", "other"):
            assert new.task_count(name) == old.task_count(name)
            assert new.log_counts(name) == old.log_counts(name)
            assert new.stats(name) == old.stats(name)
            assert states(new, name) == states(old, name)
            assert fingerprint(new.dump(name)).digests == fingerprint(old.dump(name)).digests
        assert new.scheme("news") == old.scheme("news")
        assert new.reviewers("news") == old.reviewers("news") and len(new.reviewers("news")) == 1
        assert new.routing("news").loads == old.routing("news").loads  # type: ignore[union-attr]
        assert new.shared_tasks("news") == old.shared_tasks("news") and old.shared_tasks("news")
        for who in ("alice", "bob", "carol"):
            texts = [new.task(t).text for t in new.queue("news", who)]
            assert texts == [old.task(t).text for t in old.queue("news", who)] and texts
            assert new.answer_counts("news", who) == old.answer_counts("news", who)
        assert (
            new.memory("news", "alice")
            == old.memory("news", "alice")
            == {
                ("Alice", "Smith"): "PERSON",
                ("Paris",): None,
            }
        )
        doubted = [(new.task(t).text, new.doubts(t)) for t in new.task_ids("news") if new.doubts(t)]
        assert doubted == [(old.task(t).text, old.doubts(t)) for t in old.task_ids("news") if old.doubts(t)]
        assert len(doubted) == 1
        # Work goes on in the copy: new ids come after the copied ones, undo history included.
        task_id = new.task_ids("news")[-2]
        session = AnnotationSession(new, "news", "alice", SCHEME)
        session.guard = True
        session.open(task_id)
        before = session.current.annotation  # type: ignore[union-attr]
        session.apply(set_span(session.current.task, before, 3, 4, "PERSON"))  # type: ignore[union-attr]
        assert (
            len(new.history(task_id, "alice").done)
            == len(old.history(old.task_ids("news")[-2], "alice").done) + 1
        )
        new.add_tasks("news", [(Task("A new one .", tokenize("A new one ."), 99), Annotation())])

    # Once there, a dataset is not copied again; a copy back into a new file is equal too.
    again = runner.invoke(app, ["migrate", "--from", str(db), "--to", pg_url, "--dataset", "news"])
    assert again.exit_code == 1 and "already has a dataset 'news'" in again.stderr
    back = tmp_path / "back.db"
    result = runner.invoke(app, ["migrate", "--from", pg_url, "--to", str(back), "-d", "other"])
    assert result.exit_code == 0, result.output
    with Store(db) as old, Store(back) as copy:
        assert copy.datasets() == ["other"]
        assert states(copy, "other") == states(old, "other")


def test_a_copy_that_differs_is_rolled_back(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "annotator.db"
    build(db)
    real = sql_store.SqlStore._insert_dump

    def lossy(
        self: sql_store.SqlStore, conn: sql_store.Connection, dataset_id: int, dump: DatasetDump
    ) -> None:
        real(self, conn, dataset_id, replace(dump, log=(row for i, row in enumerate(dump.log) if i != 5)))

    monkeypatch.setattr(sql_store.SqlStore, "_insert_dump", lossy)
    result = runner.invoke(app, ["migrate", "--from", str(db), "--to", pg_url, "-d", "news"])
    assert result.exit_code == 1
    assert "differs from its source" in result.stderr and "nothing was copied" in result.stderr
    assert "Traceback" not in result.output
    assert raw_sql(pg_url, "SELECT COUNT(*) FROM tasks") == [(0,)]
    assert raw_sql(pg_url, "SELECT COUNT(*) FROM datasets") == [(0,)]


def test_migrate_errors_are_one_line(tmp_path: Path, pg_url: str) -> None:
    missing = runner.invoke(app, ["migrate", "--from", str(tmp_path / "none.db"), "--to", pg_url])
    assert missing.exit_code == 1 and "no database at" in missing.stderr
    db = tmp_path / "a.db"
    build(db)
    unknown = runner.invoke(app, ["migrate", "--from", str(db), "--to", pg_url, "-d", "nwes"])
    assert unknown.exit_code == 1 and "no dataset 'nwes'" in unknown.stderr
    same = runner.invoke(app, ["migrate", "--from", str(db), "--to", str(db)])
    assert same.exit_code == 1 and "same database" in same.stderr
