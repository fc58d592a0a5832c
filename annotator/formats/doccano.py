"""doccano JSONL: sequence labelling, relation extraction, and the raw multi-user export.

Three shapes are read, one record each:

- sequence labelling: ``{"text", "label": [[start, end, "LABEL"], ...]}`` (``labels`` also accepted;
  doccano 1.5 to 1.7 wrote the text under ``data``, and its first JSON export wrote the triples
  under ``entities``);
- relation extraction: ``{"text", "entities": [{"id", "start_offset", "end_offset", "label"}],
  "relations": [{"from_id", "to_id", "type"}]}``, often pretty-printed over many lines;
- the raw export of a multi-user project: ``{"text", "annotations": [{"label", "start_offset",
  "end_offset", "user"}]}``, which yields one (task, annotation) per user, the user id in
  ``Annotation.annotator``.

Offsets: doccano's browser front end counts UTF-16 code units, so a character outside the BMP
(most emoji) counts two (doccano issue #2290). Files written by Python scripts count code points.
The two readings differ only on records holding such characters; there each reading is checked
(in range, not inside a surrogate pair, span edges not on whitespace nor inside a word) and the
UTF-16 reading, doccano's own, is taken unless the code-point reading fits strictly better. The
writer writes UTF-16 offsets, so that doccano shows the spans where they belong.

Other keys of a record are kept: ``meta`` as the task's meta, the rest in ``Task.extra``, and both
are written back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import orjson

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Annotation, Task
from annotator.formats.assemble import SPLIT_NOTE, Place, RawRelation, RawSpan, build, shared_tokens
from annotator.formats.atomic import atomic_binary
from annotator.formats.base import Counts, Item, reiterable
from annotator.formats.jsontext import RecordError, records
from annotator.formats.kinds import foreign
from annotator.formats.offsets import Utf16Offsets, has_astral
from annotator.formats.problems import Problems

SHAPE_KEYS = frozenset({"text", "label", "labels", "entities", "relations", "annotations", "meta"})
UTF16_NOTE = "records with characters outside the BMP: offsets read as UTF-16 code units (doccano's count)"
CODEPOINT_NOTE = "records with characters outside the BMP: offsets read as code points (they fit better)"

Variant = Literal["auto", "label", "relations"]


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAnnotation(f"{what} must be a whole number, not {value!r}")
    return value


def _label(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InvalidAnnotation(f"{what} has no label")
    return str(value)  # the raw export names labels by their numeric id


def _dirty_edges(text: str, start: int, end: int) -> int:
    """How implausible a span's edges are: on whitespace, or cutting a word in two."""
    bad = 0
    if text[start].isspace():
        bad += 1
    if text[end - 1].isspace():
        bad += 1
    if start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        bad += 1
    if end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        bad += 1
    return bad


def to_code_points(text: str, spans: list[RawSpan], problems: Problems) -> list[RawSpan]:
    """The spans with code-point offsets, their file offsets being UTF-16 or code points."""
    if not spans or not has_astral(text):
        return spans
    conv = Utf16Offsets(text)
    converted: list[RawSpan] = []
    for s in spans:
        a, b = conv.from_utf16(s.start), conv.from_utf16(s.end)
        if a is None or b is None or not 0 <= a < b <= len(text):
            break
        converted.append(RawSpan(a, b, s.label, s.key))
    as_utf16 = converted if len(converted) == len(spans) else None
    cp_ok = all(0 <= s.start < s.end <= len(text) for s in spans)
    if as_utf16 is not None and (
        not cp_ok
        or sum(_dirty_edges(text, s.start, s.end) for s in as_utf16)
        <= sum(_dirty_edges(text, s.start, s.end) for s in spans)
    ):
        if any((u.start, u.end) != (s.start, s.end) for u, s in zip(as_utf16, spans, strict=True)):
            problems.note(UTF16_NOTE)
        return as_utf16
    if as_utf16 is not None:
        problems.note(CODEPOINT_NOTE)
    return spans  # as code points; build() rejects them if they do not fit either


def _spans_from_triples(raw: Any) -> list[RawSpan]:
    if not isinstance(raw, list):
        raise InvalidAnnotation("'label' must be a list of [start, end, label]")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            raise InvalidAnnotation(
                f"'label' holds {item!r}, a text-classification label, not a [start, end, label] span"
            )
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise InvalidAnnotation(f"label {i} is {item!r}, not [start, end, label]")
        out.append(
            RawSpan(
                _int(item[0], f"label {i} start"),
                _int(item[1], f"label {i} end"),
                _label(item[2], f"label {i}"),
            )
        )
    return out


def _entities(raw: Any) -> list[RawSpan]:
    if not isinstance(raw, list):
        raise InvalidAnnotation("'entities' must be a list")
    out = []
    for i, e in enumerate(raw):
        if isinstance(e, list | tuple) and len(e) == 3:  # doccano's first JSON export: [s, e, label]
            out.append(
                RawSpan(
                    _int(e[0], f"entity {i} start"),
                    _int(e[1], f"entity {i} end"),
                    _label(e[2], f"entity {i}"),
                    i,
                )
            )
            continue
        if not isinstance(e, Mapping):
            raise InvalidAnnotation(f"entity {i} is not an object")
        key = e.get("id", i)
        out.append(
            RawSpan(
                _int(e.get("start_offset"), f"entity {key} start_offset"),
                _int(e.get("end_offset"), f"entity {key} end_offset"),
                _label(e.get("label"), f"entity {key}"),
                key,
            )
        )
    return out


def _relations(raw: Any) -> list[RawRelation]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidAnnotation("'relations' must be a list")
    out = []
    for i, r in enumerate(raw):
        if not isinstance(r, Mapping):
            raise InvalidAnnotation(f"relation {i} is not an object")
        label = r.get("type", r.get("label"))
        out.append(RawRelation(r.get("from_id"), r.get("to_id"), _label(label, f"relation {r.get('id', i)}")))
    return out


def _user(annotation: Mapping[str, Any]) -> str:
    """A raw export's user id as text (doccano writes a number); anything else is shown as JSON."""
    user = annotation.get("user", "")
    return user if isinstance(user, str) else orjson.dumps(user).decode()


def _by_user(raw: Any) -> dict[str, list[RawSpan]]:
    if not isinstance(raw, list):
        raise InvalidAnnotation("'annotations' must be a list")
    users: dict[str, list[RawSpan]] = {}
    for i, a in enumerate(raw):
        if not isinstance(a, Mapping):
            raise InvalidAnnotation(f"annotation {i} is not an object")
        if "start_offset" not in a:
            raise InvalidAnnotation(f"annotation {i} has no start_offset (not a span annotation)")
        users.setdefault(_user(a), []).append(
            RawSpan(
                _int(a.get("start_offset"), f"annotation {i} start_offset"),
                _int(a.get("end_offset"), f"annotation {i} end_offset"),
                _label(a.get("label"), f"annotation {i}"),
            )
        )
    return users


def read_record(
    record: Any, source: str, line: int | None, problems: Problems, lang: str = "en"
) -> list[Item]:
    try:
        if not isinstance(record, Mapping):
            raise InvalidAnnotation("a record must be a JSON object")
        elsewhere = foreign(record, "doccano")
        if elsewhere is not None:
            raise InvalidAnnotation(elsewhere)
        text = record.get("text")
        text_key = "text"
        if not isinstance(text, str) and isinstance(record.get("data"), str):
            text, text_key = record["data"], "data"  # doccano 1.5 to 1.7 (doccano issue #1522)
        if not isinstance(text, str):
            raise InvalidAnnotation("the record has no 'text' string")
        meta = record.get("meta")
        extra = {k: v for k, v in record.items() if k not in SHAPE_KEYS and k != text_key}
        if meta is not None and not isinstance(meta, Mapping):
            extra["meta"] = meta  # older doccano writes meta as a string: keep it as it was
            meta = None
        groups: list[tuple[str | None, list[RawSpan], list[RawRelation]]]
        if "entities" in record:
            groups = [(None, _entities(record["entities"]), _relations(record.get("relations")))]
        elif isinstance(record.get("annotations"), list):
            groups = [(user, spans, []) for user, spans in _by_user(record["annotations"]).items()]
        elif "label" in record or "labels" in record:
            raw = record["label"] if "label" in record else record["labels"]
            groups = [(None, _spans_from_triples(raw), [])]
        else:
            groups = [(None, [], [])]
    except InvalidAnnotation as exc:
        problems.report(source, line, str(exc))
        return []
    # Each user's spans are read on their own, but the note counts records, not users.
    found = Problems()
    groups = [(user, to_code_points(text, spans, found), rels) for user, spans, rels in groups]
    for what in found.notes:
        problems.note(what)
    # Several users' annotations of one text share one tokenization, split at all their edges.
    tokens, cuts = shared_tokens(text, [s for _, spans, _ in groups for s in spans], lang)
    problems.note(SPLIT_NOTE, cuts)
    out: list[Item] = []
    for user, spans, rels in groups:
        place = Place(problems, source, line, suffix=f" (user {user})" if user is not None else "")
        built = build(
            text, spans, rels, place=place, meta=meta, extra=extra, tokens=tokens, annotator=user, lang=lang
        )
        out.append((built.task, built.annotation))
    return out


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    source = str(path)
    for rec in records(Path(path)):
        if isinstance(rec, RecordError):
            problems.report(source, rec.line, rec.reason)
            continue
        line, value = rec
        yield from problems.attempt(
            source, line, read_record, value, source, line, problems, lang, default=list[Item]()
        )


def users(path: Path) -> set[str]:
    """The user ids of a raw multi-user export (empty for the other shapes)."""
    found: set[str] = set()
    for rec in records(Path(path)):
        if isinstance(rec, RecordError):
            continue
        anns = rec[1].get("annotations") if isinstance(rec[1], Mapping) else None
        if isinstance(anns, list):
            found.update(_user(a) for a in anns if isinstance(a, Mapping) and "start_offset" in a)
    return found


def record(task: Task, annotation: Annotation, relations: bool) -> dict[str, Any]:
    """One doccano record: ``label`` triples, or ``entities`` + ``relations`` when ``relations``."""
    conv = Utf16Offsets(task.text)
    ordered = annotation.sorted()
    out: dict[str, Any] = {k: v for k, v in task.extra.items() if k not in SHAPE_KEYS}
    out["text"] = task.text
    if relations:
        ids = {s.sid: i for i, s in enumerate(ordered.spans)}
        out["entities"] = [
            {
                "id": ids[s.sid],
                "start_offset": conv.to_utf16(s.start),
                "end_offset": conv.to_utf16(s.end),
                "label": s.label,
            }
            for s in ordered.spans
        ]
        out["relations"] = [
            {"id": i, "from_id": ids[r.head], "to_id": ids[r.child], "type": r.label}
            for i, r in enumerate(ordered.relations)
        ]
    else:
        out["label"] = [[conv.to_utf16(s.start), conv.to_utf16(s.end), s.label] for s in ordered.spans]
    if task.meta:
        out["meta"] = dict(task.meta)
    elif "meta" in task.extra:
        out["meta"] = task.extra["meta"]
    return out


def write(path: Path, items: Iterable[Item], *, variant: Variant = "auto") -> Counts:
    """``auto`` writes the relation shape when any task has a relation (doccano imports one shape
    per project, so a file never mixes them), else sequence labelling."""
    if variant == "auto":
        items = reiterable(items)
        variant = "relations" if any(a.relations for _, a in items) else "label"
    counts = Counts(paths=[Path(path)])
    with atomic_binary(Path(path)) as handle:
        for task, annotation in items:
            handle.write(
                orjson.dumps(
                    record(task, annotation, variant == "relations"), option=orjson.OPT_APPEND_NEWLINE
                )
            )
            counts.add(annotation)
    return counts
