"""An edit of a large annotation is stored as its log row alone, the row keeping a snapshot of the
annotation (migration 9): whatever reads the row (a restart, an export, a copy, a split of a token)
gets the current annotation, on both backends, and the snapshot is written whole again after a
bounded number of edits. The thresholds are lowered here so that every edit of these small tasks
takes the snapshot path."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import annotator.store.sql as sql_store
from annotator.core.edits import set_span
from annotator.core.model import Annotation, Relation, Span
from annotator.core.retokenize import split_token
from annotator.store import StaleWrite, Store
from annotator.store.base import Saved
from annotator.store.dump import copy_dataset
from tests.pg_server import raw_sql
from tests.store.test_store_history import Mirror, apply_op, make_task, ops, same_state

EXAMPLES = itertools.count()
REPLAY = 4


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sql_store, "SNAPSHOT_FROM", 1)
    monkeypatch.setattr(sql_store, "MAX_REPLAY", REPLAY)
    yield


def data_log_ids(target: str, task_id: int) -> list[object]:
    """The row's snapshot (None: the row holds its annotation whole), checked against where the
    annotation is: in table snapshots, the row's own data empty, or the other way round."""
    rows = raw_sql(
        target,
        f"""SELECT a.data_log_id, length(a.data), (SELECT COUNT(*) FROM snapshots s
                WHERE s.task_id = a.task_id AND s.annotator = a.annotator)
            FROM annotations a WHERE a.task_id = {task_id:d}""",
    )
    for data_log_id, size, kept in rows:
        assert (size == 0 and kept == 1) if data_log_id is not None else (size > 0 and kept == 0)
    return [r[0] for r in rows]


def content(store: Store, task_id: int) -> object:
    stored = store.annotation(task_id, "alice")
    assert stored is not None
    return stored.content()


def labelled(store: Store, task_id: int, n: int) -> Mirror:
    """alice's row of the task with ``n`` single-token spans labelled one edit at a time."""
    task = store.task(task_id)
    m = Mirror(store, task_id)
    words = [i for i, t in enumerate(task.tokens) if t.text[0].isalpha()]
    for i in words[:n]:
        m.do(set_span(task, m.history.current, i, i, "PERSON"))
    return m


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(sequence=ops)
def test_random_sessions_on_snapshots_are_restored_exactly(
    db_target: str, sequence: list[tuple[object, ...]]
) -> None:
    task = make_task()
    dataset = f"d{next(EXAMPLES)}"
    store = Store(db_target)
    try:
        [task_id] = store.add_tasks(dataset, [(task, Annotation(spans=(Span(0, 8, 0, 0, "ORG", "en", 1),)))])
        m = Mirror(store, task_id)
        for op in [*sequence, ("restart",)]:
            if op[0] == "restart":
                store.close()
                store = Store(db_target)
                restored = Mirror(store, task_id)
                assert same_state(restored.history, m.history)
                m = restored
            else:
                apply_op(task, m, op)
                stored = store.annotation(task_id, "alice")
                if stored is not None:  # what every reader of the row gets: the current annotation
                    assert stored.content() == m.history.current.content()
        exported = [a for _, _, a in store.annotations(dataset, "alice", answers=None)]
        assert [a.content() for a in exported] == ([m.history.current.content()] if exported else [])
        # The row as brat's writer reads it: the current annotation too, not the snapshot.
        rows = store.annotation_rows(dataset, "alice", None)
        assert [
            (tuple(Span(*s) for s in r.spans), tuple(Relation(*x) for x in r.relations)) for r in rows
        ] == [(a.spans, a.relations) for a in exported]
    finally:
        store.close()


def test_a_snapshot_is_written_whole_again_after_a_bounded_number_of_edits(db_target: str) -> None:
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(make_task(), Annotation())])
        m = labelled(store, task_id, 1)
        seen = []
        for _ in range(3 * REPLAY):
            m.undo()
            seen.append(data_log_ids(db_target, task_id)[0])
            edit = m.history.redo()  # with its edit (Mirror.redo logs none: such a row is written whole)
            store.record_edit(task_id, "alice", "s1", "redo", edit, m.history.current)
            seen.append(data_log_ids(db_target, task_id)[0])
        # Whole (NULL) at most every REPLAY + 1 edits; in between the row names its snapshot.
        assert None in seen and any(x is not None for x in seen)
        runs = [len(list(g)) for k, g in itertools.groupby(seen, key=lambda x: x is None) if not k]
        assert max(runs) <= REPLAY + 1
        assert content(store, task_id) == m.history.current.content()
        assert store.log_counts("d") == {"do": 1, "undo": 3 * REPLAY, "redo": 3 * REPLAY}


def test_a_decision_on_a_snapshot_stores_it_whole_and_counts_its_labels(db_target: str) -> None:
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(make_task(), Annotation())])
        m = labelled(store, task_id, 3)
        assert data_log_ids(db_target, task_id) != [None]
        m.answer("accept")
        assert data_log_ids(db_target, task_id) == [None]
        assert store.annotation(task_id, "alice") == m.history.current  # the decision, as stored
        assert store.stats("d")[0].spans_per_label == {"PERSON": 3}


def test_an_import_onto_snapshots_stores_its_rows_whole_and_keeps_the_others(db_target: str) -> None:
    """An import's batch replaces alice's row, a snapshot, with the file's annotation and drops
    her snapshot; bob's snapshot of the same task, whose row the import leaves, stays his."""
    with Store(db_target) as store:
        task = make_task()
        [task_id] = store.add_tasks("d", [(task, Annotation())])
        labelled(store, task_id, 3)
        bob = Mirror(store, task_id, "bob")
        bob.do(set_span(task, bob.history.current, 2, 2, "ORG"))
        bob.do(set_span(task, bob.history.current, 4, 4, "ORG"))
        assert None not in data_log_ids(db_target, task_id)
        imported = Annotation((Span(0, 8, 0, 0, "GPE", None, 1),), answer="accept")
        with store.batch():  # as an import writes: its tasks found, then their rows
            assert store.add_tasks("d", [(task, Annotation())]) == [task_id]
            store.save_annotations([Saved(task_id, "alice", imported)])
        # alice's row whole, with no snapshot left (data_log_ids checks both); bob's a snapshot
        assert sorted(x is None for x in data_log_ids(db_target, task_id)) == [False, True]
        assert content(store, task_id) == imported.content()
        kept = store.annotation(task_id, "bob")
        assert kept is not None and kept.content() == bob.history.current.content()
        assert store.stats("d")[0].spans_per_label == {"GPE": 1}


def test_a_guarded_edit_on_a_snapshot_that_lost_writes_nothing(db_target: str) -> None:
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(make_task(), Annotation())])
        m = labelled(store, task_id, 2)
        version = store.last_log_id(task_id, "alice")
        m.undo()  # another window of alice writes meanwhile
        task = store.task(task_id)
        stale = set_span(task, m.history.current, 4, 4, "GPE")
        with pytest.raises(StaleWrite):
            store.record_edit(
                task_id, "alice", "s2", "do", stale, stale.apply(m.history.current), expect=version
            )
        assert content(store, task_id) == m.history.current.content()
        assert store.log_counts("d") == {"do": 2, "undo": 1}


def test_a_copy_and_a_split_token_make_the_snapshot_whole(db_target: str, tmp_path: Path) -> None:
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [(make_task(), Annotation())])
        m = labelled(store, task_id, 3)
        with Store(tmp_path / "copy.db") as target:
            copy_dataset(store, target, "d")
            [copied] = target.task_ids("d")
            assert target.annotation(copied, "alice") == store.annotation(task_id, "alice")
            assert content(store, task_id) == m.history.current.content()
            assert data_log_ids(str(tmp_path / "copy.db"), copied) == [None]
        task = store.task(task_id)
        split = split_token(task, task.text.index("Nakatani") + 4)  # "Naka" "tani", inside a span
        store.retokenize(task_id, split)
        assert data_log_ids(db_target, task_id) == [None]
        after = store.annotation(task_id, "alice")
        assert after is not None and after.content() == m.history.current.content()
        for span in after.spans:
            assert (split.tokens[span.token_start].start, split.tokens[span.token_end].end) == (
                span.start,
                span.end,
            )
