"""``agreement a.jsonl b.jsonl`` reads a plain record straight with ``from_record`` (and takes its
tokens from another file's record of the task when they are the same, byte for byte): for every
record, good or bad, what it gives and what it reports is what ``read_record`` (import's reading)
gives and reports. Records: Prodigy's rel_component annotations (tests/fixtures/prodigy), as they
are and broken in the ways files break."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.agreement import Plain, Seen, Version
from annotator.formats.jsonl import read_record
from annotator.formats.problems import Problems
from annotator.reports.agreement_files import GoldFile
from tests.conftest import FIXTURES

SOURCE = FIXTURES / "prodigy" / "rel_component_annotations.jsonl"
Record = dict[str, Any]


def real() -> list[Record]:
    return [orjson.loads(line) for line in SOURCE.read_bytes().splitlines()[:40]]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Record], None]:
    def change(rec: Record) -> None:
        target: Any = rec
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[Record], None]:
    return lambda rec: rec.pop(key, None) and None


def _regions(rec: Record) -> None:
    """Every span also a Label Studio JSON-MIN region (``labels``)."""
    for span in rec["spans"]:
        span["labels"] = ["X"]


BREAKS: dict[str, Callable[[Record], None]] = {
    "as it is": lambda rec: None,
    "no tokens": _drop("tokens"),
    "no answer": _drop("answer"),
    "answer unknown": _set(("answer",), "maybe"),
    "input hash a string": _set(("_input_hash",), "12"),
    "spans_manual": _set(("_view_id",), "spans_manual"),
    "a view id": _set(("_view_id",), "rel_manual"),
    "doccano's entities": _set(("entities",), [[0, 3, "X"]]),
    "meta a list": _set(("meta",), [1]),
    "token ws 1": _set(("tokens", 0, "ws"), 1),
    "token start a float": _set(("tokens", 1, "start"), 1.0),
    "token text wrong": _set(("tokens", 0, "text"), "zz"),
    "span start a bool": _set(("spans", 0, "start"), True),
    "span without token indices": lambda rec: rec["spans"][0].pop("token_start", None) and None,
    "span with a group key": _set(("spans", 0, "key"), "sc"),
    "span off the tokens": _set(("spans", 0, "end"), 14),
    "span token_end wrong": _set(("spans", 0, "token_end"), 3),
    "span listed twice": lambda rec: rec["spans"].append(dict(rec["spans"][0])),
    "spans overlap": lambda rec: rec["spans"].append({**rec["spans"][0], "end": rec["spans"][1]["end"]}),
    "span text wrong": _set(("spans", 0, "text"), "nope"),
    "region-like spans": lambda rec: _regions(rec),
    "relation to a plain token": lambda rec: (
        rec["relations"] and rec["relations"][0]["head_span"].update(label=None, start=0, end=1)
    ),
    "relation to no span": lambda rec: rec["relations"] and rec["relations"][0]["child_span"].update(start=0),
    "relation twice": lambda rec: rec["relations"] and rec["relations"].append(dict(rec["relations"][0])),
    "relation head wrong": lambda rec: rec["relations"] and rec["relations"][0].update(head=99),
    "spans not a list": _set(("spans",), {"a": 1}),
}


def cases() -> Iterator[tuple[str, int, Record]]:
    for name, change in BREAKS.items():
        for n, rec in enumerate(real()):
            broken = copy.deepcopy(rec)
            try:
                change(broken)
            except (IndexError, KeyError):
                continue
            yield name, n, broken


def imported(value: Any, where: str) -> tuple[Version | None, Problems]:
    """What import's reading makes of the record (at line 7 of ``where``), as agreement uses it."""
    problems = Problems()
    item = read_record(value, where, 7, problems)
    if item is None:
        return None, problems
    task, annotation = item
    if annotation.answer is None:
        annotation = replace(annotation, answer="accept")
    return Version(task, annotation, f"{where}:7"), problems


def _said(problems: Problems) -> tuple[list[str], list[str], dict[str, int]]:
    return [str(b) for b in problems.bad], [str(w) for w in problems.warnings], dict(problems.unsupported)


def compared(key: int, version: Seen) -> tuple[Any, ...]:
    """What comparing uses of a version: its key, text, token offsets, spans, relations, answer."""
    offsets = (
        list(zip(version.starts, version.ends, strict=True))
        if isinstance(version, Plain)
        else [(t.start, t.end) for t in version.task.tokens]
    )
    a = version.annotation
    return key, version.text, offsets, a.spans, a.relations, a.answer, version.ref


def same_as_imported(made: tuple[int, Seen, Any] | None, expected: Version | None, said: Problems) -> None:
    """A plain version is what import's reading gives, as far as comparing goes, and import says
    nothing about its record; any other is import's version itself."""
    if made is None or expected is None:
        assert made is None and expected is None
        return
    assert made[0] == expected.task.input_hash
    if isinstance(made[1], Plain):
        assert compared(*made[:2]) == compared(made[0], expected)
        assert _said(said) == ([], [], {})
    else:
        assert made[1] == expected


@pytest.fixture(params=[True, False], ids=["plain", "whole"])
def gold(tmp_path: Path, request: pytest.FixtureRequest) -> GoldFile:
    path = tmp_path / "f"
    path.write_text("")
    return GoldFile(path, plain=request.param)


@pytest.mark.parametrize("name", list(BREAKS))
def test_every_record_reads_as_import_reads_it(name: str, gold: GoldFile) -> None:
    seen = plain = 0
    for _, _, rec in (c for c in cases() if c[0] == name):
        expected, said = imported(copy.deepcopy(rec), gold.where)
        problems = Problems()
        made = gold._version((7, copy.deepcopy(rec)), problems)
        same_as_imported(made, expected, said)
        assert _said(problems) == _said(said)
        seen += 1
        plain += made is not None and isinstance(made[1], Plain)
    assert seen
    # The records as Prodigy writes them are read plainly (a break may leave a record as it was).
    assert plain == seen if gold.plain and name in PLAIN else plain < seen or not gold.plain


# The breaks that leave a record that reads plainly (a span carrying a JSON-MIN region's labels is
# still a span here: import reads it so).
PLAIN = ("as it is", "no answer", "a view id", "region-like spans")


@pytest.mark.parametrize("name", list(BREAKS))
def test_tokens_are_shared_only_when_they_are_the_same(name: str, gold: GoldFile) -> None:
    """B's record read with what A's good record gave: the same version and problems as read
    alone, whatever is broken in B; and its tokens (and plainly read, its spans) are A's own
    objects when B's are A's."""
    for _, n, rec in (c for c in cases() if c[0] == name):
        a = real()[n]
        made_a = gold._version((3, a), Problems())
        assert made_a is not None and made_a[2] is not None
        expected, said = imported(copy.deepcopy(rec), gold.where)
        problems = Problems()
        made = gold._version((7, copy.deepcopy(rec)), problems, made_a[2])
        same_as_imported(made, expected, said)
        assert _said(problems) == _said(said)
        # (a record read whole does not take what a plain one read: a rare pair, read alone)
        if name in PLAIN or (name == "input hash a string" and not gold.plain):
            assert made is not None
            version, first = made[1], made_a[1]
            if isinstance(version, Plain):
                assert isinstance(first, Plain) and version.starts is first.starts
                same_spans = orjson.dumps(rec.get("spans")) == orjson.dumps(a.get("spans"))
                assert (version.record.spans is first.record.spans) == same_spans
            else:
                assert isinstance(version, Version) and isinstance(first, Version)
                assert version.task.tokens is first.task.tokens
