"""Taking an SQLite database of the newest version back to an older one, to test a migration on it
(a test that sets PRAGMA user_version back by hand would run later migrations a second time over
their own tables). Whoever adds a migration that creates objects adds their removal here."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from annotator.store.migrations import CHECKS_WITHOUT_IN, rewrite_checks

# What each migration made, undone newest first (a statement, or a step given the connection);
# migrations that only change data have nothing.
UNDO: dict[int, tuple[str | Callable[[sqlite3.Connection], None], ...]] = {
    13: (
        lambda raw: rewrite_checks(raw, [(table, new, old) for table, old, new in CHECKS_WITHOUT_IN]),
        "DROP INDEX edit_log_work",
        "CREATE INDEX edit_log_work ON edit_log(task_id) WHERE event IN ('do', 'undo', 'redo', 'answer')",
    ),
    12: ("DROP INDEX annotations_by_session", "DROP TABLE routing_pairs"),
    11: ("DROP INDEX edit_log_work", "DROP TABLE pair_tally"),
    10: (
        "DROP INDEX assignments_in_order",
        "DROP TABLE snapshots",
        "ALTER TABLE annotations DROP COLUMN data_log_id",
    ),
    9: ("DROP TABLE doubts",),
    8: ("DROP TABLE label_tally",),
    7: (
        "DROP TRIGGER annotations_kept_insert",
        "DROP TRIGGER annotations_kept_update",
        "DROP TABLE routing",
        "DROP TABLE assignments",
        "DROP TABLE tally",
        "DROP TABLE resume",
        "ALTER TABLE datasets DROP COLUMN tasks",
    ),
    5: ("DROP TABLE reviews",),
}


def downgrade(raw: sqlite3.Connection, version: int) -> None:
    """Undo the migrations after ``version`` and say the file is of that version."""
    current = int(raw.execute("PRAGMA user_version").fetchone()[0])
    for number in range(current, version, -1):
        for statement in UNDO.get(number, ()):
            if isinstance(statement, str):
                raw.execute(statement)
            else:
                statement(raw)
    raw.execute(f"PRAGMA user_version = {version:d}")
