"""Errors of the storage layer, written for the user (the CLI prints them without a traceback)."""

from __future__ import annotations

from annotator.core.errors import AnnotatorError


class StoreError(AnnotatorError):
    """The database cannot be opened, is locked for too long, or was written by a newer version."""


class UnknownTask(StoreError, LookupError):
    """A task id that is not in the database."""

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        super().__init__(f"there is no task {task_id} in the database")


class StaleWrite(AnnotatorError):
    """A guarded write was made on an old copy: another process of the same annotator wrote the task
    since this copy was read. Nothing was written. Not a StoreError: the store is fine."""

    def __init__(self, task_id: int, annotator: str) -> None:
        self.task_id = task_id
        self.annotator = annotator
        super().__init__(f"task {task_id} was changed by another process of {annotator} since it was read")


class RoutedMeanwhile(AnnotatorError):
    """Another process routed the dataset's new tasks first (nothing was written; read and retry)."""

    def __init__(self, dataset: str) -> None:
        super().__init__(f"the routing of dataset {dataset!r} changed while it was being extended")
