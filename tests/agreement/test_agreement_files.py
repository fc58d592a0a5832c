"""``annotator agreement A.jsonl B.jsonl`` on files as other tools and scripts write them: without
tokens, pretty-printed or as one JSON array, and with input hashes computed by different tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.core.model import Annotation, Task
from annotator.core.records import to_record
from annotator.formats.tokens import tokenize

runner = CliRunner()

TEXT = "Gen Nakatani met Ahn Gyu-back in Seoul 😀 on Sunday."


def spans(*pieces: tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for piece, label in pieces:
        start = TEXT.index(piece)
        out.append({"start": start, "end": start + len(piece), "label": label})
    return out


def with_tokens(record: dict[str, Any]) -> dict[str, Any]:
    tokens = tokenize(record["text"])
    out = dict(record)
    out["tokens"] = [{"text": t.text, "start": t.start, "end": t.end, "id": t.id, "ws": t.ws} for t in tokens]
    for s in out["spans"]:
        s["token_start"] = next(t.id for t in tokens if t.start == s["start"])
        s["token_end"] = next(t.id for t in tokens if t.end == s["end"])
    return out


A = {"text": TEXT, "spans": spans(("Gen Nakatani", "PERSON"), ("Ahn Gyu-back", "PERSON"), ("Seoul", "GPE"))}
B = {"text": TEXT, "spans": spans(("Nakatani", "PERSON"), ("Ahn Gyu-back", "PERSON"), ("Seoul", "GPE"))}


def agreement(a: Path, b: Path) -> Result:
    return runner.invoke(app, ["agreement", str(a), str(b), "--json"])


def check(report: dict[str, Any]) -> None:
    assert report["tasks"] == {"compared": 1, "only_a": 0, "only_b": 0, "answer_mismatch": 0}
    assert (
        report["spans"]["exact"]["tp"],
        report["spans"]["exact"]["fp"],
        report["spans"]["exact"]["fn"],
    ) == (
        2,
        1,
        1,
    )
    assert report["spans"]["overlap"]["tp"] == 3


def test_a_file_without_tokens_is_tokenized_as_import_does(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(orjson.dumps(with_tokens(json.loads(json.dumps(A)))) + b"\n")
    b.write_bytes(orjson.dumps(B) + b"\n")  # what many scripts write: text and spans only
    done = agreement(a, b)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    check(report)
    assert report["tokens"]["tasks_left_out"] == 0 and report["tokens"]["observed"] is not None


def test_pretty_printed_and_array_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.jsonl"
    a.write_text(
        json.dumps([with_tokens(json.loads(json.dumps(A)))], indent=2, ensure_ascii=False), encoding="utf-8"
    )
    b.write_text(
        json.dumps(with_tokens(json.loads(json.dumps(B))), indent=4, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    done = agreement(a, b)
    assert done.exit_code == 0, done.output
    check(json.loads(done.stdout))


def test_bad_records_are_reported_with_their_line(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(
        orjson.dumps(A) + b"\n" + b'{"text": "x", "spans": [{"start": 0, "end": 9, "label": "X"}]}\n'
    )
    b.write_bytes(orjson.dumps(B) + b"\n")
    done = agreement(a, b)
    assert done.exit_code == 1
    assert f"{a}:2:" in done.stderr and "outside the text" in done.stderr
    check(json.loads(done.stdout))


@pytest.mark.parametrize("b_hash", [987654321, None])
def test_the_same_text_under_another_input_hash_is_paired_by_its_text(
    tmp_path: Path, b_hash: int | None
) -> None:
    """Prodigy's _input_hash differs from this tool's; a file from a script has none. The same
    text is the same input: the two are paired, and the output says how many were paired so."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(orjson.dumps({**A, "_input_hash": -13216227}) + b"\n")
    b.write_bytes(orjson.dumps({**B, "_input_hash": b_hash} if b_hash else B) + b"\n")
    done = agreement(a, b)
    assert done.exit_code == 0, done.output
    check(json.loads(done.stdout))
    assert "1 task(s) of" in done.stderr and "paired by their text" in done.stderr


def test_files_are_streamed_and_give_what_the_versions_held_in_memory_give(tmp_path: Path) -> None:
    """Two files read twice each, the second time task by task: the figures are those of the same
    versions held in memory and compared at once, whatever the order of the files, with a task
    repeated (the later record used), a task under another tool's hash (paired by its text), a
    task only one file has, and a bad record."""
    from annotator.core.agreement import Version, compare_all
    from annotator.core.hashing import input_hash
    from annotator.reports.agreement import to_json
    from annotator.reports.agreement_files import compare_files
    from tests.agreement.test_agreement_cli import TASKS, A, B

    def line(i: int, version: int = 0, **extra: Any) -> bytes:
        annotation = (A if version == 0 else B)[i]
        return orjson.dumps({**to_record(TASKS[i], annotation), **extra})

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(b"\n".join([line(0), line(1), line(2)]) + b"\n")
    rejected = orjson.dumps({**to_record(TASKS[1], B[1]), "answer": "reject"})
    extra_text = "A task only the second file has ."
    only_b = orjson.dumps({"text": extra_text, "answer": "accept"})
    b.write_bytes(
        b"\n".join(
            [
                line(2, 1, _input_hash=77),  # another tool's hash: paired with A's task 2 by its text
                rejected,
                b'{"text": "broken',
                only_b,
                line(1, 1),  # task 1 again: this later one is used
                line(0, 1),
            ]
        )
        + b"\n"
    )
    report, read = compare_files([a, b], details=True)
    assert [str(x) for x in read.bad] == [
        f"{b}:3: not valid JSON (unexpected control character in string, column 17)"
    ]
    assert f"{b}:5: same task as line 2; this later one is used" in [str(w) for w in read.warnings]
    assert any("1 task(s) of this file have the text" in str(w) for w in read.warnings)

    def held(i: int, version: int, where: str, number: int) -> Version:
        return Version(TASKS[i], (A if version == 0 else B)[i], f"{where}:{number}")

    only = Version(
        Task(extra_text, tokenize(extra_text), input_hash(extra_text)), Annotation(answer="accept")
    )
    sides = [
        (str(a), {TASKS[i].input_hash: held(i, 0, str(a), i + 1) for i in range(3)}),
        (
            str(b),
            {
                TASKS[0].input_hash: held(0, 1, str(b), 6),
                TASKS[1].input_hash: held(1, 1, str(b), 5),
                TASKS[2].input_hash: held(2, 1, str(b), 1),
                only.task.input_hash: only,
            },
        ),
    ]
    expected = compare_all(sides, details=True)
    assert report.pairs[0].tasks == expected.pairs[0].tasks
    assert to_json(report, False) == to_json(expected, False)
    assert report.pairs[0].tasks.only_b == 1 and report.pairs[0].tasks.compared == 3
