"""Preparing a source into the store in the background: read it as a stream, pre-annotate texts with
the model (loaded only when a text needs it), store each batch, and tell the UI as tasks arrive.

Runs in a worker thread with its own database connection; it never touches the UI directly, only
calls ``notify`` with events that the app forwards to the screen on its own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from annotator.core.doubts import Doubts
from annotator.core.errors import AnnotatorError, BadRecord, InvalidAnnotation
from annotator.core.model import Annotation, Task
from annotator.core.pieces import MAX_TASK_CHARS
from annotator.core.tokenize import provisional_tokens
from annotator.routing import top_up
from annotator.sources import SourceItem
from annotator.store import Store


@dataclass(frozen=True)
class FirstText:
    """The first text of the source, to draw (read-only) before the model is loaded, or a long
    ready task with its ``suggestion`` before it is stored, or the start of a long record before it
    is read (``start_only``). The UI sets ``shown`` once it is on
    screen: importing spaCy, or storing the task, holds the GIL, so the feed waits for that first."""

    task: Task
    shown: threading.Event = field(default_factory=threading.Event)
    suggestion: Annotation | None = None
    start_only: bool = False  # the start of a long record, drawn while the rest is read


@dataclass(frozen=True)
class ModelLoaded:
    name: str


@dataclass(frozen=True)
class TasksAdded:
    """Tasks the feed stored, their ids in the order stored: the UI adds them to its list instead
    of reading every id of the dataset again."""

    task_ids: tuple[int, ...]
    # The tasks themselves and their suggestions, as stored: the screen opens the first of them
    # without reading back what it was just handed (half a second of tokens for a document of
    # 500,000, and a tenth of a second for its 52,503 suggested spans).
    tasks: tuple[Task, ...] = ()
    suggestions: tuple[Annotation, ...] = ()

    @property
    def count(self) -> int:
        return len(self.task_ids)


@dataclass(frozen=True)
class SourceCounted:
    """How many documents the source holds, counted in the feed's thread after the first screen
    (a newline count of a JSONL source up to 64 MB took 20-60 ms of the start), for "task i of N"."""

    total: int


@dataclass(frozen=True)
class FeedDone:
    problems: list[BadRecord] = field(default_factory=list)
    error: str | None = None


READY_BATCH = 500  # tasks that need no model, stored in one transaction and announced in one message
# A first ready task this long (in characters) is drawn before it is stored: storing a document of
# 500,000 tokens takes a third of a second, which the first screen need not wait for. A shorter
# one is stored in a moment and drawn once.
SHOW_BEFORE_STORING = 100_000

FeedEvent = FirstText | ModelLoaded | TasksAdded | SourceCounted | FeedDone


class Preannotator(Protocol):
    """Turns source items into tasks with suggestions; loads its model on first use."""

    def load(self) -> str: ...  # returns the model's display name

    def __call__(
        self, items: list[SourceItem], problems: list[BadRecord]
    ) -> list[tuple[Task, Annotation]]: ...

    def take_doubts(self) -> dict[int, Doubts]: ...  # how sure it was, by input hash, since the last call


def feed(
    store_path: str | Path,
    dataset: str,
    items: Iterator[SourceItem],
    preannotator: Preannotator,
    notify: Callable[[FeedEvent], None],
    problems: list[BadRecord],
    batch_size: int = 16,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Store every item of the source that is not stored yet, in order, batch by batch.

    A restart reads the source again: a task already stored is skipped without a write or a message
    (it was one write and one message a task, every time the dataset was opened), and tasks that
    come ready (tokens and spans given) are stored READY_BATCH at a time, the first one alone so
    that it shows at once."""
    store = Store(store_path)
    try:
        first = True
        known_empty = store.task_count(dataset) == 0
        pending: list[SourceItem] = []
        ready: list[tuple[Task, Annotation]] = []
        model_ready = False

        def store_tasks(
            items: list[tuple[Task, Annotation]], doubts: dict[int, Doubts] | None = None
        ) -> None:
            if items:
                stored = tuple(store.add_tasks(dataset, items))
                if doubts:
                    store.set_doubts(
                        (task_id, doubts[task.input_hash])
                        for task_id, (task, _) in zip(stored, items, strict=True)
                        if task.input_hash in doubts
                    )
                top_up(store, dataset)  # a routed dataset gives its new tasks out as they arrive
                tasks, suggestions = zip(*items, strict=True)
                notify(TasksAdded(stored, tasks, suggestions))

        def show_first(first_text: FirstText) -> None:
            notify(first_text)
            first_text.shown.wait(timeout=2.0)

        def flush() -> None:
            nonlocal model_ready, pending, ready
            store_tasks(ready)
            ready = []
            if not pending:
                return
            if not model_ready:
                notify(ModelLoaded(preannotator.load()))
                model_ready = True
            store_tasks(preannotator(pending, problems), preannotator.take_doubts())
            pending = []

        for item in items:
            if should_stop():
                return
            if store.find_task(dataset, item.input_hash) is not None:
                continue  # stored by an earlier run: no model work to redo, nothing new to show
            if first and known_empty and item.long and (start := item.glimpse()) is not None:
                show_first(FirstText(start[0], suggestion=start[1], start_only=True))
            try:
                item = item.prepared()  # its tokens and spans, read only now that they are needed
            except InvalidAnnotation as exc:
                problems.append(item.bad(str(exc)))
                continue
            if item.task is not None and item.annotation is not None:
                if pending:
                    flush()  # keep the source's order
                if first and known_empty and len(item.task.text) >= SHOW_BEFORE_STORING:
                    show_first(FirstText(item.task, suggestion=item.annotation))
                ready.append((item.task, item.annotation))
                if first or len(ready) >= READY_BATCH:
                    flush()
                first = False
                continue
            if ready:
                flush()
            if first and known_empty:
                show_first(FirstText(Task(item.text, provisional_tokens(item.text), 0, item.meta)))
            pending.append(item)
            # The first text alone, so that it is ready as soon as the model is; then in batches,
            # no bigger than one long text: the batch's tasks are held until it is stored, and a
            # million characters make some 35 MB of tokens.
            if first or len(pending) >= batch_size or sum(len(p.text) for p in pending) >= MAX_TASK_CHARS:
                flush()
            first = False
        flush()
        notify(FeedDone(problems))
    except AnnotatorError as exc:
        notify(FeedDone(problems, error=str(exc)))
    finally:
        store.close()
