"""doccano: the files doccano's own repository uses as import and export examples, the raw
multi-user export of a real project, the pretty-printed variant, and UTF-16 offsets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.formats import doccano
from annotator.formats.problems import Problems
from annotator.formats.tokens import tokenize
from tests.formats_support import DOCCANO, NOVELS, messages, totals

EXPORT_SEQ = DOCCANO / "data_export-pipeline-examples-sequence_labeling-example.jsonl"
EXPORT_REL = DOCCANO / "data_export-pipeline-examples-relation_extraction-example.jsonl"
IMPORT_REL = [
    DOCCANO / "data_import-pipeline-examples-relation_extraction-example.jsonl",
    DOCCANO / "data_import-tests-data-relation_extraction-example.jsonl",
]
IMPORT_SEQ = DOCCANO / "data_import-tests-data-sequence_labeling-example.jsonl"
OVERLAPPING = DOCCANO / "data_import-tests-data-sequence_labeling-example_overlapping.jsonl"


def raw_records(path: Path) -> list[Any]:
    """Every JSON value in the file, one per line or pretty-printed one after another."""
    text, pos = path.read_text(encoding="utf-8"), 0
    out: list[Any] = []
    decoder = json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        value, pos = decoder.raw_decode(text, pos)
        out.append(value)


def read(path: Path) -> tuple[list[tuple[Task, Annotation]], Problems]:
    problems = Problems()
    return list(doccano.read(path, problems)), problems


@pytest.mark.parametrize("path", [EXPORT_SEQ, EXPORT_REL, *IMPORT_REL], ids=lambda p: p.name)
def test_fixture_counts_match_the_raw_file(path: Path) -> None:
    records = raw_records(path)
    spans = sum(len(r.get("label", r.get("entities", []))) for r in records)
    relations = sum(len(r.get("relations", [])) for r in records)
    items, problems = read(path)
    assert not problems.bad, messages(problems)
    assert totals(items) == (len(records), spans, relations)
    for (task, ann), rec in zip(items, records, strict=True):
        raw = rec.get("label") or [[e["start_offset"], e["end_offset"], e["label"]] for e in rec["entities"]]
        assert sorted((s.start, s.end, s.label) for s in ann.spans) == sorted(map(tuple, raw))
        assert task.text == rec["text"]


def test_pretty_printed_relation_export_is_one_record_spanning_many_lines() -> None:
    assert len(EXPORT_REL.read_text().splitlines()) > 10
    items, problems = read(EXPORT_REL)
    assert len(items) == 1 and not problems.bad
    task, ann = items[0]
    by_sid = {s.sid: task.text[s.start : s.end] for s in ann.spans}
    assert sorted((by_sid[r.head], r.label, by_sid[r.child]) for r in ann.relations) == [
        ("Google", "foundedAt", "September 4, 1998"),
        ("Google", "foundedBy", "Larry Page"),
        ("Google", "foundedBy", "Sergey Brin"),
    ]


@pytest.mark.parametrize("path", [EXPORT_SEQ, EXPORT_REL], ids=lambda p: p.name)
def test_doccano_export_examples_are_written_back_identically(path: Path, tmp_path: Path) -> None:
    items, _ = read(path)
    out = tmp_path / "out.jsonl"
    doccano.write(out, items)
    assert raw_records(out) == raw_records(path)


@pytest.mark.parametrize("path", IMPORT_REL, ids=lambda p: p.name)
def test_relation_import_examples_come_back_equal_but_for_relation_ids(path: Path, tmp_path: Path) -> None:
    items, _ = read(path)
    out = tmp_path / "out.jsonl"
    doccano.write(out, items)
    [back], [before] = raw_records(out), raw_records(path)
    for rel in back["relations"]:
        del rel["id"]  # doccano's import examples carry none; its exports number them
    assert back == before


def test_sequence_import_example_keeps_meta_splits_tokens_and_reports_the_record_without_text(
    tmp_path: Path,
) -> None:
    items, problems = read(IMPORT_SEQ)
    assert [(b.line, "'text'" in b.reason) for b in problems.bad] == [(3, True)]
    assert [t.meta for t, _ in items] == [{"wikiPageID": 1}, {"wikiPageID": 2}]
    task, ann = items[0]
    # [0, 1] is "e" of "exampleA": the token is split, the span keeps its offsets.
    assert [(s.start, s.end, s.label) for s in ann.spans] == [(0, 1, "LOC")]
    assert [t.text for t in task.tokens] == ["e", "xampleA"]
    assert sum(problems.notes.values()) == 1
    out = tmp_path / "out.jsonl"
    doccano.write(out, items)
    assert raw_records(out) == raw_records(IMPORT_SEQ)[:2]


def test_identical_spans_listed_twice_are_kept_once_with_a_warning() -> None:
    items, problems = read(OVERLAPPING)
    assert totals(items) == (1, 1, 0)
    assert len(problems.warnings) == 1 and "twice" in problems.warnings[0].reason
    assert not problems.bad


def test_an_overlapping_span_is_kept_in_the_span_group_sc_with_its_relation(tmp_path: Path) -> None:
    """Issue 9 item 15: one overlapping span dropped its whole record (15 of 22 records); issue 14:
    doccano's overlapping entities are kept, the one that overlaps an entity in span group sc."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        orjson.dumps(
            {
                "text": "New York City is big",
                "entities": [
                    {"id": 1, "start_offset": 0, "end_offset": 8, "label": "GPE"},
                    {"id": 2, "start_offset": 4, "end_offset": 13, "label": "GPE"},
                    {"id": 3, "start_offset": 17, "end_offset": 20, "label": "SIZE"},
                ],
                "relations": [
                    {"id": 1, "from_id": 1, "to_id": 3, "type": "IS"},
                    {"id": 2, "from_id": 2, "to_id": 3, "type": "IS"},
                ],
            }
        )
        + b"\n"
        + orjson.dumps({"text": "Paris", "label": [[0, 5, "GPE"]]})
    )
    items, problems = read(path)
    assert totals(items) == (2, 4, 2)
    (task, annotation), _ = items
    assert [(task.text[s.start : s.end], s.layer) for s in annotation.spans] == [
        ("New York", "ents"),
        ("York City", "sc"),
        ("big", "ents"),
    ]
    assert not problems.bad
    assert [w.line for w in problems.warnings if "kept in span group 'sc'" in w.reason] == [1]
    by_sid = {s.sid: task.text[s.start : s.end] for s in annotation.spans}
    assert sorted((by_sid[r.head], r.label) for r in annotation.relations) == [
        ("New York", "IS"),
        ("York City", "IS"),
    ]
    # Written back, both overlapping entities are there.
    out = tmp_path / "out.jsonl"
    doccano.write(out, items)
    back = orjson.loads(out.read_bytes().splitlines()[0])
    assert sorted((e["start_offset"], e["end_offset"]) for e in back["entities"]) == [
        (0, 8),
        (4, 13),
        (17, 20),
    ]


@pytest.mark.parametrize("path", sorted(NOVELS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_raw_multi_user_export_gives_one_annotation_per_user_with_every_span(path: Path) -> None:
    records = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    expected: Counter[tuple[Any, str]] = Counter()
    for rec in records:
        for a in rec["annotations"]:
            expected[(rec["id"], str(a["user"]))] += 0
        expected.update(
            (rec["id"], str(a["user"]))
            for a in {
                (a["start_offset"], a["end_offset"], a["label"], a["user"]): a for a in rec["annotations"]
            }.values()
        )
    items, problems = read(path)
    assert not problems.bad, messages(problems)
    got = Counter({(t.extra["id"], a.annotator): len(a.spans) for t, a in items})
    assert got == expected
    # The users' annotations of one text share its tokens, so they can be compared token by token.
    by_text: dict[str, set[tuple[Token, ...]]] = {}
    for task, _ in items:
        by_text.setdefault(task.text, set()).add(task.tokens)
    assert all(len(v) == 1 for v in by_text.values())
    assert doccano.users(path) == {str(a["user"]) for r in records for a in r["annotations"]}


def test_utf16_offsets_are_converted_and_written_back(tmp_path: Path) -> None:
    # doccano's browser counts 😀 as two: "firetrucks" is at 22..32 in UTF-16, 20..30 in Python.
    text = "👨‍🚒 firemen drive firetrucks 😀 in Köln"

    def js(i: int) -> int:  # doccano's browser counts in UTF-16 code units
        return len(text[:i].encode("utf-16-le")) // 2

    cp_start = text.index("firetrucks")
    cp_koln = text.index("Köln")
    rec = {
        "text": text,
        "label": [[js(cp_start), js(cp_start + 10), "VEHICLE"], [js(cp_koln), js(cp_koln + 4), "GPE"]],
    }
    assert rec["label"][0][:2] != [cp_start, cp_start + 10]
    path = tmp_path / "in.jsonl"
    path.write_bytes(orjson.dumps(rec))
    items, problems = read(path)
    assert [text[s.start : s.end] for s in items[0][1].spans] == ["firetrucks", "Köln"]
    assert doccano.UTF16_NOTE in problems.notes
    out = tmp_path / "out.jsonl"
    doccano.write(out, items)
    assert raw_records(out) == [rec]


def test_code_point_offsets_written_by_a_python_script_are_recognised(tmp_path: Path) -> None:
    text = "😀😀 Ann met Bob in Köln"
    rec = {"text": text, "label": [[text.index("Bob"), text.index("Bob") + 3, "PERSON"]]}
    path = tmp_path / "in.jsonl"
    path.write_bytes(orjson.dumps(rec))
    items, problems = read(path)
    # Read as UTF-16 the span would be "n m" (cutting two words); as code points it is "Bob".
    assert [text[s.start : s.end] for s in items[0][1].spans] == ["Bob"]
    assert doccano.CODEPOINT_NOTE in problems.notes


def test_relations_are_written_as_entities_and_relations(tmp_path: Path) -> None:
    text = "Ann met Bob"
    task = Task(text, tokenize(text), 7, {"source": "x"})
    ann = Annotation(
        (Span(0, 3, 0, 0, "PERSON", sid=5), Span(8, 11, 2, 2, "PERSON", sid=9)), (Relation(5, 9, "MET"),)
    )
    out = tmp_path / "out.jsonl"
    counts = doccano.write(out, [(task, ann)])
    assert (counts.tasks, counts.spans, counts.relations) == (1, 2, 1)
    [rec] = raw_records(out)
    assert rec["entities"] == [
        {"id": 0, "start_offset": 0, "end_offset": 3, "label": "PERSON"},
        {"id": 1, "start_offset": 8, "end_offset": 11, "label": "PERSON"},
    ]
    assert rec["relations"] == [{"id": 0, "from_id": 0, "to_id": 1, "type": "MET"}]
    assert rec["meta"] == {"source": "x"}
    [(t2, a2)], _ = read(out)
    assert a2.content() == ann.content() and t2.meta == task.meta


def test_text_classification_records_are_reported_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "cls.jsonl"
    path.write_bytes(orjson.dumps({"text": "great film", "label": ["positive"]}))
    items, problems = read(path)
    assert not items and "text-classification" in problems.bad[0].reason


def test_a_broken_pretty_printed_record_is_reported_and_the_next_one_is_read(tmp_path: Path) -> None:
    good = json.dumps(
        {
            "text": "Ann",
            "entities": [{"id": 1, "start_offset": 0, "end_offset": 3, "label": "PER"}],
            "relations": [],
        },
        indent=4,
    )
    path = tmp_path / "pretty.jsonl"
    path.write_text(good + "\n" + '{\n    "text": "oops",\n    "entities": [\n' + "\n" + good + "\n")
    items, problems = read(path)
    assert totals(items) == (2, 2, 0)
    (bad,) = problems.bad
    assert bad.line is not None and bad.line > len(good.splitlines())
