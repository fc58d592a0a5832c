"""Issue 8 item 7: `export` writes only regular files, through the real command and a real SQLite
file. A pipe, a symbolic link, a device or a folder as -o is refused and left as it was; a place
that cannot be written and a name over 255 bytes are one line each; modes follow the umask and an
existing file keeps its own; an export killed mid-write leaves a temporary file that the next
export to the same file removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task, Token
from annotator.formats.atomic import TMP_SUFFIX
from annotator.store import Store
from tests.cli_support import enter, run


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose database holds dataset "e" (one task)."""
    enter(tmp_path, monkeypatch)
    rec = {"text": "Ahn met Bo.", "spans": [{"start": 0, "end": 3, "label": "PER"}], "answer": "accept"}
    (tmp_path / "in.jsonl").write_bytes(orjson.dumps(rec) + b"\n")
    assert run("import", "in.jsonl", "-d", "e", "-a", "a", "--db", "e.db").exit_code == 0
    return tmp_path


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    before = os.umask(0o022)
    os.umask(before)
    yield os.umask
    os.umask(before)


def make_fifo(p: Path) -> str:
    os.mkfifo(p)
    return "a pipe"


def make_link(p: Path) -> str:
    (p.parent / "elsewhere.txt").write_text("keep me", encoding="utf-8")
    p.symlink_to(p.parent / "elsewhere.txt")
    return "a symbolic link"


def make_folder(p: Path) -> str:
    p.mkdir()
    return "a folder"


@pytest.mark.parametrize("make", [make_fifo, make_link, make_folder], ids=["fifo", "symlink", "folder"])
@pytest.mark.parametrize("fmt", ["jsonl", "doccano", "conll", "spacy"])
def test_a_special_file_or_a_folder_as_output_is_refused_and_left_alone(
    workdir: Path, make: Callable[[Path], str], fmt: str
) -> None:
    target = workdir / "out"
    kind = make(target)
    before = os.lstat(target)
    done = run("export", "-d", "e", "-f", fmt, "-o", target, "--db", "e.db")
    if fmt == "spacy" and kind == "a folder":  # a spaCy export may be a folder of parts: not this one
        assert done.exit_code == 1 and "not a spaCy export of this tool" in done.stderr
    else:
        assert done.exit_code == 1 and f"out is {kind}; export writes only regular files" in done.stderr
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if kind == "a symbolic link":  # nothing written through it
        assert (workdir / "elsewhere.txt").read_text(encoding="utf-8") == "keep me"
    assert not list(workdir.glob(f"*{TMP_SUFFIX}")) and not list(workdir.glob(f".*{TMP_SUFFIX}"))


def test_a_device_is_refused(workdir: Path) -> None:
    done = run("export", "-d", "e", "-o", "/dev/null", "--db", "e.db")
    assert done.exit_code == 1 and "/dev/null is a device" in done.stderr
    assert Path("/dev/null").is_char_device()


def test_a_brat_export_into_a_link_or_a_file_is_refused(workdir: Path) -> None:
    (workdir / "real").mkdir()
    (workdir / "link").symlink_to(workdir / "real")
    done = run("export", "-d", "e", "-f", "brat", "-o", "link", "--db", "e.db")
    assert done.exit_code == 1 and "link is a symbolic link, not a folder" in done.stderr
    assert not list((workdir / "real").iterdir())
    done = run("export", "-d", "e", "-f", "brat", "-o", "in.jsonl", "--db", "e.db")
    assert done.exit_code == 1 and "in.jsonl is a file, not a folder" in done.stderr


def test_a_read_only_place_and_a_long_name_are_one_line(workdir: Path) -> None:
    # /sys refuses new files even to root (a chmod would not stop root)
    done = run("export", "-d", "e", "-o", "/sys/out.jsonl", "--db", "e.db")
    assert (
        done.exit_code == 1
        and done.stderr.strip()
        == "annotator: /sys/out.jsonl: cannot write there (Permission denied); choose a place you can write"
    )
    long = "n" * 300 + ".jsonl"
    done = run("export", "-d", "e", "-o", long, "--db", "e.db")
    assert done.exit_code == 1 and "the file name is 306 bytes; file systems allow 255" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.output


def test_modes_follow_the_umask_and_an_existing_file_keeps_its_own(
    workdir: Path, umask: Callable[[int], int]
) -> None:
    umask(0o027)
    assert run("export", "-d", "e", "-o", "new.jsonl", "--db", "e.db").exit_code == 0
    assert (workdir / "new.jsonl").stat().st_mode & 0o777 == 0o640
    (workdir / "old.jsonl").write_text("x", encoding="utf-8")
    (workdir / "old.jsonl").chmod(0o644)
    umask(0o077)
    assert run("export", "-d", "e", "-o", "old.jsonl", "--db", "e.db").exit_code == 0
    assert (workdir / "old.jsonl").stat().st_mode & 0o777 == 0o644
    assert (workdir / "old.jsonl").read_text(encoding="utf-8").startswith('{"text":"Ahn met Bo."')
    umask(0o002)
    assert run("export", "-d", "e", "-f", "brat", "-o", "b", "--db", "e.db").exit_code == 0
    assert {p.stat().st_mode & 0o777 for p in (workdir / "b").iterdir()} == {0o664}


def big_dataset(db: Path, n: int) -> None:
    words = [
        "Gen",
        "Nakatani",
        "met",
        "his",
        "counterpart",
        "Ahn",
        "Gyu-back",
        "in",
        "Seoul",
        "on",
        "Sunday",
        "to",
        "talk",
    ]
    tasks = []
    for i in range(n):
        text = " ".join(words * 3) + f" {i}"
        tokens, pos = [], 0
        for k, w in enumerate(text.split(" ")):
            tokens.append(Token(w, pos, pos + len(w), k, True))
            pos += len(w) + 1
        tokens[-1] = Token(tokens[-1].text, tokens[-1].start, tokens[-1].end, tokens[-1].id, False)
        tasks.append((Task(text, tuple(tokens), input_hash(text)), Annotation()))
    with Store(db) as store:
        ids = store.add_tasks("big", tasks)
        for task_id in ids:
            store.save_annotation(task_id, "a", Annotation(answer="accept"), session="t")


def test_a_killed_export_leaves_a_temporary_file_the_next_export_removes(tmp_path: Path) -> None:
    big_dataset(tmp_path / "big.db", 8000)
    out = tmp_path / "out" / "big.jsonl"
    command = [
        sys.executable,
        "-m",
        "annotator",
        "export",
        "-d",
        "big",
        "-o",
        str(out),
        "--db",
        str(tmp_path / "big.db"),
    ]
    export = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    leftovers: list[Path] = []
    while not leftovers and export.poll() is None and time.monotonic() < deadline:
        leftovers = list(out.parent.glob(f"*{TMP_SUFFIX}")) if out.parent.exists() else []
        time.sleep(0.002)
    assert leftovers, "the export ended before its temporary file was seen"
    export.send_signal(signal.SIGKILL)
    export.wait(timeout=30)
    assert list(out.parent.glob(f"*{TMP_SUFFIX}")) and not out.exists()  # killed mid-write
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not list(out.parent.glob(f"*{TMP_SUFFIX}"))
    assert sum(1 for _ in out.open("rb")) == 8000
