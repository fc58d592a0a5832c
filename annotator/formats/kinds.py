"""Which JSON format one record belongs to, for guessing a file's format and for telling a reader
that a record holds what it would drop (a Prodigy record's ``spans`` read as doccano)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotator.core.records import JSON_OBJECT

# The keys that carry each JSON format's annotations: a record holding another format's keys and
# none of the reader's own would lose them.
ANNOTATION_KEYS = {
    "jsonl": ("spans", "tokens", "relations", "answer"),
    "doccano": ("entities", "label", "labels", "relations", "annotations"),
    "label-studio": ("data", "annotations", "predictions"),
}

# Keys of a JSON-MIN object that describe the annotation, not the task's data.
MIN_KEYS = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time"})


def _is_region(value: Any) -> bool:
    return isinstance(value, JSON_OBJECT) and "labels" in value and "start" in value and "end" in value


def region_keys(record: Mapping[str, Any]) -> list[str]:
    """Keys of a JSON-MIN object holding ``labels`` regions (named after the labeling config)."""
    return [k for k, v in record.items() if isinstance(v, list) and v and all(_is_region(x) for x in v)]


def is_min(record: Any) -> bool:
    """A JSON-MIN object: flat, no ``data``; the annotation's id, or regions, beside the text."""
    if not isinstance(record, JSON_OBJECT) or isinstance(record.get("data"), JSON_OBJECT):
        return False
    return "annotation_id" in record or bool(region_keys(record))


def record_format(value: Any) -> str | None:
    """The JSON format one record belongs to, or None when it is not a record of any."""
    if not isinstance(value, JSON_OBJECT):
        return None
    if isinstance(value.get("data"), JSON_OBJECT) and ("annotations" in value or "predictions" in value):
        return "label-studio"
    if is_min(value):
        return "label-studio"
    if "entities" in value and "text" in value:
        return "doccano"
    anns = value.get("annotations")
    if isinstance(anns, list) and any(isinstance(a, JSON_OBJECT) and "start_offset" in a for a in anns):
        return "doccano"
    label = value.get("label", value.get("labels"))
    has_text = "text" in value or isinstance(value.get("data"), str)  # doccano 1.5-1.7 wrote "data"
    if has_text and isinstance(label, list) and all(isinstance(x, list) for x in label):
        return "doccano"
    if "text" in value:
        return "jsonl"
    return None


# For each format read, the keys only other formats carry their annotations in: a record holding
# none of them loses nothing, whatever format it looks like.
_OTHERS_KEYS = {
    reading: frozenset(k for keys in ANNOTATION_KEYS.values() for k in keys) - frozenset(own)
    for reading, own in ANNOTATION_KEYS.items()
}


def foreign(record: Any, reading: str) -> str | None:
    """Why ``record``, read as ``reading``, would lose what it holds: it is another format's record
    and carries that format's annotation keys. None when nothing would be lost."""
    others = _OTHERS_KEYS.get(reading)
    if others is not None and type(record) is dict and others.isdisjoint(record):
        return None  # asked of every record read: the look below took a tenth of reading one
    found = record_format(record)
    if found is None or found == reading or not isinstance(record, JSON_OBJECT):
        return None
    lost = [k for k in ANNOTATION_KEYS[found] if k in record and k not in ANNOTATION_KEYS[reading]]
    if not lost:
        return None
    keys = ", ".join(repr(k) for k in lost)
    return f"it holds {keys}, which {reading} does not read: it looks like {found}; pass --format {found}"
