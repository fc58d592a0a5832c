"""``agreement a.jsonl b.jsonl`` reads most records plainly (``agreement_plain``: no task built,
checked as import checks them) and the rest whole: on random files, good records and records broken
in the ways files break, in the same or another order, the report and what is said about the
records are byte for byte those of reading every record whole."""

from __future__ import annotations

import copy
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.records import to_record
from annotator.core.validate import make_span
from annotator.formats import jsonl
from annotator.formats.jsontext import MAX_DEPTH
from annotator.formats.problems import Problems
from annotator.reports import agreement_files
from annotator.reports.agreement import to_json
from annotator.reports.agreement_files import compare_files
from annotator.reports.agreement_plain import read_plain
from tests.agreement.test_agreement_files_reading import BREAKS
from tests.formats.test_formats_jsonl import _lists
from tests.strategies import annotated_tasks, annotations_of, tokenize

Record = dict[str, Any]


def _reversed_spans(rec: Record) -> None:
    rec["spans"] = rec.get("spans", [])[::-1]


def _drop_hash(rec: Record) -> None:
    rec.pop("_input_hash", None)


def _answer_reject(rec: Record) -> None:
    rec["answer"] = "reject"


def _token_start_true(rec: Record) -> None:
    """A value equal to the one written (True == 1) but not the same JSON."""
    if len(rec["tokens"]) > 1:
        rec["tokens"][1]["start"] = (
            True if rec["tokens"][1]["start"] == 1 else rec["tokens"][1]["start"] * 1.0
        )


def _relabelled_twice(rec: Record) -> None:
    """The first span again with another label: two spans at one place."""
    rec["spans"].append({**rec["spans"][0], "label": rec["spans"][0]["label"] + "x"})


def _overlapping(rec: Record) -> None:
    """A span on the first span's tokens and the next one's, before it: they overlap."""
    first, tokens = rec["spans"][0], rec["tokens"]
    last = min(first["token_end"] + 1, len(tokens) - 1)
    span = {**first, "end": tokens[last]["end"], "token_end": last, "label": "WIDE"}
    rec["spans"].insert(0, span)


# What random records may suffer, besides the breaks of real records.
CHANGES = {
    **BREAKS,
    "spans in reverse order": _reversed_spans,
    "a span twice, relabelled": _relabelled_twice,
    "overlapping spans": _overlapping,
    "a span starting inside its token": lambda rec: rec["spans"][0].update(
        start=rec["spans"][0]["start"] + 1
    ),
    "no input hash": _drop_hash,
    "an input hash past 64 bits": lambda rec: rec.update(_input_hash=2**63),
    "rejected": _answer_reject,
    "a token start of another type": _token_start_true,
}


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Task, Annotation, Annotation]:
    task, a = draw(annotated_tasks())
    b = draw(st.sampled_from([a, draw(annotations_of(task))]))
    return task, a, b


def _records(items: list[tuple[Task, Annotation]], changes: list[tuple[int, str]]) -> list[Record]:
    records = [to_record(task, annotation) for task, annotation in items]
    for at, name in changes:
        rec = records[at % len(records)]
        try:
            CHANGES[name](rec)
        except (IndexError, KeyError, TypeError, AttributeError):
            continue
    return records


def _write(path: Path, records: list[Record]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records))
    return path


def _read(paths: list[Path]) -> tuple[str, list[str], list[str]]:
    report, read = compare_files(paths)
    return to_json(report), [str(b) for b in read.bad], [str(w) for w in read.warnings]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(pairs(), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 50), st.sampled_from(sorted(CHANGES))), max_size=4),
    st.lists(st.tuples(st.integers(0, 50), st.sampled_from(sorted(CHANGES))), max_size=4),
    st.sampled_from(["in order", "shuffled", "reversed", "repeated"]),
    st.integers(0, 2**16),
)
def test_plain_reading_gives_what_whole_reading_gives(
    items: list[tuple[Task, Annotation, Annotation]],
    changes_a: list[tuple[int, str]],
    changes_b: list[tuple[int, str]],
    order: str,
    seed: int,
) -> None:
    a_records = _records([(t, a) for t, a, _ in items], changes_a)
    b_records = _records([(t, b) for t, _, b in items], changes_b)
    if order == "shuffled":
        random.Random(seed).shuffle(b_records)
    elif order == "reversed":
        b_records.reverse()
    elif order == "repeated":
        b_records = [*b_records, copy.deepcopy(b_records[0])]
    with tempfile.TemporaryDirectory() as folder:
        paths = [_write(Path(folder) / "a.jsonl", a_records), _write(Path(folder) / "b.jsonl", b_records)]
        plain = _read(paths)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(agreement_files, "read_plain", lambda *args: None)
            whole = _read(paths)
    assert plain == whole


def test_the_same_records_are_read_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above compares something: records as this tool writes them are read plainly, and
    the second version of a task takes the first one's checked tokens and spans."""
    read: list[Any] = []
    original = read_plain

    def spy(value: Any, ref: str, like: Any = None) -> Any:
        made = original(value, ref, like)
        read.append((made, like))
        return made

    monkeypatch.setattr(agreement_files, "read_plain", spy)
    text = "Ada met Bob in Paris ."
    task = Task(text, tokenize(text), 1)
    a = Annotation((), (), "accept")
    paths = [_write(tmp_path / f"{n}.jsonl", [to_record(task, a)]) for n in "ab"]
    _read(paths)
    assert len(read) == 2 and all(made is not None for made, _ in read)
    (first, _), (second, like) = read
    assert like is first and second.starts is first.starts and second.record.spans is first.record.spans


def _spans(task: Task, *places: tuple[int, int, str]) -> tuple[Span, ...]:
    """Spans by token range (first, last, label), numbered from 1."""
    tokens = task.tokens
    return tuple(
        make_span(task, tokens[first].start, tokens[last].end, label, None, sid)
        for sid, (first, last, label) in enumerate(places, 1)
    )


# Pairs whose spans differ as the counting of two plain versions has a way for each: one span
# changed (overlapping with its label kept or not, touching, apart), one more or one fewer, several
# changed (the whole overlap matching), a span labelled "O" (the outside label's name), relations
# on spans that changed, and every span but one alike.
_DIFFERENT = [
    ([(0, 0, "PER"), (2, 3, "PER")], [(0, 0, "PER"), (3, 4, "PER")]),
    ([(0, 0, "PER"), (2, 3, "PER")], [(0, 0, "PER"), (3, 4, "LOC")]),
    ([(7, 8, "PER")], [(9, 9, "PER")]),
    ([(2, 3, "PER")], [(6, 7, "PER")]),
    ([(0, 0, "PER")], [(0, 0, "PER"), (4, 4, "LOC")]),
    ([(0, 0, "PER"), (4, 4, "LOC")], [(4, 4, "LOC")]),
    ([(0, 1, "PER"), (2, 3, "PER"), (5, 6, "LOC")], [(1, 2, "PER"), (3, 5, "PER"), (6, 7, "LOC")]),
    ([(0, 0, "O"), (2, 2, "PER")], [(2, 2, "PER")]),
    ([(0, 0, "PER"), (2, 2, "O")], [(0, 0, "PER"), (2, 3, "PER")]),
]


@pytest.mark.parametrize("relations", [False, True], ids=["spans", "relations"])
@pytest.mark.parametrize("places", _DIFFERENT, ids=[str(k) for k in range(len(_DIFFERENT))])
def test_two_plain_versions_that_differ_count_as_whole_ones(
    tmp_path: Path,
    places: tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]],
    relations: bool,
) -> None:
    """Every way two plain versions' spans may differ gives the figures of the versions read whole
    (the in-memory comparison of Spans), alongside a task both versions agree on."""
    text = "Ada met Bob at Paris in May of 1999."
    task, alike = Task(text, tokenize(text), 1), Task(text + " !", tokenize(text + " !"), 2)
    same = Annotation(_spans(alike, (0, 0, "PER"), (4, 4, "LOC")), (), "accept")
    versions = []
    for spans in (_spans(task, *p) for p in places):
        links = (Relation(spans[0].sid, spans[-1].sid, "LINK"),) if relations and len(spans) > 1 else ()
        versions.append(Annotation(spans, links, "accept"))
    paths = [
        _write(tmp_path / f"{n}.jsonl", [to_record(task, v), to_record(alike, same)])
        for n, v in zip("ab", versions, strict=True)
    ]
    plain = _read(paths)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(agreement_files, "read_plain", lambda *args: None)
        assert plain == _read(paths)
    report = orjson.loads(plain[0])
    assert (
        report["tasks"]["compared"] == 2 and report["spans"]["exact"]["fp"] + report["spans"]["exact"]["fn"]
    )


@pytest.mark.parametrize("details", [False, True])
def test_a_deep_record_is_refused_as_import_refuses_it(tmp_path: Path, details: bool) -> None:
    """Agreement refuses for its depth the records an import refuses (jsonl.read_plain: of a
    record read as it comes, what is kept; of the rest, the whole), reading plainly or not."""
    max_depth = MAX_DEPTH
    text = "Ann met Bob"
    task = Task(text, tokenize(text), 7, {})
    plain = to_record(task, Annotation(spans=(Span(0, 3, 0, 0, "PERSON", sid=1),), answer="accept"))
    records = [
        {**plain, "meta": {"deep": _lists(max_depth - 1)}},  # 1
        {**plain, "tokens": [{**t, "x": _lists(max_depth + 5)} for t in plain["tokens"]]},  # 2: taken
        {**plain, "_input_hash": 8, "x": _lists(max_depth)},  # 3
        {"text": "Bob met Ann", "meta": {"deep": _lists(max_depth - 1)}},  # 4
    ]
    paths = []
    for name in ("a", "b"):
        paths.append(tmp_path / f"{name}.jsonl")
        paths[-1].write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    problems = Problems()
    list(jsonl.read_plain(paths[0], problems))
    _, read = compare_files(paths, details=details)
    assert [(b.line, b.reason) for b in read.bad] == [(b.line, b.reason) for b in problems.bad] * 2
    assert [b.line for b in problems.bad] == [1, 3, 4]
