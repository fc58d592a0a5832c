"""Real storage faults for the tests: a full disk, a read-only file and folder, a damaged database.

The tests run as root (as CI does), and root ignores file permissions: a ``chmod 0444`` file is
still written. So a read-only folder is a read-only bind mount of it, a read-only file is an
immutable file (``chattr +i``), and a full disk is a small tmpfs mounted for the test and filled.
Each helper checks that the fault is real (a write is refused, the disk has no room) before the
test relies on it, and undoes itself afterwards. They need CAP_SYS_ADMIN (mount) and
CAP_LINUX_IMMUTABLE (chattr), which root has; without them they fail with a message saying so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

PAGE = 4096


def _run(*cmd: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(
            f"cannot set up the fault: {' '.join(cmd)}: {done.stderr.strip()} "
            "(these tests need root: mount and chattr)"
        )


def _assert_refused(path: Path, expected: set[int]) -> None:
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        assert exc.errno in expected, exc
    else:
        pytest.fail(f"{path} can still be written: the fault is not real")


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """``folder`` made read-only by a read-only bind mount of it onto itself."""
    _run("mount", "--bind", str(folder), str(folder))
    try:
        _run("mount", "-o", "remount,bind,ro", str(folder))
        _assert_refused(folder / "probe", {errno.EROFS})
        yield folder
    finally:
        _run("umount", "--lazy", str(folder))


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """``path`` made read-only for everyone, root included (``chattr +i``)."""
    _run("chattr", "+i", str(path))
    try:
        _assert_refused(path, {errno.EPERM, errno.EACCES})
        yield path
    finally:
        _run("chattr", "-i", str(path))


@contextlib.contextmanager
def small_disk(folder: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted on ``folder``, which must be empty."""
    folder.mkdir(parents=True, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        _run("umount", "--lazy", str(folder))  # detached now, even if a file is still open


def fill(folder: Path) -> None:
    """Fill the disk ``folder`` is on (a file ``filler`` takes what room is left), then check that
    it refuses a write."""
    # ENOSPC at open, at a write or at close: full either way.
    with contextlib.suppress(OSError), open(folder / "filler", "ab") as handle:
        while True:
            handle.write(b"\0" * PAGE)
            handle.flush()
    _assert_full(folder)


def _assert_full(folder: Path) -> None:
    try:
        with open(folder / "probe", "wb") as handle:
            handle.write(b"\0" * PAGE)
            handle.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    else:
        pytest.fail(f"{folder} still has room: the disk is not full")
    finally:
        with contextlib.suppress(FileNotFoundError):
            (folder / "probe").unlink()


# -- damaged databases: ways a file gets broken (a bad disk, a partial copy, the wrong file) ------


def scribble_pages(db: Path) -> None:
    """Every page but the first (the schema) gets garbage where its b-tree header is."""
    data = bytearray(db.read_bytes())
    for start in range(PAGE, len(data), PAGE):
        data[start : start + 16] = b"\xa5" * 16
    db.write_bytes(bytes(data))


def truncate_half(db: Path) -> None:
    os.truncate(db, (db.stat().st_size // 2 // PAGE) * PAGE + 100)


def not_a_database(db: Path) -> None:
    db.write_bytes(bytes(range(256)) * 64)


def bad_header(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[0:16] = b"not SQLite file\0"
    db.write_bytes(bytes(data))


DAMAGE = {
    "scribbled-pages": scribble_pages,
    "truncated": truncate_half,
    "not-a-database": not_a_database,
    "bad-header": bad_header,
}
