"""The counts `stats` and `progress` read (migration 8's spans per label of accepted tasks, migration
7's tally and task count, migration 11's exact span matches of each pair of annotators) stay equal
to a count over the stored rows through every kind of write, on both backends; a database made
before migrations 8 and 11 gets them; a batch of imported rows is stored whole or not at all."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from annotator.core.agreement import exact_counts
from annotator.core.counts import Counts
from annotator.core.edits import delete_span, set_span
from annotator.core.model import Annotation, Answer, Relation, Span, Task
from annotator.core.records import Plain, plain_record, to_record
from annotator.store import StaleWrite, Store, UnknownTask
from annotator.store.base import Saved
from annotator.store.dump import copy_dataset
from annotator.store.stats import PairTally
from tests.schema_support import downgrade
from tests.strategies import tokenize

TEXT = "Alice met Bob in Paris and \x00Rome\x00 ."


def task(i: int) -> Task:
    text = f"{TEXT} {i}"
    return Task(text, tokenize(text), 5000 + i)


def spans(t: Task, *labels: tuple[int, str]) -> tuple[Span, ...]:
    return tuple(
        Span(t.tokens[k].start, t.tokens[k].end, k, k, label, None, sid)
        for sid, (k, label) in enumerate(labels, start=1)
    )


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    s = Store(db_target)
    yield s
    s.close()


def recount(store: Store, dataset: str) -> dict[str, dict[str, int]]:
    """Spans per label of each annotator's accepted tasks, counted over the stored rows."""
    out: dict[str, Counter[str]] = {}
    for _task_id, _task, a in store.annotations(dataset, answers=("accept",)):
        assert a.annotator is not None
        out.setdefault(a.annotator, Counter()).update(s.label for s in a.spans)
    return {who: dict(sorted(c.items())) for who, c in out.items() if c}


def kept(store: Store, dataset: str) -> dict[str, dict[str, int]]:
    """The spans per label the store keeps; also checks that the pair counts it keeps are those
    counted over the stored rows."""
    assert store.pair_tallies(dataset) == recount_pairs(store, dataset)
    return {r.annotator: r.spans_per_label for r in store.stats(dataset) if r.spans_per_label}


def recount_pairs(store: Store, dataset: str) -> dict[tuple[str, str], PairTally]:
    """For each pair of annotators, the tasks both accepted and the exact span matches over them,
    counted over the stored rows as `progress` did before the store kept them."""
    accepted: dict[str, dict[int, Annotation]] = {}
    for task_id, _task, a in store.annotations(dataset, answers=("accept",)):
        assert a.annotator is not None
        accepted.setdefault(a.annotator, {})[task_id] = a
    out = {}
    names = sorted(accepted)
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            both = sorted(accepted[x].keys() & accepted[y].keys())
            total = Counts()
            for task_id in both:
                total = total + exact_counts(accepted[x][task_id].spans, accepted[y][task_id].spans)
            if both:
                out[(x, y)] = PairTally(len(both), total.tp, total.fp, total.fn)
    return out


def test_labels_of_accepted_tasks_follow_every_write(store: Store) -> None:
    ids = store.add_tasks("d", [(task(i), Annotation()) for i in range(4)])
    t = [store.task(i) for i in ids]
    hostile = "\x00LABEL\u200b"  # labels come from files: NUL and invisible characters included
    store.record_answer(
        ids[0], "alice", "s", Annotation(spans(t[0], (0, "PERSON"), (2, "PERSON")), answer="accept")
    )
    store.record_answer(
        ids[1], "alice", "s", Annotation(spans(t[1], (4, "GPE"), (6, hostile)), answer="accept")
    )
    store.record_answer(ids[2], "alice", "s", Annotation(spans(t[2], (4, "GPE")), answer="reject"))
    store.save_annotation(ids[0], "bob", Annotation(spans(t[0], (0, "ORG")), answer="accept"))
    assert (
        kept(store, "d")
        == recount(store, "d")
        == {
            "alice": {"GPE": 1, "PERSON": 2, hostile: 1},
            "bob": {"ORG": 1},
        }
    )
    # an edit reopens an accepted task: its spans no longer count
    current = store.annotation(ids[0], "alice")
    assert current is not None
    edit = delete_span(current, current.spans[0].sid)
    store.record_edit(ids[0], "alice", "s", "do", edit, edit.apply(current))
    assert kept(store, "d") == recount(store, "d") == {"alice": {"GPE": 1, hostile: 1}, "bob": {"ORG": 1}}
    # accepted again with one span fewer; a rejected task accepted; an accepted one rejected
    store.record_answer(ids[0], "alice", "s", replace(edit.apply(current), answer="accept"))
    store.record_answer(ids[2], "alice", "s", Annotation(spans(t[2], (4, "GPE")), answer="accept"))
    store.record_answer(ids[1], "alice", "s", Annotation(spans(t[1], (4, "GPE")), answer="reject"))
    # an import replaces an accepted row with another accepted one
    store.save_annotations(
        [Saved(ids[0], "bob", Annotation(spans(t[0], (0, "GPE"), (2, "GPE")), answer="accept"))]
    )
    assert kept(store, "d") == recount(store, "d") == {"alice": {"GPE": 1, "PERSON": 1}, "bob": {"GPE": 2}}
    # a third annotator: three pairs on task 0, one changed by a batch that also names bob
    store.save_annotations(
        [
            Saved(ids[0], "carol", Annotation(spans(t[0], (0, "GPE"), (4, "GPE")), answer="accept")),
            Saved(ids[2], "carol", Annotation(spans(t[2], (4, "GPE")), answer="accept")),
            Saved(ids[2], "bob", Annotation(spans(t[2], (4, "ORG")), answer="accept")),
        ]
    )
    assert (
        store.pair_tallies("d")
        == {
            ("alice", "bob"): PairTally(2, 0, 3, 2),
            ("alice", "carol"): PairTally(2, 1, 2, 1),
            ("bob", "carol"): PairTally(2, 1, 2, 2),
        }
        == recount_pairs(store, "d")
    )
    store.record_answer(ids[2], "bob", "s", Annotation(spans(t[2], (4, "GPE")), answer="reject"))
    store.save_annotations(
        [
            Saved(ids[0], "carol", Annotation(answer="ignore")),
            Saved(ids[2], "carol", Annotation(answer="reject")),
        ]
    )
    rows = {r.annotator: r for r in store.stats("d")}
    assert (rows["alice"].accepted, rows["alice"].rejected, rows["alice"].tasks) == (2, 1, 4)
    assert store.accepted_labels("d", ["alice", "bob"]) == (["GPE", "PERSON"], [])
    assert store.accepted_labels("d", ["carol"]) == ([], [])


def test_relation_labels_in_use_are_kept_too(store: Store) -> None:
    ids = store.add_tasks("d", [(task(i), Annotation()) for i in range(2)])
    t = store.task(ids[0])
    met = Annotation(spans(t, (0, "PERSON"), (2, "PERSON")), (Relation(1, 2, "MET"),), answer="accept")
    store.record_answer(ids[0], "alice", "s", met)
    store.record_answer(ids[1], "bob", "s", replace(met, answer="reject"))
    assert store.accepted_labels("d", ["alice", "bob"]) == (["PERSON"], ["MET"])
    assert store.accepted_labels("d", ["bob"]) == ([], [])
    store.record_answer(ids[0], "alice", "s", replace(met, relations=(), answer="accept"))
    assert store.accepted_labels("d", ["alice"]) == (["PERSON"], [])


def test_a_guarded_write_that_loses_leaves_the_counts_alone(store: Store) -> None:
    [task_id] = store.add_tasks("d", [(task(0), Annotation())])
    t = store.task(task_id)
    first = store.record_answer(task_id, "alice", "s", Annotation(spans(t, (0, "PERSON")), answer="accept"))
    store.record_answer(task_id, "alice", "other", Annotation(spans(t, (0, "PERSON")), answer="accept"))
    edit = set_span(t, first.annotation, 2, 2, "PERSON")
    with pytest.raises(StaleWrite):  # another process wrote the task since
        store.record_edit(
            task_id, "alice", "s", "do", edit, edit.apply(first.annotation), expect=first.version
        )
    assert kept(store, "d") == recount(store, "d") == {"alice": {"PERSON": 1}}


def test_a_batch_of_imported_rows_is_stored_whole_or_not_at_all(store: Store) -> None:
    ids = store.add_tasks("d", [(task(i), Annotation()) for i in range(2)])
    t = store.task(ids[0])
    good = Saved(ids[0], "alice", Annotation(spans(t, (0, "PERSON")), answer="accept"))
    with pytest.raises(UnknownTask):
        store.save_annotations([good, Saved(10**9, "alice", Annotation(answer="accept"))])
    assert store.annotation(ids[0], "alice") is None
    assert store.stats("d") == [] and store.log_counts("d") == {}
    store.save_annotations([good, Saved(ids[1], "alice", Annotation(answer="ignore"), "file")])
    assert kept(store, "d") == {"alice": {"PERSON": 1}}
    assert store.answer_counts("d", "alice") == {"accept": 1, "reject": 0, "ignore": 1, "draft": 0}
    assert store.log_counts("d") == {"import": 2}


def test_find_tasks_gives_the_ids_of_the_hashes_held(store: Store) -> None:
    ids = store.add_tasks("d", [(task(i), Annotation()) for i in range(700)])  # more than a query's batch
    store.add_tasks("other", [(task(1000), Annotation())])
    wanted = [5000 + i for i in range(0, 700, 3)] + [6000, 5000 + 1000, -(2**63), 2**64]
    assert store.find_tasks("d", wanted) == {5000 + i: ids[i] for i in range(0, 700, 3)}
    assert store.find_tasks("nothing", wanted) == {}


def test_a_database_made_before_the_label_counts_gets_them(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Store(db) as store:
        ids = store.add_tasks("d", [(task(i), Annotation()) for i in range(3)])
        t = [store.task(i) for i in ids]
        store.record_answer(
            ids[0], "alice", "s", Annotation(spans(t[0], (0, "PERSON"), (2, "ORG")), answer="accept")
        )
        store.record_answer(ids[1], "alice", "s", Annotation(spans(t[1], (0, "PERSON")), answer="accept"))
        store.record_answer(ids[2], "bob", "s", Annotation(spans(t[2], (0, "PERSON")), answer="reject"))
        before = kept(store, "d")
        store.record_answer(ids[0], "bob", "s", Annotation(spans(t[0], (0, "PERSON")), answer="accept"))
        before = kept(store, "d")
    raw = sqlite3.connect(db, isolation_level=None)
    downgrade(raw, 7)
    assert "label_tally" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    assert "pair_tally" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    with Store(db) as store:
        assert (
            kept(store, "d")
            == before
            == recount(store, "d")
            == {"alice": {"ORG": 1, "PERSON": 2}, "bob": {"PERSON": 1}}
        )
        assert store.pair_tallies("d") == {("alice", "bob"): PairTally(1, 1, 0, 1)}


def test_a_copied_dataset_has_its_label_counts(store: Store, tmp_path: Path) -> None:
    ids = store.add_tasks("d", [(task(i), Annotation()) for i in range(2)])
    t = store.task(ids[0])
    store.record_answer(
        ids[0], "alice", "s", Annotation(spans(t, (0, "PERSON"), (4, "GPE")), answer="accept")
    )
    with Store(tmp_path / "copy.db") as target:
        store.save_annotation(ids[0], "bob", Annotation(spans(t, (0, "PERSON")), answer="accept"))
        copy_dataset(store, target, "d")
        assert (
            kept(target, "d") == kept(store, "d") == {"alice": {"GPE": 1, "PERSON": 1}, "bob": {"PERSON": 1}}
        )
        assert target.pair_tallies("d") == {("alice", "bob"): PairTally(1, 1, 0, 1)}


def test_annotations_of_tasks_a_batch_has_just_stored_are_counted_whatever_comes_after(store: Store) -> None:
    """A batch's own new tasks hold no annotation, so their first rows are written without reading
    any; the rows written to them next in the same batch (another annotator's, the same one's
    again, an edit) read what the batch wrote, and every count stays that of the rows."""
    tasks = [task(i) for i in range(4)]
    with store.batch():
        ids = store.add_tasks("d", [(t, Annotation()) for t in tasks])
        store.save_annotations(
            [
                Saved(i, "alice", Annotation(spans(t, (0, "PER"), (2, "PER")), answer="accept"))
                for i, t in zip(ids, tasks, strict=True)
            ]
        )
        # bob on the same tasks: each pair of rows is compared
        store.save_annotations(
            [
                Saved(i, "bob", Annotation(spans(t, (0, "PER")), answer="accept"))
                for i, t in zip(ids, tasks, strict=True)
            ]
        )
        # alice again on the first task: her earlier row is replaced, not added to
        store.save_annotations(
            [Saved(ids[0], "alice", Annotation(spans(tasks[0], (4, "LOC")), answer="accept"))]
        )
        # and both annotators at once on a new task
        (fresh,) = store.add_tasks("d", [(task(9), Annotation())])
        store.save_annotations(
            [
                Saved(fresh, who, Annotation(spans(task(9), (0, "PER")), answer="accept"))
                for who in ("alice", "bob")
            ]
        )
    assert (
        kept(store, "d")
        == recount(store, "d")
        == {
            "alice": {"LOC": 1, "PER": 7},
            "bob": {"PER": 5},
        }
    )
    assert store.pair_tallies("d") == {("alice", "bob"): PairTally(5, 4, 1, 4)}


def test_an_import_onto_tasks_others_accepted_adds_each_pair_in_name_order(store: Store) -> None:
    """Rows of annotators new to tasks that others accepted (a second annotator's import) add one
    pair a holder, the earlier name first whichever of the two is the one imported; a row that is
    not accepted adds nothing."""
    tasks = [task(i) for i in range(3)]
    ids = store.add_tasks("d", [(t, Annotation()) for t in tasks])

    def save(who: str, answer: Answer, *labels: tuple[int, str]) -> None:
        store.save_annotations(
            [
                Saved(i, who, Annotation(spans(t, *labels), answer=answer))
                for i, t in zip(ids, tasks, strict=True)
            ]
        )

    save("bob", "accept", (0, "PER"), (2, "ORG"))
    save("carol", "accept", (0, "PER"))  # after bob in name order
    save("alice", "accept", (0, "PER"), (2, "PER"), (4, "LOC"))  # before both
    save("dan", "reject", (0, "PER"))
    assert kept(store, "d") == recount(store, "d")
    assert store.pair_tallies("d") == {
        ("alice", "bob"): PairTally(3, 3, 3, 6),
        ("alice", "carol"): PairTally(3, 3, 0, 6),
        ("bob", "carol"): PairTally(3, 3, 0, 3),
    }


def test_records_stored_as_read_count_as_their_objects(store: Store) -> None:
    """An import's records read as they came (``Plain``: rows, no Span or Relation made) add the
    same span and relation labels and pairs as the annotations they stand for, a first annotator's
    tasks and a second's on them alike."""
    tasks = [task(i) for i in range(3)]
    alice = [
        Annotation(spans(t, (0, "PERSON"), (2, "PERSON")), (Relation(1, 2, "MET"),), answer="accept")
        for t in tasks
    ]
    bob = [*alice]
    bob[1] = Annotation(spans(tasks[1], (0, "PERSON"), (2, "ORG"), (4, "GPE")), answer="accept")
    for dataset, as_read in (("objects", False), ("plain", True)):
        ids = store.add_tasks(dataset, [(t, Annotation()) for t in tasks])
        for who, given in (("alice", alice), ("bob", bob)):
            rows: list[Annotation | Plain] = []
            for t, a in zip(tasks, given, strict=True):
                read = plain_record(to_record(t, a)) if as_read else a
                assert read is not None
                rows.append(read)
            store.save_annotations([Saved(i, who, a) for i, a in zip(ids, rows, strict=True)])
    assert kept(store, "plain") == kept(store, "objects") == recount(store, "objects")
    assert (
        store.pair_tallies("plain")
        == store.pair_tallies("objects")
        == {("alice", "bob"): PairTally(3, 5, 2, 1)}
    )
    for who in ("alice", "bob"):
        assert store.accepted_labels("plain", [who]) == store.accepted_labels("objects", [who])
        assert store.accepted_labels("plain", [who])[1] == ["MET"]


def test_a_batch_counts_the_rows_of_tasks_it_found_under_their_own_datasets(store: Store) -> None:
    """An import's batch finds the tasks its datasets hold (the same texts in two datasets; by
    add_tasks or by find_tasks) and writes their rows: each row counts in the dataset of its task."""
    tasks = [task(i) for i in range(2)]
    held = {name: store.add_tasks(name, [(t, Annotation()) for t in tasks]) for name in ("d", "e", "f")}
    with store.batch():
        found = {"d": store.add_tasks("d", [(t, Annotation()) for t in tasks])}
        for name in ("e", "f"):
            ids = store.find_tasks(name, [t.input_hash for t in tasks])
            found[name] = [ids[t.input_hash] for t in tasks]
        assert found == held
        store.save_annotations(
            [
                Saved(i, "alice", Annotation(spans(t, (0, label)), answer="accept"))
                for name, label in (("d", "PER"), ("e", "ORG"), ("f", "LOC"))
                for i, t in zip(found[name], tasks, strict=True)
            ]
        )
    assert kept(store, "d") == recount(store, "d") == {"alice": {"PER": 2}}
    assert kept(store, "e") == recount(store, "e") == {"alice": {"ORG": 2}}
    assert kept(store, "f") == recount(store, "f") == {"alice": {"LOC": 2}}
