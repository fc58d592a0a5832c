"""The gold set is a role, not a name: a review records who reviewed, ``export --gold`` writes the
adjudicated set whoever reviewed it (and asks whose when several did), to exports/<dataset>.gold.jsonl
so that the annotators' export (exports/<dataset>.jsonl) never overwrites it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.core.errors import AnnotatorError
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.reviews import Review
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.review import ReviewSession
from annotator.store import Store
from tests.schema_support import downgrade

TEXT = "Gen Nakatani met Ahn Gyu Back in Seoul ."


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def build(db: Path) -> int:
    """alice and bob agree on the one task: a review stores it straight into the gold set."""
    task = Task(TEXT, provisional_tokens(TEXT), input_hash(TEXT))
    start = TEXT.index("Seoul")
    ann = Annotation((make_span(task, start, start + 5, "GPE", sid=1),), answer="accept")
    with Store(db) as store:
        [task_id] = store.add_tasks("news", [(task, Annotation())])
        store.save_annotation(task_id, "alice", ann)
        store.save_annotation(task_id, "bob", ann)
    return task_id


def lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_export_gold_writes_the_set_of_whoever_reviewed_beside_the_plain_export(workdir: Path) -> None:
    build(workdir / "a.db")
    with Store(workdir / "a.db") as store:
        review = ReviewSession(store, "news", "alice", "bob", reviewer="judge")
        assert review.plan.agreed_to_gold == 1
        assert store.reviewers("news") == [Review("judge", ("alice", "bob"))]
        assert review.export_command == "annotator export --dataset news --gold"
        assert review.closing("a.db") == (
            "0 of 0 reviewed, 0 left; the gold set (reviewer: judge) is stored in a.db. "
            "Export it: annotator export --dataset news --gold"
        )
    done = run("export", "--dataset", "news", "--gold", "--db", "a.db")
    assert done.exit_code == 0, done.output
    assert "the gold set reviewed by judge" in done.stdout and "exports/news.gold.jsonl" in done.stdout
    assert run("export", "--dataset", "news", "--db", "a.db").exit_code == 0
    gold = lines(workdir / "exports" / "news.gold.jsonl")
    plain = lines(workdir / "exports" / "news.jsonl")
    assert [r["_annotator_id"] for r in gold] == ["judge"]
    assert sorted(str(r["_annotator_id"]) for r in plain) == ["alice", "bob", "judge"]
    assert run("export", "--dataset", "news", "--gold", "-f", "conll", "--db", "a.db").exit_code == 0
    assert (workdir / "exports" / "news.gold.conll").exists()
    table = run("stats", "--db", "a.db").stdout
    assert "judge (gold)" in table and "alice (gold)" not in table


def test_several_gold_sets_are_asked_for_by_name(workdir: Path) -> None:
    build(workdir / "a.db")
    with Store(workdir / "a.db") as store:
        ReviewSession(store, "news", "alice", "bob", reviewer="judge")
        carol = ReviewSession(store, "news", "alice", "bob", reviewer="carol")
        assert carol.export_command == "annotator export --dataset news --gold --reviewer carol"
    done = run("export", "--dataset", "news", "--gold", "--db", "a.db")
    assert done.exit_code == 1
    assert "has 2 gold sets, by carol (adjudicated alice, bob); judge (adjudicated alice, bob)" in done.stderr
    assert "which one? give `--gold --reviewer carol` or another of them" in done.stderr
    assert not (workdir / "exports").exists()
    done = run("export", "--dataset", "news", "--gold", "--reviewer", "judge", "--db", "a.db")
    assert done.exit_code == 0, done.output
    assert [r["_annotator_id"] for r in lines(workdir / "exports" / "news.gold.jsonl")] == ["judge"]
    done = run("export", "--dataset", "news", "--gold", "--reviewer", "alice", "--db", "a.db")
    assert done.exit_code == 1 and "'alice' has not reviewed dataset 'news'" in done.stderr
    done = run("export", "--dataset", "news", "--reviewer", "judge", "--db", "a.db")
    assert done.exit_code == 1 and "give --gold too" in done.stderr


def test_a_dataset_nobody_reviewed_says_how_to_make_a_gold_set(workdir: Path) -> None:
    build(workdir / "a.db")
    done = run("export", "--dataset", "news", "--gold", "--db", "a.db")
    assert done.exit_code == 1
    assert (
        "no gold set yet" in done.stderr and "annotator review --dataset news --annotators A,B" in done.stderr
    )


def test_reviews_made_before_the_role_was_recorded_are_found(tmp_path: Path) -> None:
    """A database of version 4 (before reviews were recorded): judge's review is known by the
    session id the review wrote, and an annotator called "gold" (the old fixed name) counts as a
    reviewer too."""
    db = tmp_path / "old.db"
    task_id = build(db)
    other = Task("Another text .", provisional_tokens("Another text ."), input_hash("Another text ."))
    with Store(db) as store:
        [other_id] = store.add_tasks("other", [(other, Annotation())])
        store.save_annotation(other_id, "gold", Annotation(answer="accept"))
        # what a review wrote before version 5
        store.save_annotation(task_id, "judge", Annotation(answer="accept"), session="news-review-judge")
    raw = sqlite3.connect(db, isolation_level=None)
    downgrade(raw, 4)  # before the reviews table
    raw.close()
    with Store(db) as store:
        assert store.reviewers("news") == [Review("judge", ())]
        assert store.reviewers("other") == [Review("gold", ())]


def test_evaluate_and_train_read_the_gold_set_of_whoever_reviewed(workdir: Path) -> None:
    """``--gold`` means the same in every command: here the reviewer is judge, not "gold"."""
    from annotator.nlp.dataset import accepted_pairs, who_from

    build(workdir / "a.db")
    with Store(workdir / "a.db") as store:
        ReviewSession(store, "news", "alice", "bob", reviewer="judge")
        who = who_from(store, "news", True, None)
        assert who == "judge" and len(accepted_pairs(store, "news", who)) == 1
        ReviewSession(store, "news", "alice", "bob", reviewer="carol")
        with pytest.raises(AnnotatorError, match=r"2 gold sets.*give `--annotator carol`"):
            who_from(store, "news", True, None)
