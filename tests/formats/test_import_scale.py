"""Import at scale: a task the file brings is not read back or looked up again, a task the dataset
held is read with its batch, what an import keeps in memory does not grow with the file, and texts
still pair by text across tools' hashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.core.records import to_record
from annotator.core.tokenize import provisional_tokens
from annotator.store import Store
from annotator.transfer import importing
from annotator.transfer.importing import IdSet, import_file


def write_file(path: Path, n: int, hashes: str = "ours") -> None:
    with open(path, "wb") as handle:
        for i in range(n):
            text = f"Record {i} was written in Seoul ."
            tokens = provisional_tokens(text)
            seoul = next(t for t in tokens if t.text == "Seoul")
            spans = (Span(seoul.start, seoul.end, seoul.id, seoul.id, "GPE", None, 1),)
            ihash = input_hash(text) if hashes == "ours" else 10**12 + i
            record = to_record(Task(text, tokens, ihash), Annotation(spans, answer="accept"))
            handle.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


def test_new_tasks_are_not_read_back_and_nothing_is_kept_per_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "a.jsonl", 1200)
    reads: list[str] = []
    indexes: list[Any] = []
    real_index = importing._TextIndex

    def spying_index(store: Store, dataset: str) -> Any:
        indexes.append(real_index(store, dataset))
        return indexes[-1]

    monkeypatch.setattr(importing, "_TextIndex", spying_index)
    with Store(tmp_path / "a.db") as store:
        for name in ("task", "tasks", "annotation", "annotations_of", "task_ids"):
            real = getattr(store, name)

            def spy(*args: Any, _name: str = name, _real: Any = real) -> Any:
                reads.append(_name)
                return _real(*args)

            monkeypatch.setattr(store, name, spy)
        report = import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
        assert (report.counts.tasks, len(report.task_ids)) == (1200, 1200)
        assert reads == []  # every task came from the file: none read back, no stored row to compare
        assert indexes[0]._foreign == {}  # this tool's hashes: no text or hash kept per task
        reads.clear()
        again = import_file(store, tmp_path / "a.jsonl", "d", "bob", "jsonl")
        assert again.counts.tasks == 1200
        # held: compared a batch at a time (a query per batch, not per task), not scanned
        batches = -(-1200 // importing.BATCH)
        assert sorted(reads) == sorted(["tasks", "annotations_of"] * batches), reads


def test_other_tools_hashes_still_pair_by_text(tmp_path: Path) -> None:
    write_file(tmp_path / "ours.jsonl", 30)
    write_file(tmp_path / "theirs.jsonl", 30, hashes="theirs")
    with Store(tmp_path / "a.db") as store:
        import_file(store, tmp_path / "theirs.jsonl", "d", "alice", "jsonl")
        report = import_file(store, tmp_path / "ours.jsonl", "d", "bob", "jsonl")
        assert store.task_count("d") == 30
        assert report.problems.notes and report.counts.tasks == 30
        assert {t.input_hash for _, t, _ in store.annotations("d", "bob")} == {10**12 + i for i in range(30)}


def test_id_set() -> None:
    ids = IdSet()
    assert [ids.add(i) for i in (5, 0, 5, 100_000, 7)] == [True, True, False, True, True]
    assert len(ids) == 4 and 100_000 in ids and 6 not in ids and -1 not in ids
