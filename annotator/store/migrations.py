"""Numbered schema migrations. Migration N brings a database from version N-1 to N; the version is
kept in ``PRAGMA user_version``, which SQLite writes inside the migrating transaction, so a failed
migration leaves both the schema and the version as they were.

Never edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from annotator.store.errors import StoreError

Migration = tuple[str, ...]

MIGRATIONS: tuple[Migration, ...] = (
    # 1: datasets, tasks with their suggestion, the append-only edit log, current annotations.
    (
        """CREATE TABLE datasets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created REAL NOT NULL
        )""",
        # A task's id is its rowid, so id order is insertion order (rows are never deleted).
        """CREATE TABLE tasks (
            id INTEGER PRIMARY KEY,
            dataset_id INTEGER NOT NULL REFERENCES datasets(id),
            input_hash INTEGER NOT NULL,
            text TEXT NOT NULL,
            tokens BLOB NOT NULL,
            meta BLOB NOT NULL,
            extra BLOB NOT NULL,
            suggestion BLOB NOT NULL,
            created REAL NOT NULL,
            UNIQUE (dataset_id, input_hash)
        )""",
        "CREATE INDEX tasks_by_dataset ON tasks(dataset_id)",
        # Every edit ("do"/"undo"/"redo": an Edit) and every decision ("answer"/"import": the whole
        # annotation). Rows are only ever inserted; the triggers below hold that line.
        """CREATE TABLE edit_log (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            annotator TEXT NOT NULL,
            session TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('do', 'undo', 'redo', 'answer', 'import')),
            payload BLOB,
            created REAL NOT NULL
        )""",
        "CREATE INDEX edit_log_by_task ON edit_log(task_id, annotator, id)",
        """CREATE TRIGGER edit_log_no_update BEFORE UPDATE ON edit_log
           BEGIN SELECT RAISE(ABORT, 'the edit log is append-only'); END""",
        """CREATE TRIGGER edit_log_no_delete BEFORE DELETE ON edit_log
           BEGIN SELECT RAISE(ABORT, 'the edit log is append-only'); END""",
        # One current row per (task, annotator). answer NULL = draft. base_log_id is the log row of
        # the last answer/import: history() replays the log written after it. A rowid table, not
        # WITHOUT ROWID: rows hold a whole annotation (100 kB for a long document), and rewriting
        # such a row on every edit is 2.5 times faster in a rowid table.
        """CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            annotator TEXT NOT NULL,
            answer TEXT CHECK (answer IN ('accept', 'reject', 'ignore')),
            session TEXT,
            timestamp INTEGER,
            data BLOB NOT NULL,
            base_log_id INTEGER REFERENCES edit_log(id),
            UNIQUE (task_id, annotator)
        )""",
    ),
    # 2: the label scheme of each dataset (labels in key order with their colours, relations with
    # their constraints), stored when the dataset is first annotated so later commands need no flags.
    (
        """CREATE TABLE schemes (
            dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id),
            scheme BLOB NOT NULL,
            updated REAL NOT NULL
        )""",
    ),
    # 3: the version of each current row (its latest log row), which a guarded write compares in
    # the same statement that replaces the row: the same-annotator guard is one atomic step.
    (
        "ALTER TABLE annotations ADD COLUMN last_log_id INTEGER REFERENCES edit_log(id)",
        """UPDATE annotations SET last_log_id = (
               SELECT MAX(e.id) FROM edit_log e
               WHERE e.task_id = annotations.task_id AND e.annotator = annotations.annotator)""",
    ),
    # 4: correction memory: what each annotator decided about a surface form (a token sequence,
    # stored as a JSON list of token texts) in the accepted tasks of a dataset; label NULL means
    # "not an entity". One row a form: a later decision replaces it.
    (
        """CREATE TABLE memory (
            dataset_id INTEGER NOT NULL REFERENCES datasets(id),
            annotator TEXT NOT NULL,
            form BLOB NOT NULL,
            label TEXT,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            updated REAL NOT NULL,
            PRIMARY KEY (dataset_id, annotator, form)
        )""",
    ),
    # 5: who reviewed each dataset (the gold set is a role: the reviewer's annotations), and whose
    # work they adjudicated. Reviews made before are found by the session id the review writes
    # ("<dataset>-review-<reviewer>"), and an annotator named "gold" (the old fixed name) counts too.
    (
        """CREATE TABLE reviews (
            dataset_id INTEGER NOT NULL REFERENCES datasets(id),
            reviewer TEXT NOT NULL,
            annotators BLOB NOT NULL,
            updated REAL NOT NULL,
            PRIMARY KEY (dataset_id, reviewer)
        )""",
        """INSERT INTO reviews (dataset_id, reviewer, annotators, updated)
           SELECT DISTINCT t.dataset_id, a.annotator, '[]', 0
           FROM annotations a JOIN tasks t ON t.id = a.task_id JOIN datasets d ON d.id = t.dataset_id
           WHERE a.session = d.name || '-review-' || a.annotator OR a.annotator = 'gold'""",
    ),
    # 6: a decision no longer starts the undo history afresh: the base a history replays from is
    # the last import (or the suggestion), so undo after a decision reaches the edits before it.
    # (Logs written before hold no undo past a decision, so replaying them from further back gives
    # the same history.)
    (
        """UPDATE annotations SET base_log_id = (
               SELECT MAX(e.id) FROM edit_log e
               WHERE e.task_id = annotations.task_id AND e.annotator = annotations.annotator
                 AND e.event = 'import')""",
    ),
)

LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS, where: str = "") -> int:
    """Bring the database to the newest version; returns it. ``conn`` must be in autocommit mode
    (isolation_level=None). Safe when several processes open a new file at once: the version is read
    again under the write lock, so each migration runs once."""
    latest = len(migrations)
    version = schema_version(conn)
    _check_not_newer(version, latest, where)
    if version == latest:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)
        _check_not_newer(version, latest, where)
        for number in range(version + 1, latest + 1):
            for statement in migrations[number - 1]:
                conn.execute(statement)
        if version < latest:
            conn.execute(f"PRAGMA user_version = {latest:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return latest


def _check_not_newer(version: int, latest: int, where: str) -> None:
    if version > latest:
        raise StoreError(
            f"database {where} has schema version {version}, newer than this annotator "
            f"understands ({latest}); upgrade annotator"
        )
