"""A gold file's record read for ``agreement`` without building its task: the common record, as
Prodigy writes it, checked as ``annotator import`` checks it but kept as a ``Plain`` version (its
tokens' offsets as two columns; its spans and relations as the import makes them).

``read_plain`` takes only a record that ``read_record`` would hand to ``from_record`` as it is and
that ``from_record`` would read without a warning (see the conditions below); it gives None for
any other, which is then read whole, so a bad record is reported exactly as ``import`` reports it.
The second version of a task takes the first one's tokens, spans and relations, already checked,
when its text is the same and its lists are the same byte for byte (two annotators mostly agree)."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from annotator.core.agreement import Plain
from annotator.core.hashing import input_hash
from annotator.core.model import ANSWERS, Annotation, Relation, Span

# The checks of core.records.plain_record, one part at a time: the second version of a task
# takes what the first one's passed.
from annotator.core.records import SPANS_VIEW, SpanRow, relation_rows, span_rows, token_columns

# The keys by which kinds.record_format takes a record for another JSON format's (with the regions
# region_keys finds).
FOREIGN = frozenset({"data", "annotation_id", "entities", "annotations", "label", "labels", "predictions"})
INT64 = range(-(2**63), 2**63)
_TYPES = (str, list, list, list, dict)  # of a plain record's text, tokens, spans, relations, meta


def native(value: Any) -> bool:
    """Whether the record is a JSON object in this tool's own format: no key of another format's
    (``kinds.foreign`` finds nothing), no JSON-MIN regions (``kinds.region_keys``: a list of
    ``{"labels", ...}``), not spans_manual (its spans are a span group)."""
    if type(value) is not dict or not FOREIGN.isdisjoint(value) or value.get("_view_id") == SPANS_VIEW:
        return False
    for held in value.values():
        if type(held) is list and held and type(held[0]) is dict and "labels" in held[0]:
            return False
    return True


class PlainRead(NamedTuple):
    """A record read plainly: its task's key, its version, its spans as the store's rows, and its
    token, span and relation lists as JSON, for the next version of the task to compare its own
    with."""

    key: int
    version: Plain
    rows: list[SpanRow]
    tokens: bytes
    spans: bytes
    relations: bytes


def read_plain(value: Any, ref: str, like: PlainRead | None = None) -> PlainRead | None:
    """The record as a plain version, or None when it is not one ``from_record`` reads as it is
    without a warning (the conditions of ``plain_record``, whose checks this uses: an
    ``_input_hash`` that is a whole number of 64 bits, or none, tokens as Prodigy writes them,
    entity spans on them in text order without overlaps, relations between them, each once, an
    answer import takes). ``like``: the plain read of another version of the same task, whose
    checked lists this one takes when its own are the same JSON."""
    if not native(value):
        return None
    text, tokens = value.get("text"), value.get("tokens")
    raw_spans, raw_relations = value.get("spans") or [], value.get("relations") or []
    meta = value.get("meta") or {}
    if (type(text), type(tokens), type(raw_spans), type(raw_relations), type(meta)) != _TYPES:
        return None
    answer = value.get("answer")
    if answer is None:
        answer = "accept"  # a file handed to agreement is a list of finished annotations
    elif answer not in ANSWERS:
        return None
    given = value.get("_input_hash")
    if given is None:
        key = input_hash(text, meta)
    elif type(given) is int and given in INT64:
        key = given
    else:
        return None
    token_list, span_list, relation_list = (
        orjson.dumps(tokens),
        orjson.dumps(raw_spans),
        orjson.dumps(raw_relations),
    )
    if like is not None and like.version.text == text and like.tokens == token_list:
        starts, ends = like.version.starts, like.version.ends
    else:
        columns = token_columns(text, tokens)
        if columns is None:
            return None
        starts, ends, like = columns[1], columns[2], None
    relations: tuple[Relation, ...] | None = None
    if like is not None and like.spans == span_list:
        rows, spans = like.rows, like.version.annotation.spans
        if like.relations == relation_list:
            relations = like.version.annotation.relations
    else:
        found = span_rows(text, starts, ends, raw_spans)
        if found is None or not found[1]:  # not in text order, or overlapping: read whole
            return None
        rows = found[0]
        spans = tuple(Span(*row) for row in rows)
    if relations is None:
        if not all(map(_between_spans, raw_relations)):
            return None
        linked = relation_rows(rows, raw_relations) if raw_relations else []
        if linked is None:
            return None
        relations = tuple(Relation(*row) for row in linked)
    annotation = like.version.annotation if like is not None else None
    if (
        annotation is None
        or annotation.spans is not spans
        or annotation.relations is not relations
        or annotation.answer != answer
    ):
        annotation = Annotation(spans, relations, answer)
    version = Plain(text, starts, ends, annotation, ref)
    return PlainRead(key, version, rows, token_list, span_list, relation_list)


def _between_spans(relation: Any) -> bool:
    """Whether both ends of a relation name a labelled span: ``read_record`` takes one that names
    a plain token (no label) to a span it makes."""
    if type(relation) is not dict:
        return False
    head, child = relation.get("head_span"), relation.get("child_span")
    return type(head) is dict and type(child) is dict and None not in (head.get("label"), child.get("label"))
