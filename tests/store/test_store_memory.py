"""The correction memory table: per dataset and annotator, a later decision replaces an earlier one,
and what an accept teaches is written in the decision's own transaction."""

from __future__ import annotations

import pytest

from annotator.core.model import Annotation, Task, Token
from annotator.store import Store, StoreError
from annotator.store.sql import SqlStore

ACCEPT = Annotation(answer="accept")


def test_a_later_decision_replaces_per_form_and_annotators_and_datasets_stay_apart(db_target: str) -> None:
    task = Task("Nakatani", (Token("Nakatani", 0, 8, 0, False),), 1)
    with Store(db_target) as store:
        (task_id,) = store.add_tasks("news", [(task, Annotation())])
        assert store.memory("news", "alice") == {}
        store.record_answer(
            task_id, "alice", "s", ACCEPT, remember={("Nakatani",): "PERSON", ("North", "Korea", "’s"): None}
        )
        store.record_answer(task_id, "alice", "s", ACCEPT, remember={("Nakatani",): "ORG"})
        store.record_answer(task_id, "bob", "s", ACCEPT, remember={("Nakatani",): "GPE"})
        store.record_answer(task_id, "alice", "s", ACCEPT, remember={})
    with Store(db_target) as store:
        assert store.memory("news", "alice") == {("Nakatani",): "ORG", ("North", "Korea", "’s"): None}
        assert store.memory("news", "bob") == {("Nakatani",): "GPE"}
        assert store.memory("other", "alice") == {}


class Broken(Exception):
    pass


def test_a_memory_write_that_fails_takes_the_decision_with_it(
    db_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction: the decision is never stored without what it taught."""
    task = Task("Nakatani", (Token("Nakatani", 0, 8, 0, False),), 1)
    with Store(db_target) as store:
        (task_id,) = store.add_tasks("news", [(task, Annotation())])

        def broken(*args: object) -> None:
            raise Broken("the disk failed")

        monkeypatch.setattr(SqlStore, "_put_memory", staticmethod(broken))
        with pytest.raises((Broken, StoreError)):
            store.record_answer(task_id, "alice", "s", ACCEPT, remember={("Nakatani",): "PERSON"})
        monkeypatch.undo()
        assert store.annotation(task_id, "alice") is None
        assert store.memory("news", "alice") == {}
        assert store.answer_counts("news", "alice").get("accept", 0) == 0
