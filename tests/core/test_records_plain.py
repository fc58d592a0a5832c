"""A record read as it comes (``plain_record``, what an import stores without making a Task and an
Annotation of it) is exactly what the careful reading (``from_record``) makes of it: the same task
and annotation, no warning; read after another version of its task (``like``, as agreement reads),
the same again. Every record it does not take is left to the careful reading, which
reads, mends or refuses it as before. Its tokens, checked a column at a time (``token_columns``,
which the careful reading tries first too), are what reading them a token at a time makes of them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.records import from_record, plain_record, to_record, token_columns, tokens_one_by_one
from annotator.store.serialize import (
    annotation_to_blob,
    mapping_to_blob,
    plain_suggestion_blob,
    plain_to_blob,
    plain_tokens_blob,
    tokens_to_blob,
)
from tests.strategies import annotated_tasks, tokenize

ROOT = str(Path(__file__).resolve().parents[2])

# Ways a record can differ from what Prodigy writes: each either leaves it plain or must make
# plain_record give way (the careful reading then mends, warns about or refuses it).
CHANGES = (
    "as is",
    "bool offset",
    "float offset",
    "bool id",
    "int ws",
    "token text",
    "token text not str",
    "token id",
    "token missing key",
    "token not object",
    "tokens out of order",
    "empty token",
    "span key",
    "span bool",
    "span off tokens",
    "span text",
    "spans reversed",
    "span twice",
    "span no label",
    "relation twice",
    "relation to itself",
    "relation off spans",
    "relation head",
    "relation child",
    "relation key",
    "relation bool start",
    "relation list start",
    "hash float",
    "hash missing",
    "hash too big",
    "answer bad",
    "meta not object",
    "spans manual",
    "no tokens",
    "extra keys",
    "not an object",
)


def _changed(record: dict[str, Any], how: str, data: st.DataObject) -> Any:
    draw = data.draw
    out: dict[str, Any] = orjson.loads(orjson.dumps(record))
    tokens, spans, rels = out["tokens"], out["spans"], out["relations"]

    def pick(items: list[Any]) -> Any:
        return items[draw(st.integers(0, len(items) - 1))]

    if how == "bool offset" and tokens:
        t = tokens[0]
        t["start"] = bool(t["start"]) if t["start"] in (0, 1) else t["start"]
        t["end"] = True if t["end"] == 1 else t["end"]
    elif how == "float offset" and tokens:
        pick(tokens)["end"] += 0.0
    elif how == "bool id" and tokens:
        tokens[0]["id"] = False
    elif how == "int ws" and tokens:
        t = pick(tokens)
        t["ws"] = int(t["ws"])
    elif how == "token text" and tokens:
        pick(tokens)["text"] += "x"
    elif how == "token text not str" and tokens:
        pick(tokens)["text"] = [1]
    elif how == "token id" and tokens:
        pick(tokens)["id"] += 1
    elif how == "token missing key" and tokens:
        del pick(tokens)[draw(st.sampled_from(["text", "start", "end", "id", "ws"]))]
    elif how == "token not object" and tokens:
        tokens[draw(st.integers(0, len(tokens) - 1))] = [0, 1]
    elif how == "tokens out of order" and len(tokens) > 1:
        tokens[0], tokens[1] = tokens[1], tokens[0]
    elif how == "empty token" and tokens:
        t = pick(tokens)
        t["end"], t["text"] = t["start"], ""
    elif how == "span key" and spans:
        pick(spans)["key"] = draw(st.sampled_from(["ents", "sc"]))
    elif how == "span bool" and spans:
        pick(spans)["token_start"] = True
    elif how == "span off tokens" and spans:
        pick(spans)["start"] += 1
    elif how == "span text" and spans:
        pick(spans)["text"] = "?"
    elif how == "spans reversed":
        spans.reverse()
    elif how == "span twice" and spans:
        spans.append(dict(pick(spans)))
    elif how == "span no label" and spans:
        pick(spans)["label"] = draw(st.sampled_from(["", None, 3]))
    elif how == "relation twice" and rels:
        rels.append(dict(pick(rels)))
    elif how == "relation to itself" and spans:
        s = pick(spans)
        rels.append(
            {"head": s["token_end"], "child": s["token_end"], "label": "R", "head_span": s, "child_span": s}
        )
    elif how == "relation off spans" and rels:
        pick(rels)["child_span"]["start"] += 1
    elif how == "relation head" and rels:
        pick(rels)["head"] = -1
    elif how == "relation child" and rels:
        pick(rels)["child"] = -1
    elif how == "relation key" and rels:
        pick(rels)["head_span"]["key"] = "ents"
    elif how == "relation bool start" and rels:
        r = pick(rels)
        if r["head_span"]["start"] in (0, 1):
            r["head_span"]["start"] = bool(r["head_span"]["start"])
    elif how == "relation list start" and rels:
        pick(rels)["child_span"]["start"] = [1]
    elif how == "hash float":
        out["_input_hash"] = 1.5
    elif how == "hash missing":
        del out["_input_hash"]
    elif how == "hash too big":
        out["_input_hash"] = 2**63
    elif how == "answer bad":
        out["answer"] = draw(st.sampled_from(["yes", ["accept"], 1]))
    elif how == "meta not object":
        out["meta"] = ["a"]
    elif how == "spans manual":
        out["_view_id"] = "spans_manual"
    elif how == "no tokens":
        del out["tokens"]
    elif how == "extra keys":
        out["_view_id"], out["image"], out["options"] = "ner_manual", None, [{"id": 1}]
    elif how == "not an object":
        return [out]
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_plain_record_is_what_the_careful_reading_makes_of_it(data: st.DataObject) -> None:
    task, annotation = data.draw(annotated_tasks(min_tokens=1))
    how = data.draw(st.sampled_from(CHANGES))
    original = to_record(task, annotation)
    record = _changed(original, how, data)
    plain = plain_record(record)
    # Read after another version of the task (the record as written), taking what that one's
    # checks passed where its lists are the same JSON: the same reading.
    shared = plain_record(record, plain_record(original, lists=True), lists=True, extra=False)
    assert (shared._replace(lists=None, extra=plain.extra) if shared and plain else shared) == plain
    warnings: list[str] = []
    try:
        careful = from_record(record, warnings=warnings)
    except InvalidAnnotation:
        assert plain is None  # what the careful reading refuses is never taken as it is
        return
    if plain is None:
        assert how != "as is" or not record["tokens"], "a record as Prodigy writes it reads as it is"
        return
    assert plain.item() == careful
    assert warnings == []
    # The store writes the same bytes from it as from the task and annotation it stands for.
    got_task, got = careful
    assert plain_tokens_blob(plain) == tokens_to_blob(got_task.tokens)
    assert plain_suggestion_blob(plain) == annotation_to_blob(Annotation(got.spans, got.relations))
    assert plain_to_blob(plain) == annotation_to_blob(got)
    for mine, theirs in ((plain.meta, got_task.meta), (plain.extra, got_task.extra)):
        assert mapping_to_blob(mine) == orjson.dumps(theirs, option=orjson.OPT_NON_STR_KEYS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_token_columns_are_what_reading_a_token_at_a_time_makes_of_them(data: st.DataObject) -> None:
    task, annotation = data.draw(annotated_tasks(min_tokens=1))
    how = data.draw(st.sampled_from(CHANGES))
    record = _changed(to_record(task, annotation), how, data)
    raw = record.get("tokens") if isinstance(record, dict) else None
    if not isinstance(raw, list):
        assert how in ("no tokens", "not an object")
        return
    columns = token_columns(record["text"], raw)
    try:
        one_by_one = tokens_one_by_one(record["text"], raw)
    except InvalidAnnotation:
        assert columns is None  # what a token at a time refuses is never taken as columns
        return
    if columns is None:
        assert how != "as is", "tokens as Prodigy writes them are taken as columns"
        return
    # The same tokens, of the same types: the store writes the same bytes from both.
    assert orjson.dumps(columns) == tokens_to_blob(one_by_one)


def test_the_token_getters_look_keys_up_by_the_objects_orjson_gives() -> None:
    """token_columns reads a token's keys by the string objects orjson gives them (the same each
    time while its cache of keys holds them), which a dict finds without comparing strings (1.6% of
    an import): only the speed depends on it, so this checks that it holds in a process that reads
    a file, as an import is (this one has read every test's keys)."""
    check = (
        "import operator, orjson\n"
        "from annotator.core import records\n"
        'token = orjson.loads(b\'{"text":"a","start":0,"end":1,"id":0,"ws":false}\')\n'
        "keys = [getter.__reduce__()[1][0] for getter in records._TOKEN_COLUMNS]\n"
        "assert keys == list(token), keys\n"
        "assert all(map(operator.is_, keys, token)), 'not the objects orjson gives'\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True, env={**os.environ, "PYTHONPATH": ROOT})


@pytest.mark.parametrize("ws", [1, 0, None, "true", "", [True], [], {"ws": False}, 0.0])
def test_a_token_whose_ws_is_not_a_bool_is_read_a_token_at_a_time(ws: Any) -> None:
    """ws is checked as JSON written (true and false alone between the list's brackets): any other
    value is left to the careful reading, which says what it makes of it."""
    tokens = [
        {"text": "a", "start": 0, "end": 1, "id": 0, "ws": True},
        {"text": "b", "start": 2, "end": 3, "id": 1},
    ]
    assert token_columns("a b", [tokens[0], {**tokens[1], "ws": False}]) == (
        ["a", "b"],
        [0, 2],
        [1, 3],
        [0, 1],
        [True, False],
    )
    assert token_columns("a b", [tokens[0], {**tokens[1], "ws": ws}]) is None


_NOT_WHOLE: dict[str, Callable[[int], Any]] = {
    "bool": bool,
    "float": float,
    "list": lambda v: [v],
    "string": str,
    "none": lambda v: None,
}


@pytest.mark.parametrize("role", ["head_span", "child_span"])
@pytest.mark.parametrize("key", ["start", "end"])
@pytest.mark.parametrize("kind", sorted(_NOT_WHOLE))
def test_a_relation_argument_whose_offset_is_not_a_whole_number_is_not_plain(
    role: str, key: str, kind: str
) -> None:
    """An argument's offsets are whole numbers (True equals 1 and 0.0 equals 0, but they are not
    what Prodigy writes): any other is left to the careful reading, which refuses it."""
    text = "I met Ann"
    task = Task(text, tokenize(text), 7, {})
    spans = (Span(0, 1, 0, 0, "PERSON", sid=1), Span(6, 9, 2, 2, "PERSON", sid=2))
    # the relation's arguments both ways, so that each role has an argument at [0:1] (bools there)
    relations = (Relation(1, 2, "MET"), Relation(2, 1, "MET"))
    record = to_record(task, Annotation(spans=spans, relations=relations))
    assert plain_record(record) is not None
    arg = next(r[role] for r in record["relations"] if r[role]["start"] == 0)
    arg[key] = _NOT_WHOLE[kind](arg[key])
    assert plain_record(record) is None
    with pytest.raises(InvalidAnnotation):
        from_record(record)
