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

import orjson

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import Answer
from annotator.formats.assemble import SPLIT_NOTE, Place, RawRelation, RawSpan, build, shared_tokens
from annotator.formats.base import Item, as_suggestion
from annotator.formats.jsontext import RecordError, records
from annotator.formats.kinds import MIN_KEYS, is_min, record_format, region_keys
from annotator.formats.offsets import Utf16Offsets, has_astral
from annotator.formats.problems import Problems

UTF16_NOTE = "Label Studio spans whose offsets count UTF-16 code units (converted to code points)"


def _user(annotation: Mapping[str, Any]) -> str | None:
    """Who made an annotation: ``completed_by``, a user id (older exports give the user object:
    its ``id``, as the newer ones give it; the e-mail only when there is no id)."""
    user = annotation.get("completed_by")
    if isinstance(user, Mapping):
        user = user.get("id") if user.get("id") is not None else user.get("email")
    if user is None or isinstance(user, str):
        return user
    return orjson.dumps(user).decode() if not isinstance(user, Mapping | list) else None


def _label_results(annotation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    result = annotation.get("result")
    if not isinstance(result, list):
        return []
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
            v = r.get("value")
            if not isinstance(v, Mapping):
                continue
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


def _region(r: Mapping[str, Any], i: int, text: str, place: Place) -> list[RawSpan]:
    """A ``labels`` result as spans (a region with several labels is a span each, on the same
    characters: they go to a span group), or none after saying why it cannot be one."""
    v = r.get("value")
    if not isinstance(v, Mapping):
        place.bad(f"result {i} has no value")
        return []
    start, end, labels = v.get("start"), v.get("end"), v.get("labels")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start | end, bool):
        place.problems.not_supported(
            "labels result without character offsets (HTML or hypertext)", place.source, place.line
        )
        return []
    if not isinstance(labels, list) or not labels:
        place.bad(f"result {i} [{start}:{end}] has no label")
        return []
    said = v.get("text")
    if isinstance(said, str) and text[start:end] != said:
        conv = Utf16Offsets(text)
        a, b = conv.from_utf16(start), conv.from_utf16(end)
        if a is None or b is None or text[a:b] != said:
            place.bad(f"result {i} says {said!r} but the text at [{start}:{end}] is {text[start:end]!r}")
            return []
        place.problems.note(UTF16_NOTE)
        start, end = a, b
    # A relation names the region: its first label's span.
    return [
        RawSpan(start, end, str(label), r.get("id", f"#{i}") if k == 0 else None)
        for k, label in enumerate(labels)
    ]


def _link(r: Mapping[str, Any], i: int, place: Place) -> list[RawRelation]:
    """A ``relation`` result as relations (one per label; ``bi`` both ways)."""
    labels = r.get("labels") or []
    if not isinstance(labels, list) or not labels:
        place.problems.not_supported("relation without a label", place.source, place.line)
        return []
    direction = r.get("direction", "right")
    ends = (r.get("from_id"), r.get("to_id"))
    pairs = {"right": [ends], "left": [ends[::-1]], "bi": [ends, ends[::-1]]}
    if direction not in ("right", "left", "bi"):
        place.bad(f"result {i}: relation direction {direction!r} is not right, left or bi")
        return []
    return [RawRelation(h, c, str(label)) for h, c in pairs[str(direction)] for label in labels]


def _annotation(ann: Mapping[str, Any], text: str, place: Place) -> tuple[list[RawSpan], list[RawRelation]]:
    """The spans and relations of one annotation (or prediction); each result that cannot be read
    is reported and the others are kept."""
    result = ann.get("result")
    if result is None:
        return [], []
    if not isinstance(result, list):
        raise InvalidAnnotation("its 'result' is not a list")
    spans: list[RawSpan] = []
    rels: list[RawRelation] = []
    for i, r in enumerate(result):
        if not isinstance(r, Mapping):
            place.bad(f"result {i} is not an object")
            continue
        kind = r.get("type")
        if kind == "labels":
            spans += _region(r, i, text, place)
        elif kind == "relation":
            rels += _link(r, i, place)
        else:
            place.problems.not_supported(f"{str(kind)[:40]} result", place.source, place.line)
    return spans, rels


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


def _entries(record: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidAnnotation(f"'{key}' must be a list, not {type(value).__name__}")
    return [a for a in value if isinstance(a, Mapping)]


def read_task(
    record: Any, source: str, n: int, line: int | None, problems: Problems, lang: str = "en"
) -> list[Item]:
    name = f"task {n}"
    if is_min(record):
        record = from_min(record)
    try:
        if not isinstance(record, Mapping):
            raise InvalidAnnotation("a task must be a JSON object")
        if isinstance(record.get("id"), str | int):
            name = f"task {n} (id {record['id']})"
        data = record.get("data")
        if not isinstance(data, Mapping):
            raise InvalidAnnotation("the task has no 'data' object" + _elsewhere(record))
        anns = _entries(record, "annotations")
        preds = _entries(record, "predictions")
        key = text_key(data, anns + preds)
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
    if not anns and not preds:
        problems.warn(source, line, f"{name} has no annotations; skipped")
        return []
    parsed: list[tuple[Place, Mapping[str, Any], list[RawSpan], list[RawRelation]]] = []
    for kind, entries in (("prediction", preds[:1]), ("annotation", anns)):
        for k, entry in enumerate(entries, 1):
            ident = entry.get("id")
            label = f"{kind} {ident}" if isinstance(ident, str | int) else f"{kind} {k} of {len(entries)}"
            place = Place(problems, source, line, prefix=f"{name}, {label}: ")
            try:
                spans, rels = _annotation(entry, text, place)
            except InvalidAnnotation as exc:
                place.bad(str(exc))
                continue
            parsed.append((place, entry, spans, rels))
    for _ in preds[1:]:
        problems.not_supported("prediction after a task's first (one suggestion per task)", source, line)
    # Several annotations of one text share one tokenization, split at all their span edges.
    tokens, cuts = shared_tokens(text, [s for _, _, spans, _ in parsed for s in spans], lang)
    problems.note(SPLIT_NOTE, cuts)
    out: list[Item] = []
    for place, entry, spans, rels in parsed:
        if place.prefix.startswith(f"{name}, prediction"):
            model = entry.get("model_version")
            built = build(text, spans, rels, place=place, meta=meta, tokens=tokens)
            source_name = model if isinstance(model, str) and model else "label-studio prediction"
            out.append((built.task, as_suggestion(built.annotation, source_name)))
            continue
        answer: Answer = "ignore" if entry.get("was_cancelled") is True else "accept"
        built = build(
            text, spans, rels, place=place, meta=meta, tokens=tokens, answer=answer, annotator=_user(entry)
        )
        out.append((built.task, built.annotation))
    return out


def _elsewhere(record: Mapping[str, Any]) -> str:
    found = record_format(record)
    return (
        f" (it looks like a {found} record: pass --format {found})"
        if found and found != "label-studio"
        else ""
    )


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    source = str(path)
    for n, rec in enumerate(records(Path(path)), 1):
        if isinstance(rec, RecordError):
            problems.report(source, rec.line, rec.reason)
            continue
        line, value = rec
        yield from problems.attempt(
            source, line, read_task, value, source, n, line, problems, lang, default=list[Item]()
        )


def users(path: Path) -> set[str | None]:
    found: set[str | None] = set()
    for rec in records(Path(path)):
        if isinstance(rec, RecordError) or not isinstance(rec[1], Mapping):
            continue
        task = from_min(rec[1]) if is_min(rec[1]) else rec[1]
        anns = task.get("annotations")
        if isinstance(anns, list):
            found.update(_user(a) for a in anns if isinstance(a, Mapping))
    return found
