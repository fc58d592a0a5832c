"""What the feed thread tells the UI, as Textual messages: the thread posts them to the annotate
screen (``post_message`` is thread-safe) and the screen's ``on_*`` handlers draw them; the last one
bubbles up to the app, which keeps what the summary reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from annotator.core.errors import BadRecord
from annotator.core.model import Annotation, Task

if TYPE_CHECKING:  # the feed's events are made in its thread, after the first screen (tui/launch.py)
    from annotator.feed import FeedEvent, FirstText


class FirstTextRead(Message):
    """The first text of the source, before the model is loaded (or a long ready task with its
    suggestion, before it is stored), to draw read-only at once."""

    def __init__(self, event: FirstText) -> None:
        super().__init__()
        self.task = event.task
        self.suggestion = event.suggestion
        self.start_only = event.start_only
        self.shown = event.shown  # set once the text is drawn: the feed waits for it


class ModelReady(Message):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class TasksStored(Message):
    def __init__(
        self,
        task_ids: tuple[int, ...],
        tasks: tuple[Task, ...] = (),
        suggestions: tuple[Annotation, ...] = (),
    ) -> None:
        super().__init__()
        self.task_ids = task_ids
        # The tasks and their suggestions as the feed stored them (TasksAdded.tasks, .suggestions).
        self.tasks = tasks
        self.suggestions = suggestions


class SourceSize(Message):
    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total


class FeedFinished(Message):
    def __init__(self, problems: list[BadRecord], error: str | None) -> None:
        super().__init__()
        self.problems = problems
        self.error = error


def feed_message(event: FeedEvent) -> Message:
    from annotator.feed import FeedDone, FirstText, ModelLoaded, SourceCounted, TasksAdded

    match event:
        case FirstText():
            return FirstTextRead(event)
        case ModelLoaded(name=name):
            return ModelReady(name)
        case TasksAdded(task_ids=task_ids, tasks=tasks, suggestions=suggestions):
            return TasksStored(task_ids, tasks, suggestions)
        case SourceCounted(total=total):
            return SourceSize(total)
        case FeedDone(problems=problems, error=error):
            return FeedFinished(problems, error)


class LearnerNews(Message):
    """A reply of the learner process (updates done, a roll-back, a failure), posted from the
    learner client's reader thread."""

    def __init__(self, reply: object) -> None:
        super().__init__()
        self.reply = reply
