"""Durable storage of datasets, tasks, annotations and the edit log (SQLite; SQL lives only here)."""

from annotator.store.base import UNCHECKED, Decision, Expect, TaskState
from annotator.store.errors import StaleWrite, StoreError, UnknownTask
from annotator.store.sqlite import Store, default_db_path
from annotator.store.stats import StatsRow

__all__ = [
    "UNCHECKED",
    "Decision",
    "Expect",
    "StaleWrite",
    "StatsRow",
    "Store",
    "StoreError",
    "TaskState",
    "UnknownTask",
    "default_db_path",
]
