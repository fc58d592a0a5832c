"""Durable storage of datasets, tasks, annotations and the edit log, in SQLite or PostgreSQL behind
one interface (``Store``); SQL lives only here."""

from annotator.store.base import UNCHECKED, Decision, Expect, Routing, Store, TaskState
from annotator.store.errors import RoutedMeanwhile, StaleWrite, StoreError, UnknownTask
from annotator.store.target import is_url, mask_url, resolve_db

__all__ = [
    "UNCHECKED",
    "Decision",
    "Expect",
    "RoutedMeanwhile",
    "Routing",
    "StaleWrite",
    "Store",
    "StoreError",
    "TaskState",
    "UnknownTask",
    "is_url",
    "mask_url",
    "resolve_db",
]
