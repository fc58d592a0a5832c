"""An import's reading in a process of its own, so that reading and storing run at once.

An import is two halves of about the same cost: reading the file (parsing each record and checking
it) and storing what was read. Run one after the other, the import took about their sum; here a
forked child reads and sends the records, a batch at a time, through a pipe to the importing
process, which stores each batch as it comes, so the import takes about the longer half (plus
sending the records, a third of reading them).

What the reader says about the file (``Problems``) goes with the batch it was said while reading,
and is added to the import's before that batch is stored: the report is the same, line for line,
as when the reading ran in the importing process. The child never touches the store (it leaves
with ``os._exit``, so that none of the parent's finalizers run in it: a database connection, a
temporary folder), and it ends when the parent does: a write to a pipe nobody reads fails.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from itertools import islice
from typing import IO, Any, NoReturn, TypeVar

from annotator.core.errors import AnnotatorError, BadRecord
from annotator.formats.problems import Problems

T = TypeVar("T")
# Whether the reading runs in a child process: where there is no fork (Windows), the same batches
# are read in this process, one after the other with their storing.
FORKS = hasattr(os, "fork")
# The pipe's capacity (Linux's default is 64 kB, a tenth of a batch of 500 synthetic records): with
# a batch's room the reader goes on with the next batch while the last one's tail waits to be read,
# instead of waiting on the parent. Memory stays bounded: the batch being stored, the one in the
# pipe, the one being read.
PIPE_BYTES = 1 << 20

# What a Problems holds, sent with each batch: the bad records and warnings said since the last
# batch, each as (source, line, reason) (a BadRecord, an exception with its own __init__, does not
# unpickle), and the counters' increments (with the first example of each unsupported kind).
Place = tuple[str, int | None, str]
Said = tuple[list[Place], list[Place], Counter[str], dict[str, str], Counter[str]]
# A message from the reader: a batch (empty at the end), what was said while reading it, and the
# error that ended the reading (with the reader's traceback, for an error nobody foresaw).
Message = tuple[list[Any], Said, BaseException | None, str]


def batches(
    read: Callable[[Problems], Iterator[T]], problems: Problems, size: int, source: str
) -> Generator[list[T], None, None]:
    """The items ``read(problems)`` gives, in lists of ``size`` (the last may be shorter), read from
    the file ``source`` in a child process when this system forks. What the reading adds to
    ``problems`` is there by the time the batch it was said with comes out, in the order it was
    said; an error of the reading is raised here when the batches before it have come out."""
    if not FORKS:
        items = read(problems)
        while batch := list(islice(items, size)):
            yield batch
        return
    yield from _forked(read, problems, size, source)


def _forked(
    read: Callable[[Problems], Iterator[T]], problems: Problems, size: int, source: str
) -> Generator[list[T], None, None]:
    inlet, outlet = os.pipe()
    _widen(outlet)
    pid = os.fork()
    if pid == 0:  # the reader: never returns
        os.close(inlet)
        _reader(read, size, outlet)
    os.close(outlet)
    done = reaped = False
    try:
        with open(inlet, "rb") as pipe:
            while True:
                try:
                    batch, said, error, where = _load(pipe)
                except (EOFError, pickle.UnpicklingError):  # the reader ended, maybe mid-message
                    reaped = True
                    raise _died(pid, source) from None
                _add(problems, said)
                if error is not None:
                    done = True  # the reader has left
                    if not isinstance(error, AnnotatorError):  # a user's error is its message
                        error.add_note(f"in the process reading the file:\n{where}")
                    raise error
                if not batch:
                    done = True
                    return
                yield batch
    finally:
        if not reaped:
            if not done:  # stopped early (an error storing, Ctrl-C): the reader is not needed
                os.kill(pid, signal.SIGKILL)
            # No zombie is left, and the reader's CPU time counts in this process's children's
            # (``getrusage``, ``wait4``), where a benchmark reads it.
            os.waitpid(pid, 0)


def _load(pipe: IO[bytes]) -> Message:
    """The next message, unpickled with the cyclic garbage collector off: unpickling a batch makes
    tens of thousands of containers, each counted towards a collection, and the collections it
    set off were two thirds of its time (0.12 s against 0.04 s for 10,000 synthetic records).
    Unpickling makes no cycles, so there is nothing for them to find."""
    was_on = gc.isenabled()  # left as it was found: a caller may hold the collector off
    gc.disable()
    try:
        message: Message = pickle.load(pipe)
    finally:
        if was_on:
            gc.enable()
    return message


def _reader(read: Callable[[Problems], Iterator[Any]], size: int, outlet: int) -> NoReturn:
    """The child's part: read, send each batch with what was said while reading it, then leave.
    Ctrl-C is the importing process's to act on (the terminal sends it to both): the reader ends
    when that one does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The objects inherited from the parent are none of the reader's garbage: left out of its
    # collections, they are not walked through (nor their memory pages copied, to write a count).
    gc.freeze()
    status = 0
    try:
        with open(outlet, "wb") as pipe:
            _send_all(read, size, pipe)
    except BaseException:  # the parent is gone (a broken pipe), or an error could not be sent
        status = 1
    finally:
        os._exit(status)


def _send_all(read: Callable[[Problems], Iterator[Any]], size: int, pipe: IO[bytes]) -> None:
    mine = Problems()
    marks = [0, 0]  # the bad records and warnings sent so far
    try:
        items = read(mine)
        while True:
            batch = list(islice(items, size))
            _send(pipe, (batch, _said(mine, marks), None, ""))
            if not batch:
                return
    except BrokenPipeError:
        raise
    except BaseException as exc:
        import traceback  # here: 1 ms of every import's start otherwise

        _send(pipe, ([], _said(mine, marks), _sendable(exc), traceback.format_exc()))


def _send(pipe: IO[bytes], message: Message) -> None:
    pipe.write(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
    pipe.flush()


def _sendable(exc: BaseException) -> BaseException:
    """``exc``, or when it does not survive pickling (an ``__init__`` that takes other arguments
    than its ``args``, as BadRecord's; an attribute that cannot be pickled), an error of the same
    words: a user's error is still one (printed without a traceback), any other a RuntimeError."""
    try:
        pickle.loads(pickle.dumps(exc, pickle.HIGHEST_PROTOCOL))
    except Exception:
        if isinstance(exc, AnnotatorError):
            return AnnotatorError(str(exc))
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _said(problems: Problems, marks: list[int]) -> Said:
    """What ``problems`` gained since the last call; its counters start again from nothing."""
    said = (
        [(b.source, b.line, b.reason) for b in problems.bad[marks[0] :]],
        [(w.source, w.line, w.reason) for w in problems.warnings[marks[1] :]],
        problems.unsupported.copy(),
        problems.unsupported_example.copy(),
        problems.notes.copy(),
    )
    marks[0], marks[1] = len(problems.bad), len(problems.warnings)
    problems.unsupported.clear()
    problems.unsupported_example.clear()
    problems.notes.clear()
    return said


def _add(problems: Problems, said: Said) -> None:
    bad, warnings, unsupported, examples, notes = said
    problems.bad += [BadRecord(*b) for b in bad]
    problems.warnings += [BadRecord(*w) for w in warnings]
    problems.unsupported.update(unsupported)
    for kind, where in examples.items():  # the first place of each kind the file gave
        problems.unsupported_example.setdefault(kind, where)
    problems.notes.update(notes)


def _widen(outlet: int) -> None:
    """The pipe made ``PIPE_BYTES`` long, where the system lets it be."""
    try:
        import fcntl

        fcntl.fcntl(outlet, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's limit
        pass


def _died(pid: int, source: str) -> AnnotatorError:
    """Why the reader ended without a word (killed: by hand, or for want of memory)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        how = f"was killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    else:
        how = f"exited with status {os.waitstatus_to_exitcode(status)}"
    return AnnotatorError(
        f"{source}: the process reading it {how} before the end of the file; the batches "
        "stored before stay stored"
    )
