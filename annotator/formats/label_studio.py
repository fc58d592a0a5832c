"""Label Studio's JSON export (import only): ``labels`` results as spans, ``relation`` results as
relations.

A task holds ``data`` (the text under some key chosen by the project's labeling config, which the
export does not include) and ``annotations``, each with ``result`` items. The text key is the one
named by the results' ``to_name`` when that key's text matches the spans' ``value.text``, else the
string field of ``data`` that matches most of them.

Offsets: Label Studio's front end counted UTF-16 code units until 2021 and code points since; each
span carries its ``text``, so both readings are tried against it and the one that matches is taken
(a span that matches neither is bad). A relation's ``direction`` ``right`` goes from ``from_id`` to
``to_id``, ``left`` the other way, ``bi`` both ways; each of its ``labels`` is one relation.

One (task, annotation) per annotation, the user (``completed_by``) in ``Annotation.annotator``;
a cancelled (skipped) annotation has the answer ``ignore``. Predictions and drafts are not read.
Result types other than ``labels`` and ``relation`` (choices, text areas, ratings, ...) are counted
as not supported, as are relations without a label.

The JSON-MIN export is read too: one flat object per annotation, the text and the other data
fields at the top, the regions under the labeling config's name (``label``), the user in
``annotator``. It holds no relations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Answer
from annotator.formats.assemble import SPLIT_NOTE, RawRelation, RawSpan, build, shared_tokens
from annotator.formats.base import Item
from annotator.formats.jsontext import RecordError, records
from annotator.formats.offsets import Utf16Offsets, has_astral
from annotator.formats.problems import Problems

UTF16_NOTE = "Label Studio spans whose offsets count UTF-16 code units (converted to code points)"


def _user(annotation: Mapping[str, Any]) -> str | None:
    user = annotation.get("completed_by")
    if isinstance(user, Mapping):  # older exports give the user object
        user = user.get("email") or user.get("id")
    return None if user is None else str(user)


def _label_results(annotation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    result = annotation.get("result") or []
    return [r for r in result if isinstance(r, Mapping) and r.get("type") == "labels"]


def text_key(data: Mapping[str, Any], annotations: list[Mapping[str, Any]]) -> str | None:
    regions = [r for a in annotations for r in _label_results(a)]
    candidates = [k for k, v in data.items() if isinstance(v, str)]
    if not candidates:
        return None

    def score(key: str) -> int:
        text = data[key]
        hits = 0
        for r in regions:
            v = r.get("value") or {}
            s, e, t = v.get("start"), v.get("end"), v.get("text")
            if not (isinstance(s, int) and isinstance(e, int) and isinstance(t, str)):
                continue
            if text[s:e] == t or _utf16_slice(text, s, e) == t:
                hits += 1
        return hits

    named = [r.get("to_name") for r in regions]
    preferred = [k for k in candidates if k in named] + ([k for k in candidates if k == "text"])
    scores = {k: score(k) for k in candidates}
    best = max(scores.values())
    for key in preferred:
        if scores[key] == best:
            return key
    if best == 0 and not regions:
        return preferred[0] if preferred else candidates[0]
    return max(candidates, key=lambda k: scores[k])


def _utf16_slice(text: str, start: int, end: int) -> str | None:
    if not has_astral(text):
        return None
    conv = Utf16Offsets(text)
    a, b = conv.from_utf16(start), conv.from_utf16(end)
    return None if a is None or b is None else text[a:b]


def _annotation(
    ann: Mapping[str, Any], text: str, source: str, problems: Problems
) -> tuple[list[RawSpan], list[RawRelation]]:
    spans: list[RawSpan] = []
    rels: list[RawRelation] = []
    conv: Utf16Offsets | None = None
    for i, r in enumerate(ann.get("result") or []):
        if not isinstance(r, Mapping):
            raise InvalidAnnotation(f"result {i} is not an object")
        kind = r.get("type")
        if kind == "labels":
            v = r.get("value")
            if not isinstance(v, Mapping):
                raise InvalidAnnotation(f"result {i} has no value")
            start, end, labels = v.get("start"), v.get("end"), v.get("labels")
            if not isinstance(start, int) or not isinstance(end, int):
                problems.not_supported(
                    "labels result without character offsets (HTML or hypertext)", source, None
                )
                continue
            if not isinstance(labels, list) or not labels:
                raise InvalidAnnotation(f"result {i} [{start}:{end}] has no label")
            if len(labels) > 1:
                raise InvalidAnnotation(
                    f"result {i} [{start}:{end}] has the labels {', '.join(map(str, labels))}; "
                    "entity spans must not overlap, so a region takes one label"
                )
            said = v.get("text")
            if isinstance(said, str) and text[start:end] != said:
                conv = conv or Utf16Offsets(text)
                a, b = conv.from_utf16(start), conv.from_utf16(end)
                if a is not None and b is not None and text[a:b] == said:
                    problems.note(UTF16_NOTE)
                    start, end = a, b
                else:
                    raise InvalidAnnotation(
                        f"result {i} ({r.get('id')}) says {said!r} but the text at [{start}:{end}] is "
                        f"{text[start:end]!r}"
                    )
            spans.append(RawSpan(start, end, str(labels[0]), r.get("id", f"#{i}")))
        elif kind == "relation":
            labels = r.get("labels") or []
            if not isinstance(labels, list) or not labels:
                problems.not_supported("relation without a label", source, None)
                continue
            direction = r.get("direction", "right")
            pairs = {
                "right": [(r.get("from_id"), r.get("to_id"))],
                "left": [(r.get("to_id"), r.get("from_id"))],
                "bi": [(r.get("from_id"), r.get("to_id")), (r.get("to_id"), r.get("from_id"))],
            }.get(direction)
            if pairs is None:
                raise InvalidAnnotation(
                    f"result {i}: relation direction {direction!r} is not right, left or bi"
                )
            rels += [RawRelation(h, c, str(label)) for h, c in pairs for label in labels]
        else:
            problems.not_supported(f"{kind} result", source, None)
    return spans, rels


# Keys of a JSON-MIN object that describe the annotation, not the task's data.
MIN_KEYS = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time"})


def _is_region(value: Any) -> bool:
    return isinstance(value, Mapping) and "labels" in value and "start" in value and "end" in value


def region_keys(record: Mapping[str, Any]) -> list[str]:
    """Keys of a JSON-MIN object holding ``labels`` regions (named after the labeling config)."""
    return [k for k, v in record.items() if isinstance(v, list) and v and all(_is_region(x) for x in v)]


def is_min(record: Any) -> bool:
    """A JSON-MIN object: flat, no ``data``; the annotation's id, or regions, beside the text."""
    if not isinstance(record, Mapping) or isinstance(record.get("data"), Mapping):
        return False
    return "annotation_id" in record or bool(region_keys(record))


def from_min(record: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-MIN object as the full export's task with one annotation. JSON-MIN holds no
    relations and no cancelled annotations (Label Studio leaves them out of it)."""
    keys = region_keys(record)
    data = {k: v for k, v in record.items() if k not in keys and k not in MIN_KEYS}
    result = [
        {"type": "labels", "value": dict(r), "id": f"{k}-{i}"} for k in keys for i, r in enumerate(record[k])
    ]
    annotation = {
        "id": record.get("annotation_id"),
        "completed_by": record.get("annotator"),
        "result": result,
    }
    return {"id": record.get("id"), "data": data, "annotations": [annotation]}


def read_task(
    record: Any, source: str, n: int, line: int | None, problems: Problems, lang: str = "en"
) -> list[Item]:
    name = f"task {n}"
    if is_min(record):
        record = from_min(record)
    try:
        if not isinstance(record, Mapping):
            raise InvalidAnnotation("a task must be a JSON object")
        if record.get("id") is not None:
            name = f"task {n} (id {record['id']})"
        data = record.get("data")
        if not isinstance(data, Mapping):
            raise InvalidAnnotation("the task has no 'data' object")
        anns = [a for a in record.get("annotations") or [] if isinstance(a, Mapping)]
        key = text_key(data, anns)
        if key is None:
            raise InvalidAnnotation("the task's data holds no text")
        text = data[key]
        meta = dict(record.get("meta") or {}) if isinstance(record.get("meta"), Mapping) else {}
        meta.update({k: v for k, v in data.items() if k != key})
        if record.get("id") is not None:
            meta.setdefault("label_studio_id", record["id"])
    except InvalidAnnotation as exc:
        problems.report(source, line, f"{name}: {exc}")
        return []
    if not anns:
        problems.warn(source, line, f"{name} has no annotations; skipped")
        return []
    parsed: list[tuple[str, Mapping[str, Any], list[RawSpan], list[RawRelation]]] = []
    for ann in anns:
        who = f"{name}, annotation {ann.get('id')}"
        try:
            spans, rels = _annotation(ann, text, source, problems)
        except InvalidAnnotation as exc:
            problems.report(source, line, f"{who}: {exc}")
            continue
        parsed.append((who, ann, spans, rels))
    # Several annotations of one text share one tokenization, split at all their span edges.
    tokens, cuts = shared_tokens(text, [s for _, _, spans, _ in parsed for s in spans], lang)
    problems.note(SPLIT_NOTE, cuts)
    out: list[Item] = []
    for who, ann, spans, rels in parsed:
        answer: Answer = "ignore" if ann.get("was_cancelled") else "accept"
        try:
            built = build(text, spans, rels, meta=meta, tokens=tokens, answer=answer, annotator=_user(ann))
        except InvalidAnnotation as exc:
            problems.report(source, line, f"{who}: {exc}")
            continue
        for w in built.warnings:
            problems.warn(source, line, f"{who}: {w}")
        out.append((built.task, built.annotation))
    return out


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    source = str(path)
    for n, rec in enumerate(records(Path(path)), 1):
        if isinstance(rec, RecordError):
            problems.report(source, rec.line, rec.reason)
            continue
        line, value = rec
        yield from read_task(value, source, n, line, problems, lang)


def users(path: Path) -> set[str]:
    found: set[str] = set()
    for rec in records(Path(path)):
        if isinstance(rec, RecordError) or not isinstance(rec[1], Mapping):
            continue
        task = from_min(rec[1]) if is_min(rec[1]) else rec[1]
        for ann in task.get("annotations") or []:
            if isinstance(ann, Mapping):
                found.add(str(_user(ann)))
    return found
