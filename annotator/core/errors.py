"""Errors that carry what a user needs to fix their input."""

from __future__ import annotations

import errno


class AnnotatorError(Exception):
    """Base class: the message is written for the user, so the CLI prints it without a traceback."""


class InvalidAnnotation(AnnotatorError):
    """A span or relation that breaks the data model's rules (never repaired silently)."""


class BadRecord(AnnotatorError):
    """One input record that cannot be read; readers report it with its place and go on."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


def describe_os_error(exc: OSError) -> str:
    """An operating system error (a full disk, a read-only place, a failing disk) as one line for
    the user: the file, what happened, and what to do."""
    where = f"{exc.filename}: " if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"{where}the disk is full ({reason}); free space on it and run the command again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{where}cannot write there ({reason}); choose a place you can write"
    return f"{where}{reason}"
