"""The feed and the screen at scale: while a key is handled and its frame drawn, the feed's thread
waits between two records (sharing the interpreter with a feed passing over a million stored
records made every key wait for it), and goes on once the screen is idle again; the task the feed
has just stored opens as the feed handed it over with its suggestion, not read back from the store
(half a second for a document of 500,000 tokens and 52,503 spans), and a long one is drawn,
read-only with its suggestion, before it is stored (a third of a second of its first screen)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.pilot import Pilot

from annotator import feed, sources
from annotator.core.model import Annotation, Task
from annotator.core.records import from_record, to_record
from annotator.feed import SHOW_BEFORE_STORING, FeedEvent
from annotator.session import AnnotationSession
from annotator.store import Store, TaskState
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.app import AnnotatorApp
from annotator.tui.components.document_view import DocumentView
from annotator.tui.feed_messages import FirstTextRead, TasksStored
from annotator.tui.launch import run_annotate
from tests.tui_support import QA_SCHEME, SIZE, make_db, make_task


async def opened(app: AnnotatorApp, pilot: Pilot[None]) -> None:
    """Wait until the feed is done and a task is open (at most ten seconds), then until idle."""
    for _ in range(200):
        if app.session.finished and app.session.current is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause()


async def test_the_feed_waits_while_a_key_is_handled(tmp_path: Path) -> None:
    db = make_db(tmp_path / "q.db", *(make_task(f"Ana Costa met Li Wei on day {n} .") for n in range(4)))
    log: list[str] = []  # "feed" for each record the feed would read, "key ..." around a key
    lock = threading.Lock()

    def note(what: str) -> None:
        with lock:
            log.append(what)

    def runner(notify: Callable[[FeedEvent], None], should_stop: Callable[[], bool]) -> None:
        while not should_stop():
            note("feed")
            time.sleep(0.001)

    app = AnnotatorApp(AnnotationSession(Store(db), "qa", "alice", QA_SCHEME), "test model", feed=runner)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.annotate_screen
        step = screen.action_next_task

        def slow_step() -> None:
            note("key begins")
            time.sleep(0.2)  # a slow key: the feed's thread is free to run unless it waits
            step()
            note("key ends")

        screen.action_next_task = slow_step  # type: ignore[method-assign]

        async def until(done: Callable[[list[str]], bool]) -> list[str]:
            # Polled, not a fixed pause: on two shared cores the feed's thread may wait its turn.
            for _ in range(250):
                with lock:
                    seen = list(log)
                if done(seen):
                    break
                await pilot.pause(0.02)
            return seen

        assert "feed" in await until(lambda seen: "feed" in seen)
        await pilot.press("]")
        seen = await until(lambda seen: "key ends" in seen and "feed" in seen[seen.index("key ends") :])
        assert app.session.index == 1
        begins, ends = seen.index("key begins"), seen.index("key ends")
        # The record the feed was on when the key came is finished; then it waits (without the
        # wait it would read some 150 records while the key sleeps).
        assert "feed" in seen[:begins] and seen[begins:ends].count("feed") <= 1
        assert "feed" in seen[ends:], "the feed did not go on after the key"
    assert app.feed_thread is not None
    app.feed_thread.join(timeout=5)
    assert not app.feed_thread.is_alive()


async def test_a_task_just_stored_opens_without_being_read_back(tmp_path: Path) -> None:
    source = tmp_path / "tasks.jsonl"
    made = [
        make_task(f"Ana Costa met Li Wei in Lisbon on day {n} .", (("Ana Costa", "PERSON"),))
        for n in range(3)
    ]
    source.write_bytes(b"".join(orjson.dumps(to_record(t, a)) + b"\n" for t, a in made))
    app, _ = run_annotate(AnnotateOptions(source, "qa", labels="PERSON,GPE", db=tmp_path / "a.db"), "alice")
    store = app.session.store
    read: list[int] = []
    read_task = store.task

    def counted_task(task_id: int) -> Task:
        read.append(task_id)
        return read_task(task_id)

    read_state = store.state

    def counted_state(task_id: int, annotator: str) -> TaskState:
        read.append(task_id)
        return read_state(task_id, annotator)

    store.task = counted_task  # type: ignore[method-assign]
    store.state = counted_state  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await opened(app, pilot)
        cur = app.session.current
        assert cur is not None and cur.task.text == made[0][0].text
        assert [s.label for s in cur.annotation.spans] == ["PERSON"]
        assert read == [], "the task the feed stored was read back"
        assert cur.task == store.task(cur.task_id)  # what was handed over is what is stored
        assert cur.shown == store.suggestion(cur.task_id) and cur.seen is None  # and so is its suggestion
        await pilot.press("]")
        assert app.session.current is not None and app.session.current.task.text == made[1][0].text
        assert read[-1] == app.session.current.task_id  # a task opened later is read from the store


async def test_a_long_ready_task_is_drawn_with_its_suggestion_before_it_is_stored(tmp_path: Path) -> None:
    text = " ".join(["Ana Costa met Li Wei in Lisbon on Monday ."] * (SHOW_BEFORE_STORING // 40))
    task, suggestion = make_task(text, (("Ana Costa", "PERSON"), ("Lisbon", "GPE")))
    short = make_task("Li Wei met Ana Costa in Porto .", (("Porto", "GPE"),))
    source = tmp_path / "tasks.jsonl"
    source.write_bytes(
        b"".join(orjson.dumps(to_record(t, a)) + b"\n" for t, a in ((task, suggestion), short))
    )
    db = tmp_path / "a.db"
    app, _ = run_annotate(AnnotateOptions(source, "qa", labels="PERSON,GPE", db=db), "alice")
    received: list[object] = []
    seen: list[tuple[str, int, int | None, int]] = []  # message, tasks stored, task open, spans drawn

    def spy(message: object) -> None:
        # As the feed's thread posts them (and again as they bubble: counted once).
        if not isinstance(message, (FirstTextRead, TasksStored)) or any(m is message for m in received):
            return
        received.append(message)
        cur = app.session.current
        drawn = len(app.annotate_screen.doc.spans.annotation.spans)
        with Store(db) as store:
            stored = store.task_count("qa")
        seen.append((type(message).__name__, stored, cur.task_id if cur else None, drawn))

    async with app.run_test(size=SIZE, message_hook=spy) as pilot:
        await opened(app, pilot)
        first = app.annotate_screen.pending_task
        cur = app.session.current
        assert cur is not None and first is None and cur.task == task
        assert cur.annotation.spans == suggestion.spans and not app.annotate_screen.doc.provisional
    # Drawn with its two spans while nothing was stored; then stored and opened as handed over.
    assert seen[0] == ("FirstTextRead", 0, None, 0)
    name, stored, open_id, drawn = seen[1]
    assert (name, open_id, drawn) == ("TasksStored", None, 2) and stored >= 1
    assert [name for name, *_ in seen] == ["FirstTextRead", "TasksStored", "TasksStored"]


async def test_a_long_task_drawn_while_stored_opens_without_being_laid_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index of its spans and its layout are built once, for the read-only draw, and handed to
    the editable task the feed stored (they were built twice: half a second of a 500,000-token
    document's first edit); then a label and its undo work on it as on any task."""
    text = " ".join(["Ana Costa met Li Wei in Lisbon on Monday ."] * (SHOW_BEFORE_STORING // 40))
    task, suggestion = make_task(text, (("Ana Costa", "PERSON"), ("Lisbon", "GPE")))
    source = tmp_path / "long.jsonl"
    source.write_bytes(orjson.dumps(to_record(task, suggestion)) + b"\n")
    built: list[int] = []  # the length of the text laid out, each time one is
    lay_out = DocumentView._layout_all

    def counted(view: DocumentView) -> None:
        built.append(len(view.doc_task.text) if view.doc_task else 0)
        lay_out(view)

    monkeypatch.setattr(DocumentView, "_layout_all", counted)
    app, _ = run_annotate(AnnotateOptions(source, "qa", labels="PERSON,GPE", db=tmp_path / "a.db"), "alice")
    async with app.run_test(size=SIZE) as pilot:
        await opened(app, pilot)
        doc = app.annotate_screen.doc
        assert not doc.provisional and app.annotate_screen.editable()
        assert built.count(len(text)) == 1, built
        assert doc.annotation is app.session.current.annotation  # type: ignore[union-attr]
        spans_before = app.session.current.annotation.spans  # type: ignore[union-attr]
        await pilot.press("l", "l", "2")  # "met" (token 2) made a GPE (key 2)
        cur = app.session.current
        assert cur is not None and len(cur.annotation.spans) == 3
        assert doc.spans.span_at[2].label == "GPE"  # the screen's index follows the edit
        await pilot.press("u")
        assert app.session.current.annotation.spans == spans_before  # type: ignore[union-attr]
        assert 2 not in doc.spans.span_at


def _long_record(tmp_path: Path, words: int, spoil_token: int | None = None) -> tuple[Path, Task]:
    text = " ".join(["Ana Costa met Li Wei in Lisbon on Monday ."] * (words // 10))
    task, suggestion = make_task(text, (("Ana Costa", "PERSON"), ("Lisbon", "GPE")))
    record = to_record(task, suggestion)
    record["spans"].append(  # a span far beyond the start: not in what is drawn first
        {
            "start": task.tokens[-2].start,
            "end": task.tokens[-2].end,
            "token_start": len(task.tokens) - 2,
            "token_end": len(task.tokens) - 2,
            "label": "GPE",
        }
    )
    if spoil_token is not None:
        record["tokens"][spoil_token]["start"] += 1  # not the text at its offsets
    source = tmp_path / "long.jsonl"
    source.write_bytes(orjson.dumps(record) + b"\n")
    return source, task


async def test_the_start_of_a_long_record_is_drawn_before_the_record_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first record of GLIMPSE_FROM tokens or more is not read whole before the screen opens:
    its first GLIMPSE_TOKENS tokens are drawn with the spans on them, read-only, while the feed reads
    the rest (a second for a document of 500,000 tokens); then the whole opens editable."""
    monkeypatch.setattr(sources, "GLIMPSE_FROM", 1_000)
    monkeypatch.setattr(sources, "GLIMPSE_TOKENS", 200)
    monkeypatch.setattr(feed, "SHOW_BEFORE_STORING", 1_000)  # the whole drawn before it is stored
    source, task = _long_record(tmp_path, 3_000)
    read: list[int] = []
    real = from_record
    # The feed's thread reads the whole record only once the test has seen the start drawn: under
    # load the whole was sometimes drawn before the test's first look, which then saw no start.
    start_seen = threading.Event()

    def counting(record: dict[str, Any], **kwargs: Any) -> tuple[Task, Annotation]:
        start_seen.wait(timeout=30)
        read.append(len(record["tokens"]))
        return real(record, **kwargs)

    monkeypatch.setattr(sources, "from_record", counting)
    app, _ = run_annotate(AnnotateOptions(source, "qa", labels="PERSON,GPE", db=tmp_path / "a.db"), "alice")
    assert read == [], "the long record was read before the screen"
    seen: list[tuple[bool, int, int, int]] = []  # start only, tokens, spans, records read

    def spy(message: object) -> None:
        if isinstance(message, FirstTextRead) and all(m[1] != len(message.task.tokens) for m in seen):
            spans = len(message.suggestion.spans) if message.suggestion else 0
            seen.append((message.start_only, len(message.task.tokens), spans, len(read)))

    async with app.run_test(size=SIZE, message_hook=spy) as pilot:
        for _ in range(500):
            if seen and app.annotate_screen.doc.doc_task is not None:
                break
            await pilot.pause(0.02)
        said = app.annotate_screen.said
        drawn = app.annotate_screen.doc.doc_task
        start_seen.set()
        await opened(app, pilot)
        cur = app.session.current
        assert cur is not None and cur.task == task and len(cur.annotation.spans) == 3
        assert app.annotate_screen.editable() and not app.annotate_screen.doc.provisional
    # First the start (200 tokens, with the two spans on them), before any record was read whole;
    # then the whole, read once, read-only while it was stored; then the whole opened.
    assert seen == [(True, 200, 2, 0), (False, len(task.tokens), 3, 1)], seen
    assert drawn is not None and len(drawn.tokens) == 200 and task.text.startswith(drawn.text)
    assert "reading the document" in said


async def test_a_long_record_with_bad_tokens_is_said_on_the_screen_of_its_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read after its start is drawn, a long first record's problem is said there with its file and
    line (it was said before any screen, when the record was read first), and nothing opens."""
    monkeypatch.setattr(sources, "GLIMPSE_FROM", 1_000)
    monkeypatch.setattr(sources, "GLIMPSE_TOKENS", 200)
    source, _ = _long_record(tmp_path, 3_000, spoil_token=2_500)
    app, _ = run_annotate(AnnotateOptions(source, "qa", labels="PERSON,GPE", db=tmp_path / "a.db"), "alice")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            if app.session.finished:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        screen = app.annotate_screen
        assert app.session.current is None and screen.doc.doc_task is not None
        assert len(screen.doc.doc_task.tokens) == 200  # the start stays, read-only
        await pilot.press("1")
        assert "could not be prepared" in screen.said and "token 2500" in screen.said
    assert [(p.line, str(source)) for p in app.problems] == [(1, str(p.source)) for p in app.problems]
    assert len(app.problems) == 1 and "token 2500" in app.problems[0].reason
