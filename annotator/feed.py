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

from annotator.core.errors import AnnotatorError, BadRecord
from annotator.core.model import Annotation, Task
from annotator.core.tokenize import provisional_tokens
from annotator.sources import SourceItem
from annotator.store import Store


@dataclass(frozen=True)
class FirstText:
    """The first text of the source, to draw before the model is loaded. The UI sets ``shown``
    once it is on screen: importing spaCy holds the GIL, so the feed waits for that first."""

    task: Task
    shown: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class ModelLoaded:
    name: str


@dataclass(frozen=True)
class TasksAdded:
    count: int


@dataclass(frozen=True)
class FeedDone:
    problems: list[BadRecord] = field(default_factory=list)
    error: str | None = None


FeedEvent = FirstText | ModelLoaded | TasksAdded | FeedDone


class Preannotator(Protocol):
    """Turns source items into tasks with suggestions; loads its model on first use."""

    def load(self) -> str: ...  # returns the model's display name

    def __call__(
        self, items: list[SourceItem], problems: list[BadRecord]
    ) -> list[tuple[Task, Annotation]]: ...


def feed(
    store_path: Path,
    dataset: str,
    items: Iterator[SourceItem],
    preannotator: Preannotator,
    notify: Callable[[FeedEvent], None],
    problems: list[BadRecord],
    batch_size: int = 16,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Store every item of the source that is not stored yet, in order, batch by batch."""
    store = Store(store_path)
    try:
        first = True
        known_empty = store.task_count(dataset) == 0
        pending: list[SourceItem] = []
        model_ready = False

        def flush() -> None:
            nonlocal model_ready, pending
            if not pending:
                return
            if not model_ready:
                notify(ModelLoaded(preannotator.load()))
                model_ready = True
            store.add_tasks(dataset, preannotator(pending, problems))
            notify(TasksAdded(len(pending)))
            pending = []

        for item in items:
            if should_stop():
                return
            if item.task is not None and item.annotation is not None:
                flush()  # keep the source's order
                store.add_tasks(dataset, [(item.task, item.annotation)])
                notify(TasksAdded(1))
                first = False
                continue
            if store.find_task(dataset, item.input_hash) is not None:
                continue  # stored by an earlier run: no model work to redo
            if first and known_empty:
                first_text = FirstText(Task(item.text, provisional_tokens(item.text), 0, item.meta))
                notify(first_text)
                first_text.shown.wait(timeout=2.0)
            pending.append(item)
            # The first text alone, so that it is ready as soon as the model is; then in batches.
            if first or len(pending) >= batch_size:
                flush()
            first = False
        flush()
        notify(FeedDone(problems))
    except AnnotatorError as exc:
        notify(FeedDone(problems, error=str(exc)))
    finally:
        store.close()
