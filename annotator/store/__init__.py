"""Durable storage of datasets, tasks, annotations and the edit log (SQLite; SQL lives only here)."""

from annotator.store.errors import StoreError, UnknownTask
from annotator.store.sqlite import Store, default_db_path
from annotator.store.stats import StatsRow

__all__ = ["StatsRow", "Store", "StoreError", "UnknownTask", "default_db_path"]
