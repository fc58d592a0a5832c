"""A brat export's files are made durable with one flush of the file system that holds them
(``syncfs``), before any of them is put where the output goes; a flush that fails writes nothing."""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Task
from annotator.formats import atomic, brat
from annotator.formats.tokens import tokenize


def items(n: int) -> list[tuple[Task, Annotation]]:
    texts = [f"Text number {i} ." for i in range(n)]
    return [(Task(t, tokenize(t), i, {"source": f"d{i}.txt"}), Annotation()) for i, t in enumerate(texts)]


def spy(
    calls: list[tuple[int, list[str]]], then: Callable[[int], None]
) -> Callable[[], Callable[[int], None]]:
    """A stand-in for ``atomic._syncfs``: records the device of the file system it is asked to flush
    and the files of the folder it is given, then does ``then``."""

    def syncfs(fd: int) -> None:
        calls.append((os.fstat(fd).st_dev, sorted(os.listdir(fd))))
        then(fd)

    return lambda: syncfs


def no_sync() -> None:
    raise AssertionError("os.sync flushes every file system of the machine")


@pytest.mark.parametrize("empty", [True, False], ids=["into an empty folder", "into a folder in use"])
def test_the_output_file_system_is_flushed_once_before_any_file_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty: bool
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    if not empty:
        (out / "notes.md").write_text("mine", encoding="utf-8")
    real = atomic._syncfs()
    assert real is not None or sys.platform != "linux"  # Linux's C library has syncfs
    before = sorted(p.name for p in out.iterdir())

    def flush(fd: int) -> None:
        # Nothing of the export is in the output folder yet (its temporary folder starts with ".").
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == before
        if real is not None:
            real(fd)

    calls: list[tuple[int, list[str]]] = []
    monkeypatch.setattr(atomic, "_syncfs", spy(calls, flush))
    monkeypatch.setattr(os, "sync", no_sync)
    brat.write(out, items(3))
    [(device, flushed)] = calls
    assert device == out.stat().st_dev
    assert flushed == sorted([*(f"d{i}.{x}" for i in range(3) for x in ("ann", "txt")), "annotation.conf"])
    assert sorted(p.name for p in out.iterdir()) == sorted([*flushed, *before])


@pytest.mark.parametrize("every", [None, 2], ids=["the last flush", "a flush behind the writing"])
def test_a_flush_that_fails_writes_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: int | None
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.md").write_text("mine", encoding="utf-8")

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    calls: list[tuple[int, list[str]]] = []
    monkeypatch.setattr(atomic, "_syncfs", spy(calls, failing))
    if every is not None:  # 10 files: the first flush behind fails, at the 2nd
        monkeypatch.setattr(atomic.Files, "EVERY", every)
    with pytest.raises(AnnotatorError, match=f"{out}: Input/output error"):
        brat.write(out, items(5))
    assert len(calls) == 1  # after a flush behind that failed, no other one, nor the last one
    assert sorted(p.name for p in out.iterdir()) == ["notes.md"]  # nothing moved in, no temporary folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_flushes_behind_the_writing_then_once_more_over_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    real = atomic._syncfs()
    calls: list[tuple[int, list[str]]] = []
    monkeypatch.setattr(atomic, "_syncfs", spy(calls, real or (lambda fd: None)))
    monkeypatch.setattr(atomic.Files, "EVERY", 2)  # a flush behind every 2 files: 10 files, up to 5
    brat.write(out, items(5))
    written = sorted([*(f"d{i}.{x}" for i in range(5) for x in ("ann", "txt")), "annotation.conf"])
    *behind, (device, last) = calls
    assert 1 <= len(behind) <= 5
    assert all(d == device == out.stat().st_dev for d, _ in behind)
    assert last == written  # the last flush, over every file, before they are in place
    assert sorted(p.name for p in out.iterdir()) == written
    assert [t.name for t in threading.enumerate() if t.name == "flush"] == []


def test_the_real_flush_runs_on_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform == "linux":
        monkeypatch.setattr(os, "sync", no_sync)
    (tmp_path / "f").write_bytes(b"x")
    atomic.sync_file_system(tmp_path)
    with pytest.raises(OSError):
        atomic.sync_file_system(tmp_path / "f")  # not a folder
