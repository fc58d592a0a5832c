"""Errors that carry what a user needs to fix their input."""

from __future__ import annotations


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
