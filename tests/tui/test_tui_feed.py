"""The first text shows before the model is loaded; suggestions arrive into the store behind it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from textual.message import Message

from annotator.core.doubts import Doubts
from annotator.core.errors import BadRecord
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.core.records import from_record, to_record
from annotator.core.tokenize import provisional_tokens
from annotator.feed import READY_BATCH, FeedDone, FeedEvent, FirstText, TasksAdded, feed
from annotator.sources import SourceItem, read_source, require_items
from annotator.store import Store
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.feed_messages import FeedFinished, FirstTextRead, ModelReady, TasksStored
from annotator.tui.launch import DEMO_LABELS, run_annotate, sample_path
from tests.tui_support import SIZE

FEED_MESSAGES = (FirstTextRead, ModelReady, TasksStored, FeedFinished)


async def wait_for(condition: object, seconds: float = 90) -> None:
    for _ in range(int(seconds * 20)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_text_first_then_suggestions_then_bad_records_reported(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(sample_path().read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "b.txt").write_text("Angela Merkel met Emmanuel Macron in Paris on Tuesday.", encoding="utf-8")
    (corpus / "c.txt").write_bytes(b"\xff\xfe\xfa not utf-8 \xff")
    db = tmp_path / "a.db"
    app, _ = run_annotate(AnnotateOptions(corpus, "news", labels=DEMO_LABELS, db=db), "bob")
    seen: list[str] = []
    received: list[Message] = []
    stored_when_first_shown: list[object] = []

    def spy(message: Message) -> None:
        # The feed's messages as the annotate screen receives them, once each (they bubble on to
        # the app, which sees the same message again).
        if not isinstance(message, FEED_MESSAGES) or any(m is message for m in received):
            return
        received.append(message)
        seen.append(type(message).__name__)
        if isinstance(message, FirstTextRead):
            stored_when_first_shown.append(app.session.current)

    async with app.run_test(size=SIZE, message_hook=spy) as pilot:
        await wait_for(lambda: FeedFinished.__name__ in seen)
        await pilot.pause()
        # the first text is drawn before anything is stored: what is drawn is the provisional text
        assert seen[0] == FirstTextRead.__name__ and stored_when_first_shown[0] is None
        assert (
            seen.index(ModelReady.__name__)
            < seen.index(TasksStored.__name__)
            < seen.index(FeedFinished.__name__)
        )
        assert app.session.current is not None
        assert app.annotate_screen.pending_task is None
        labels = {s.label for s in app.session.current.annotation.spans}
        assert {"PERSON", "GPE"} <= labels
        assert "task 1 of 2" in str(app.annotate_screen.query_one("#status").render())
        assert "bad record" in str(app.annotate_screen.query_one("#message").render())
        await pilot.press("a")
        assert app.session.current.task.text.startswith("Angela Merkel")
    assert len(app.problems) == 1 and "c.txt" in str(app.problems[0])
    with Store(db) as store:
        assert store.task_count("news") == 2
        first = store.annotation(store.task_ids("news")[0], "bob")
        assert first is not None and first.answer == "accept"


class _NoModel:
    """Every task of the source comes with tokens and spans: the model must never be asked."""

    def load(self) -> str:
        raise AssertionError("the model was loaded for tasks that need none")

    def __call__(self, items: list[SourceItem], problems: list[BadRecord]) -> list[tuple[Task, Annotation]]:
        raise AssertionError("the model was asked for tasks that need none")

    def take_doubts(self) -> dict[int, Doubts]:
        raise AssertionError("the model's doubts were asked for tasks that need none")


def test_ready_tasks_are_stored_in_batches_and_a_restart_stores_and_says_nothing(tmp_path: Path) -> None:
    source = tmp_path / "tasks.jsonl"
    with open(source, "wb") as handle:
        for i in range(1201):
            text = f"Task number {i} mentions Seoul ."
            tokens = provisional_tokens(text)
            seoul = next(t for t in tokens if t.text == "Seoul")
            spans = (Span(seoul.start, seoul.end, seoul.id, seoul.id, "GPE", None, 1),)
            record = to_record(Task(text, tokens, input_hash(text)), Annotation(spans))
            handle.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
    db = tmp_path / "a.db"

    def run() -> list[FeedEvent]:
        events: list[FeedEvent] = []
        problems: list[BadRecord] = []
        feed(db, "d", read_source(source, problems), _NoModel(), events.append, problems)
        assert not problems
        return events

    first = run()
    added = [e for e in first if isinstance(e, TasksAdded)]
    # The first task alone (it shows at once), then READY_BATCH at a time: one message each; a
    # short one is not drawn before it is stored (FirstText: only a text SHOW_BEFORE_STORING long).
    assert [e.count for e in added] == [1, READY_BATCH, READY_BATCH, 1200 - 2 * READY_BATCH]
    assert not any(isinstance(e, FirstText) for e in first)
    ids = [i for e in added for i in e.task_ids]
    with Store(db) as store:
        assert ids == store.task_ids("d")
    # A restart reads the source again and finds every task stored: no write, no message a task
    # (each one re-read every task id on the screen's side).
    assert run() == [FeedDone([])]


def test_a_restart_reads_the_tokens_of_new_records_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the annotate screen's lazy reading, a stored task's record is passed over by its hash
    (its tokens and spans are not read again), a new record is read whole, and a bad new record is
    reported with its line."""
    source = tmp_path / "tasks.jsonl"

    def record(i: int) -> bytes:
        text = f"Task number {i} mentions Seoul ."
        tokens = provisional_tokens(text)
        seoul = next(t for t in tokens if t.text == "Seoul")
        spans = (Span(seoul.start, seoul.end, seoul.id, seoul.id, "GPE", None, 1),)
        task = Task(text, tokens, input_hash(text))
        return orjson.dumps(to_record(task, Annotation(spans)), option=orjson.OPT_APPEND_NEWLINE)

    source.write_bytes(b"".join(record(i) for i in range(50)))
    db = tmp_path / "a.db"

    def run() -> tuple[list[FeedEvent], list[BadRecord]]:
        events: list[FeedEvent] = []
        problems: list[BadRecord] = []
        items = require_items(source, read_source(source, problems, lazy=True), problems)
        feed(db, "d", items, _NoModel(), events.append, problems)
        return events, problems

    events, problems = run()
    assert not problems and sum(e.count for e in events if isinstance(e, TasksAdded)) == 50
    bad = orjson.loads(record(51))
    bad["tokens"][1]["start"] += 1  # a token that is not the text at its offsets
    with open(source, "ab") as handle:
        handle.write(record(50) + orjson.dumps(bad) + b"\n")
    read: list[int] = []
    real = from_record

    def counting(raw: object, **kwargs: object) -> object:
        read.append(1)
        return real(raw, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("annotator.sources.from_record", counting)
    events, problems = run()
    assert sum(e.count for e in events if isinstance(e, TasksAdded)) == 1  # task 50
    assert len(read) == 3  # the first record (said at once if bad), task 50 and the bad one
    assert [(p.line, "token 1") for p in problems] == [(52, "token 1")] and "token 1" in problems[0].reason
