"""Import at scale: a task the file brings is not read back or looked up again, a task the dataset
held is read with its batch, what an import keeps in memory does not grow with the file, and texts
still pair by text across tools' hashes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Answer, Span, Task, Token
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
        for name in ("task", "tasks", "task_bodies", "annotation", "annotations_of", "task_ids"):
            real = getattr(store, name)

            def spy(*args: Any, _name: str = name, _real: Any = real) -> Any:
                reads.append(_name)
                return _real(*args)

            monkeypatch.setattr(store, name, spy)
        added: list[tuple[int, bool]] = []  # how many tasks each add_tasks was given, and unheld
        real_add = store.add_tasks

        def spy_add(dataset: str, items: Any, *, unheld: bool = False) -> list[int]:
            items = list(items)
            added.append((len(items), unheld))
            return real_add(dataset, items, unheld=unheld)

        monkeypatch.setattr(store, "add_tasks", spy_add)
        report = import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
        assert (report.counts.tasks, len(report.task_ids)) == (1200, 1200)
        assert reads == []  # every task came from the file: none read back, no stored row to compare
        assert indexes[0]._foreign == {}  # this tool's hashes: no text or hash kept per task
        # none held: the lookup that found none missing is not made again
        assert sum(n for n, _ in added) == 1200 and all(unheld for _, unheld in added)
        reads.clear()
        added.clear()
        again = import_file(store, tmp_path / "a.jsonl", "d", "bob", "jsonl")
        assert added == []  # every task held: their ids came with the lookup, none stored again
        assert again.counts.tasks == 1200
        # held: compared a batch at a time (a query per batch, not per task), not scanned; the
        # records read as they came with the stored text and tokens bytes, no stored Task made;
        # bob held no row in the dataset before, so none of his is asked
        batches = -(-1200 // importing.BATCH)
        assert reads == ["task_bodies"] * batches, reads
        reads.clear()
        import_file(store, tmp_path / "a.jsonl", "d", "bob", "jsonl")  # now he does: compared
        assert sorted(reads) == sorted(["task_bodies", "annotations_of", "tasks"] * batches), reads


def _second_annotators_file(path: Path, n: int) -> None:
    """The records of ``write_file`` as a second annotator left them: every third with another
    label, record 5 tokenized otherwise with its span on "Se" of Seoul (the stored tokens are split
    to fit it, through the objects), record 7 again at the end, rejected (the later one is kept)."""
    with open(path, "wb") as handle:
        records: list[tuple[int, Answer]] = [*((i, "accept") for i in range(n)), (7, "reject")]
        for i, answer in records:
            text = f"Record {i} was written in Seoul ."
            at = text.index("Seoul")
            tokens = provisional_tokens(text)
            if i == 5:
                places = [(t.start, t.end) for t in tokens if t.text != "Seoul"]
                tokens = retokenized(text, [*places, (at, at + 2), (at + 2, at + 5)])
            first = next(t for t in tokens if t.start == at)
            last = first if i == 5 else next(t for t in tokens if t.end == at + 5)
            label = "LOC" if i % 3 == 0 else "GPE"
            spans = (Span(first.start, last.end, first.id, last.id, label, None, 1),)
            record = to_record(Task(text, tokens, input_hash(text)), Annotation(spans, answer=answer))
            handle.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


def retokenized(text: str, places: list[tuple[int, int]]) -> tuple[Token, ...]:
    ordered = sorted(places)
    return tuple(
        Token(text[start:end], start, end, i, end < len(text) and text[end] == " ")
        for i, (start, end) in enumerate(ordered)
    )


def test_a_second_annotator_read_as_it_came_stores_what_the_objects_store(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's file onto A's tasks: the records whose text and tokens the dataset holds are stored as
    read (no stored Task made); the rest (a record tokenized otherwise, a repeat, an annotator who
    held a row already) through the objects. Both ways store the same rows and kept counts: the
    same files imported into a second dataset with the plain comparison turned off."""
    write_file(tmp_path / "a.jsonl", 40)
    _second_annotators_file(tmp_path / "b.jsonl", 40)
    reports = {}
    for dataset in ("plain", "objects"):
        import_file(store, tmp_path / "a.jsonl", dataset, "alice", "jsonl")
        if dataset == "objects":
            monkeypatch.setattr(store, "task_bodies", lambda ids: {})
        first = import_file(store, tmp_path / "b.jsonl", dataset, "bob", "jsonl")
        # bob again: a row of his is there now for every task, compared (record 7's accept replaces
        # the reject kept last time) and replaced
        reports[dataset] = (first, import_file(store, tmp_path / "b.jsonl", dataset, "bob", "jsonl"))
    for plain, objects in zip(reports["plain"], reports["objects"], strict=True):
        assert (plain.counts, plain.repeats, plain.problems.notes) == (
            objects.counts,
            objects.repeats,
            objects.problems.notes,
        )
    first, again = reports["plain"]
    assert first.repeats == 1 and set(first.problems.notes) == {importing.REFINED_NOTE}
    assert importing.REPLACED_NOTE in again.problems.notes

    def rows(dataset: str) -> list[Any]:  # (not the timestamps: the import's time, as the files give none)
        return [
            (t.text, t.tokens, a.content(), a.answer, a.annotator, a.session)
            for _, t, a in store.annotations(dataset, None, None)
        ]

    assert rows("plain") == rows("objects") and len(rows("plain")) == 80
    assert store.pair_tallies("plain") == store.pair_tallies("objects")
    assert [replace(r, dataset="") for r in store.stats("plain")] == [
        replace(r, dataset="") for r in store.stats("objects")
    ]
    assert store.log_counts("plain") == store.log_counts("objects")


def _users_file(path: Path, n: int, users: list[tuple[str, str]]) -> None:
    """Each of the ``write_file`` texts once for each (user, label), as a file of several users."""
    with open(path, "wb") as handle:
        for i in range(n):
            text = f"Record {i} was written in Seoul ."
            tokens = provisional_tokens(text)
            seoul = next(t for t in tokens if t.text == "Seoul")
            for user, label in users:
                spans = (Span(seoul.start, seoul.end, seoul.id, seoul.id, label, None, 1),)
                annotation = Annotation(spans, answer="accept", annotator=user)
                record = to_record(Task(text, tokens, input_hash(text)), annotation)
                handle.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


def test_several_users_onto_held_tasks_note_each_replaced_row(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of several users onto tasks the dataset holds, where one user held rows already and
    another is new, in the same batch: the first's rows are compared and their replacement noted,
    as through the objects; the second's stored as read."""
    write_file(tmp_path / "a.jsonl", 30)
    _users_file(tmp_path / "team.jsonl", 30, [("u1", "GPE"), ("u2", "GPE")])
    _users_file(tmp_path / "again.jsonl", 30, [("u1", "LOC"), ("u3", "GPE")])
    notes = {}
    for dataset in ("plain", "objects"):
        import_file(store, tmp_path / "a.jsonl", dataset, "alice", "jsonl")
        import_file(store, tmp_path / "team.jsonl", dataset, "team", "jsonl")
        if dataset == "objects":
            monkeypatch.setattr(store, "task_bodies", lambda ids: {})
        report = import_file(store, tmp_path / "again.jsonl", dataset, "team", "jsonl")
        notes[dataset] = report.problems.notes
        assert report.annotators == {"team-u1": 30, "team-u3": 30}
    assert notes["plain"] == notes["objects"] == {importing.REPLACED_NOTE: 30}


def test_other_tools_hashes_still_pair_by_text(tmp_path: Path) -> None:
    write_file(tmp_path / "ours.jsonl", 30)
    write_file(tmp_path / "theirs.jsonl", 30, hashes="theirs")
    with Store(tmp_path / "a.db") as store:
        import_file(store, tmp_path / "theirs.jsonl", "d", "alice", "jsonl")
        report = import_file(store, tmp_path / "ours.jsonl", "d", "bob", "jsonl")
        assert store.task_count("d") == 30
        assert report.problems.notes and report.counts.tasks == 30
        assert {t.input_hash for _, t, _ in store.annotations("d", "bob")} == {10**12 + i for i in range(30)}


def test_other_tools_hashes_onto_ours_find_the_held_tasks(tmp_path: Path) -> None:
    """Records under another tool's hashes onto the tasks this tool stored: each found by its text
    (the lookup gives the held task's id) and its annotation stored on that task."""
    write_file(tmp_path / "ours.jsonl", 30)
    write_file(tmp_path / "theirs.jsonl", 30, hashes="theirs")
    with Store(tmp_path / "a.db") as store:
        import_file(store, tmp_path / "ours.jsonl", "d", "bob", "jsonl")
        report = import_file(store, tmp_path / "theirs.jsonl", "d", "alice", "jsonl")
        assert store.task_count("d") == 30 and report.problems.notes == {importing.BY_TEXT_NOTE: 30}
        pairs = [(t.text, t.input_hash, a.annotator) for _, t, a in store.annotations("d", None, None)]
        texts = [f"Record {i} was written in Seoul ." for i in range(30)]
        assert sorted(pairs) == sorted((t, input_hash(t), who) for t in texts for who in ("alice", "bob"))


def _with_a_late_repeat(first: Path, then: Path, n: int) -> str:
    """``first``: ``n`` synthetic records; ``then``: the same, and the fourth again, rejected, in
    the last batch (``then`` may be ``first``). The text of the one repeated."""
    write_file(first, n)
    lines = first.read_bytes().splitlines(keepends=True)
    again = orjson.loads(lines[3])
    again["answer"] = "reject"
    then.write_bytes(b"".join(lines) + orjson.dumps(again) + b"\n")
    return str(again["text"])


def test_a_repeat_in_a_later_batch_is_named_as_one(tmp_path: Path) -> None:
    """A task and annotator the file gave in an earlier batch (stored and committed since): a
    repeat, counted once, the later one kept; not a row held before that it replaces."""
    n = importing.BATCH + 10
    repeated = _with_a_late_repeat(tmp_path / "a.jsonl", tmp_path / "a.jsonl", n)
    with Store(tmp_path / "a.db") as store:
        report = import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
        assert (report.counts.tasks, report.counts.spans, len(report.task_ids)) == (n, n, n)
        assert (report.repeats, report.annotators, report.problems.notes) == (1, {"alice": n}, {})
        answers = [a.answer for _, t, a in store.annotations("d", "alice", None) if t.text == repeated]
        assert answers == ["reject"]


def test_unheld_is_taken_inside_a_batch_only(tmp_path: Path) -> None:
    """add_tasks(unheld=True) skips looking the hashes up only where the caller's lookup was in the
    same transaction: outside a batch, a task held is found (and keeps its id) as without it."""
    task = Task("Ahn met Bo.", provisional_tokens("Ahn met Bo."), input_hash("Ahn met Bo."))
    with Store(tmp_path / "a.db") as store:
        [held] = store.add_tasks("d", [(task, Annotation())])
        assert store.add_tasks("d", [(task, Annotation())], unheld=True) == [held]
        assert store.task_count("d") == 1


def test_a_file_naming_no_layers_is_placed_by_the_datasets_scheme(tmp_path: Path) -> None:
    """doccano names no layers: into a dataset whose scheme puts SKILL in a span group, a SKILL span
    goes to that group, a PERSON span stays an entity."""
    from annotator.core.model import ENTS
    from annotator.core.scheme import LabelScheme

    text = "Ahn can weld ."
    (tmp_path / "d.jsonl").write_bytes(
        orjson.dumps({"text": text, "label": [[0, 3, "PERSON"], [8, 12, "SKILL"]]})
    )
    with Store(tmp_path / "a.db") as store:
        store.save_scheme("d", LabelScheme(("PERSON",), span_groups={"skills": ("SKILL",)}))
        report = import_file(store, tmp_path / "d.jsonl", "d", "alice", "doccano")
        assert report.counts.tasks == 1
        [(_, _, annotation)] = store.annotations("d", "alice")
        assert sorted((s.label, s.layer) for s in annotation.spans) == [("PERSON", ENTS), ("SKILL", "skills")]


def test_a_suggestion_is_an_annotation_of_its_own_class() -> None:
    """Suggestion takes Annotation's dataclass methods as they are: equal only to a Suggestion,
    named as one, kept one by replace, and no bigger (no __dict__)."""
    from annotator.formats.base import Suggestion

    spans = (Span(0, 3, 0, 0, "PERSON", None, 1),)
    suggestion = Suggestion(spans)
    assert suggestion == Suggestion(spans) and hash(suggestion) == hash(Suggestion(spans))
    assert suggestion != Annotation(spans) and Annotation(spans) != suggestion
    assert type(replace(suggestion, spans=())) is Suggestion and repr(suggestion).startswith("Suggestion(")
    assert not hasattr(suggestion, "__dict__")


def test_a_repeat_onto_held_tasks_in_a_later_batch_is_named_as_one(tmp_path: Path) -> None:
    """Onto tasks the dataset holds, an annotator new to it whose file gives a task again in a later
    batch: a repeat (his rows are not asked of the store, the import knows the ones it stored)."""
    n = importing.BATCH + 10
    repeated = _with_a_late_repeat(tmp_path / "a.jsonl", tmp_path / "b.jsonl", n)
    with Store(tmp_path / "a.db") as store:
        import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
        report = import_file(store, tmp_path / "b.jsonl", "d", "bob", "jsonl")
        assert (report.counts.tasks, report.counts.spans, len(report.task_ids)) == (n, n, n)
        assert (report.repeats, report.annotators, report.problems.notes) == (1, {"bob": n}, {})
        answers = [a.answer for _, t, a in store.annotations("d", "bob", None) if t.text == repeated]
        assert answers == ["reject"]


def test_a_record_tokenized_otherwise_by_an_annotator_new_to_the_dataset_reads_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record whose tokens differ from the stored ones but whose spans fall on them goes through
    the objects; its annotator held no row in the dataset, so none is read to compare with."""
    write_file(tmp_path / "a.jsonl", 3)
    text = "Record 1 was written in Seoul ."
    places = [(t.start, t.end) for t in provisional_tokens(text) if t.text != "Record"]
    tokens = retokenized(text, [(0, 3), (3, 6), *places])  # "Record" as "Rec" "ord"
    seoul = next(t for t in tokens if t.text == "Seoul")
    spans = (Span(seoul.start, seoul.end, seoul.id, seoul.id, "GPE", None, 1),)
    record = to_record(Task(text, tokens, input_hash(text)), Annotation(spans, answer="accept"))
    (tmp_path / "b.jsonl").write_bytes(orjson.dumps(record))
    with Store(tmp_path / "a.db") as store:
        import_file(store, tmp_path / "a.jsonl", "d", "alice", "jsonl")
        monkeypatch.setattr(store, "annotation", lambda *args: pytest.fail("a row read"))
        report = import_file(store, tmp_path / "b.jsonl", "d", "bob", "jsonl")
        assert (report.counts.tasks, report.problems.notes) == (1, {})
        [(_, stored, _)] = store.annotations("d", "bob")
        assert stored.tokens == provisional_tokens(text)  # the stored tokens, which the span fits


def test_id_set() -> None:
    ids = IdSet()
    ids.update({5, 0})
    ids.update(set())
    ids.update({5, 100_000, 7})
    assert len(ids) == 4 and 100_000 in ids and 5 in ids and 6 not in ids and -1 not in ids
    assert ids.among([0, 1, 7, 8, 100_000, 10**9]) == {0, 7, 100_000}
