"""The sample article's hand gold cut into one task a paragraph, for evaluation, training and learning
tests that need several texts; and a store holding them as one annotator's accepted work."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson

from annotator.core.model import Annotation, Task
from annotator.core.paragraphs import paragraphs
from annotator.core.records import from_record
from annotator.store import Store
from tests.conftest import DATA


def sample_gold() -> tuple[Task, Annotation]:
    return from_record(orjson.loads((DATA / "sample_gold.jsonl").read_bytes().splitlines()[0]))


def paragraph_tasks() -> list[tuple[Task, Annotation]]:
    """One (task, gold annotation) a paragraph of the sample article (15 of them)."""
    task, gold = sample_gold()
    return [
        (t, replace(a, answer="accept"))
        for t, a in paragraphs(replace(task, meta={"source": "sample"}), gold)
    ]


def store_accepted(path: Path, dataset: str, annotator: str, pairs: list[tuple[Task, Annotation]]) -> None:
    with Store(path) as store:
        ids = store.add_tasks(dataset, [(task, Annotation()) for task, _ in pairs])
        for task_id, (_, annotation) in zip(ids, pairs, strict=True):
            store.save_annotation(task_id, annotator, annotation)
