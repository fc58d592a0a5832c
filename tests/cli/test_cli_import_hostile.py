"""`annotator import` on the inputs of issue 8 item 4, through the real command and a real SQLite
file: no traceback, each bad record one line with its place, the good ones stored, exit status 1;
a pipe or standard input read whole; a wrong --format refused naming the file and what was
expected."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.store import Store
from tests import cli_support
from tests.cli_support import run

workdir = cli_support.workdir  # the fixture


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``command`` in bash (for ``<(...)``), ``annotator`` being this checkout's."""
    env = {**os.environ, "ANNOTATOR": f"{sys.executable} -m annotator"}
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def stored(db: Path, dataset: str) -> list[str]:
    with Store(db) as store:
        return sorted(t.text for _, t, _ in store.annotations(dataset, None, ("accept",)))


@pytest.mark.parametrize(
    ("name", "data", "bad_line"),
    [
        (
            "deep.jsonl",
            b'{"text": "x", "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b'}\n{"text": "good"}\n',
            1,
        ),
        ("nan.jsonl", b'{"text": "x", "n": NaN}\n{"text": "good"}\n', 1),
        ("cut.jsonl", b'{"text": "x", "meta": {\n{"text": "good"}\n', 1),
        (
            "ids.jsonl",
            b'{"text": "Ahn", "entities": [{"id": [1], "start_offset": 0, "end_offset": 3, "label": "P"}]}\n'
            b'{"text": "good", "label": []}\n',
            1,
        ),
        (
            "ls.json",
            b'[{"data": {"text": "x"}, "annotations": 5},\n {"data": {"text": "good"}, "annotations": [{"result": []}]}]',
            1,
        ),
        ("bad.conll", b"x B-P\n\ncaf\xe9 O\n\ngood O\n", 3),
    ],
)
def test_a_hostile_record_is_one_line_and_the_good_ones_are_stored(
    workdir: Path, name: str, data: bytes, bad_line: int
) -> None:
    (workdir / name).write_bytes(data)
    done = run("import", name, "-d", "h", "-a", "a", "--db", "h.db")
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit | None)
    assert "Traceback" not in done.output
    assert f"bad record: {name}:{bad_line}: " in done.stderr
    assert "good" in stored(workdir / "h.db", "h")


def test_a_lone_surrogate_in_a_json_array(workdir: Path) -> None:
    (workdir / "s.json").write_bytes(b'[{"text": "good"},\n {"text": "a\\ud800"}]')
    done = run("import", "s.json", "-f", "jsonl", "-d", "s", "-a", "a", "--db", "s.db")
    assert done.exit_code == 1 and "s.json:2: not valid JSON" in done.stderr
    assert stored(workdir / "s.db", "s") == ["good"]


def test_standard_input_and_a_pipe_are_imported_whole(workdir: Path) -> None:
    data = '{"text": "one"}\n{"text": "two", "_input_hash": 18446744073709551615}\n'
    done = run("import", "-", "-d", "p", "-a", "a", "--db", "p.db", stdin=data)
    assert done.exit_code == 0, done.output
    assert "imported 2 annotations" in done.stdout and "-:2: _input_hash" in done.stderr
    (workdir / "t.jsonl").write_text(data, encoding="utf-8")
    for fmt in ("", "-f jsonl"):
        piped = shell(f"$ANNOTATOR import <(cat t.jsonl) {fmt} -d q -a a --db p.db", workdir)
        assert piped.returncode == 0, piped.stderr
        assert "imported 2 annotations" in piped.stdout and "/dev/fd/" in piped.stdout
        assert "annotator-import-" not in piped.stderr  # problems name the pipe, not the copy
    assert stored(workdir / "p.db", "q") == ["one", "two"]


def test_a_pipe_with_a_bad_line_names_the_pipe(workdir: Path) -> None:
    (workdir / "b.conll").write_bytes(b"x B-P\n\ncaf\xe9 O\n")
    piped = shell("$ANNOTATOR import <(cat b.conll) -f conll -d c -a a --db c.db", workdir)
    assert piped.returncode == 1
    assert "bad record: /dev/fd/" in piped.stderr and ":3: not UTF-8 text" in piped.stderr


@pytest.mark.parametrize(
    ("fmt", "make", "expected"),
    [
        ("jsonl", lambda p: p.mkdir(), "x.jsonl is a folder; jsonl reads one file"),
        ("conll", lambda p: p.mkdir(), "x.jsonl is a folder; conll reads one file"),
        ("label-studio", lambda p: p.mkdir(), "x.jsonl is a folder; label-studio reads one file"),
        ("spacy", lambda p: p.mkdir(), "x.jsonl: spacy reads a folder of .spacy files, and it holds none"),
        (
            "conll",
            lambda p: p.write_bytes(b"\x78\x9c" + bytes(range(256))),
            "x.jsonl is not a text file; conll reads text (it looks like spacy",
        ),
        ("spacy", lambda p: p.write_text('{"text": "a"}\n'), "x.jsonl is not a spaCy DocBin"),
        (
            "conll",
            lambda p: p.write_text('{"text": "a"}\n'),
            "x.jsonl holds JSON; conll reads 'TOKEN TAG' lines",
        ),
        (
            "jsonl",
            lambda p: p.write_text("Ahn B-PER\n"),
            "x.jsonl holds no JSON; jsonl reads JSON records (it looks like conll",
        ),
        (
            "doccano",
            lambda p: p.write_text('{"text": "a", "spans": [], "answer": "accept"}\n'),
            "it holds 'spans', 'answer', which doccano does not read: it looks like jsonl; pass --format jsonl",
        ),
        (
            "jsonl",
            lambda p: p.write_text('{"text": "a", "label": [[0, 1, "X"]]}\n'),
            "it holds 'label', which jsonl does not read: it looks like doccano; pass --format doccano",
        ),
    ],
)
def test_a_wrong_format_is_refused_naming_the_file_and_what_was_expected(
    workdir: Path, fmt: str, make: Callable[[Path], object], expected: str
) -> None:
    make(workdir / "x.jsonl")
    done = run("import", "x.jsonl", "-f", fmt, "-d", "w", "-a", "a", "--db", "w.db")
    assert done.exit_code == 1 and expected in done.stderr, done.output
    assert "Traceback" not in done.output


def test_a_later_record_of_another_format_is_reported_not_emptied(workdir: Path) -> None:
    (workdir / "mixed.jsonl").write_text(
        '{"text": "doccano", "label": [[0, 3, "X"]]}\n{"text": "prodigy", "spans": [{"start": 0, "end": 3, "label": "X"}]}\n',
        encoding="utf-8",
    )
    done = run("import", "mixed.jsonl", "-f", "doccano", "-d", "m", "-a", "a", "--db", "m.db")
    assert done.exit_code == 1
    assert "mixed.jsonl:2: it holds 'spans', which doccano does not read" in done.stderr
    assert stored(workdir / "m.db", "m") == ["doccano"]


def test_annotate_refuses_standard_input_and_preannotate_reads_a_pipe(workdir: Path) -> None:
    done = run("annotate", "-", "-d", "x", "--db", "x.db")
    assert done.exit_code == 1 and "cannot read tasks from standard input" in done.stderr
    (workdir / "t.jsonl").write_text('{"text": "Ahn met Bo."}\n{"text": "Second."}\n', encoding="utf-8")
    piped = shell("$ANNOTATOR preannotate <(cat t.jsonl) -o out.jsonl", workdir)
    assert piped.returncode == 0, piped.stderr
    assert "wrote 2 tasks" in piped.stdout  # counting the tasks first would have emptied the pipe
