"""A gold file's record read for ``agreement`` without building its task: read as ``annotator
import`` reads it (``core.records.plain_record``, after the check that it is no other format's
record), and kept as the version ``agreement`` compares (``core.agreement.Plain``: the tokens'
offsets as two columns, the spans and relations as an annotation).

``read_plain`` gives None for a record ``plain_record`` does not take, which is then read whole,
so a bad record is reported exactly as ``import`` reports it. The second version of a task takes
the first one's tokens, spans and relations, already checked, when its text is the same and its
lists are the same byte for byte (two annotators mostly agree; ``plain_record``'s ``like``)."""

from __future__ import annotations

from typing import Any, NamedTuple

from annotator.core import records
from annotator.core.agreement import Plain
from annotator.core.model import Annotation, Relation, Span
from annotator.formats.kinds import foreign


class PlainRead(NamedTuple):
    """A record read plainly: as ``plain_record`` reads it, and as the version compared."""

    record: records.Plain
    version: Plain

    @property
    def key(self) -> int:
        return self.record.input_hash


def read_plain(value: Any, ref: str, like: PlainRead | None = None) -> PlainRead | None:
    """The record as a plain version, or None when ``plain_record`` does not take it (or it is
    another format's record, which ``read_record`` reports). A record without ``answer`` counts
    as accepted: a file handed to agreement is a list of finished annotations. ``like``: the plain
    read of another version of the same task, whose checked lists this one takes when its own
    are the same JSON, and whose spans and relations as objects too."""
    if foreign(value, "jsonl") is not None:
        return None
    record = records.plain_record(value, like.record if like is not None else None, lists=True)
    if record is None:
        return None
    answer = record.answer or "accept"
    # The spans and relations as objects, taken from like's when they are its rows.
    spans: tuple[Span, ...] | None = None
    relations: tuple[Relation, ...] | None = None
    annotation = None
    if like is not None and record.spans is like.record.spans:
        annotation = like.version.annotation
        spans = annotation.spans
        if record.relations is like.record.relations:
            relations = annotation.relations
    if spans is None:
        spans = tuple(Span(*row) for row in record.spans)
    if relations is None:
        relations = tuple(Relation(*row) for row in record.relations)
    if annotation is None or annotation.relations is not relations or annotation.answer != answer:
        annotation = Annotation(spans, relations, answer)
    columns = record.tokens
    return PlainRead(record, Plain(record.text, columns[1], columns[2], annotation, ref))
