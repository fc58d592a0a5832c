"""Prodigy JSONL (the gold schema) through the jsonl reader and writer, against Prodigy's files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Span, Task
from annotator.core.records import Plain, from_record, to_record
from annotator.formats import jsonl
from annotator.formats.jsontext import MAX_DEPTH
from annotator.formats.kinds import foreign
from annotator.formats.problems import Problems
from annotator.formats.tokens import tokenize
from tests.conftest import FIXTURES
from tests.formats_support import REL_FILE, messages, totals
from tests.strategies import annotated_tasks


def raw(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def rel_key(rel: dict[str, Any]) -> tuple[object, ...]:
    h, c = rel["head_span"], rel["child_span"]
    return (
        rel["head"],
        rel["child"],
        rel["label"],
        h["start"],
        h["end"],
        h["label"],
        c["start"],
        c["end"],
        c["label"],
    )


def test_rel_component_counts_match_the_raw_file_and_duplicates_are_reported() -> None:
    records = raw(REL_FILE)
    n_spans = sum(len(r["spans"]) for r in records)
    listed = [rel_key(x) for r in records for x in r["relations"]]
    distinct = sum(len({rel_key(x) for x in r["relations"]}) for r in records)
    problems = Problems()
    items = list(jsonl.read(REL_FILE, problems))
    assert totals(items) == (len(records), n_spans, distinct)
    assert (len(records), n_spans, len(listed)) == (149, 466, 267)  # the figures the fixture README gives
    repeats = [w for w in problems.warnings if "repeats an earlier relation" in w.reason]
    assert len(repeats) == len(listed) - distinct == 4
    assert distinct + len(repeats) == 267
    assert all(w.line is not None and w.source == str(REL_FILE) for w in repeats)
    assert not problems.bad, messages(problems)


def test_rel_component_written_back_equals_the_input_where_the_schema_allows(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    items = list(jsonl.read(REL_FILE, Problems()))
    counts = jsonl.write(out, items)
    assert (counts.tasks, counts.spans, counts.relations) == (149, 466, 263)
    for before, after in zip(raw(REL_FILE), raw(out), strict=True):
        assert after["text"] == before["text"]
        assert after["meta"] == before["meta"]
        assert after["_input_hash"] == before["_input_hash"]
        assert after["_view_id"] == before["_view_id"]  # unknown keys are kept
        assert after["answer"] == before["answer"]
        tok = ("text", "start", "end", "id", "ws")
        assert [{k: t[k] for k in tok} for t in after["tokens"]] == [
            {k: t[k] for k in tok} for t in before["tokens"]
        ]
        fields = ("start", "end", "token_start", "token_end", "label")
        assert sorted(tuple(s[k] for k in fields) for s in after["spans"]) == sorted(
            tuple(s[k] for k in fields) for s in before["spans"]
        )
        assert sorted(map(rel_key, after["relations"])) == sorted(set(map(rel_key, before["relations"])))


def test_ner_tweets_demo_keeps_span_source() -> None:
    items = list(jsonl.read(FIXTURES / "prodigy" / "ner_tweets_demo.jsonl", Problems()))
    records = raw(FIXTURES / "prodigy" / "ner_tweets_demo.jsonl")
    assert totals(items)[:2] == (len(records), sum(len(r["spans"]) for r in records))
    assert {s.source for _, a in items for s in a.spans} == {
        s.get("source") for r in records for s in r["spans"]
    }


def test_bad_lines_are_reported_with_their_line_and_the_good_ones_go_on(tmp_path: Path) -> None:
    lines = [
        orjson.dumps({"text": "Ann met Bob."}),
        b"{not json",
        orjson.dumps({"text": "Ann met Bob", "spans": [{"start": 0, "end": 2, "label": "PERSON"}]}),
        b"",
        orjson.dumps({"text": 5}),
        orjson.dumps(
            {"text": "Ann met Bob", "spans": [{"start": 8, "end": 11, "label": "PERSON"}], "answer": "maybe"}
        ),
        orjson.dumps({"text": "Bob", "spans": [{"start": 0, "end": 9, "label": "PERSON"}]}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    problems = Problems()
    items = list(jsonl.read(path, problems))
    assert [b.line for b in problems.bad] == [2, 5, 6, 7]
    assert "not valid JSON" in problems.bad[0].reason
    assert "'text'" in problems.bad[1].reason
    assert "answer" in problems.bad[2].reason
    assert "outside the text" in problems.bad[3].reason
    assert [t.text for t, _ in items] == ["Ann met Bob.", "Ann met Bob"]


def test_records_without_tokens_are_tokenized_and_split_at_span_edges(tmp_path: Path) -> None:
    # "Obama's" is one token to nobody but a span that ends inside "Obamas": the token is split.
    path = tmp_path / "in.jsonl"
    rec = {
        "text": "Obamas visit to Tōkyō 🙂 today",
        "spans": [
            {"start": 0, "end": 5, "label": "PERSON", "token_start": 7, "token_end": 9},
            {"start": 16, "end": 21, "label": "GPE"},
        ],
        "relations": [
            {
                "head": 99,
                "child": 98,
                "label": "VISITED",
                "head_span": {"start": 0, "end": 5, "label": "PERSON", "token_start": 5},
                "child_span": {"start": 16, "end": 21, "label": "GPE"},
            }
        ],
    }
    path.write_bytes(orjson.dumps(rec))
    problems = Problems()
    [(task, ann)] = list(jsonl.read(path, problems))
    assert not problems.bad, messages(problems)
    assert [(task.text[s.start : s.end], s.label) for s in ann.spans] == [
        ("Obama", "PERSON"),
        ("Tōkyō", "GPE"),
    ]
    assert [t.text for t in task.tokens][:2] == ["Obama", "s"]
    assert task.tokens[0].ws is False
    assert len(ann.relations) == 1
    assert sum(problems.notes.values()) == 1


def test_writer_is_atomic_an_error_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    out.write_text("old\n")
    task = Task("a b", (), 1)

    def items() -> Iterator[tuple[Task, Annotation]]:
        yield task, Annotation()
        raise AnnotatorError("stop in the middle")

    with pytest.raises(AnnotatorError):
        jsonl.write(out, items())
    assert out.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["gold.jsonl"]


def test_writer_output_reads_back_with_doc_char_span(tmp_path: Path, blank_en: Language) -> None:
    from spacy.tokens import Doc

    items = list(jsonl.read(REL_FILE, Problems()))[:20]
    out = tmp_path / "gold.jsonl"
    jsonl.write(out, items)
    for rec in raw(out):
        doc = Doc(
            blank_en.vocab, words=[t["text"] for t in rec["tokens"]], spaces=[t["ws"] for t in rec["tokens"]]
        )
        for s in rec["spans"]:
            span = doc.char_span(s["start"], s["end"], label=s["label"])
            assert span is not None and span.text == rec["text"][s["start"] : s["end"]]
            assert (span.start, span.end - 1) == (s["token_start"], s["token_end"])


@pytest.fixture(scope="session")
def blank_en() -> Language:
    import spacy

    return spacy.blank("en")


def test_span_source_and_answer_survive(tmp_path: Path) -> None:
    from annotator.formats.tokens import tokenize

    task = Task("Ann", tokenize("Ann"), 3)
    ann = Annotation((Span(0, 3, 0, 0, "PERSON", "en_core_web_sm", 1),), answer="accept")
    jsonl.write(tmp_path / "x.jsonl", [(task, ann)])
    [(t2, a2)] = list(jsonl.read(tmp_path / "x.jsonl", Problems()))
    assert a2.spans[0].source == "en_core_web_sm" and a2.answer == "accept" and t2.tokens == task.tokens


def test_a_bad_first_line_costs_only_itself_and_a_json_array_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "cut off\n{"text": "Ann"}\n{"text": "Bob"}\n')
    problems = Problems()
    assert [t.text for t, _ in jsonl.read(path, problems)] == ["Ann", "Bob"]
    assert [b.line for b in problems.bad] == [1]
    array = tmp_path / "b.json"
    array.write_bytes(
        orjson.dumps([{"text": "Ann"}, {"text": "Bob", "answer": "reject"}], option=orjson.OPT_INDENT_2)
    )
    problems = Problems()
    items = list(jsonl.read(array, problems))
    assert [(t.text, a.answer) for t, a in items] == [("Ann", None), ("Bob", "reject")]
    assert not problems.bad


def test_an_overlapping_span_is_reported_and_the_rest_of_its_record_kept(tmp_path: Path) -> None:
    """Issue 9 item 15: one overlapping span dropped its whole Prodigy record."""
    span = {"start": 4, "end": 13, "label": "GPE"}
    size = {"start": 17, "end": 20, "label": "SIZE"}
    record = {
        "text": "New York City is big",
        "spans": [{"start": 0, "end": 8, "label": "GPE"}, span, size, dict(size)],
        "relations": [
            {"label": "IS", "head_span": span, "child_span": size},
            {"label": "IS", "head_span": {"start": 0, "end": 8, "label": "GPE"}, "child_span": size},
        ],
        "answer": "accept",
    }
    path = tmp_path / "o.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n" + orjson.dumps({"text": "fine"}) + b"\n")
    problems = Problems()
    items = list(jsonl.read(path, problems))
    assert [t.text for t, _ in items] == ["New York City is big", "fine"]
    (task, annotation), _ = items
    assert [task.text[s.start : s.end] for s in annotation.spans] == ["New York", "big"]
    assert len(annotation.relations) == 1 and annotation.answer == "accept"
    assert [(b.line, b.reason) for b in problems.bad] == [
        (
            1,
            "span 1 [4:13] GPE 'York City' overlaps [0:8] GPE 'New York'; entity spans must not overlap, so it is not imported",
        ),
        (1, "relation 0 IS: its argument [4:13] was not imported (see above)"),
    ]
    assert [w.reason for w in problems.warnings] == ["span [17:20] SIZE is listed twice; kept once"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"text": "a", "_annotator_id": "A"}\n{"text": "b", "_annotator_id":"A"}\n', {"A"}),
        (b'{"text": "a", "_annotator_id": "A"}\n{"text": "b", "_annotator_id": "B"}\n', {"A", "B"}),
        (b'{"text": "a"}\n', set()),
        # one value spelled two ways: counted as one, once the records are parsed
        (b'{"text": "a", "_annotator_id": "A"}\n{"text": "b", "_annotator_id": "\\u0041"}\n', {"A"}),
        # the key inside meta, and a user at the top of the record: only the top-level ones count
        (b'{"text": "a", "meta": {"_annotator_id": "X"}, "_annotator_id": "A"}\n', {"A"}),
        # pretty-printed, the value on the line after its key: parsed
        (b'{"text": "a",\n "_annotator_id":\n "A"}\n{"text": "b",\n "_annotator_id":\n "B"}\n', {"A", "B"}),
        # not a string: no user
        (b'{"text": "a", "_annotator_id": 7}\n{"text": "b", "_annotator_id": "B"}\n', {"B"}),
        # the key's words inside a text are not a key
        (b'{"text": "say \\"_annotator_id\\": \\"Z\\"", "_annotator_id": "A"}\n', {"A"}),
    ],
)
@pytest.mark.parametrize("block", [1 << 20, 7], ids=["blocks of many lines", "lines longer than a block"])
def test_users_as_an_import_needs_them(
    tmp_path: Path, content: bytes, expected: set[str], block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """users() looks through the bytes first and parses the records only when they may name
    several users: whether a file holds several users' work is what an import asks."""
    monkeypatch.setattr(jsonl, "_BLOCK", block)
    path = tmp_path / "u.jsonl"
    path.write_bytes(content)
    assert jsonl.users(path) == expected


@pytest.mark.parametrize("block", [1, 5, 64])
def test_the_blocks_of_lines_are_whole_lines_of_the_file(
    tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "_BLOCK", block)
    content = b'{"a": 1}\n' + b"x" * 100 + b"\n\n{}\n" + b"tail without a newline"
    path = tmp_path / "b.jsonl"
    path.write_bytes(content)
    with open(path, "rb") as handle:
        blocks = list(jsonl._blocks_of_lines(handle))
    assert b"".join(blocks) == content
    assert all(b.endswith(b"\n") for b in blocks[:-1]) and blocks[-1].endswith(b"newline")
    assert all(b for b in blocks)


def _mutated(record: dict[str, Any], how: str, data: st.DataObject) -> dict[str, Any]:
    """``record`` changed in one of the ways the mending passes of the reader exist for (or that
    make it bad), so that both the direct reading and the mended one are exercised."""
    draw = data.draw
    out: dict[str, Any] = orjson.loads(orjson.dumps(record))
    spans, tokens = out["spans"], out["tokens"]
    if how == "overlap" and spans:
        s = draw(st.sampled_from(spans))
        spans.append({**s, "label": s["label"] + "X"})
    elif how == "loose" and spans:
        s = draw(st.sampled_from(spans))
        del s["token_start"], s["token_end"]
        s["start"] += draw(st.integers(0, 1))
    elif how == "token relation" and tokens:
        t = draw(st.sampled_from(tokens))
        arg = {
            "start": t["start"],
            "end": t["end"],
            "token_start": t["id"],
            "token_end": t["id"],
            "label": None,
        }
        head = spans[0] if spans else arg
        out["relations"].append(
            {"head": head["token_end"], "child": t["id"], "label": "R", "head_span": head, "child_span": arg}
        )
    elif how == "twice" and spans:
        spans.append(dict(draw(st.sampled_from(spans))))
    elif how == "bad token" and tokens:
        draw(st.sampled_from(tokens))["text"] = "?"
    elif how == "no tokens":
        del out["tokens"]
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_record_read_directly_reads_as_the_mending_passes_read_it(data: st.DataObject) -> None:
    """read_record reads a whole record without its mending passes: whatever it gives, the full
    passes give too (the same task, annotation, warnings and reports), for whole records and for
    records each pass exists for."""
    task, annotation = data.draw(annotated_tasks(min_tokens=1))
    how = data.draw(
        st.sampled_from(["as is", "overlap", "loose", "token relation", "twice", "bad token", "no tokens"])
    )
    record = _mutated(to_record(task, annotation), how, data)
    direct, mended = Problems(), Problems()
    got = jsonl.read_record(record, "f.jsonl", 3, direct)
    elsewhere = foreign(record, "jsonl")
    if elsewhere is not None:
        # The drawn extra keys can be another format's ({"entities": None}): read_record refuses
        # such a record before any reading, mended or not, and says why.
        assert got is None and [p.reason for p in direct.bad] == [elsewhere]
        return
    expected = jsonl.read_repaired(record, "f.jsonl", 3, mended)
    assert got == expected
    said = [
        (list(map(str, p.bad)), list(map(str, p.warnings)), p.notes, p.unsupported) for p in (direct, mended)
    ]
    assert said[0] == said[1]


def _lists(levels: int) -> Any:
    """A value nested ``levels`` deep (lists in lists)."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_a_record_read_as_it_comes_is_refused_for_the_depth_of_what_is_kept(tmp_path: Path) -> None:
    """A record is refused when it nests deeper than MAX_DEPTH (the store could not write it back),
    at its line. Of a record read as it comes only what is kept is checked, its meta and the keys the
    schema does not name, exactly at the limit; a deep value where nothing is kept (an unnamed key of
    a token, which is kept as columns) costs it nothing. A record read carefully is checked whole."""
    task = Task("Ann met Bob", tokenize("Ann met Bob", "en"), 7, {})
    plain = to_record(task, Annotation(spans=(Span(0, 3, 0, 0, "PERSON", sid=1),)))
    at_limit = MAX_DEPTH - 1  # the record is one level more
    lines = [
        {**plain, "meta": {"deep": _lists(at_limit - 1)}},  # 1: the record is MAX_DEPTH deep
        {**plain, "meta": {"deep": _lists(at_limit)}},  # 2
        {**plain, "x": _lists(at_limit)},  # 3
        {**plain, "x": _lists(at_limit + 1)},  # 4
        {**plain, "tokens": [{**t, "x": _lists(MAX_DEPTH + 5)} for t in plain["tokens"]]},  # 5: taken
        {"text": "Ann met Bob", "meta": {"deep": _lists(at_limit)}},  # 6: read carefully
        {**plain, "spans": [{**s, "x": _lists(MAX_DEPTH + 5)} for s in plain["spans"]], "answer": "no"},  # 7
        {"text": "Ann met Bob", "x": _lists(at_limit)},  # 8
    ]
    path = tmp_path / "deep.jsonl"
    # Written by the standard library: orjson writes at most MAX_DEPTH levels.
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    problems = Problems()
    items = [i.item() if isinstance(i, Plain) else i for i in jsonl.read_plain(path, problems, lang="en")]
    assert [(b.line, b.reason) for b in problems.bad] == [
        (n, f"nested deeper than {MAX_DEPTH} levels") for n in (2, 4, 6, 7)
    ]
    assert items[0][0].meta == {"deep": _lists(at_limit - 1)}
    assert [t.extra.get("x") for t, _ in items] == [None, _lists(at_limit), None, _lists(at_limit)]
    assert items[2] == from_record(plain)  # the deep token keys are not kept
