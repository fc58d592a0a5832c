"""Tasks, annotations and edits as compact orjson blobs for the database.

Spans and relations are written as lists (the same shape as the edit log's ``Edit.to_json``) rather
than objects: an edit rewrites the whole current annotation, so the blob's size is on the path of
every keystroke that changes a span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from itertools import starmap
from typing import TYPE_CHECKING, Any, cast

import orjson

from annotator.core.model import ANSWERS, ENTS, Annotation, Answer, Relation, Span, Token
from annotator.core.records import Plain

# An edit's class is imported where an edit is read back (store/sql.py), not with every store: an
# export reads no edit.
if TYPE_CHECKING:
    from annotator.core.edits import Edit

# Keys of meta/extra that are not strings (possible in hand-built tasks) are written as strings
# rather than failing the whole batch.
_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)


def mapping_to_blob(value: Mapping[str, Any]) -> bytes:
    if not value:  # most tasks' extra: no call into orjson for it
        return b"{}"
    return dumps(value if type(value) is dict else dict(value))


def mapping_from_blob(blob: bytes) -> dict[str, Any]:
    value = orjson.loads(blob)
    if not isinstance(value, dict):
        raise ValueError("stored mapping is not a JSON object")
    return value


def tokens_to_blob(tokens: Iterable[Token]) -> bytes:
    # Columns rather than one object per token: a long document has hundreds of thousands of
    # tokens. A Token is a named tuple, so zip turns the rows into the five columns in one pass.
    toks = tuple(tokens)
    return dumps(list(zip(*toks, strict=True)) if toks else [[], [], [], [], []])


def tokens_from_blob(blob: bytes) -> tuple[Token, ...]:
    # Five columns zipped into rows, each row made a Token without a call of its own.
    return tuple(map(_new_token, zip(*orjson.loads(blob), strict=True)))


_new_token = partial(tuple.__new__, Token)


def answer_or_none(value: Any) -> Answer | None:
    if value is None:
        return None
    if value not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)} or None, not {value!r}")
    return cast(Answer, value)


def annotation_to_json(annotation: Annotation) -> dict[str, Any]:
    return {
        # Inline tuples in span_to_json's field order: a call a span was most of an edit's cost on
        # a document of thousands of spans (the whole current annotation is rewritten each edit).
        # An entity span has seven fields, as before layers existed; a group span adds its key.
        "spans": [
            (s.start, s.end, s.token_start, s.token_end, s.label, s.source, s.sid)
            if s.layer == ENTS
            else (s.start, s.end, s.token_start, s.token_end, s.label, s.source, s.sid, s.layer)
            for s in annotation.spans
        ],
        "relations": [(r.head, r.child, r.label, r.source) for r in annotation.relations],
        "answer": annotation.answer,
        "annotator": annotation.annotator,
        "session": annotation.session,
        "timestamp": annotation.timestamp,
    }


def annotation_from_json(data: Mapping[str, Any]) -> Annotation:
    return Annotation(
        # The lists are in field order (see span_to_json); starmap skips core's per-field int()
        # checks, which made reading a task of 1,500 spans take ~3 ms.
        spans=tuple(starmap(Span, data["spans"])),
        relations=tuple(starmap(Relation, data["relations"])),
        answer=answer_or_none(data.get("answer")),
        annotator=data.get("annotator"),
        session=data.get("session"),
        timestamp=data.get("timestamp"),
    )


def annotation_to_blob(annotation: Annotation) -> bytes:
    return dumps(annotation_to_json(annotation))


# A record read as it comes (core/records.py ``Plain``) holds its tokens, spans and relations in the
# shapes these blobs write (columns; rows in field order), so its blobs are written from them with
# no Token, Span or Relation made: the same bytes as from the Task and Annotation it stands for.


def plain_tokens_blob(plain: Plain) -> bytes:
    return dumps(plain.tokens)


def plain_to_blob(plain: Plain) -> bytes:
    """The blob of the annotation ``plain`` stands for (``annotation_to_blob`` of it)."""
    return dumps(
        {
            "spans": plain.spans,
            "relations": plain.relations,
            "answer": plain.answer,
            "annotator": plain.annotator,
            "session": plain.session,
            "timestamp": plain.timestamp,
        }
    )


# What follows a suggestion's spans and relations in its blob: a suggestion is nobody's.
_SUGGESTION_TAIL = b',"answer":null,"annotator":null,"session":null,"timestamp":null}'


def plain_suggestion_blob(plain: Plain) -> bytes:
    """The blob of its spans and relations alone, as a task's suggestion. Joined from their JSON
    and the fixed rest, as orjson writes the whole (compact, keys in order): orjson writing the
    four keys and nulls again for every task cost more than the spans and relations."""
    relations = dumps(plain.relations) if plain.relations else b"[]"
    return b"".join((b'{"spans":', dumps(plain.spans), b',"relations":', relations, _SUGGESTION_TAIL))


def annotation_from_blob(blob: bytes) -> Annotation:
    return annotation_from_json(orjson.loads(blob))


def edit_to_blob(edit: Edit) -> bytes:
    return dumps(edit.to_json())


SPAN, RELATION = "span", "relation"  # the kinds of label the label tally counts


def label_key(label: str) -> bytes:
    """A label as the label tally stores it: UTF-8 bytes (PostgreSQL's TEXT cannot hold NUL)."""
    return label.encode("utf-8", "surrogatepass")


def label_from_key(key: bytes) -> str:
    return bytes(key).decode("utf-8", "surrogatepass")
