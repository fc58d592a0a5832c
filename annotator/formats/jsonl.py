"""Prodigy-style JSONL, the gold schema: one task a line (see core/records.py for the fields).

Reading is core.records.from_record line by line. A record without ``tokens`` (plain
``{"text", "spans"}`` lines as many scripts write them) is tokenized with spaCy's tokenizer, split at
its span edges; the spans' token indices, which referred to some unknown tokenization, are
recomputed from their character offsets. The same is done with a record's own tokens when a span
without token indices does not fall on them (Prodigy's ``--highlight-chars``).

A relation Prodigy's rel.manual drew between plain tokens (its ``head_span`` or ``child_span`` has
``"label": null`` and is none of the spans) cannot be held: it is counted as not supported, and
the rest of the task goes in.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import ENTS, Token
from annotator.core.records import (
    DEFAULT_GROUP,
    JSON_OBJECT,
    KNOWN_KEYS,
    SPANS_VIEW,
    Plain,
    from_record,
    plain_record,
    to_record,
    token_dict,
    tokens_from_record,
)
from annotator.formats.assemble import SPLIT_NOTE
from annotator.formats.atomic import atomic_binary
from annotator.formats.base import Counts, Item
from annotator.formats.jsontext import (
    TOO_DEEP,
    RecordError,
    nested_too_deep,
    parsed_records,
    records,
    too_deep,
)
from annotator.formats.kinds import foreign
from annotator.formats.problems import Problems
from annotator.formats.tokens import split_tokens, tokenize

_TOKEN_KEYS = ("token_start", "token_end")


def _strip_token_indices(span: Any) -> Any:
    if isinstance(span, JSON_OBJECT):
        return {k: v for k, v in span.items() if k not in _TOKEN_KEYS}
    return span


def _offsets(span: Any) -> tuple[int, int] | None:
    """A span's (start, end) when both are whole numbers (anything else is reported later)."""
    if not isinstance(span, JSON_OBJECT):
        return None
    start, end = span.get("start"), span.get("end")
    if isinstance(start, int) and isinstance(end, int) and not isinstance(start | end, bool):
        return start, end
    return None


def _with_tokens(
    record: dict[str, Any], lang: str, tokens: tuple[Token, ...] | None = None
) -> tuple[dict[str, Any], int]:
    """The record with tokens (its own ``tokens``, else spaCy's) split so that every span edge
    falls on them, its token indices dropped (they are recomputed from the offsets), and the
    number of cuts."""
    text = record["text"]
    spans = record.get("spans") or []
    starts: list[int] = []
    ends: list[int] = []
    if isinstance(spans, list):
        for s in spans:
            found = _offsets(s)
            if found is not None and 0 <= found[0] < found[1] <= len(text):
                starts.append(found[0])
                ends.append(found[1])
        spans = [_strip_token_indices(s) for s in spans]
    split, cuts = split_tokens(text, tokens if tokens is not None else tokenize(text, lang), starts, ends)
    out = dict(record)
    out["tokens"] = [token_dict(t) for t in split]
    if "spans" in record:
        out["spans"] = spans
    rels = record.get("relations")
    if isinstance(rels, list):
        out["relations"] = [
            {
                k: _strip_token_indices(v) if k in ("head_span", "child_span") else v
                for k, v in r.items()
                if k not in ("head", "child")
            }
            if isinstance(r, JSON_OBJECT)
            else r
            for r in rels
        ]
    return out, cuts


TOKEN_RELATION = "relation between tokens that are not spans (Prodigy's label: null arguments)"


def _without_token_relations(
    record: dict[str, Any], source: str, line: int | None, problems: Problems
) -> dict[str, Any]:
    """The record without the relations Prodigy's rel.manual draws between plain tokens: an
    argument with no label that is none of the task's spans. Each is counted as not supported, so
    that the rest of the task still goes in."""
    rels, spans = record.get("relations"), record.get("spans") or []
    if not isinstance(rels, list) or not isinstance(spans, list):
        return record
    known = {_offsets(s) for s in spans} - {None}

    def token_argument(arg: Any) -> bool:
        return isinstance(arg, JSON_OBJECT) and arg.get("label") is None and _offsets(arg) not in known

    kept = []
    for r in rels:
        if isinstance(r, JSON_OBJECT) and (
            token_argument(r.get("head_span")) or token_argument(r.get("child_span"))
        ):
            problems.not_supported(TOKEN_RELATION, source, line)
            continue
        kept.append(r)
    if len(kept) == len(rels):
        return record
    return {**record, "relations": kept}


def without_overlaps(record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record without the spans that overlap one kept before them (in text order; at one
    start, the one listed first) and without the relations naming them, and why each was left out:
    one overlapping span no longer costs its whole record. A span listed twice with one label is
    not an overlap (from_record keeps it once). Only the entity layer is checked: a span group's
    spans (``key``, or every span of a spans_manual record without keys) may overlap freely."""
    spans = record.get("spans")
    if not isinstance(spans, list):
        return record, []
    text = record["text"] if isinstance(record.get("text"), str) else ""
    keyed = any(isinstance(s, JSON_OBJECT) and "key" in s for s in spans)
    default = DEFAULT_GROUP if record.get("_view_id") == SPANS_VIEW and not keyed else ENTS

    def entity(raw: Any) -> bool:
        return isinstance(raw, JSON_OBJECT) and raw.get("key", default) == ENTS

    at = {i: _offsets(s) for i, s in enumerate(spans) if entity(s)}
    ordered = sorted((i for i, o in at.items() if o is not None and o[0] < o[1]), key=lambda i: (at[i], i))
    last: tuple[int, int, Any] | None = None
    dropped: set[int] = set()
    said: list[str] = []
    for i in ordered:
        (start, end), label = at[i] or (0, 0), spans[i].get("label")
        if last is None or start >= last[1]:
            last = (start, end, label)
        elif (start, end, label) != last:
            dropped.add(i)
            said.append(
                f"span {i} [{start}:{end}] {label} {text[start:end]!r} overlaps [{last[0]}:{last[1]}] "
                f"{last[2]} {text[last[0] : last[1]]!r}; entity spans must not overlap, so it is not imported"
            )
    if not dropped:
        return record, []
    gone = {at[i] for i in dropped} - {at[i] for i in at if i not in dropped}
    rels = record.get("relations")
    kept_rels = []
    for k, r in enumerate(rels if isinstance(rels, list) else []):
        ends = [
            _offsets(r.get(f"{role}_span"))
            if isinstance(r, JSON_OBJECT) and entity(r.get(f"{role}_span"))
            else None
            for role in ("head", "child")
        ]
        lost = [e for e in ends if e is not None and e in gone]
        if lost:
            said.append(
                f"relation {k} {r.get('label')}: its argument [{lost[0][0]}:{lost[0][1]}] was not "
                "imported (see above)"
            )
            continue
        kept_rels.append(r)
    out = {**record, "spans": [s for i, s in enumerate(spans) if i not in dropped]}
    if isinstance(rels, list):
        out["relations"] = kept_rels
    return out, said


def _highlighted_chars(record: dict[str, Any]) -> bool:
    """Whether a record with tokens has a span without token indices whose edges are not token
    edges: Prodigy's ner.manual with --highlight-chars writes those. (A span that gives token
    indices its offsets do not match stays an error.)"""
    text, raw_tokens, spans = record.get("text"), record.get("tokens"), record.get("spans")
    if not isinstance(text, str) or not isinstance(raw_tokens, list) or not isinstance(spans, list):
        return False
    loose = [
        s for s in spans if isinstance(s, JSON_OBJECT) and "token_start" not in s and "token_end" not in s
    ]
    if not loose:
        return False
    try:
        tokens = tokens_from_record(text, raw_tokens)
    except InvalidAnnotation:
        return False  # from_record says what is wrong with them
    starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
    edges = [_offsets(s) for s in loose]
    return any(e is not None and (e[0] not in starts or e[1] not in ends) for e in edges)


def read_record(
    record: Any, source: str, line: int | None, problems: Problems, lang: str = "en"
) -> Item | None:
    """One gold-schema record (a parsed JSON value) as a task, or None after reporting it."""
    elsewhere = foreign(record, "jsonl")
    if elsewhere is not None:
        problems.report(source, line, elsewhere)
        return None
    if type(record) is dict and record.get("tokens") is not None:
        # Most records are whole as they come: read at once. The passes of read_repaired only
        # mend what reading refuses (overlapping spans, relations between plain tokens, spans off
        # the tokens), and leave a record that reads unchanged: they were a fifth of an import.
        warnings: list[str] = []
        try:
            task, annotation = from_record(record, warnings=warnings)
        except Exception:  # read again below: mended where it can be, else reported
            pass
        else:
            for w in warnings:
                problems.warn(source, line, w)
            return task, annotation
    return read_repaired(record, source, line, problems, lang)


def read_repaired(
    record: Any, source: str, line: int | None, problems: Problems, lang: str = "en"
) -> Item | None:
    """``read_record`` for a record that does not read as it is: what can be mended is (tokens
    made, split at span edges; overlapping spans and relations between plain tokens left out, each
    said), and what cannot is reported."""
    cuts = 0
    if isinstance(record, dict):
        record = _without_token_relations(record, source, line, problems)
        record, left_out = without_overlaps(record)
        for reason in left_out:
            problems.report(source, line, reason)
    if isinstance(record, dict) and record.get("tokens") is None and isinstance(record.get("text"), str):
        record, cuts = _with_tokens(record, lang)
    elif isinstance(record, dict) and _highlighted_chars(record):
        record, cuts = _with_tokens(record, lang, tokens_from_record(record["text"], record["tokens"]))
    warnings: list[str] = []
    try:
        task, annotation = from_record(record, warnings=warnings)
    except InvalidAnnotation as exc:
        problems.report(source, line, str(exc))
        return None
    for w in warnings:
        problems.warn(source, line, w)
    problems.note(SPLIT_NOTE, cuts)
    return task, annotation


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    """One task a line; a JSON array of tasks is read too."""
    for item in read_plain(path, problems, lang=lang):
        yield item.item() if isinstance(item, Plain) else item


def read_plain(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item | Plain]:
    """``read``, but a record that reads as Prodigy writes it comes as it is (``Plain``, which an
    import stores without making a Task and an Annotation of it); every other record as ``read``
    gives it, mended or reported.

    A record is refused when it nests deeper than the store could write back (``jsontext``): for
    one read as it comes, what is kept of it alone is checked, its meta and the keys the schema does
    not name (its tokens, spans and relations are kept as flat columns and rows, whatever else
    they hold), which is cheaper than scanning its bytes (4% of an import)."""
    source = str(path)
    for rec in parsed_records(Path(path)):
        if isinstance(rec, RecordError):
            problems.report(source, rec.line, rec.reason)
            continue
        line, value, raw = rec
        plain = plain_record(value) if foreign(value, "jsonl") is None else None
        # kept_too_deep of what plain_record gathered already
        if plain is not None and not nested_too_deep((plain.meta, *plain.extra.values())):
            yield plain
            continue
        if plain is not None or too_deep(raw, value):
            problems.report(source, line, TOO_DEEP)
            continue
        item = problems.attempt(source, line, read_record, value, source, line, problems, lang, default=None)
        if item is not None:
            yield item


def kept_too_deep(record: dict[str, Any]) -> bool:
    """For a record ``plain_record`` takes: whether what an import keeps of it as it is, its meta
    and the values of the keys the schema does not name, nests deeper than MAX_DEPTH. In a tuple,
    they nest as deep as in the record."""
    return nested_too_deep((record.get("meta"), *(v for k, v in record.items() if k not in KNOWN_KEYS)))


_USER_KEY = b'"_annotator_id"'
# A string value after the key on the same line (no newline in what it matches).
_USER_VALUE = re.compile(rb'[ \t\r\f\v]*:[ \t\r\f\v]*"((?:[^"\\\n]|\\.)*)"')
_VALUE = operator.methodcaller("group", 1)
_BLOCK = 1 << 20


def _blocks_of_lines(handle: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes a block of whole lines at a time (a line longer than a block, whole: its
    pieces gathered and joined once, since adding each to the rest copied a 40 MB line 40 times)."""
    pieces: list[bytes] = []
    while block := handle.read(_BLOCK):
        cut = block.rfind(b"\n") + 1
        if not cut:
            pieces.append(block)
            continue
        pieces.append(block[:cut])
        yield b"".join(pieces)
        pieces = [block[cut:]]
    if rest := b"".join(pieces):
        yield rest


def users(path: Path) -> set[str]:
    """The distinct ``_annotator_id`` values of a file (an export of several annotators has many),
    as far as an import needs them: whether there are several.

    Parsing every record for this took a tenth of an import, so the file's bytes are looked
    through first: every top-level ``"_annotator_id": "..."`` is one of the places the key occurs
    on a line, so when those places name at most one value, the file names at most one user, and
    that value is the answer (a file that names none at top level, only inside ``meta``, is read
    as naming that one: it is one user either way). Otherwise (several values, or the key on a
    line without a string value after it) every record is parsed and the values counted exactly.
    The bytes are looked through a block of lines at a time, in C (a line at a time in Python was
    2% of an import)."""
    found: set[bytes] = set()
    with open(path, "rb") as handle:
        for block in _blocks_of_lines(handle):
            # What follows each place of the key (a value cannot hold the key: it has no quote)
            values = list(map(_USER_VALUE.match, block.split(_USER_KEY)[1:]))
            if None in values:
                return _parsed_users(path)
            found.update(map(_VALUE, values))
            if len(found) > 1:
                return _parsed_users(path)
    if not found:
        return set()
    try:
        (raw,) = found
        name = orjson.loads(b'"' + raw + b'"')
    except orjson.JSONDecodeError:
        return _parsed_users(path)
    return {name} if isinstance(name, str) else set()


def _parsed_users(path: Path) -> set[str]:
    found: set[str] = set()
    for rec in records(Path(path)):
        if not isinstance(rec, RecordError) and isinstance(rec[1], JSON_OBJECT):
            who = rec[1].get("_annotator_id")
            if isinstance(who, str):
                found.add(who)
    return found


def write(path: Path, items: Iterable[Item]) -> Counts:
    counts = Counts(paths=[Path(path)])
    with atomic_binary(Path(path)) as handle:
        for task, annotation in items:
            handle.write(orjson.dumps(to_record(task, annotation), option=orjson.OPT_APPEND_NEWLINE))
            counts.add(annotation)
    return counts
