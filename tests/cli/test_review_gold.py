"""The review as a reviewer uses it: coming back to a task already accepted, the notes of tasks one
annotator did not accept, relations whose argument is not (yet) in the gold, and the ``source`` of
every span and relation of the gold, also those the reviewer drew in the edit screen."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import orjson

from annotator.core.choices import Choice, ReviewChoice
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Task
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.review import ReviewSession
from annotator.store import Store
from annotator.tui.review_app import ReviewApp

TEXT = "Gen Nakatani met Ahn Gyu Back in Seoul on Sunday with Lee of South Korea ."
ACCEPT_REJECT = "The talks ended in Tokyo ."
ACCEPT_IGNORE = "Nobody could agree on Osaka ."


def task_of(text: str) -> Task:
    return Task(text, provisional_tokens(text), input_hash(text))


def version(
    task: Task, spans: list[tuple[str, str]], relations: list[tuple[int, int, str]], answer: str = "accept"
) -> Annotation:
    made = []
    for i, (phrase, label) in enumerate(spans, 1):
        start = task.text.index(phrase)
        made.append(make_span(task, start, start + len(phrase), label, sid=i))
    rels = tuple(Relation(h, c, label) for h, c, label in relations)
    return Annotation(tuple(made), rels, answer=answer)  # type: ignore[arg-type]


def build(db: Path) -> None:
    t, rej, ign = task_of(TEXT), task_of(ACCEPT_REJECT), task_of(ACCEPT_IGNORE)
    a = version(
        t,
        [("Gen Nakatani", "PERSON"), ("Ahn Gyu Back", "PERSON"), ("Seoul", "GPE"), ("Sunday", "DATE")],
        [(1, 2, "MET"), (2, 3, "VISITED")],
    )
    b = version(
        t,
        [
            ("Nakatani", "PERSON"),
            ("Ahn Gyu Back", "ORG"),
            ("Seoul", "GPE"),
            ("Lee", "PERSON"),
            ("South Korea", "GPE"),
        ],
        [(1, 2, "MET"), (2, 3, "VISITED"), (4, 5, "AFFILIATED_WITH")],
    )
    with Store(db) as store:
        ids = store.add_tasks("news", [(t, Annotation()), (rej, Annotation()), (ign, Annotation())])
        store.save_annotation(ids[0], "alice", a)
        store.save_annotation(ids[0], "bob", b)
        store.save_annotation(ids[1], "alice", version(rej, [("Tokyo", "GPE")], []))
        store.save_annotation(ids[1], "bob", version(rej, [("Tokyo", "GPE")], [], "reject"))
        store.save_annotation(ids[2], "alice", version(ign, [("Osaka", "GPE")], []))
        store.save_annotation(ids[2], "bob", version(ign, [], [], "ignore"))


def gold(db: Path, text: str) -> Annotation:
    with Store(db) as store:
        for task_id in store.task_ids("news"):
            if store.task(task_id).text == text:
                found = store.annotation(task_id, "gold")
                assert found is not None
                return found
    raise AssertionError(text)


def described(
    text: str, ann: Annotation
) -> tuple[set[tuple[str, str, str | None]], set[tuple[str, str, str, str | None]]]:
    by = {s.sid: text[s.start : s.end] for s in ann.spans}
    return (
        {(text[s.start : s.end], s.label, s.source) for s in ann.spans},
        {(by[r.head], r.label, by[r.child], r.source) for r in ann.relations},
    )


def kinds(review: ReviewSession) -> list[str]:
    assert review.adjudication is not None
    return [d.kind for d in review.adjudication.disagreements]


def test_notes_name_each_answer_correctly(tmp_path: Path) -> None:
    build(tmp_path / "r.db")
    review = ReviewSession(Store(tmp_path / "r.db"), "news", "alice", "bob")
    notes = [item.note for item in review.plan.queue]
    assert notes == ["", "alice accepted, bob rejected", "alice accepted, bob ignored"]


def test_an_accepted_task_reopens_with_its_choices_and_they_can_be_changed(tmp_path: Path) -> None:
    """Reopening an accepted task shows its choices (a disagreement left open was taken as
    neither on accept), also after a restart, and they can be changed. Before, every disagreement
    showed as open again and taking another version of one failed ("the gold already has ...")."""
    db = tmp_path / "r.db"
    build(db)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    review.open_first()
    assert kinds(review)[:5] == ["boundary", "label", "a_only", "b_only", "b_only"]
    review.choose(0, Choice.B)  # Nakatani
    review.choose(1, Choice.A)  # Ahn Gyu Back PERSON
    review.choose(2, Choice.NEITHER)  # Sunday
    review.choose(3, Choice.B)  # Lee
    first = review.adjudication
    assert first is not None
    b_met = next(d.index for d in first.disagreements if d.kind == "relation" and d.b_relations)
    review.choose(b_met, Choice.B)  # B's MET: Nakatani -> Ahn Gyu Back
    review.accept()
    taken = (Choice.B, Choice.A, Choice.NEITHER, Choice.B, Choice.NEITHER)  # South Korea left open: neither
    assert review.resolution().choices[:5] == taken and review.resolution().choices[b_met] == Choice.B
    spans, rels = described(TEXT, gold(db, TEXT))
    # VISITED is agreed (same offsets) though its head was a label conflict: it stays "both"
    assert ("Ahn Gyu Back", "VISITED", "Seoul", "both") in rels
    assert ("Nakatani", "MET", "Ahn Gyu Back", "bob") in rels
    assert ("Ahn Gyu Back", "PERSON", "alice") in spans and ("Seoul", "GPE", "both") in spans

    again = ReviewSession(Store(db), "news", "alice", "bob")
    again.open(0)
    assert again.resolution().choices[:5] == taken
    assert again.resolution().choices[b_met] == Choice.B
    again.choose(0, Choice.A)  # changed mind: Gen Nakatani after all
    spans, _ = described(TEXT, again.result)
    assert ("Gen Nakatani", "PERSON", "alice") in spans and ("Nakatani", "PERSON", "bob") not in spans
    assert again.resolution().choices[0] == Choice.A
    # B's MET is still taken, but its head is gone: it waits, and is said to
    assert again.resolution().choices[b_met] == Choice.B
    assert any(w.startswith("bob's MET waits for its head 'Nakatani'") for w in again.waiting())
    third = ReviewSession(Store(db), "news", "alice", "bob")  # and after a restart
    third.open(0)
    assert (
        third.resolution().choices[:5] == (Choice.A, *taken[1:])
        and third.resolution().choices[b_met] == Choice.B
    )


def test_a_relation_waiting_for_its_argument_is_said(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    build(db)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    review.open_first()
    adj = review.adjudication
    assert adj is not None
    rel = next(d.index for d in adj.disagreements if d.kind == "relation" and d.a_relations)
    review.choose(0, Choice.B)  # B's "Nakatani": A's MET starts at "Gen Nakatani", not in the gold
    review.choose(rel, Choice.A)
    waiting = review.waiting(rel)
    assert waiting and "'Gen Nakatani'" in waiting[0] and "MET" in waiting[0]
    assert all(r.label != "MET" or review.result.span(r.head) is None for r in review.result.relations)
    review.choose(0, Choice.A)  # its head arrives; its child (a label conflict) is still open
    (only,) = review.waiting(rel)
    assert "child 'Ahn Gyu Back'" in only
    review.choose(1, Choice.B)  # B's label for the child: the relation is there now
    assert review.waiting(rel) == [] and review.waiting() == []
    _, rels = described(TEXT, review.result)
    assert ("Gen Nakatani", "MET", "Ahn Gyu Back", "alice") in rels
    review.choose(1, Choice.NEITHER)  # the child goes: A's MET and the agreed VISITED wait for it
    assert {w.split(" waits")[0] for w in review.waiting()} == {"alice's MET", "the agreed VISITED"}


async def test_the_screen_says_what_a_choice_could_not_bring_and_keeps_the_answer_note(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r.db"
    build(db)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    async with ReviewApp(review).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        await pilot.press("2")  # boundary: B's Nakatani
        adj = review.adjudication
        assert adj is not None
        rel = next(d.index for d in adj.disagreements if d.kind == "relation" and d.a_relations)
        while screen.selected != rel:  # type: ignore[attr-defined]
            await pilot.press("n")
        await pilot.press("1")
        message, _ = pilot.app.said.entries[-1]  # type: ignore[attr-defined]
        assert "took A (alice)" in message and "Gen Nakatani" in message and "not in the gold" in message
        detail = str(screen.query_one("#detail").render())
        assert "taken: A (alice)" in detail
        await pilot.press("u")
        assert f"undone: A (alice) for disagreement {rel + 1}" in str(screen.query_one("#message").render())
        assert "open" in str(screen.query_one("#detail").render())
        await pilot.press("U")
        assert f"redone: A (alice) for disagreement {rel + 1}" in str(screen.query_one("#message").render())
        await pilot.press("a")
        # the next task: alice accepted it, bob rejected it; that is said and stays said
        assert "alice accepted, bob rejected" in str(screen.query_one("#message").render())
        assert "alice accepted, bob rejected" in str(screen.query_one("#detail").render())
        await pilot.press("u")  # nothing to undo here
        assert "alice accepted, bob rejected" in str(screen.query_one("#detail").render())


async def test_spans_drawn_in_the_edit_screen_carry_the_reviewers_name(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    build(db)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    async with ReviewApp(review).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("1", "1", "1", "1", "1")  # A everywhere it applies
        await pilot.press("e")
        await pilot.press(*["l"] * 13)  # cursor on "South"
        await pilot.press("L")  # ... and "Korea"
        await pilot.press("2")  # the labels the two used, in order: DATE, GPE, ...
        await pilot.press("a")  # back to the review
        await pilot.press("a")  # accept
    spans, rels = described(TEXT, gold(db, TEXT))
    assert all(source is not None for *_, source in spans)
    assert all(source is not None for *_, source in rels)
    assert ("Gen Nakatani", "PERSON", "alice") in spans and ("Seoul", "GPE", "both") in spans
    made = {s for s in spans if s[2] == "gold"}
    assert {s[0] for s in made} == {"South Korea"}


def test_the_export_command_names_the_reviewer(tmp_path: Path) -> None:
    build(tmp_path / "r.db")
    store = Store(tmp_path / "r.db")
    assert (
        ReviewSession(store, "news", "alice", "bob").export_command
        == "annotator export --dataset news --gold"
    )
    # once two reviewed the dataset, --gold asks whose gold set: the command says
    carol = ReviewSession(store, "news", "alice", "bob", reviewer="carol")
    assert carol.export_command == "annotator export --dataset news --gold --reviewer carol"


def test_a_reviewer_who_annotated_the_dataset_is_refused(tmp_path: Path) -> None:
    """The gold set is stored as the reviewer's annotations: a reviewer who is also an annotator of
    the dataset would have their own work taken for gold and overwritten."""
    import pytest

    from annotator.core.errors import AnnotatorError

    db = tmp_path / "r.db"
    build(db)
    with Store(db) as store:
        first = store.task_ids("news")[0]
        store.save_annotation(first, "carol", version(task_of(TEXT), [("Seoul", "GPE")], []))
    with pytest.raises(AnnotatorError, match="carol has annotations of their own"):
        ReviewSession(Store(db), "news", "alice", "bob", reviewer="carol")
    ReviewSession(Store(db), "news", "alice", "bob", reviewer="dave")  # a new name is fine
    again = ReviewSession(Store(db), "news", "alice", "bob", reviewer="dave")  # and a resumed review
    assert again.plan.agreed_to_gold == 0 and again.plan.already_gold == 0


async def test_an_80_column_terminal_keeps_the_text_and_the_count_of_open_disagreements(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r.db"
    build(db)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    async with ReviewApp(review).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert screen.query_one("#side").size.width <= 32
        assert screen.query_one("#doc").size.width >= 40
        status = screen.query_one("#status")
        shown = str(status.render())[: status.size.width]
        assert "task 1/3" in shown and "8 open here" in shown


def test_sources_are_checked_against_the_versions_on_accept(tmp_path: Path) -> None:
    """A span taken from A and then resized by the reviewer is no longer A's (a resize keeps the
    span's source): on accept its source says it is the reviewer's."""
    from dataclasses import replace

    from annotator.core.edits import Edit

    db = tmp_path / "r.db"
    build(db)
    review = ReviewSession(Store(db), "news", "alice", "bob")
    review.open_first()
    review.choose(2, Choice.A)  # Sunday DATE from A
    sunday = next(s for s in review.result.spans if TEXT[s.start : s.end] == "Sunday")
    grown = replace(sunday, end=sunday.end + len(" with"), token_end=sunday.token_end + 1)
    review.gold.apply(Edit("resize", (sunday,), (grown,)))  # what the edit screen's resize does
    review.accept()
    spans, _ = described(TEXT, gold(db, TEXT))
    assert ("Sunday with", "DATE", "gold") in spans


def test_choices_logged_before_they_were_typed_are_read_back(tmp_path: Path) -> None:
    """Earlier versions logged a choice as the note "review:{index}={choice}" (and no "choice" key):
    a database they wrote reviews on as it is, with its choices, and undo names them."""
    build(tmp_path / "new.db")
    made = ReviewSession(Store(tmp_path / "new.db"), "news", "alice", "bob")
    made.open_first()
    edits = [made.choose(0, Choice.B), made.choose(2, Choice.NEITHER)]
    build(tmp_path / "old.db")
    old = ReviewSession(Store(tmp_path / "old.db"), "news", "alice", "bob")
    old.open_first()
    for edit in edits:
        assert edit.choice is not None
        old.gold.apply(
            replace(edit, choice=None, note=f"review:{edit.choice.disagreement}={edit.choice.choice}")
        )
    with sqlite3.connect(tmp_path / "old.db") as conn:
        payloads = [
            orjson.loads(p) for (p,) in conn.execute("SELECT payload FROM edit_log WHERE event = 'do'")
        ]
    assert [p["note"] for p in payloads] == ["review:0=b", "review:2=neither"]
    assert not any("choice" in p for p in payloads)  # the rows are as earlier versions wrote them

    again = ReviewSession(Store(tmp_path / "old.db"), "news", "alice", "bob")
    again.open_first()
    assert again.resolution().choices[:3] == (Choice.B, None, Choice.NEITHER)
    assert again.result.content() == made.result.content()
    undone = again.gold.undo()
    assert undone is not None and undone.choice == ReviewChoice(2, Choice.NEITHER)


def test_the_plan_says_which_agreed_tasks_went_into_the_gold_now_and_which_before(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    build(db)
    agreed = task_of("Merkel flew to Paris .")
    same = version(agreed, [("Merkel", "PERSON"), ("Paris", "GPE")], [(1, 2, "VISITED")])
    with Store(db) as store:
        (task_id,) = store.add_tasks("news", [(agreed, Annotation())])
        store.save_annotation(task_id, "alice", same)
        store.save_annotation(task_id, "bob", same)
    first = ReviewSession(Store(db), "news", "alice", "bob").plan
    assert (first.agreed_to_gold, first.already_gold) == (1, 0)
    assert first.summary() == (
        "3 tasks to review; 1 agreed task went straight into the gold set; 0 neither accepted"
    )
    again = ReviewSession(Store(db), "news", "alice", "bob").plan  # the review run a second time
    assert (again.agreed_to_gold, again.already_gold) == (0, 1)
    assert "0 agreed tasks went straight into the gold set (1 already in it)" in again.summary()
