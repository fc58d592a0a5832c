"""The store on a real SQLite file and a real PostgreSQL database (every test that is not about one
of them runs on both): tasks, suggestions, edits and answers come back as written."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings

from annotator.core.edits import delete_span, set_span
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.core.records import from_record, to_record
from annotator.store import Store, StoreError, UnknownTask, resolve_db
from annotator.store.serialize import tokens_to_blob
from tests.conftest import FIXTURES
from tests.pg_server import raw_sql
from tests.strategies import annotated_tasks, tokenize

EXAMPLES = itertools.count()


def make_task(text: str, **meta: object) -> Task:
    return Task(text, tokenize(text), input_hash(text, meta, tuple(meta)), dict(meta))


def span(task: Task, first: int, last: int, label: str, sid: int, source: str | None = None) -> Span:
    return Span(task.tokens[first].start, task.tokens[last].end, first, last, label, source, sid)


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    s = Store(db_target)
    yield s
    s.close()


def log_rows(store: Store, dataset: str = "d") -> int:
    return sum(store.log_counts(dataset).values())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pair=annotated_tasks())
def test_task_suggestion_and_annotation_round_trip(db_target: str, pair: tuple[Task, Annotation]) -> None:
    task, annotation = pair
    dataset = f"d{next(EXAMPLES)}"  # one database for every example: a dataset each
    with Store(db_target) as s:
        [task_id] = s.add_tasks(dataset, [(task, annotation)])
        s.save_annotation(task_id, "alice", annotation)
    with Store(db_target) as s:  # read back through a new connection: nothing cached
        assert s.task(task_id) == task
        assert s.suggestion(task_id) == annotation
        stored = s.annotation(task_id, "alice")
        assert stored is not None
        assert stored.spans == annotation.spans
        assert stored.relations == annotation.relations
        assert stored.answer == annotation.answer
        assert stored.annotator == "alice"
        assert stored.session == (annotation.session if annotation.session is not None else "import")
        if annotation.timestamp is not None:
            assert stored.timestamp == annotation.timestamp


def test_add_tasks_keeps_ids_and_does_not_duplicate(store: Store) -> None:
    a, b, c = make_task("Alice met Bob ."), make_task("Bob left ."), make_task("Carol stayed .")
    ids = store.add_tasks("news", [(a, Annotation()), (b, Annotation())])
    assert len(set(ids)) == 2
    again = store.add_tasks("news", [(c, Annotation()), (a, Annotation()), (a, Annotation())])
    assert again[1] == again[2] == ids[0]
    assert again[0] not in ids
    assert store.task_ids("news") == [ids[0], ids[1], again[0]]
    assert store.task_count("news") == 3
    # The same text in another dataset is another task.
    [other] = store.add_tasks("other", [(a, Annotation())])
    assert other not in ids
    assert store.datasets() == ["news", "other"]
    assert store.find_task("news", a.input_hash) == ids[0]
    assert store.find_task("news", 12345) is None
    assert store.find_task("nope", a.input_hash) is None
    assert store.task_ids("nope") == [] and store.task_count("nope") == 0


def test_existing_task_keeps_its_suggestion(store: Store) -> None:
    task = make_task("Alice met Bob .")
    first = Annotation(spans=(span(task, 0, 0, "PERSON", 1, "model-a"),))
    [task_id] = store.add_tasks("d", [(task, first)])
    store.add_tasks("d", [(task, Annotation(spans=(span(task, 2, 2, "ORG", 1, "model-b"),)))])
    assert store.suggestion(task_id) == first


def test_add_tasks_streams_in_batches_and_keeps_input_order(store: Store) -> None:
    def stream() -> object:
        for i in range(1234):
            yield make_task(f"Task number {i} ."), Annotation()

    ids = store.add_tasks("big", stream())  # type: ignore[arg-type]
    assert len(ids) == 1234 == len(set(ids))
    assert ids == sorted(ids)
    assert store.task_ids("big") == ids
    assert store.task(ids[1000]).text == "Task number 1000 ."


def test_add_tasks_with_nothing_creates_the_dataset(store: Store) -> None:
    assert store.add_tasks("empty", []) == []
    assert store.datasets() == ["empty"]


def test_set_suggestion_and_set_tokens(store: Store) -> None:
    task = make_task("New York is big .")
    [task_id] = store.add_tasks("d", [(task, Annotation())])
    later = Annotation(spans=(span(task, 0, 1, "GPE", 1, "en_core_web_sm"),))
    store.set_suggestion(task_id, later)
    assert store.suggestion(task_id) == later
    assert store.history(task_id, "alice").current == later

    # The model's tokens arrive later and join "New York" into one token.
    merged_tokens = (Token("New York", 0, 8, 0, True), *(t._replace(id=t.id - 1) for t in task.tokens[2:]))
    store.set_tokens(task_id, replace(task, tokens=merged_tokens))
    assert store.task(task_id).tokens == merged_tokens
    assert store.task(task_id).text == task.text
    with pytest.raises(ValueError, match="different text"):
        store.set_tokens(task_id, make_task("Old York is big ."))


def test_unknown_task_ids_are_clear_errors(store: Store) -> None:
    with pytest.raises(UnknownTask, match="no task 99"):
        store.task(99)
    with pytest.raises(UnknownTask):
        store.suggestion(99)
    with pytest.raises(UnknownTask):
        store.set_suggestion(99, Annotation())
    with pytest.raises(UnknownTask):
        store.record_edit(99, "alice", "s", "undo", None, Annotation())
    with pytest.raises(UnknownTask):
        store.record_answer(99, "alice", "s", Annotation(answer="accept"))
    with pytest.raises(UnknownTask):
        store.history(99, "alice")
    assert store.annotation(99, "alice") is None
    # Nothing of the failed writes was kept.
    store.add_tasks("d", [])
    assert log_rows(store) == 0


def test_edits_answers_and_the_log(db_target: str, store: Store) -> None:
    task = make_task("Alice met Bob in Paris .")
    [task_id] = store.add_tasks("d", [(task, Annotation())])
    assert store.annotation(task_id, "alice") is None

    current = Annotation()
    e1 = set_span(task, current, 0, 0, "PERSON")
    current = e1.apply(current)
    store.record_edit(task_id, "alice", "s1", "do", e1, current)
    draft = store.annotation(task_id, "alice")
    assert draft is not None and draft.answer is None
    assert draft.spans == current.spans and draft.annotator == "alice" and draft.session == "s1"
    assert store.answer_counts("d", "alice") == {"accept": 0, "reject": 0, "ignore": 0, "draft": 1}

    decided = store.record_answer(
        task_id, "alice", "s1", replace(current, answer="accept", annotator="x")
    ).annotation
    assert decided.answer == "accept" and decided.annotator == "alice" and decided.session == "s1"
    assert isinstance(decided.timestamp, int)
    assert store.annotation(task_id, "alice") == decided

    # An edit after the decision reopens the task: the row is a draft until decided again.
    e2 = delete_span(decided, decided.spans[0].sid)
    after = e2.apply(decided)
    store.record_edit(task_id, "alice", "s2", "do", e2, after)
    reopened = store.annotation(task_id, "alice")
    assert reopened is not None and reopened.answer is None and reopened.spans == ()
    assert store.answer_counts("d", "alice")["draft"] == 1

    log = raw_sql(db_target, "SELECT event, session, payload FROM edit_log ORDER BY id")
    # (PostgreSQL keeps session ids as UTF-8 bytes: its TEXT cannot hold NUL)
    sessions = [bytes(s).decode() if isinstance(s, bytes | memoryview) else s for _, s, _ in log]
    assert [e for e, _, _ in log] == ["do", "answer", "do"] and sessions == ["s1", "s1", "s2"]
    assert orjson.loads(log[0][2])["added_spans"][0][4] == "PERSON"
    assert orjson.loads(log[1][2])["answer"] == "accept"
    # Append-only: the database itself refuses to change or drop log rows.
    for change in (
        "UPDATE edit_log SET event = 'do'",
        "DELETE FROM edit_log",
        "DELETE FROM edit_log WHERE id = 1",
    ):
        with pytest.raises((sqlite3.IntegrityError, psycopg.Error), match="append-only"):
            raw_sql(db_target, change)
    if db_target.startswith("postgresql"):
        with pytest.raises(psycopg.Error, match="append-only"):
            raw_sql(db_target, "TRUNCATE edit_log CASCADE")
    assert len(raw_sql(db_target, "SELECT id FROM edit_log")) == 3


def test_bad_events_and_answers_are_refused(store: Store) -> None:
    [task_id] = store.add_tasks("d", [(make_task("Alice ."), Annotation())])
    with pytest.raises(ValueError, match="edit event"):
        store.record_edit(task_id, "alice", "s", "answer", None, Annotation())
    with pytest.raises(ValueError, match="needs its edit"):
        store.record_edit(task_id, "alice", "s", "do", None, Annotation())
    with pytest.raises(ValueError, match="answer must be"):
        store.record_answer(task_id, "alice", "s", Annotation())
    with pytest.raises(ValueError, match="answer must be"):
        store.save_annotation(task_id, "alice", Annotation(answer="maybe"))  # type: ignore[arg-type]
    assert store.annotation(task_id, "alice") is None


def test_next_unanswered_resumes_per_annotator(store: Store) -> None:
    ids = store.add_tasks("d", [(make_task(f"Text {i} ."), Annotation()) for i in range(5)])
    store.add_tasks("other", [(make_task("Elsewhere ."), Annotation())])
    assert store.next_unanswered("d", "alice") == ids[0]
    store.record_answer(ids[0], "alice", "s", Annotation(answer="accept"))
    store.record_answer(ids[1], "alice", "s", Annotation(answer="ignore"))
    store.record_edit(ids[2], "alice", "s", "undo", None, Annotation())  # a draft is not an answer
    store.record_answer(ids[3], "alice", "s", Annotation(answer="reject"))
    assert store.next_unanswered("d", "alice") == ids[2]
    assert store.next_unanswered("d", "alice", after=ids[2]) == ids[4]
    assert store.next_unanswered("d", "alice", after=ids[4]) is None
    assert store.next_unanswered("d", "bob") == ids[0]  # answers are per annotator
    assert store.next_unanswered("nope", "alice") is None
    store.record_answer(ids[2], "alice", "s", Annotation(answer="accept"))
    store.record_answer(ids[4], "alice", "s", Annotation(answer="accept"))
    assert store.next_unanswered("d", "alice") is None


def test_annotations_filters_and_order(store: Store) -> None:
    tasks = [make_task(f"Person {i} spoke .") for i in range(4)]
    ids = store.add_tasks("d", [(t, Annotation()) for t in tasks])
    person = [Annotation(spans=(span(t, 0, 1, "PERSON", 1),)) for t in tasks]
    store.record_answer(ids[0], "bob", "s", replace(person[0], answer="accept"))
    store.record_answer(ids[0], "alice", "s", replace(person[0], answer="accept"))
    store.record_answer(ids[1], "alice", "s", replace(person[1], answer="reject"))
    store.record_edit(ids[2], "alice", "s", "redo", None, person[2])
    store.save_annotation(ids[3], "alice", replace(person[3], answer="accept"))

    def keys(**kw: object) -> list[tuple[int, str | None, str | None]]:
        return [(i, a.annotator, a.answer) for i, _, a in store.annotations("d", **kw)]  # type: ignore[arg-type]

    assert keys() == [(ids[0], "alice", "accept"), (ids[0], "bob", "accept"), (ids[3], "alice", "accept")]
    assert keys(annotator="alice", answers=None) == [
        (ids[0], "alice", "accept"),
        (ids[1], "alice", "reject"),
        (ids[2], "alice", None),
        (ids[3], "alice", "accept"),
    ]
    assert keys(answers=("draft", "reject")) == [(ids[1], "alice", "reject"), (ids[2], "alice", None)]
    assert keys(answers=()) == []
    for task_id, task, annotation in store.annotations("d", answers=None):
        assert task == tasks[ids.index(task_id)]
        assert annotation.spans == person[ids.index(task_id)].spans
    # Without tokens (for a writer that needs none): the same rows, the tasks with no tokens.
    untokenized = [
        (i, replace(t, tokens=tasks[ids.index(i)].tokens), a)
        for i, t, a in store.annotations("d", answers=None, tokens=False)
    ]
    assert untokenized == list(store.annotations("d", answers=None))
    assert all(t.tokens == () for _, t, _ in store.annotations("d", tokens=False))
    # The same rows as the store holds them (for brat's writer): the lists make the same spans.
    for answers in (None, ("accept",), ("draft", "reject")):
        rows = [
            (
                r.input_hash,
                r.text,
                r.meta,
                tuple(Span(*s) for s in r.spans),
                tuple(Relation(*x) for x in r.relations),
            )
            for r in store.annotation_rows("d", answers=answers)
        ]
        assert rows == [
            (t.input_hash, t.text, t.meta, a.spans, a.relations)
            for _, t, a in store.annotations("d", answers=answers)
        ]
    assert [r.text for r in store.annotation_rows("d", "bob")] == [tasks[0].text]
    assert list(store.annotation_rows("d", answers=())) == []
    assert list(store.annotation_rows("nothing")) == []
    assert store.annotators("d") == ["alice", "bob"]
    assert store.annotators("nope") == []
    assert list(store.annotations("nope")) == []
    with pytest.raises(ValueError, match="unknown answers"):
        list(store.annotations("d", answers=("yes",)))


def test_annotations_pages_allow_writes_while_iterating(store: Store) -> None:
    n = 1203  # more than two pages
    ids = store.add_tasks("d", [(make_task(f"Item {i} ."), Annotation()) for i in range(n)])
    for task_id in ids:
        store.save_annotation(task_id, "alice", Annotation(answer="accept"))
    seen = []
    for task_id, _task, _annotation in store.annotations("d"):
        seen.append(task_id)
        store.save_annotation(task_id, "bob", Annotation(answer="reject"))
    assert seen == ids
    assert store.answer_counts("d", "bob")["reject"] == n


def test_stats_counts_and_labels(store: Store) -> None:
    tasks = [make_task(f"Alice Smith met Bob in Paris {i} .") for i in range(4)]
    ids = store.add_tasks("news", [(t, Annotation()) for t in tasks])
    store.add_tasks("quiet", [(make_task("Nothing here ."), Annotation())])
    full = Annotation(
        spans=(
            span(tasks[0], 0, 1, "PERSON", 1),
            span(tasks[0], 3, 3, "PERSON", 2),
            span(tasks[0], 5, 5, "GPE", 3),
        ),
        relations=(Relation(1, 2, "MET"),),
    )
    store.record_answer(ids[0], "alice", "s", replace(full, answer="accept"))
    store.record_answer(ids[1], "alice", "s", Annotation(spans=full.spans[:1], answer="accept"))
    store.record_answer(ids[2], "alice", "s", replace(full, answer="reject"))  # rejected spans do not count
    store.record_edit(ids[3], "alice", "s", "undo", None, full)
    store.record_answer(ids[0], "bob", "s", Annotation(answer="ignore"))

    rows = store.stats()
    assert [(r.dataset, r.annotator) for r in rows] == [("news", "alice"), ("news", "bob")]
    alice, bob = rows
    assert (alice.accepted, alice.rejected, alice.ignored, alice.drafted, alice.tasks) == (2, 1, 0, 1, 4)
    assert alice.spans_per_label == {"GPE": 1, "PERSON": 3}
    assert (bob.accepted, bob.rejected, bob.ignored, bob.drafted) == (0, 0, 1, 0)
    assert bob.spans_per_label == {}
    assert store.stats("quiet") == []
    assert [r.annotator for r in store.stats("news")] == ["alice", "bob"]


def test_two_threads_share_one_store(store: Store) -> None:
    ids = store.add_tasks("d", [(make_task(f"Thread text {i} ."), Annotation()) for i in range(2)])
    errors: list[BaseException] = []

    def work(task_id: int, who: str) -> None:
        try:
            for _ in range(150):
                store.record_edit(task_id, who, "s", "undo", None, Annotation())
                store.annotation(task_id, who)
            store.record_answer(task_id, who, "s", Annotation(answer="accept"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(ids[i], f"t{i}")) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [store.answer_counts("d", f"t{i}")["accept"] for i in range(2)] == [1, 1]
    assert log_rows(store) == 2 * 151


def test_database_settings(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    store.close()
    raw = sqlite3.connect(tmp_path / "a.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    # A durable store fsyncs every edit and works the same.
    with Store(tmp_path / "durable.db", durable_edits=True) as durable:
        [task_id] = durable.add_tasks("d", [(make_task("Alice ."), Annotation())])
        durable.record_edit(task_id, "a", "s", "undo", None, Annotation())
        assert durable.answer_counts("d", "a")["draft"] == 1


def test_which_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    assert resolve_db(None) == Path("annotator.db")
    monkeypatch.setenv("ANNOTATOR_DB", str(tmp_path / "env.db"))
    assert resolve_db(None) == tmp_path / "env.db"
    assert resolve_db(tmp_path / "flag.db") == tmp_path / "flag.db"
    url = "postgresql://alice:secret@db.example:5432/gold"
    assert resolve_db(url) == url  # a URL stays a URL (a Path would fold its "//")
    monkeypatch.setenv("ANNOTATOR_DB", url)
    assert resolve_db(None) == url
    assert resolve_db(str(tmp_path / "flag.db")) == tmp_path / "flag.db"


def test_opening_bad_paths_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database at"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "no" / "such" / "folder.db")
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("these are not the droids\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt"):
        Store(text)
    assert text.read_text().startswith("these are not")


def test_real_prodigy_file_round_trips(store: Store) -> None:
    path = FIXTURES / "prodigy" / "rel_component_annotations.jsonl"
    pairs = [from_record(orjson.loads(line)) for line in path.read_bytes().splitlines() if line.strip()]
    assert len(pairs) == 149
    ids = store.add_tasks("rel", pairs)
    distinct = {task.input_hash for task, _ in pairs}
    assert len(set(ids)) == len(distinct)
    for task_id, (_task, annotation) in zip(ids, pairs, strict=True):
        store.save_annotation(task_id, "gold", annotation)
    back = {task_id: (task, ann) for task_id, task, ann in store.annotations("rel", answers=None)}
    # Later records with a known input hash overwrote earlier ones, as a re-import should.
    expected = dict(zip(ids, pairs, strict=True))
    assert back.keys() == expected.keys()
    who = ("_annotator_id", "_session_id", "_timestamp")
    for task_id, (task, annotation) in expected.items():
        got_task, got = back[task_id]
        assert got.annotator == "gold"
        written, original = to_record(got_task, got), to_record(task, annotation)
        assert {k: v for k, v in written.items() if k not in who} == {
            k: v for k, v in original.items() if k not in who
        }
    spans = sum(len(a.spans) for _, a in expected.values())
    [row] = store.stats("rel")
    assert sum(row.spans_per_label.values()) == sum(
        len(a.spans) for _, a in expected.values() if a.answer == "accept"
    )
    assert spans > 0


def test_log_row_and_current_row_commit_together(
    db_target: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import annotator.store.sql as sql_store

    [task_id] = store.add_tasks("d", [(make_task("Alice met Bob ."), Annotation())])
    store.record_edit(task_id, "alice", "s", "undo", None, Annotation())
    # Make writing the current row fail after the log row was inserted: neither may remain.
    monkeypatch.setattr(sql_store, "_UPSERT_DRAFT", "INSERT INTO nowhere VALUES (?, ?, ?, ?, ?, ?)")
    monkeypatch.setattr(sql_store, "_UPSERT_DECISION", "INSERT INTO nowhere VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    with pytest.raises(StoreError, match="nowhere"):
        store.record_edit(task_id, "alice", "s", "redo", None, Annotation())
    with pytest.raises(StoreError, match="nowhere"):
        store.record_answer(task_id, "alice", "s", Annotation(answer="accept"))
    assert raw_sql(db_target, "SELECT event FROM edit_log") == [("undo",)]
    monkeypatch.undo()
    store.record_answer(task_id, "alice", "s", Annotation(answer="accept"))  # the store still works
    assert store.answer_counts("d", "alice")["accept"] == 1


def test_task_bodies_are_the_stored_text_and_tokens_bytes(store: Store) -> None:
    """What an import compares a record read as it came with: the text, and the tokens as
    ``tokens_to_blob`` writes them (a text with NUL and a character outside the BMP, which
    PostgreSQL keeps as bytes); ids not stored are left out."""
    tasks = [make_task("Gen Nakatani in Tokyo ."), make_task("a\x00b \U0001f600 .")]
    ids = store.add_tasks("d", [(t, Annotation()) for t in tasks])
    bodies = store.task_bodies([*ids, max(ids) + 100])
    assert bodies == {i: (t.text, tokens_to_blob(t.tokens)) for i, t in zip(ids, tasks, strict=True)}
