"""The review's first screen does not wait for every task to be read: the tasks are read behind it
(a few at a time here), the first disagreement opens as soon as it is found, the status line says
how far the reading has got, agreed tasks go into the gold set as they are read, and quitting stops
the reading between two steps."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot

import annotator.review as review_module
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.review import ReviewSession
from annotator.store import Store
from annotator.tui.review_app import ReviewApp

N = 60
DISAGREE = {17, 41}  # the tasks where bob labels Paris a LOC


def build(db: Path) -> None:
    with Store(db) as store:
        items = []
        for i in range(N):
            text = f"Angela Merkel visited Paris on day {i} ."
            items.append((Task(text, provisional_tokens(text), input_hash(text)), Annotation()))
        ids = store.add_tasks("news", items)
        for k, (task_id, (task, _)) in enumerate(zip(ids, items, strict=True)):
            for who in ("alice", "bob"):
                label = "LOC" if who == "bob" and k in DISAGREE else "GPE"
                start = task.text.index("Paris")
                span = make_span(task, start, start + 5, label, sid=1)
                store.save_annotation(task_id, who, Annotation((span,), answer="accept"))


def status(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#status").render())


async def test_the_first_disagreement_opens_while_the_tasks_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_module, "STEP", 5)
    db = tmp_path / "r.db"
    build(db)
    store = Store(db)
    review = ReviewSession(store, "news", "alice", "bob", background=True)
    assert review.plan.read == 0 and review.plan.queue == []  # nothing read before the screen
    permits = threading.Semaphore(0)  # one step of reading for each permit the test gives
    steps = review.plan_some

    def held_plan_some() -> bool:
        permits.acquire(timeout=30)
        return steps()

    monkeypatch.setattr(review, "plan_some", held_plan_some)
    app = ReviewApp(review)
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause()
        assert review.adjudication is None
        assert "looking for the first disagreement" in str(app.screen.query_one("#message").render())
        for _ in range(N):  # a step at a time until the first disagreement is on screen
            permits.release()
            await pilot.pause(0.05)
            if review.adjudication is not None:
                break
        assert review.adjudication is not None and review.item is not None
        assert store.task(review.item.task_id).text.endswith(f"day {min(DISAGREE)} .")
        assert not review.plan.done and review.plan.read < N
        assert f"reading tasks {review.plan.read} of {N}" in status(pilot)
        for _ in range(N):
            permits.release()
        for _ in range(200):
            await pilot.pause(0.05)
            if review.plan.done:
                break
        await pilot.pause()
        assert review.plan.read == N and len(review.plan.queue) == len(DISAGREE)
        assert review.plan.agreed_to_gold == N - len(DISAGREE)
        assert "reading tasks" not in status(pilot) and "task 1/2" in status(pilot)
        await pilot.press("2", "a")  # take bob's LOC; the next disagreement opens
        assert review.item is not None and review.position == 1
        assert review.tasks_left() == 1
    assert app.plan_thread is not None and not app.plan_thread.is_alive()
    assert sum(1 for _, _, a in store.annotations("news", "gold")) == N - len(DISAGREE) + 1
    store.close()


async def test_quitting_stops_the_reading_and_the_summary_says_how_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_module, "STEP", 5)
    db = tmp_path / "r.db"
    build(db)
    store = Store(db)
    review = ReviewSession(store, "news", "alice", "bob", background=True)
    seen: list[str] = []
    steps = review.plan_some
    reading = threading.Event()

    def slow_plan_some() -> bool:
        reading.set()
        threading.Event().wait(0.2)
        return steps()

    monkeypatch.setattr(review, "plan_some", slow_plan_some)
    app = ReviewApp(review)
    async with app.run_test(size=(150, 40)) as pilot:
        reading.wait(timeout=30)
        await pilot.pause(0.3)
        seen.append(status(pilot))
        await pilot.press("q")
    assert app.plan_thread is not None and not app.plan_thread.is_alive()
    assert not review.plan.done and 0 < review.plan.read < N
    assert any("reading tasks" in s and f"of {N}" in s for s in seen)
    assert f"read {review.plan.read:,} of {N} tasks" in review.plan.summary()
    store.close()
