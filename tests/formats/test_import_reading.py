"""An import reads its file in a forked process while it stores the batches read before
(annotator/transfer/reading.py): the command says exactly what it said when the reading ran in the
importing process (problems at their lines, in their order), a reader's error comes out as it did,
a reader killed midway is said in words and leaves the batches stored before it, the reader ends
with the importing process, and it never runs more than a few batches ahead."""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import AnnotatorError, BadRecord, describe_os_error
from annotator.formats import jsonl
from annotator.formats.problems import Problems
from annotator.store import Store
from annotator.transfer import importing, reading
from annotator.transfer.importing import import_file
from tests.cli_support import run
from tests.formats.test_import_batches import import_command
from tests.formats.test_import_scale import write_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def _forks_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each fork's child pid, as the reading makes them (so that a test knows it was forked)."""
    made: list[int] = []
    real = os.fork

    def counted() -> int:
        pid = real()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return made


def _tasks(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
    finally:
        conn.close()


def _lines_with_problems(path: Path) -> None:
    """Three batches of records and, among them, what a reader and the import both have to say:
    lines that are no JSON (the first, at a batch's edge, the last), a span off its text (bad),
    a span listed twice (a reader's warning), relations between plain tokens (not supported), a
    record without tokens whose span splits a word (a note), and records repeating earlier ones
    (the import's own warnings, said while the batch is stored, after what the reader said)."""
    n = 3 * importing.BATCH
    write_file(path, n)
    lines = path.read_bytes().splitlines()
    first = orjson.loads(lines[9])

    def doubled(line: bytes) -> dict[str, Any]:
        record: dict[str, Any] = orjson.loads(line)
        return {**record, "spans": record["spans"] * 2}

    off = orjson.loads(lines[519])
    off["spans"][0] = {**off["spans"][0], "end": 10_000}
    token_relation = orjson.loads(lines[799])
    token_relation["relations"] = [
        {"head_span": {"start": 0, "end": 6, "token_start": 0, "token_end": 0, "label": None},
         "child_span": {"start": 7, "end": 10, "token_start": 1, "token_end": 1, "label": None},
         "head": 0, "child": 1, "label": "REL"}
    ]  # fmt: skip
    untokenized = {"text": "Seoulites met .", "spans": [{"start": 0, "end": 5, "label": "GPE"}]}
    lines[0] = b"{not json"
    lines[399] = orjson.dumps(doubled(lines[399]))
    lines[519] = orjson.dumps(off)
    lines[600] = lines[9]  # a repeat in the second batch, said after the reader's warning there
    lines[649] = orjson.dumps(doubled(lines[649]))
    lines[799] = orjson.dumps(token_relation)
    lines[900] = orjson.dumps(untokenized)
    lines[1000] = b"[1,"  # the first line after the second batch's last record
    lines[1100] = orjson.dumps({**first, "answer": "reject"})  # a repeat, another answer
    lines.append(b"not json either")
    path.write_bytes(b"\n".join(lines) + b"\n")


def _sources() -> list[Path]:
    return [
        FIXTURES / "prodigy" / "ner_tweets_demo.jsonl",
        FIXTURES / "prodigy" / "rel_component_annotations.jsonl",
        *sorted((FIXTURES / "doccano").glob("*.jsonl")),
        FIXTURES / "label-studio" / "testing_ls_full.json",
        FIXTURES / "brat" / "news",
    ]


def _imported(source: Path, db: Path, forks: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    with monkeypatch.context() as m:
        m.setattr(reading, "FORKS", forks)
        result = run("import", source, "-d", "d", "-a", "alice", "--db", db)
    return result.exit_code, result.stdout, result.stderr


def test_the_command_says_the_same_whether_the_reading_forks_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _forks_counted(monkeypatch)
    bad = tmp_path / "bad.jsonl"
    _lines_with_problems(bad)
    sources = [bad, *_sources()]
    for at, source in enumerate(sources):
        forked = _imported(source, tmp_path / f"forked-{at}.db", True, monkeypatch)
        alone = _imported(source, tmp_path / f"alone-{at}.db", False, monkeypatch)
        assert forked == alone, source
    assert len(made) == len(sources)  # each forked import forked once; the others never
    code, _, err = _imported(bad, tmp_path / "again.db", True, monkeypatch)
    said = [line.removeprefix("annotator: ") for line in err.splitlines()]
    assert code == 1
    # The bad records at their lines, in the file's order; the warnings in the order said: the
    # reader's (while reading a batch) before the import's (while storing it).
    assert [line.split(": ")[1] for line in said if line.startswith("bad record")] == [
        f"{bad}:{n}" for n in (1, 520, 1001, 3 * importing.BATCH + 1)
    ]
    warned = [line for line in said if line.startswith("warning")]
    assert len(warned) == 4
    assert f"{bad}:400: span" in warned[0] and "listed twice" in warned[0]
    assert f"{bad}:650: span" in warned[1] and "listed twice" in warned[1]
    assert "appears again in this file for alice; the same annotation" in warned[2]
    assert "appears again in this file for alice; the later one is kept" in warned[3]
    assert f"(first at {bad}:800)" in err
    assert any(line.startswith("note: 1 x tokens") for line in said), err


def _raising_at(record: int, error: BaseException | None) -> Any:
    """The JSONL reader, which raises ``error`` when it comes to its ``record``-th record (kills
    its own process with SIGKILL when ``error`` is None). Set before the fork, it is the child's
    as well."""
    real = jsonl.read_plain

    def read_plain(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Any]:
        for at, item in enumerate(real(path, problems, lang=lang), 1):
            if at == record:
                if error is None:
                    os.kill(os.getpid(), signal.SIGKILL)
                else:
                    raise error
            yield item

    return read_plain


@pytest.mark.parametrize(
    "error",
    [
        AnnotatorError("a.jsonl: the file changed while it was read"),
        BadRecord("a.jsonl", 700, "a record no reader could place"),  # does not unpickle as it is
        PermissionError(13, "Permission denied", "a.jsonl"),
    ],
    ids=["user-error", "unpicklable-user-error", "os-error"],
)
def test_an_error_of_the_reader_is_said_as_when_the_reading_ran_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    made = _forks_counted(monkeypatch)
    source = tmp_path / "a.jsonl"
    write_file(source, 3 * importing.BATCH)
    monkeypatch.setattr(jsonl, "read_plain", _raising_at(700, error))
    forked = _imported(source, tmp_path / "forked.db", True, monkeypatch)
    alone = _imported(source, tmp_path / "alone.db", False, monkeypatch)
    assert len(made) == 1
    assert forked == alone
    assert forked[0] == 1 and "Traceback" not in forked[2]
    said = describe_os_error(error) if isinstance(error, OSError) else str(error)
    assert forked[2].splitlines()[-1] == f"annotator: {said}"
    # the first batch was stored before the error; nothing of the second
    assert _tasks(tmp_path / "forked.db") == _tasks(tmp_path / "alone.db") == importing.BATCH


def test_an_error_nobody_foresaw_comes_out_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _forks_counted(monkeypatch)
    source = tmp_path / "a.jsonl"
    write_file(source, 2 * importing.BATCH)
    monkeypatch.setattr(jsonl, "read_plain", _raising_at(600, ValueError("a bug in a reader")))
    with Store(tmp_path / "a.db") as store, pytest.raises(ValueError) as caught:
        import_file(store, source, "d", "alice", "jsonl")
    assert len(made) == 1
    assert caught.value.args == ("a bug in a reader",)
    # where it was raised, in the reader's own traceback
    (note,) = caught.value.__notes__
    assert note.startswith("in the process reading the file:\nTraceback") and "raise error\n" in note
    assert _tasks(tmp_path / "a.db") == importing.BATCH


class _Unsendable(Exception):
    """An error pickle cannot send: its class is not found by its name."""


def test_an_error_that_cannot_be_sent_comes_out_in_its_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = type("Local", (_Unsendable,), {})  # made here: pickle finds no class by its name
    source = tmp_path / "a.jsonl"
    write_file(source, importing.BATCH)
    monkeypatch.setattr(jsonl, "read_plain", _raising_at(3, local("the reader's own")))
    with Store(tmp_path / "a.db") as store, pytest.raises(RuntimeError) as caught:
        import_file(store, source, "d", "alice", "jsonl")
    assert caught.value.args == ("Local: the reader's own",)


def test_a_reader_killed_midway_is_said_and_what_was_stored_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "a.jsonl"
    write_file(source, 3 * importing.BATCH)
    monkeypatch.setattr(jsonl, "read_plain", _raising_at(1200, None))
    code, out, err = _imported(source, tmp_path / "a.db", True, monkeypatch)
    assert (code, out) == (1, "")
    assert err == (
        f"annotator: {source}: the process reading it was killed by signal SIGKILL before the end of "
        "the file; the batches stored before stay stored\n"
    )
    assert _tasks(tmp_path / "a.db") == 2 * importing.BATCH


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in found.split()]


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has: it waits to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_the_reader_ends_when_the_importing_process_is_killed(tmp_path: Path, kill: signal.Signals) -> None:
    """SIGKILL and SIGTERM end the importing process at once: the reader's next write fails. On
    Ctrl-C it stops the reader itself (the reader leaves Ctrl-C to it)."""
    source, db = tmp_path / "a.jsonl", tmp_path / "a.db"
    write_file(source, 40 * importing.BATCH)
    command, env = import_command(source, db)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    readers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not readers and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
            readers = _children(proc.pid)
    finally:
        proc.send_signal(kill)
        proc.wait()
    assert len(readers) == 1, "the import ended before its reader was seen"
    deadline = time.monotonic() + 20
    while _running(readers[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(readers[0])


def test_the_reader_stays_a_few_batches_ahead(tmp_path: Path) -> None:
    """A reader faster than the storing waits for it: what is in flight is the pipe's capacity
    and a batch or two, not the file."""
    progress = tmp_path / "progress"
    progress.write_bytes(bytes(8))
    size = 100  # a batch is 200 kB; the pipe holds five

    def record(n: int) -> str:
        return f"{n:08}" + "x" * 2000  # each its own (pickle sends an object it sent before as a reference)

    def endless(problems: Problems) -> Iterator[str]:
        with open(progress, "r+b") as out:
            for n in range(10**9):
                out.seek(0)
                out.write((n + 1).to_bytes(8, "little"))
                out.flush()
                yield record(n)

    def read_so_far() -> int:
        return int.from_bytes(progress.read_bytes(), "little")

    got = reading.batches(endless, Problems(), size, "endless")
    assert next(got) == [record(n) for n in range(size)]
    ahead, deadline = -1, time.monotonic() + 30
    while ahead != read_so_far() and time.monotonic() < deadline:  # as far as the reader goes
        ahead = read_so_far()
        time.sleep(0.5)
    assert size * 5 < ahead <= size * 10, ahead  # the pipe's five batches, one being sent, one read
    for k in range(1, 20):
        assert next(got) == [record(n) for n in range(k * size, (k + 1) * size)]
    got.close()  # the import stops taking them: the reader is killed and reaped
    stopped = read_so_far()
    time.sleep(0.3)
    assert read_so_far() == stopped


@pytest.mark.parametrize("on", [True, False])
def test_reading_a_batch_leaves_the_collector_as_it_found_it(tmp_path: Path, on: bool) -> None:
    """The collector is held off while a batch is unpickled, then left on or off as it was: a
    caller that holds it off (core/gcpause.py does, for a long record) keeps it off."""
    path = tmp_path / "message"
    path.write_bytes(pickle.dumps(([1, 2], None, None, "")))
    was = gc.isenabled()
    try:
        (gc.enable if on else gc.disable)()
        with open(path, "rb") as pipe:
            assert reading._load(pipe)[0] == [1, 2]
        assert gc.isenabled() is on
    finally:
        (gc.enable if was else gc.disable)()
