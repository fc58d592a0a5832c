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


def test_span_groups_and_their_spans_are_stored_with_the_dataset(db_target: str) -> None:
    """Issue 14: the scheme's span groups, and group spans that overlap and nest, come back whole."""
    from annotator.core.hashing import input_hash
    from annotator.core.model import Annotation, Span, Task
    from tests.strategies import tokenize

    grouped = LabelScheme(
        ("PERSON",), {"SKILL": "#4ccfc4"}, span_groups={"sc": ("SKILL", "TOOL"), "x": ("Y",)}
    )
    text = "Ana knows Python well"
    task = Task(text, tokenize(text), input_hash(text))
    ann = Annotation(
        spans=(
            Span(0, 3, 0, 0, "PERSON", None, 1),
            Span(10, 16, 2, 2, "TOOL", None, 2, "sc"),
            Span(10, 21, 2, 3, "SKILL", None, 3, "sc"),
            Span(10, 16, 2, 2, "SKILL", None, 4, "sc"),
        ),
        answer="accept",
    )
    with Store(db_target) as store:
        store.save_scheme("skills", grouped)
        [task_id] = store.add_tasks("skills", [(task, ann)])
        store.save_annotation(task_id, "alice", ann)
    with Store(db_target) as store:
        back = store.scheme("skills")
        stored = store.annotation(task_id, "alice")
    assert back is not None and back.span_groups == {"sc": ("SKILL", "TOOL"), "x": ("Y",)}
    assert back.color("SKILL") == "#4ccfc4"
    assert stored is not None and stored.spans == ann.spans
