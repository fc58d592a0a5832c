"""A gold file's record read for ``agreement`` without building its task: read as ``annotator
import`` reads it (``core.records.plain_record``, after the check that it is no other format's
record), and kept as the version ``agreement`` compares (``core.agreement.Plain``).

``read_plain`` gives None for a record ``plain_record`` does not take, which is then read whole,
so a bad record is reported exactly as ``import`` reports it. The second version of a task takes
the first one's tokens, spans and relations, already checked, when its text is the same and its
lists are the same byte for byte (two annotators mostly agree; ``plain_record``'s ``like``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from annotator.core.agreement import Plain
from annotator.core.records import plain_record
from annotator.formats.kinds import foreign

# Plain's fields given as one tuple, made in C: a NamedTuple's own __new__ is Python (3,400 machine
# instructions a call, two a task).
_new_plain = partial(tuple.__new__, Plain)


def read_plain(value: Any, ref: str, like: Plain | None = None) -> Plain | None:
    """The record as a plain version, or None when ``plain_record`` does not take it (or it is
    another format's record, which ``read_record`` reports). ``like``: the plain version of
    another file's record of the same task, whose checked lists this one takes when its own are
    the same JSON."""
    if foreign(value, "jsonl") is not None:
        return None
    record = plain_record(value, like.record if like is not None else None, lists=True, extra=False)
    return None if record is None else _new_plain((record, ref))
