"""Write files so that a crash never leaves half a file where the output should be, and nothing but
a regular file is ever replaced.

Every output goes to a temporary file beside it (``.NAME.<pid>.<random>.annotator-tmp``), is
fsynced, takes the mode the file would have had (an existing file keeps its own; a new one gets
0666 less the umask) and is renamed onto the target. A symbolic link, a folder, a pipe or a device
node where the file should go is refused: export must not write through a link or replace
``/dev/full``. A write that fails is one ``AnnotatorError`` naming the file and the reason (a
read-only place, a name over 255 bytes, a full disk), and its temporary file is removed; one left
by an export that was killed is removed by the next export to the same file.

A format that writes a file a task (brat) writes them all into a temporary folder instead
(``files_in``), makes them durable with one flush of the file system that holds them (``syncfs``;
``sync`` flushed every file system of the machine; flushes started in a thread while the files
are written leave that one less to wait for), then renames that folder onto the output folder
when it was empty, else moves each file onto its name under the same rules: a file each synced and
renamed took a second a dozen tasks, and an fsync a file still took 2.5 times as long as one flush
of 20,000 files.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from annotator.core.errors import AnnotatorError, describe_os_error

TMP_SUFFIX = ".annotator-tmp"
NAME_MAX = 255  # bytes in one file name, on every file system this runs on


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a file"


def existing_mode(path: Path) -> int | None:
    """The permission bits of the regular file at ``path``, None when there is none; AnnotatorError
    when something else is there."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnnotatorError(f"{path}: cannot write there ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(found.st_mode):
        raise AnnotatorError(
            f"{path} is {_kind(found.st_mode)}; export writes only regular files: give another -o"
        )
    return stat.S_IMODE(found.st_mode)


def check_name(path: Path) -> None:
    size = len(os.fsencode(path.name))
    if size > NAME_MAX:
        raise AnnotatorError(
            f"{str(path)[:60]}...: the file name is {size} bytes; file systems allow {NAME_MAX}"
        )


def new_file_mode() -> int:
    """0666 less the umask: what ``open()`` would give a new file."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _tmp_prefix(path: Path) -> str:
    # The target's name, shortened so that the temporary name fits NAME_MAX too.
    short = os.fsdecode(os.fsencode(path.name)[:150])
    return f".{short}."


def clean_leftovers(path: Path) -> None:
    """Remove temporary files of ``path`` left by exports that were killed (their process is
    gone); those of an export still running are left alone."""
    prefix = _tmp_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TMP_SUFFIX)):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(path.parent / name)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes one file at a time: a leftover of its own is stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _failed(path: Path, exc: OSError) -> AnnotatorError:
    """One line naming the output (not the temporary file beside it): a full disk, a read-only
    place, or the system's reason."""
    if exc.errno is None:
        return AnnotatorError(f"{path}: cannot write there ({exc})")
    return AnnotatorError(describe_os_error(OSError(exc.errno, exc.strerror or str(exc), str(path))))


def make_folder(folder: Path) -> None:
    """``folder`` and its parents, created; AnnotatorError when something else is in the way."""
    try:
        found = os.lstat(folder)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise _failed(folder, exc) from exc
    if found is not None and not stat.S_ISDIR(found.st_mode):
        raise AnnotatorError(f"{folder} is {_kind(found.st_mode)}, not a folder: give another -o")
    check_name(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _failed(folder, exc) from exc


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """A binary file handle on a temporary file beside ``path``, renamed onto it when the block
    ends without an exception and removed otherwise."""
    path = Path(path)
    check_name(path)
    mode = existing_mode(path)
    make_folder(path.parent)
    clean_leftovers(path)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f"{_tmp_prefix(path)}{os.getpid()}.", suffix=TMP_SUFFIX, dir=path.parent
        )
    except OSError as exc:
        raise _failed(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), mode if mode is not None else new_file_mode())
            os.fsync(handle.fileno())
        existing_mode(path)  # what appeared there meanwhile is refused too, unless a regular file
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _failed(path, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_binary(path) as handle:
        handle.write(data)


FOLDER_TMP = ".annotator-tmp."  # + the writer's pid: the temporary folder inside an output folder


@contextlib.contextmanager
def files_in(folder: Path) -> Iterator[Files]:
    """A temporary folder for many files, written with ``Files.new`` (sub-folders and other files
    under ``Files.path``); ``folder`` is created. When the block ends without an exception, one
    flush of their file system (``sync_file_system``) makes them all durable, then they go where the
    output goes: when ``folder`` was empty, the temporary folder (made beside it) takes its place in
    one rename; else each file is moved onto its name in ``folder`` (sub-folders kept) from a
    temporary folder inside it, over nothing or over a regular file only, whose mode it takes (a new
    one keeps the 0666 less the umask it was created with). The temporary folder is removed whatever
    happens, and one left by a writer that was killed is removed by the next."""
    folder = Path(folder)
    make_folder(folder)
    beside = f"{_tmp_prefix(folder)[:-1]}{FOLDER_TMP}"  # .NAME.annotator-tmp.<pid>
    _clean_folder_leftovers(folder, FOLDER_TMP)
    _clean_folder_leftovers(folder.parent, beside)
    try:
        with os.scandir(folder) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        raise _failed(folder, exc) from exc
    tmp = folder.parent / f"{beside}{os.getpid()}" if empty else folder / f"{FOLDER_TMP}{os.getpid()}"
    files = Files(tmp)
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        yield files
        files.flush()  # every file written made durable before any is put where the output goes
        if not (empty and _swapped(tmp, folder)):
            _move_all(tmp, folder)
    except OSError as exc:
        raise _failed(folder, exc) from exc
    finally:
        files.stop()
        shutil.rmtree(tmp, ignore_errors=True)


class Files:
    """The temporary folder of ``files_in``. The disk writes its files while more are made: every
    ``EVERY`` files a thread flushes the file system (``sync_file_system``; ctypes lets go of the GIL
    in the call) unless the last such flush is still running, so that the flush before the files
    are put in place waits only for what came after (at 10,000 tasks it had been a third of brat's
    wall time, the disk idle while Python made the files). A flush behind that fails stops the
    writing when the next thread would start, and the last flush raises it if nothing did."""

    EVERY = 2000

    def __init__(self, path: Path) -> None:
        self.path = path
        self._folder = str(path)
        self._made = 0
        self._behind: threading.Thread | None = None
        self._error: OSError | None = None

    def new(self, name: str, data: bytes) -> None:
        """``new_file`` at ``name`` (relative to the folder); FileExistsError when it is there."""
        new_file(f"{self._folder}/{name}", data)
        self._made += 1
        if self._made % self.EVERY == 0:
            self._flush_behind()

    def _flush_behind(self) -> None:
        if self._error is not None:
            raise self._error
        if self._behind is not None and self._behind.is_alive():
            return
        self._behind = threading.Thread(target=self._flush_quietly, name="flush", daemon=True)
        self._behind.start()

    def _flush_quietly(self) -> None:
        try:
            sync_file_system(self.path)
        except OSError as exc:
            self._error = self._error or exc

    def stop(self) -> None:
        """The flush behind, if one runs, waited for."""
        if self._behind is not None:
            self._behind.join()

    def flush(self) -> None:
        """Every file written durable; OSError when one could not be made so."""
        self.stop()
        if self._error is not None:
            raise self._error
        sync_file_system(self.path)


def sync_file_system(folder: Path) -> None:
    """Make every file written on the file system holding ``folder`` durable: Linux's ``syncfs``,
    which flushes that file system only (``os.sync`` flushed every one of the machine, a slow USB
    disk or network mount with them) and says when a write failed; ``os.sync`` where the C library
    has no ``syncfs``. OSError when a write could not be made durable."""
    syncfs = _syncfs()
    if syncfs is None:
        os.sync()
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        syncfs(fd)
    finally:
        os.close(fd)


@functools.cache
def _syncfs() -> Callable[[int], None] | None:
    """The C library's ``syncfs`` as a function raising OSError, None when there is none. ctypes
    is imported here, not by every export that writes one file."""
    import ctypes

    try:
        found = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    except OSError:
        return None
    if found is None:
        return None

    def syncfs(fd: int) -> None:
        if found(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return syncfs


def _swapped(tmp: Path, folder: Path) -> bool:
    """``tmp`` renamed onto the empty folder ``folder`` (whose mode it takes); False when something
    was put in ``folder`` meanwhile. A 2N-file export is then one rename, not 2N."""
    try:
        os.chmod(tmp, stat.S_IMODE(os.lstat(folder).st_mode))
        os.rename(tmp, folder)  # a link or a file there now: ENOTDIR, refused like any failure
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        raise
    return True


def _move_all(source: Path, target: Path) -> None:
    with os.scandir(source) as entries:
        for entry in entries:
            dest = target / entry.name
            if entry.is_dir(follow_symlinks=False):
                make_folder(dest)
                _move_all(Path(entry.path), dest)
                continue
            mode = existing_mode(dest)  # a link, a folder, a pipe where the file goes: refused
            if mode is not None:  # a new one has its mode from its creation: no call a file
                os.chmod(entry.path, mode)
            os.replace(entry.path, dest)


def new_file(path: str, data: bytes) -> None:
    """A new file (none may be there) holding ``data``, with the mode ``open`` gives (0666 less the
    umask): the least a file costs, for writers of a file a task (``files_in``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _clean_folder_leftovers(folder: Path, prefix: str) -> None:
    """Remove the temporary folders ``prefix<pid>`` in ``folder`` of writers that are gone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :]
        if name.startswith(prefix) and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder / name, ignore_errors=True)
