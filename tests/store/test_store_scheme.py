"""The label scheme stored with a dataset: written once, read back whole by any later command, and
added to databases made before it existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.core.scheme import LabelScheme, RelationType, scheme_to_dict
from annotator.store import Store, StoreError
from annotator.store.migrations import MIGRATIONS, migrate
from tests.pg_server import raw_sql

SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE"),
    {"ORG": "#123456"},
    (
        RelationType("MET", frozenset({"PERSON"}), frozenset({"PERSON"}), "#ff8800"),
        RelationType("WORKS_FOR", frozenset({"PERSON"}), frozenset({"ORG", "GPE"})),
    ),
    {"PER": "PERSON"},  # the label map
)


def test_a_stored_scheme_comes_back_whole_after_reopening(db_target: str) -> None:
    db = db_target
    with Store(db) as store:
        assert store.scheme("news") is None
        store.save_scheme("news", SCHEME)
        assert store.datasets() == ["news"]
    with Store(db) as store:
        back = store.scheme("news")
        assert store.scheme("other") is None
    assert back is not None
    assert back.labels == SCHEME.labels  # key order
    assert scheme_to_dict(back) == scheme_to_dict(SCHEME)  # colours, constraints, relation order
    assert back.label_map == {"PER": "PERSON"}
    assert back.color("ORG") == "#123456" and back.color("PERSON") == SCHEME.color("PERSON")


def test_saving_again_replaces_the_scheme(db_target: str) -> None:
    with Store(db_target) as store:
        store.save_scheme("news", SCHEME)
        store.save_scheme("news", LabelScheme(("GPE", "PERSON")))
        back = store.scheme("news")
    assert back is not None and back.labels == ("GPE", "PERSON") and back.relations == ()


def test_a_database_of_the_first_version_gets_the_schemes_table(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db, isolation_level=None)
    migrate(raw, MIGRATIONS[:1])
    raw.execute("INSERT INTO datasets (name, created) VALUES ('news', 0)")
    raw.close()
    with Store(db) as store:
        assert store.scheme("news") is None
        store.save_scheme("news", SCHEME)
        assert store.scheme("news") is not None


def test_a_damaged_stored_scheme_is_a_store_error_naming_the_dataset(db_target: str) -> None:
    db = db_target
    with Store(db) as store:
        store.save_scheme("news", SCHEME)
    raw_sql(db, """UPDATE schemes SET scheme = '{"labels": 3}'""")
    with Store(db) as store, pytest.raises(StoreError, match="news"):
        store.scheme("news")


def test_a_stored_scheme_may_hold_labels_of_imported_work(tmp_path: Path) -> None:
    """A review adds the labels the annotators used, whatever their names; reading them back must
    not refuse them as if they had been typed."""
    with Store(tmp_path / "a.db") as store:
        store.save_scheme("news", LabelScheme(("PERSON", "Person Name")))
        back = store.scheme("news")
    assert back is not None and back.labels == ("PERSON", "Person Name")
