"""Task routing on both backends: overlap and even spread, disjoint queues, blind views, tasks stored
later, a joiner mid-way, the counts kept beside the annotations, and `annotator progress` against a
hand-computed edit log."""

from __future__ import annotations

import sqlite3
import threading
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import annotator.store.sql as sql_store
from annotator import routing
from annotator.cli import app
from annotator.core.edits import set_span
from annotator.core.model import Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.reports.progress import measure
from annotator.session import AnnotationSession
from annotator.store import Store
from tests.schema_support import downgrade
from tests.strategies import tokenize

SCHEME = LabelScheme(("PERSON", "GPE"))
runner = CliRunner()


def tasks(n: int, start: int = 0) -> list[tuple[Task, Annotation]]:
    out = []
    for i in range(start, start + n):
        text = f"Alice met Bob in Paris on day {i} ."
        out.append((Task(text, tokenize(text), 1000 + i), Annotation()))
    return out


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    s = Store(db_target)
    yield s
    s.close()


def holders(store: Store, dataset: str, names: list[str]) -> Counter[int]:
    """How many annotators each task is in the queue of."""
    return Counter(task_id for name in names for task_id in store.queue(dataset, name))


def shared_by_queues(store: Store, dataset: str, names: str) -> dict[tuple[str, str], int]:
    """The tasks each pair shares, counted from their queues (what the store keeps)."""
    queues = {n: set(store.queue(dataset, n)) for n in names}
    counts = {(a, b): len(queues[a] & queues[b]) for a in names for b in names if a < b}
    return {pair: n for pair, n in counts.items() if n}


def session(store: Store, who: str, dataset: str = "d") -> AnnotationSession:
    s = AnnotationSession(store, dataset, who, SCHEME)
    s.guard = True
    return s


def work(s: AnnotationSession, n: int, answer: str = "accept") -> list[int]:
    """Annotate and decide the next ``n`` tasks as the screen does; returns their ids."""
    done = []
    for _ in range(n):
        cur = s.open_first_unanswered()
        assert cur is not None
        s.apply(set_span(cur.task, cur.annotation, 0, 0, "PERSON"))
        s.decide(answer)  # type: ignore[arg-type]
        done.append(cur.task_id)
    return done


def test_each_task_goes_to_overlap_annotators_spread_evenly(store: Store) -> None:
    ids = store.add_tasks("d", tasks(30))
    done = routing.assign(store, "d", ["a", "b", "c"], 2)
    assert done.loads == {"a": 20, "b": 20, "c": 20} and done.assigned == 60
    assert holders(store, "d", ["a", "b", "c"]) == Counter(dict.fromkeys(ids, 2))
    assert store.shared_tasks("d") == {("a", "b"): 10, ("a", "c"): 10, ("b", "c"): 10}
    assert store.routing("d").overlap == 2  # type: ignore[union-attr]
    # overlap 1: the queues are disjoint and cover every task
    other = store.add_tasks("e", tasks(31))
    routing.assign(store, "e", ["a", "b", "c"], 1)
    queues = [set(store.queue("e", name)) for name in ("a", "b", "c")]
    assert set.union(*queues) == set(other) and sum(map(len, queues)) == 31
    assert sorted(map(len, queues)) == [10, 10, 11]


def test_an_annotator_sees_only_their_tasks_and_never_another_annotation(store: Store) -> None:
    ids = store.add_tasks("d", tasks(12))
    routing.assign(store, "d", ["a", "b", "c"], 2)
    a, b = session(store, "a"), session(store, "b")
    assert a.queue() == store.queue("d", "a") and len(a.queue()) == 8
    b_done = work(b, 8)
    shared = sorted(set(a.queue()) & set(b_done))
    assert shared
    for task_id in shared:  # b's spans were stored; a opens the task blind, from the suggestion
        assert a.open(task_id).annotation.spans == ()
    a_done = work(a, 8)
    assert sorted(a_done) == a.queue() and a.open_first_unanswered() is None
    assert all(store.next_unanswered("d", "a", after=t) is None for t in ids)
    worked = Counter(task_id for name in ("a", "b") for task_id, _t, _a in store.annotations("d", name))
    assert max(worked.values()) <= 2


def test_tasks_stored_later_are_routed_as_they_arrive_once(db_target: str, store: Store) -> None:
    store.add_tasks("d", tasks(6))
    routing.assign(store, "d", ["a", "b", "c"], 2)
    new = store.add_tasks("d", tasks(40, start=100))
    # two processes route the new tasks at the same moment: each task still gets exactly 2
    errors: list[BaseException] = []

    def top_up() -> None:
        try:
            with Store(db_target) as own:
                routing.top_up(own, "d")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=top_up) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = holders(store, "d", ["a", "b", "c"])
    assert all(counts[t] == 2 for t in new) and len(counts) == 46
    loads = store.routing("d").loads  # type: ignore[union-attr]
    assert sum(loads.values()) == 92 and max(loads.values()) - min(loads.values()) <= 1
    assert loads == {n: len(store.queue("d", n)) for n in ("a", "b", "c")}


def test_a_joiner_mid_way_takes_over_untouched_tasks_only(store: Store) -> None:
    store.add_tasks("d", tasks(40))
    routing.assign(store, "d", ["a", "b"], 2)  # both annotate everything
    a, b = session(store, "a"), session(store, "b")
    work(a, 10)
    work(b, 4)
    opened = b.open(b.queue()[-1])  # b has a draft far down their queue
    b.apply(set_span(opened.task, opened.annotation, 0, 0, "GPE"))
    touched = {(t, n) for n in ("a", "b") for t, _task, _a in store.annotations("d", n, answers=None)}
    joined = routing.join(store, "d", "c")
    assert joined.joined == ["c"] and joined.moved > 0
    c_queue = store.queue("d", "c")
    assert len(c_queue) == joined.moved
    assert store.shared_tasks("d") == shared_by_queues(store, "d", "abc")
    assert store.shared_tasks("d")[("a", "c")] > 0
    # every task still has exactly two annotators; nobody lost a task they had touched
    assert holders(store, "d", ["a", "b", "c"]) == Counter(dict.fromkeys(store.task_ids("d"), 2))
    for task_id, name in touched:
        assert task_id in store.queue("d", name)
    left = {
        n: len(store.queue("d", n)) - sum(1 for _ in store.annotations("d", n, ("accept",))) for n in "abc"
    }
    assert max(left.values()) - min(left.values()) <= 2, left
    # the joiner works their own queue, blind; the tasks stored from now on are shared by three
    c = session(store, "c")
    assert c.queue() == c_queue
    work(c, 3)
    new = store.add_tasks("d", tasks(9, start=500))
    routing.top_up(store, "d")
    assert Counter(n for n in "abc" for t in store.queue("d", n) if t in new) == Counter(
        {"a": 6, "b": 6, "c": 6}
    )
    assert store.shared_tasks("d") == shared_by_queues(store, "d", "abc")


def test_the_shared_tasks_kept_are_those_of_the_assignments(db_target: str, store: Store) -> None:
    """routing_pairs against a count from the queues through assign, top up, a joiner and an
    assignment made twice; a database of schema 11 gets it counted from its assignments."""
    store.add_tasks("d", tasks(30))
    routing.assign(store, "d", ["a", "b", "c"], 2)
    assert store.shared_tasks("d") == shared_by_queues(store, "d", "abc") == {
        ("a", "b"): 10, ("a", "c"): 10, ("b", "c"): 10
    }  # fmt: skip
    current = store.routing("d")
    assert current is not None
    first = store.queue("d", "a")[0]
    store.route("d", current, [(first, "a")], expect=current)  # already assigned: no change
    assert store.shared_tasks("d") == shared_by_queues(store, "d", "abc")
    store.add_tasks("d", tasks(7, start=100))
    routing.top_up(store, "d")
    routing.join(store, "d", "e")
    assert store.shared_tasks("d") == shared_by_queues(store, "d", "abce")
    if db_target.startswith("postgresql"):
        return
    expected = store.shared_tasks("d")
    store.close()
    raw = sqlite3.connect(db_target, isolation_level=None)
    downgrade(raw, 11)
    raw.close()
    with Store(db_target) as again:
        assert again.shared_tasks("d") == expected


def test_counts_and_the_next_task_come_from_kept_rows(store: Store) -> None:
    ids = store.add_tasks("d", tasks(10))
    assert store.task_count("d") == 10
    store.add_tasks("d", tasks(10))  # the same texts: nothing new
    assert store.task_count("d") == 10
    s = session(store, "alice")
    work(s, 5)
    assert store.next_unanswered("d", "alice") == ids[5]
    # a decided task reopened by an edit is the next one again, after a restart too
    cur = s.open(ids[2])
    s.apply(set_span(cur.task, cur.annotation, 2, 2, "GPE"))
    assert store.next_unanswered("d", "alice") == ids[2]
    s.decide("reject")
    assert store.next_unanswered("d", "alice") == ids[5]
    store.save_annotation(ids[7], "alice", Annotation(answer="ignore"))
    s.open(ids[8])
    s.apply(set_span(s.current.task, s.current.annotation, 0, 0, "GPE"))  # type: ignore[union-attr]
    expected = Counter(a.answer or "draft" for _t, _task, a in store.annotations("d", "alice", answers=None))
    assert store.answer_counts("d", "alice") == {"accept": 4, "reject": 1, "ignore": 1, "draft": 1}
    assert {k: v for k, v in store.answer_counts("d", "alice").items() if v} == dict(expected)
    assert store.next_unanswered("d", "alice") == ids[5]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now


def test_progress_against_a_hand_computed_edit_log(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = store.add_tasks("d", tasks(4))
    routing.assign(store, "d", ["alice", "bob"], 2)
    clock = Clock()
    monkeypatch.setattr(sql_store, "time", types.SimpleNamespace(time=clock.time))
    task = store.task(ids[0])
    person = Span(0, 5, 0, 0, "PERSON", None, 1)
    paris = Span(17, 22, 4, 4, "GPE", None, 2)
    alice, bob = session(store, "alice"), session(store, "bob")

    def at(when: float) -> None:
        clock.now = when

    # alice: task 0 edits at 1000 and 1010, accepted at 1030 (30 s); task 1 accepted at 1050 with
    # no edit (20 s); a break of 350 s; task 2 edited at 1400, accepted at 1460 (60 s).
    alice.open(ids[0])
    at(1000)
    alice.apply(set_span(task, alice.current.annotation, 0, 0, "PERSON"))  # type: ignore[union-attr]
    at(1010)
    alice.apply(set_span(task, alice.current.annotation, 4, 4, "GPE"))  # type: ignore[union-attr]
    at(1030)
    alice.decide("accept")
    at(1050)
    alice.open(ids[1])
    alice.decide("reject")
    alice.open(ids[2])
    at(1400)
    alice.apply(set_span(store.task(ids[2]), alice.current.annotation, 0, 0, "PERSON"))  # type: ignore[union-attr]
    at(1460)
    alice.decide("accept")
    # bob: task 0 at 2000 (only PERSON), task 2 at 2100 (100 s), a draft on task 3 at 2130
    bob.open(ids[0])
    at(1990)
    bob.apply(set_span(task, bob.current.annotation, 0, 0, "PERSON"))  # type: ignore[union-attr]
    at(2000)
    bob.decide("accept")
    bob.open(ids[2])
    at(2100)
    bob.decide("ignore")
    bob.open(ids[3])
    at(2130)
    bob.apply(set_span(store.task(ids[3]), bob.current.annotation, 0, 0, "GPE"))  # type: ignore[union-attr]
    assert store.annotation(ids[0], "alice").spans == (person, paris)  # type: ignore[union-attr]

    figures = measure(store, "d")
    by = {p.annotator: p for p in figures.annotators}
    assert (by["alice"].done, by["alice"].assigned, by["alice"].left) == (3, 4, 1)
    assert by["alice"].counts == {"accept": 2, "reject": 1, "ignore": 0, "draft": 0}
    assert by["alice"].timing.active_seconds == 110
    assert by["alice"].timing.median_seconds_per_task == 30
    assert by["alice"].timing.tasks_per_hour == pytest.approx(3 / (110 / 3600))
    assert by["bob"].counts == {"accept": 1, "reject": 0, "ignore": 1, "draft": 1}
    # bob: 1990 -> 2000 task 0 (10 s), 2000 -> 2100 task 2 (100 s), 2100 -> 2130 the draft (30 s)
    assert by["bob"].timing.active_seconds == 140 and by["bob"].timing.median_seconds_per_task == 55
    # agreement so far: task 0 is the only one both accepted; alice PERSON+GPE, bob PERSON:
    # tp 1, fp 0, fn 1 -> F1 2/3
    [pair] = figures.pairs
    assert pair.annotators == ("alice", "bob") and pair.shared == 4 and pair.compared == 1
    assert pair.f1 == pytest.approx(2 / 3)
    assert (figures.open_assignments, figures.open_tasks) == (3, 2)  # alice 3; bob 2 and 3


def test_assign_progress_agreement_and_review_commands(db_target: str) -> None:
    with Store(db_target) as store:
        store.add_tasks("d", tasks(12))
    result = runner.invoke(
        app, ["assign", "--db", db_target, "-d", "d", "--annotators", "a,b,c", "--overlap", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "each task to 2 of 3 annotators" in result.stdout and "a+b 4" in result.stdout
    again = runner.invoke(
        app, ["assign", "--db", db_target, "-d", "d", "--annotators", "a,b", "--overlap", "1"]
    )
    assert again.exit_code == 1 and "keeps it" in again.stderr
    bad = runner.invoke(
        app, ["assign", "--db", db_target, "-d", "d", "--annotators", "a,b", "--overlap", "3"]
    )
    assert bad.exit_code == 1 and "--overlap 3 needs between 1 and 2" in bad.stderr
    with Store(db_target) as store:
        for name in ("a", "b", "c"):
            work(session(store, name), 8)
    out = runner.invoke(app, ["progress", "--db", db_target, "-d", "d", "--json"])
    assert out.exit_code == 0, out.output
    data = orjson.loads(out.stdout)
    assert data["overlap"] == 2 and data["tasks"] == 12
    assert [(x["annotator"], x["done"], x["assigned"], x["left"]) for x in data["annotators"]] == [
        ("a", 8, 8, 0),
        ("b", 8, 8, 0),
        ("c", 8, 8, 0),
    ]
    assert [
        (p["annotators"], p["shared_tasks"], p["compared"], p["span_f1_exact"]) for p in data["pairs"]
    ] == [
        (["a", "b"], 4, 4, 1.0),
        (["a", "c"], 4, 4, 1.0),
        (["b", "c"], 4, 4, 1.0),
    ]
    assert data["left"] == {"assignments": 0, "tasks": 0}
    table = runner.invoke(app, ["progress", "--db", db_target, "-d", "d"])
    assert table.exit_code == 0 and "a + b" in table.stdout and "span F1" in table.stdout
    agreement = runner.invoke(app, ["agreement", "--db", db_target, "-d", "d", "--json"])
    assert agreement.exit_code == 0, agreement.output
    pairs = orjson.loads(agreement.stdout)["pairs"]
    assert [(p["annotators"], p["tasks"]["compared"]) for p in pairs] == [
        (["a", "b"], 4),
        (["a", "c"], 4),
        (["b", "c"], 4),
    ]
    review = runner.invoke(app, ["review", "--db", db_target, "-d", "d"])
    assert review.exit_code == 1 and "several pairs" in review.stderr and "a,b (4 tasks)" in review.stderr


def test_a_database_made_before_the_kept_counts_gets_them(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Store(db) as store:
        ids = store.add_tasks("d", tasks(6))
        work(session(store, "alice"), 3)
        store.save_annotation(ids[4], "bob", Annotation(answer="ignore"))
    raw = sqlite3.connect(db, isolation_level=None)
    downgrade(raw, 6)
    raw.close()
    with Store(db) as store:
        assert store.task_count("d") == 6
        assert store.answer_counts("d", "alice") == {"accept": 3, "reject": 0, "ignore": 0, "draft": 0}
        assert store.answer_counts("d", "bob")["ignore"] == 1
        assert store.next_unanswered("d", "alice") == ids[3]


def test_the_progress_table_never_cuts_a_number_in_80_columns() -> None:
    """A million tasks is seven digits in every count column: a terminal of 80 columns shortens
    the annotator's name, never a count."""
    from rich.console import Console

    from annotator.core.progress import Timing
    from annotator.reports.progress import AnnotatorProgress, Progress, render_progress

    counts = {"accept": 999_999, "reject": 1_000_000, "ignore": 0, "draft": 1}
    figures = Progress(
        "d",
        2_000_000,
        None,
        [
            AnnotatorProgress(
                "an-annotator-with-a-long-name", 2_000_000, counts, Timing(3600.0, 10, 12.5, 10.0)
            )
        ],
    )
    console = Console(width=80, record=True)
    render_progress(figures, console)
    lines = console.export_text().splitlines()
    [row] = [line for line in lines if line.startswith("an-")]
    assert row.split()[1:] == ["1999999", "2000000", "999999", "1000000", "0", "1", "1", "12.5", "10.0"]
    assert max(len(line) for line in lines) <= 80


def test_the_rows_of_another_session_are_found_by_the_index(store: Store) -> None:
    """What a review started again checks: the reviewer's rows in the dataset of any session but
    the review's (none, earlier or later in sort order, or no session), never those of another
    dataset."""
    ids = store.add_tasks("d", tasks(6))
    other = store.add_tasks("e", tasks(3, start=50))
    review = "d-review-carol"
    for task_id in ids[:4]:
        store.save_annotation(task_id, "carol", Annotation(answer="accept", session=review))
    for task_id in other:  # carol's work elsewhere, of sessions before and after the review's
        store.save_annotation(task_id, "carol", Annotation(answer="accept", session="a"))
    store.save_annotation(other[0], "dave", Annotation(answer="accept", session="z"))
    assert store.rows_not_of("d", "carol", review) == 0
    for task_id, session_name in zip(ids[4:], (None, "zz"), strict=True):
        store.save_annotation(task_id, "carol", Annotation(answer="accept", session=session_name))
    assert store.rows_not_of("d", "carol", review) == 2
    store.save_annotation(ids[0], "carol", Annotation(answer="accept", session="a"))
    assert store.rows_not_of("d", "carol", review) == 3
    assert store.rows_not_of("e", "carol", "a") == 0
