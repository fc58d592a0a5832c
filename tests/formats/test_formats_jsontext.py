"""The one JSON reader behind every JSON format and the .jsonl source: JSON Lines, pretty-printed
records one after another, a JSON array; a bad record costs only itself, wherever it is."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.errors import BadRecord
from annotator.formats import doccano, jsonl, jsontext
from annotator.formats.jsontext import MAX_DEPTH, RecordError, records
from annotator.formats.problems import Problems
from annotator.sources import read_source
from tests.strategies import json_scalars

Found = list[tuple[int | None, Any]]


def read_all(path: Path) -> Found:
    """(line, value) for records, (line, "!" + reason) for errors."""
    return [(r.line, "!" + r.reason) if isinstance(r, RecordError) else r for r in records(path)]


def test_pretty_printed_records_with_a_bad_one_between_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "pretty.jsonl"
    path.write_text(
        '{\n  "text": "one"\n}\n'  # lines 1-3
        '{\n  "text": "two",\n  "label": [[0, 3 "X"]]\n  "more": 1\n}\n'  # 4-8: bad at line 6
        '{\n  "text": "three"\n}\n',  # 9-11
        encoding="utf-8",
    )
    found = read_all(path)
    assert found[0] == (1, {"text": "one"})
    assert found[1][0] == 4 and str(found[1][1]).startswith("!not valid JSON")
    assert found[2] == (9, {"text": "three"})
    assert len(found) == 3


def test_array_and_lines_give_the_same_values(tmp_path: Path) -> None:
    values = [{"text": "a", "n": 1}, {"text": "b", "n": [1, {"x": None}]}]
    lines = tmp_path / "lines.jsonl"
    lines.write_text("\n".join(json.dumps(v) for v in values) + "\n", encoding="utf-8")
    array = tmp_path / "array.json"
    array.write_text(json.dumps(values, indent=2), encoding="utf-8")
    assert [v for _, v in read_all(lines)] == values
    assert [v for _, v in read_all(array)] == values
    assert [line for line, _ in read_all(array)] == [2, 6]


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_lone_surrogate_nan_and_deep_nesting_cost_one_record(tmp_path: Path, layout: str) -> None:
    bad = [
        '{"text": "\\ud800"}',
        '{"text": "x", "n": NaN}',
        '{"text": "x", "meta": ' + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "}",
        '{"text": "x", "meta": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ]
    good = '{"text": "fine"}'
    path = tmp_path / "hostile.json"
    if layout == "lines":
        path.write_text("\n".join([good, *bad, good]) + "\n", encoding="utf-8")
    else:  # an array: its elements are found by counting brackets, so any element costs itself
        path.write_text("[" + good + ",\n" + ",\n".join(bad) + ",\n" + good + "]", encoding="utf-8")
    found = read_all(path)
    errors = [v for _, v in found if isinstance(v, str)]
    assert len(errors) == len(bad), found
    assert next(v for _, v in found if not isinstance(v, str)) == {"text": "fine"}
    assert found[-1] == (6, {"text": "fine"})
    assert any("nested deeper" in e for e in errors)


def test_deeply_nested_array_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    problems = Problems()
    assert list(jsonl.read(path, problems)) == []
    assert len(problems.bad) == 1 and problems.bad[0].line == 1


def test_a_pipe_is_read_without_seeking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = b'{"text": "through a pipe", "label": [[0, 7, "X"]]}\n{"text": "second"}\n'

    def feed() -> None:
        with open(fifo, "wb") as out:
            out.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    problems = Problems()
    items = list(doccano.read(fifo, problems))
    writer.join(timeout=10)
    assert not problems.bad and [t.text for t, _ in items] == ["through a pipe", "second"]


def test_a_folder_or_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    folder = tmp_path / "x.jsonl"
    folder.mkdir()
    (found,) = read_all(folder)
    assert found[0] is None and "cannot read the file" in str(found[1])


def test_the_jsonl_source_reads_pretty_printed_tasks_through_the_same_reader(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text('{\n  "text": "First."\n}\n{broken\n{"text": "Third."}\n', encoding="utf-8")
    problems: list[BadRecord] = []
    items = list(read_source(path, problems))
    assert [(i.text, i.line) for i in items] == [("First.", 1), ("Third.", 5)]
    assert [p.line for p in problems] == [4]


def _depth(value: Any) -> int:
    """Levels of lists and objects, walked the plain way: what the byte scan must agree with."""
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _nested(value: Any, levels: int, keys: str) -> Any:
    names = keys or "k"
    for i in range(levels):
        value = {names[i % len(names)]: value} if i % 3 == 0 else [value, keys]
    return value


# Strings full of what the scan must see through: brackets, quotes, escapes.
_tricky = st.text(alphabet=st.sampled_from('[]{}"\\\\/ ab\n\x01'), max_size=12)
_tricky_values = st.recursive(
    st.one_of(json_scalars, _tricky),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_tricky, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=_tricky_values,
    levels=st.one_of(st.integers(0, 12), st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3)),
    keys=_tricky,
    pad=st.sampled_from(["lists", "string"]),
)
def test_the_depth_check_agrees_with_walking_the_value(value: Any, levels: int, keys: str, pad: str) -> None:
    """The byte scan (brackets outside strings, innermost pairs taken off a level at a time, the
    exact check past a few levels) refuses exactly the records nested deeper than MAX_DEPTH, with
    brackets, quotes and backslashes inside strings and keys."""
    nested = _nested(value, levels, keys)
    # Padded so that the bracket count alone cannot decide: with empty lists (the scan takes them
    # off at once) or with a string of brackets (the scan must leave them out).
    padding: Any = [[] for _ in range(MAX_DEPTH)] if pad == "lists" else "[" * (1 << 16)
    # Written by the standard library: orjson writes at most MAX_DEPTH levels.
    raw = json.dumps({"pad": padding, "v": nested}, ensure_ascii=False).encode()
    parsed = orjson.loads(raw)
    assert jsontext.too_deep(raw, parsed) == (_depth(parsed) > MAX_DEPTH)


def test_a_long_shallow_record_is_passed_without_writing_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document of many tokens with brackets and escapes in its text is decided by the scan: the
    exact check (orjson writing the value back, a tenth of a second at 500,000 tokens) is not run."""
    text = 'He said "[x" {y \\ ok. ' * 2_000
    # A backslash at the end of a string and an escaped quote: misread, either turns every bracket
    # after it inside out.
    marks = ["\\", '"', *["[", "}"] * 10_000]
    record = {"text": text, "tokens": [{"text": mark, "start": i} for i, mark in enumerate(marks)]}
    raw = orjson.dumps(record)

    def refuse(value: Any) -> bytes:
        raise AssertionError("written back")

    monkeypatch.setattr(orjson, "dumps", refuse)  # the module jsontext writes with
    assert not jsontext.too_deep(raw, record)
    deep = json.dumps({"text": text, "meta": _nested(1, MAX_DEPTH + 1, "k")}).encode()
    with pytest.raises(AssertionError, match="written back"):  # past a few levels: the exact check
        jsontext.too_deep(deep, orjson.loads(deep))
