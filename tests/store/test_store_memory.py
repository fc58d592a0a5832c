"""The correction memory table: per dataset and annotator, a later decision replaces an earlier one."""

from __future__ import annotations

from pathlib import Path

from annotator.core.model import Annotation, Task, Token
from annotator.store import Store


def test_remember_replaces_per_form_and_keeps_annotators_and_datasets_apart(tmp_path: Path) -> None:
    task = Task("Nakatani", (Token("Nakatani", 0, 8, 0, False),), 1)
    with Store(tmp_path / "m.db") as store:
        (task_id,) = store.add_tasks("news", [(task, Annotation())])
        assert store.memory("news", "alice") == {}
        store.remember("news", "alice", task_id, {("Nakatani",): "PERSON", ("North", "Korea", "’s"): None})
        store.remember("news", "alice", task_id, {("Nakatani",): "ORG"})
        store.remember("news", "bob", task_id, {("Nakatani",): "GPE"})
        store.remember("news", "alice", task_id, {})
    with Store(tmp_path / "m.db") as store:
        assert store.memory("news", "alice") == {("Nakatani",): "ORG", ("North", "Korea", "’s"): None}
        assert store.memory("news", "bob") == {("Nakatani",): "GPE"}
        assert store.memory("other", "alice") == {}
