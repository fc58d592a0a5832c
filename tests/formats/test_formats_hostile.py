"""Issue 8 item 4 and 10, reader by reader: each input that raised a traceback (or resolved an id
in silence) is now one problem with its file, line and reason, and the good records around it
are read."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
import srsly

from annotator.core.errors import BadRecord
from annotator.formats import brat, conll, docbin, doccano, jsonl, label_studio
from annotator.formats.base import Item
from annotator.formats.problems import UNFORESEEN, Problems
from annotator.sources import read_source
from tests.formats_support import messages


def lines(path: Path, *records: Any) -> Path:
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n" for r in records))
    return path


def read(module: Any, path: Path) -> tuple[list[Item], Problems]:
    problems = Problems()
    items = list(module.read(path, problems))
    assert not any(UNFORESEEN in b.reason for b in problems.bad), messages(problems)
    return items, problems


GOOD_DOCCANO = {"text": "Good one.", "label": [[0, 4, "X"]]}


def test_doccano_unhashable_entity_and_relation_ids(tmp_path: Path) -> None:
    bad = {
        "text": "Ahn met Bo",
        "entities": [
            {"id": [1], "start_offset": 0, "end_offset": 3, "label": "P"},
            {"id": 2, "start_offset": 8, "end_offset": 10, "label": "P"},
        ],
        "relations": [{"id": 1, "from_id": {"a": 1}, "to_id": 2, "type": "MET"}],
    }
    items, problems = read(doccano, lines(tmp_path / "d.jsonl", bad, GOOD_DOCCANO))
    assert [len(a.spans) for _, a in items] == [2, 1]
    assert [(b.line, b.reason) for b in problems.bad] == [
        (1, "span [0:3] P: its id [1] is not a string or a number"),
        (1, "relation MET: its head {'a': 1} is not one of the spans"),
    ]


def test_doccano_two_entities_with_one_id_are_reported(tmp_path: Path) -> None:
    record = {
        "text": "Ahn met Bo",
        "entities": [
            {"id": 1, "start_offset": 0, "end_offset": 3, "label": "P"},
            {"id": 1, "start_offset": 8, "end_offset": 10, "label": "P"},
            {"id": 2, "start_offset": 4, "end_offset": 7, "label": "V"},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "R"}],
    }
    items, problems = read(doccano, lines(tmp_path / "d.jsonl", record))
    ((_, annotation),) = items
    assert len(annotation.spans) == 3 and not annotation.relations  # no guessing which 1 is meant
    assert [b.reason for b in problems.bad] == [
        "id 1 is given to two spans, [0:3] and [8:10]; relations naming it are not imported",
        "relation R: its head 1 is given to two spans",
    ]


def test_brat_t1_used_twice_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ahn met Bo.", encoding="utf-8")
    (tmp_path / "a.ann").write_text(
        "T1\tP 0 3\tAhn\nT1\tP 8 10\tBo\nR1\tMET Arg1:T1 Arg2:T1\n", encoding="utf-8"
    )
    items, problems = read(brat, tmp_path)
    ((_, annotation),) = items
    assert len(annotation.spans) == 2 and not annotation.relations
    assert [(b.line, b.reason.split(";")[0]) for b in problems.bad] == [
        (2, "id 'T1' is given to two spans, [0:3] and [8:10] (lines 1 and 2)"),
        (3, "R1: relation MET: its head 'T1' is given to two spans"),
    ]


def test_brat_unreadable_ann_costs_that_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text("Ahn", encoding="utf-8")
        (tmp_path / f"{name}.ann").write_text("T1\tP 0 3\tAhn\n", encoding="utf-8")
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "b.ann":  # the test runs as root, where chmod 000 does not stop a read
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    (tmp_path / "d.ann").mkdir()  # a folder with the name of an annotation file
    (tmp_path / "d.txt").write_text("x", encoding="utf-8")
    items, problems = read(brat, tmp_path)
    assert [t.meta["source"] for t, _ in items] == ["a.txt", "c.txt"]
    assert sorted(str(b) for b in problems.bad) == [
        f"{tmp_path / 'b.ann'}: cannot read b.ann (Permission denied)",
        f"{tmp_path / 'd.ann'}: d.ann is not a file",
    ]


def test_json_unhashable_span_offsets(tmp_path: Path) -> None:
    bad = {
        "text": "Ahn met Bo",
        "spans": [{"start": [0], "end": 3, "label": "P"}],
        "relations": [{"head_span": {"start": [0], "end": 3, "label": None}, "child_span": {}, "label": "R"}],
    }
    items, problems = read(jsonl, lines(tmp_path / "p.jsonl", bad, {"text": "fine"}))
    assert [t.text for t, _ in items] == ["fine"]
    assert len(problems.bad) == 1 and problems.bad[0].line == 1


@pytest.mark.parametrize("annotations", [5, "x", {"a": 1}])
def test_label_studio_annotations_that_are_not_a_list(tmp_path: Path, annotations: Any) -> None:
    tasks = [{"id": 1, "data": {"text": "Ahn"}, "annotations": annotations}, ls_task(2, "Bo")]
    items, problems = read(label_studio, json_file(tmp_path, tasks))
    assert [t.text for t, _ in items] == ["Bo"]
    assert [b.reason for b in problems.bad] == [
        f"task 1 (id 1): 'annotations' must be a list, not {type(annotations).__name__}"
    ]


def ls_task(n: int, text: str, result_id: Any = "r") -> dict[str, Any]:
    region = {
        "type": "labels",
        "id": result_id,
        "value": {"start": 0, "end": len(text), "text": text, "labels": ["P"]},
    }
    return {
        "id": n,
        "data": {"text": text},
        "annotations": [{"id": n, "completed_by": 1, "result": [region]}],
    }


def json_file(tmp_path: Path, tasks: list[dict[str, Any]]) -> Path:
    path = tmp_path / "ls.json"
    path.write_bytes(orjson.dumps(tasks, option=orjson.OPT_INDENT_2))
    return path


def test_label_studio_unhashable_result_ids(tmp_path: Path) -> None:
    bad = ls_task(1, "Ahn", result_id=["a"])
    bad["annotations"][0]["result"].append(
        {"type": "relation", "from_id": ["a"], "to_id": {"b": 1}, "direction": ["right"], "labels": ["R"]}
    )
    items, problems = read(label_studio, json_file(tmp_path, [bad, ls_task(2, "Bo")]))
    assert [(t.text, len(a.spans)) for t, a in items] == [("Ahn", 1), ("Bo", 1)]
    assert sorted(b.reason.split(": ", 1)[1] for b in problems.bad) == [
        "result 1: relation direction ['right'] is not right, left or bi",
        "span [0:3] P: its id ['a'] is not a string or a number",
    ]


def test_input_hash_beyond_64_bits_is_said_and_the_text_hashed(tmp_path: Path) -> None:
    path = lines(
        tmp_path / "h.jsonl",
        {"text": "big", "_input_hash": 2**63},
        b'{"text": "small", "_input_hash": -9223372036854775809}\n',  # (orjson reads it as a float)
        {"text": "fine", "_input_hash": 7},
    )
    items, problems = read(jsonl, path)
    assert [t.input_hash for t, _ in items][2] == 7
    assert all(-(2**63) <= t.input_hash < 2**63 for t, _ in items)
    assert [w.line for w in problems.warnings] == [1, 2] and not problems.bad
    # the annotate source reads on past it too (it stopped loading the later tasks)
    found: list[BadRecord] = []
    warnings: list[str] = []
    assert [i.text for i in read_source(path, found, warnings)] == ["big", "small", "fine"]
    assert not found and len(warnings) == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom"])
def test_conll_in_utf16_is_read(tmp_path: Path, encoding: str) -> None:
    text = "Ahn B-PER\nmet O\n\nBo B-PER\n"
    data = text.encode("utf-16") if encoding == "utf-16" else b"\xfe\xff" + text.encode("utf-16-be")
    (tmp_path / "u.conll").write_bytes(data)
    items, problems = read(conll, tmp_path / "u.conll")
    assert [t.text for t, _ in items] == ["Ahn met", "Bo"] and not problems.bad


def test_conll_bad_byte_costs_its_document_only(tmp_path: Path) -> None:
    path = tmp_path / "b.conll"
    path.write_bytes(
        b"-DOCSTART- -X- O O\n\nAhn B-PER\n\n-DOCSTART- -X- O O\n\nCaf\xe9 O\n\n-DOCSTART- -X- O O\n\nBo B-PER\n"
    )
    items, problems = read(conll, path)
    assert [t.text for t, _ in items] == ["Ahn", "Bo"]
    assert [str(b) for b in problems.bad] == [f"{path}:7: not UTF-8 text (byte 0xe9 at column 4)"]


def docbin_bytes(**changes: Any) -> bytes:
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    vocab = Vocab()
    docs = [
        Doc(vocab, words=["Ahn", "met", "Bo"]),
        Doc(vocab, words=["Second", "doc"]),
        Doc(vocab, words=["Third"]),
    ]
    docs[0].user_data["annotator"] = {"meta": {"raw": b"\xff"}, "extra": {"n": 1}, "input_hash": 2**64 - 1}
    msg = srsly.msgpack_loads(zlib.decompress(DocBin(store_user_data=True, docs=docs).to_bytes()))
    msg.update(changes)
    return zlib.compress(srsly.msgpack_dumps(msg))


def test_docbin_missing_string_costs_one_doc_and_bytes_in_meta_are_said(tmp_path: Path) -> None:
    plain = srsly.msgpack_loads(zlib.decompress(docbin_bytes()))
    (tmp_path / "m.spacy").write_bytes(docbin_bytes(strings=[s for s in plain["strings"] if s != "Second"]))
    items, problems = read(docbin, tmp_path / "m.spacy")
    assert [t.text for t, _ in items] == ["Ahn met Bo ", "Third "]
    assert [b.reason.split(" (")[0] for b in problems.bad] == ["doc 2 cannot be read"]
    assert [w.reason.split(" (")[0] for w in problems.warnings] == [
        "doc 1: its meta holds what JSON cannot",
        "doc 1: input_hash 18446744073709551615 is not a whole number between -2**63 and 2**63-1; the hash is computed from the text instead",
    ]
    assert -(2**63) <= items[0][0].input_hash < 2**63


def test_docbin_object_array_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "o.spacy").write_bytes(
        docbin_bytes(tokens={b"nd": True, b"type": "|O", b"shape": [1], b"data": b"12345678"})
    )
    (tmp_path / "z.spacy").write_bytes(docbin_bytes())
    items, problems = read(docbin, tmp_path)
    assert len(items) == 3 and len(problems.bad) == 1
    assert problems.bad[0].source.endswith("o.spacy") and "not a spaCy DocBin" in problems.bad[0].reason


def test_docbin_zip_bomb_is_refused_without_inflating_it(tmp_path: Path) -> None:
    import resource

    bomb = zlib.compress(b"\0" * (1 << 30), 9)  # 1 MB that inflates to 1 GB
    assert len(bomb) < 1_100_000
    (tmp_path / "bomb.spacy").write_bytes(bomb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    items, problems = read(docbin, tmp_path / "bomb.spacy")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert items == [] and "zip bomb" in problems.bad[0].reason
    assert grown_mb < 64, grown_mb  # refused at 100 MB, inflated one megabyte at a time
