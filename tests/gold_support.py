"""The sample article's hand gold cut into one task a paragraph, for evaluation, training and learning
tests that need several texts; and a store holding them as one annotator's accepted work."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task, Token
from annotator.core.records import from_record
from annotator.store import Store
from tests.conftest import DATA


def sample_gold() -> tuple[Task, Annotation]:
    return from_record(orjson.loads((DATA / "sample_gold.jsonl").read_bytes().splitlines()[0]))


def paragraph_tasks() -> list[tuple[Task, Annotation]]:
    """One (task, gold annotation) a paragraph of the sample article, offsets and token ids rebased."""
    task, gold = sample_gold()
    out: list[tuple[Task, Annotation]] = []
    start = 0
    for paragraph in task.text.split("\n"):
        end = start + len(paragraph)
        toks = [t for t in task.tokens if start <= t.start and t.end <= end]
        if toks and paragraph.strip():
            first = toks[0].id
            tokens = tuple(
                Token(
                    t.text, t.start - start, t.end - start, t.id - first, t.ws if i < len(toks) - 1 else False
                )
                for i, t in enumerate(toks)
            )
            spans = tuple(
                replace(
                    s,
                    start=s.start - start,
                    end=s.end - start,
                    token_start=s.token_start - first,
                    token_end=s.token_end - first,
                )
                for s in gold.spans
                if start <= s.start and s.end <= end
            )
            sids = {s.sid for s in spans}
            rels = tuple(r for r in gold.relations if r.head in sids and r.child in sids)
            text = paragraph
            out.append(
                (
                    Task(text, tokens, input_hash(text), {"source": "sample", "paragraph": len(out) + 1}),
                    Annotation(spans, rels, answer="accept"),
                )
            )
        start = end + 1
    return out


def store_accepted(path: Path, dataset: str, annotator: str, pairs: list[tuple[Task, Annotation]]) -> None:
    with Store(path) as store:
        ids = store.add_tasks(dataset, [(task, Annotation()) for task, _ in pairs])
        for task_id, (_, annotation) in zip(ids, pairs, strict=True):
            store.save_annotation(task_id, annotator, annotation)
