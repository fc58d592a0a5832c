"""The review screen on two versions that disagree in every way: boundary, label, a span only one
side has, and relations; each resolved with the keys, the stored gold checked."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from typer.testing import CliRunner

from annotator.cli import app as cli_app
from annotator.core.choices import Choice
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Task
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.review import ReviewSession
from annotator.store import Store
from annotator.tui.review_app import ReviewApp
from annotator.tui.screens.review import ReviewScreen

TEXT = "Gen Nakatani met Ahn Gyu Back in Seoul on Monday while North Korea tested missiles near Japan."
AGREED_TEXT = "Angela Merkel visited Paris."
ONLY_A_TEXT = "Nobody else saw this one."


def task_of(text: str) -> Task:
    return Task(text, provisional_tokens(text), input_hash(text))


def version(task: Task, spans: list[tuple[str, str]], relations: list[tuple[int, int, str]]) -> Annotation:
    made = []
    for i, (phrase, label) in enumerate(spans, 1):
        start = task.text.index(phrase)
        made.append(make_span(task, start, start + len(phrase), label, sid=i))
    rels = tuple(Relation(h, c, label) for h, c, label in relations)
    return Annotation(tuple(made), rels, answer="accept")


def build(db: Path) -> None:
    t, agreed, only_a = task_of(TEXT), task_of(AGREED_TEXT), task_of(ONLY_A_TEXT)
    a = version(
        t,
        [
            ("Gen Nakatani", "PERSON"),
            ("Ahn Gyu Back", "PERSON"),
            ("Seoul", "GPE"),
            ("Monday", "DATE"),
            ("North Korea", "GPE"),
        ],
        [(1, 2, "MET"), (2, 3, "LOCATED_IN")],
    )
    b = version(
        t,
        [
            ("Nakatani", "PERSON"),
            ("Ahn Gyu Back", "PERSON"),
            ("Seoul", "LOC"),
            ("North Korea", "GPE"),
            ("Japan", "GPE"),
        ],
        [(1, 2, "MET"), (2, 3, "LOCATED_IN")],
    )
    same = version(agreed, [("Angela Merkel", "PERSON"), ("Paris", "GPE")], [(1, 2, "VISITED")])
    with Store(db) as store:
        ids = store.add_tasks("news", [(t, Annotation()), (agreed, Annotation()), (only_a, Annotation())])
        store.save_annotation(ids[0], "alice", a)
        store.save_annotation(ids[0], "bob", b)
        store.save_annotation(ids[1], "alice", same)
        store.save_annotation(ids[1], "bob", same)
        store.save_annotation(ids[2], "alice", version(only_a, [], []))


def gold_content(
    db: Path, text: str
) -> tuple[set[tuple[str, str, str | None]], set[tuple[str, str, str]], str | None]:
    with Store(db) as store:
        for task_id in store.task_ids("news"):
            task = store.task(task_id)
            if task.text != text:
                continue
            gold = store.annotation(task_id, "gold")
            assert gold is not None
            spans = {(text[s.start : s.end], s.label, s.source) for s in gold.spans}
            by = {s.sid: text[s.start : s.end] for s in gold.spans}
            rels = {(by[r.head], r.label, by[r.child]) for r in gold.relations}
            return spans, rels, gold.answer
    raise AssertionError("task not found")


async def test_every_kind_of_disagreement_resolved_with_the_keys(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    build(db)
    store = Store(db)
    review = ReviewSession(store, "news", "alice", "bob")
    assert len(review.plan.queue) == 1 and review.plan.agreed_to_gold == 1 and review.plan.only["alice"] == 1
    async with ReviewApp(review).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        adj = review.adjudication
        assert adj is not None
        kinds = [d.kind for d in adj.disagreements]
        assert kinds[:4] == ["boundary", "label", "a_only", "b_only"] and set(kinds[4:]) == {"relation"}
        screen = app_screen(pilot)
        assert screen.selected == 0  # the first disagreement is selected when the task opens
        await pilot.press("1")  # boundary: take A's "Gen Nakatani"
        assert screen.selected == 1
        await pilot.press("b")  # label conflict: both overlap, refused
        assert "cannot take both" in str(screen.query_one("#message").render())
        await pilot.press("2")  # label: take B's LOC
        await pilot.press("0")  # Monday, A only: take neither
        await pilot.press("b")  # Japan, B only: both = B's span
        status = str(screen.query_one("#status").render())
        assert f"{len(kinds) - 4} open here" in status
        # relation disagreements: take A's for every one (A's MET has head "Gen Nakatani")
        for _ in range(len(kinds) - 4):
            await pilot.press("1")
        assert review.resolution().unresolved == ()
        # undo the last choice and redo it: the choice comes and goes with the gold
        await pilot.press("u")
        assert len(review.resolution().unresolved) == 1
        await pilot.press("U")
        assert review.resolution().unresolved == ()
        await pilot.press("a")
    spans, rels, answer = gold_content(db, TEXT)
    assert answer == "accept"
    assert spans == {
        ("Gen Nakatani", "PERSON", "alice"),
        ("Ahn Gyu Back", "PERSON", "both"),
        ("Seoul", "LOC", "bob"),
        ("North Korea", "GPE", "both"),
        ("Japan", "GPE", "bob"),
    }
    # A's MET (Gen Nakatani -> Ahn Gyu Back) taken; LOCATED_IN with Seoul: A's and B's
    # disagreed on Seoul's label only, so by offsets the relation is agreed.
    assert ("Gen Nakatani", "MET", "Ahn Gyu Back") in rels
    assert ("Nakatani", "MET", "Ahn Gyu Back") not in rels
    assert ("Ahn Gyu Back", "LOCATED_IN", "Seoul") in rels
    agreed_spans, agreed_rels, agreed_answer = gold_content(db, AGREED_TEXT)
    assert agreed_answer == "accept" and agreed_spans == {
        ("Angela Merkel", "PERSON", "both"),
        ("Paris", "GPE", "both"),
    }
    assert agreed_rels == {("Angela Merkel", "VISITED", "Paris")}


async def test_review_resumes_with_its_choices_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    build(db)
    first = ReviewSession(Store(db), "news", "alice", "bob")
    async with ReviewApp(first).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2", "0")  # B's "Nakatani"; neither on the label conflict
        await pilot.press("q")
    again = ReviewSession(Store(db), "news", "alice", "bob")
    async with ReviewApp(again).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert again.resolution().choices[:3] == (Choice.B, Choice.NEITHER, None)
        assert app_screen(pilot).selected == 2  # the first open disagreement
        await pilot.press("e")  # free edit: the annotate keys on the gold
        await pilot.press("tab", "d")  # delete the first gold span ("Nakatani")
        await pilot.press("a")  # back to the review
        assert "Nakatani" not in {again.result.spans[0] and TEXT[s.start : s.end] for s in again.result.spans}
        await pilot.press("x")
    _, _, answer = gold_content(db, TEXT)
    assert answer == "reject"


def app_screen(pilot: Pilot[None]) -> ReviewScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    return screen


def test_review_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        cli_app, ["review", "--dataset", "news", "--annotators", "alice,bob", "--db", str(tmp_path / "no.db")]
    )
    assert missing.exit_code != 0 and "no such database" in missing.output
    assert not (tmp_path / "no.db").exists()
    db = tmp_path / "r.db"
    build(db)
    one = runner.invoke(cli_app, ["review", "--dataset", "news", "--annotators", "alice", "--db", str(db)])
    assert one.exit_code != 0 and "two names" in one.output
    nobody = runner.invoke(
        cli_app, ["review", "--dataset", "news", "--annotators", "alice,carol", "--db", str(db)]
    )
    assert nobody.exit_code != 0 and "'carol' has no annotations" in nobody.output


async def test_span_group_disagreements_are_reviewed_with_the_same_keys_and_b_takes_both(
    tmp_path: Path,
) -> None:
    """Issue 14: in a span group, where spans may overlap, b takes both versions of a disagreement
    (refused on the entity layer); the gold keeps each span in its group."""
    t = task_of("The Bank of America hired Ana in New York today.")

    def grouped(spans: list[tuple[str, str, str]]) -> Annotation:
        made = []
        for i, (phrase, label, layer) in enumerate(spans, 1):
            start = t.text.index(phrase)
            made.append(make_span(t, start, start + len(phrase), label, sid=i, layer=layer))
        return Annotation(tuple(made), answer="accept")

    a = grouped(
        [
            ("Bank of America", "ORG", "ents"),
            ("Bank of America", "INSTITUTION", "sc"),
            ("America", "PLACE", "sc"),
        ]
    )
    b = grouped(
        [
            ("Bank of America", "ORG", "ents"),
            ("Bank of America", "COMPANY", "sc"),
            ("New York", "PLACE", "sc"),
        ]
    )
    db = tmp_path / "g.db"
    with Store(db) as store:
        [task_id] = store.add_tasks("news", [(t, Annotation())])
        store.save_annotation(task_id, "alice", a)
        store.save_annotation(task_id, "bob", b)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    async with ReviewApp(review).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        adj = review.adjudication
        assert adj is not None
        assert [(d.kind, d.layer) for d in adj.disagreements] == [("boundary", "sc"), ("b_only", "sc")]
        await pilot.press("b", "b", "a")
    with Store(db) as store:
        gold = store.annotation(task_id, "gold")
    assert gold is not None and gold.answer == "accept"
    assert {(t.text[s.start : s.end], s.label, s.layer) for s in gold.spans} == {
        ("Bank of America", "ORG", "ents"),
        ("Bank of America", "INSTITUTION", "sc"),
        ("Bank of America", "COMPANY", "sc"),
        ("America", "PLACE", "sc"),
        ("New York", "PLACE", "sc"),
    }
