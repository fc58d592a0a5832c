"""The gold JSONL schema (Prodigy's task format) to and from the core model.

Readers are strict about what matters (offsets, token boundaries, overlaps, relation arguments) and
lenient about what does not (extra keys, a span's ``text``, ``_task_hash``), because real files from
Prodigy and friends carry both.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from itertools import compress, islice, repeat
from typing import Any, NamedTuple, TypeGuard

import orjson

from annotator.core.errors import InvalidAnnotation
from annotator.core.hashing import input_hash, task_hash
from annotator.core.model import ANSWERS, ENTS, Annotation, Answer, Relation, Span, SpanKey, Task, Token
from annotator.core.validate import make_span, validate_relations, validate_spans, validate_tokens

KNOWN_KEYS = frozenset(
    {
        "text",
        "meta",
        "tokens",
        "spans",
        "relations",
        "answer",
        "_input_hash",
        "_task_hash",
        "_annotator_id",
        "_session_id",
        "_timestamp",
    }
)


def token_dict(t: Token) -> dict[str, Any]:
    return {"text": t.text, "start": t.start, "end": t.end, "id": t.id, "ws": t.ws}


# Prodigy's spans.manual view: spans that may overlap, the spancat data ``data-to-spacy`` reads
# into ``doc.spans["sc"]``. A record with span-group spans is written in it.
SPANS_VIEW = "spans_manual"
DEFAULT_GROUP = "sc"  # spaCy's default span group key, and where spans_manual spans go


def span_dict(s: Span, keyed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A span as the JSONL writes it; a span of a layer in ``keyed`` carries it as ``key``."""
    out: dict[str, Any] = {
        "start": s.start,
        "end": s.end,
        "token_start": s.token_start,
        "token_end": s.token_end,
        "label": s.label,
    }
    if s.source:
        out["source"] = s.source
    if s.layer in keyed:
        out["key"] = s.layer
    return out


def keyed_layers(spans: Sequence[Span], view: Any) -> tuple[frozenset[str], bool]:
    """Which layers' spans a record names with ``key``, and whether it is a spans_manual record.

    Prodigy's spans.manual writes no key: its spans are one span group. So a record whose spans are
    all in the group ``sc`` is written as Prodigy writes it; any other record with group spans
    names the group of each of them (its entity spans have none). A spans_manual record kept from
    an import with only entity spans left names them ``ents``, so that they read back as such."""
    layers = {s.layer for s in spans}
    groups = layers - {ENTS}
    if groups == {DEFAULT_GROUP} and ENTS not in layers:
        return frozenset(), True
    if groups:
        return frozenset(groups), True
    return (frozenset({ENTS}) if view == SPANS_VIEW and spans else frozenset()), view == SPANS_VIEW


def relation_dict(
    annotation: Annotation, rel: Relation, keyed: frozenset[str] = frozenset()
) -> dict[str, Any]:
    head, child = annotation.span(rel.head), annotation.span(rel.child)
    if head is None or child is None:
        raise InvalidAnnotation(f"relation {rel.label} refers to a span that is not in the task")
    out: dict[str, Any] = {
        "head": head.token_end,
        "child": child.token_end,
        "label": rel.label,
        "head_span": span_dict(head, keyed),
        "child_span": span_dict(child, keyed),
    }
    if rel.source:
        out["source"] = rel.source
    return out


def to_record(task: Task, annotation: Annotation) -> dict[str, Any]:
    """One line of the gold JSONL."""
    ordered = annotation.sorted()
    keyed, spans_view = keyed_layers(ordered.spans, task.extra.get("_view_id"))
    record: dict[str, Any] = dict(task.extra)
    if spans_view:
        record["_view_id"] = SPANS_VIEW
    record.update(
        {
            "text": task.text,
            "meta": dict(task.meta),
            "_input_hash": task.input_hash,
            "_task_hash": task_hash(task.input_hash, annotation),
            # token_dict inlined: a call a token was a sixth of an export's time
            "tokens": [
                {"text": text, "start": start, "end": end, "id": i, "ws": ws}
                for text, start, end, i, ws in task.tokens  # a Token is a named tuple
            ],
            "spans": [span_dict(s, keyed) for s in ordered.spans],
            "relations": [relation_dict(ordered, r, keyed) for r in ordered.relations],
        }
    )
    if annotation.answer is not None:
        record["answer"] = annotation.answer
    if annotation.annotator is not None:
        record["_annotator_id"] = annotation.annotator
    if annotation.session is not None:
        record["_session_id"] = annotation.session
    if annotation.timestamp is not None:
        record["_timestamp"] = annotation.timestamp
    return record


# A JSON object as readers get it: a dict from orjson, or any mapping a caller builds. Checked in
# this order, since isinstance against the Mapping ABC alone took a tenth of reading a record.
JSON_OBJECT = (dict, Mapping)

# Hashes and timestamps are stored as SQL integers: signed 64-bit.
INT64 = range(-(2**63), 2**63)


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value in INT64


def record_hash(
    record: Mapping[str, Any],
    text: str,
    meta: Mapping[str, Any],
    hash_keys: tuple[str, ...] = (),
    warnings: list[str] | None = None,
    key: str = "_input_hash",
) -> int:
    """The record's ``_input_hash`` (or ``key``) when it is one (a whole number that fits 64 bits),
    else the hash of its text (said in ``warnings`` when the record gave an unusable one)."""
    given = record.get(key)
    if _whole(given):
        return given
    if given is not None and warnings is not None:
        shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
        warnings.append(
            f"{key} {shown} is not a whole number between -2**63 and 2**63-1; "
            "the hash is computed from the text instead"
        )
    return input_hash(text, meta, hash_keys)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAnnotation(f"{what} must be a whole number, not {value!r}")
    return value


# One getter a column: the tokens are read a key at a time over all of them (in C), not a token at a
# time in Python. Each looks its key up by the string object orjson gives it (the same every time,
# from its cache of keys), which a dict finds without comparing strings: 1.6% of an import's
# machine instructions. (An equal string finds the same value: only the speed depends on it, and
# it lasts while orjson keeps the key in its cache, which keeps the last key of each hash: getters
# made for each record, so as not to depend on it, cost most of what they saved.)
_TOKEN_KEYS = ("text", "start", "end", "id", "ws")
_TOKEN_COLUMNS = tuple(map(operator.itemgetter, orjson.loads(orjson.dumps(dict.fromkeys(_TOKEN_KEYS)))))
_TOKEN_END = operator.itemgetter("token_end")
_DOT, _EXP = ord("."), ord("e")
# The letters of true and false, and the comma between them: a list of other values written as JSON
# has another byte between its brackets (a digit, a quote, a bracket, the n of null).
_BOOL_BYTES = b"truefals,"
_new_token = partial(tuple.__new__, Token)  # Token._make without its length check (five fields taken)
# A record's tokens as five columns: texts, starts, ends, ids, whether whitespace follows. The store
# keeps tokens in this shape, so a record read as it comes needs no Token objects to be stored.
TokenColumns = tuple[list[str], list[int], list[int], list[int], list[bool]]
# A span as (start, end, token_start, token_end, label, source, sid): the fields of an entity Span
# in order, which is also how the store writes one.
SpanRow = tuple[int, int, int, int, str, str | None, int]
# A relation as (head sid, child sid, label, source): the fields of a Relation in order.
RelationRow = tuple[int, int, str, str | None]


def token_columns(text: str, raw: list[Any]) -> TokenColumns | None:
    """The tokens' five columns (texts, starts, ends, ids, ws) when they are as Prodigy writes them
    (every key, of the right type, ids 0, 1, 2, ..., in order, each the text at its offsets), read
    and checked a column at a time; None when any is not, and the careful reading below says what
    is wrong. Reading a token at a time was a third of an import's time, and a second for a
    document of 500,000 tokens."""
    if not raw:
        return [], [], [], [], []
    text_of, start_of, end_of, id_of, ws_of = _TOKEN_COLUMNS
    try:  # a line each: a generator over the five columns was a tenth of this
        texts = list(map(text_of, raw))
        starts = list(map(start_of, raw))
        ends = list(map(end_of, raw))
        ids = list(map(id_of, raw))
        spaces = list(map(ws_of, raw))
        # The offsets and ids as JSON (a TypeError past 64 bits), in C: a float is written with a
        # "." or an "e" and true and false with an "e", so with neither they are whole numbers
        # (None, strings, lists and objects fail the arithmetic and comparisons below). A set of
        # the types of every value took three times the machine instructions.
        numbers = orjson.dumps((starts, ends, ids))
        "".join(texts)  # a TypeError unless every text is a string (a set of their types: 7x as long)
        if (
            _DOT in numbers  # a byte's value: a bytes needle is first tried as a number (a TypeError
            or _EXP in numbers  # raised and dropped, 1,800 machine instructions each time)
            or ids != list(range(len(ids)))
            # every ws a bool (a set of their types took twice the machine instructions)
            or orjson.dumps(spaces)[1:-1].translate(None, _BOOL_BYTES)
            or starts[0] < 0
            or ends[-1] > len(text)
            # each token's text is the text at its offsets: its length is end - start and the text
            # starts with it there (no slice copied), none is empty (so start < end), and each ends
            # where the next begins or before
            or (lengths := list(map(len, texts))) != list(map(operator.sub, ends, starts))
            or 0 in lengths
            or not all(map(text.startswith, texts, starts))
            or not all(map(operator.le, ends, islice(starts, 1, None)))  # map stops at the shorter
        ):
            return None
    except (TypeError, KeyError, IndexError):
        return None
    return texts, starts, ends, ids, spaces


def _plain_tokens(text: str, raw: list[Any]) -> tuple[Token, ...] | None:
    """The tokens when they are as Prodigy writes them (``token_columns``), else None."""
    columns = token_columns(text, raw)
    return None if columns is None else _tokens_of(columns)


def _tokens_of(columns: TokenColumns) -> tuple[Token, ...]:
    return tuple(map(_new_token, zip(*columns, strict=True)))


def _only(kind: type, column: list[Any]) -> bool:
    # A set of types a column, not of the columns joined (which copied 1.5 million items).
    return set(map(type, column)) == {kind}


def tokens_from_record(text: str, raw: Any) -> tuple[Token, ...]:
    if not isinstance(raw, list):
        raise InvalidAnnotation("'tokens' must be a list")
    plain = _plain_tokens(text, raw)
    if plain is not None:
        return plain
    return tokens_one_by_one(text, raw)


def tokens_one_by_one(text: str, raw: list[Any]) -> tuple[Token, ...]:
    """The tokens read a token at a time: what is missing and can be told from the text (``ws``,
    ``id``, ``text``) filled in, anything else wrong refused (InvalidAnnotation says what). What
    ``token_columns`` takes reads the same here (the tests check it)."""
    tokens = []
    for i, t in enumerate(raw):
        if not isinstance(t, JSON_OBJECT):
            raise InvalidAnnotation(f"token {i} is not an object")
        start, end = _int(t.get("start"), f"token {i} start"), _int(t.get("end"), f"token {i} end")
        tok_text = t.get("text", text[start:end] if 0 <= start <= end <= len(text) else "")
        ws = t.get("ws")
        if ws is None:  # Prodigy always writes it; others may not: infer it from the text
            ws = end < len(text) and text[end : end + 1].isspace()
        tokens.append(Token(str(tok_text), start, end, _int(t.get("id", i), f"token {i} id"), bool(ws)))
    validate_tokens(text, tokens)
    return tuple(tokens)


def span_layer(raw: Mapping[str, Any], default: str, where: str) -> str:
    """The layer a record's span names with ``key`` (``ents``: the entity layer), else ``default``."""
    key = raw.get("key", default)
    if not isinstance(key, str) or not key or not key.isprintable() or key != key.strip():
        raise InvalidAnnotation(f"{where}: its span group key {key!r} is not a name")
    return key


def span_from_record(task: Task, raw: Any, where: str, sid: int, default_layer: str = ENTS) -> Span:
    if not isinstance(raw, JSON_OBJECT):
        raise InvalidAnnotation(f"{where} is not an object")
    start, end = _int(raw.get("start"), f"{where} start"), _int(raw.get("end"), f"{where} end")
    label = raw.get("label")
    if not isinstance(label, str) or not label:
        raise InvalidAnnotation(f"{where} [{start}:{end}] has no label")
    source = raw.get("source")
    layer = span_layer(raw, default_layer, where)
    first, last = raw.get("token_start"), raw.get("token_end")
    hint = (first, last) if _whole(first) and _whole(last) else None
    span = make_span(
        task, start, end, label, source if isinstance(source, str) else None, sid, where, layer, hint
    )
    if "token_start" in raw and "token_end" in raw:
        ts, te = (
            _int(raw["token_start"], f"{where} token_start"),
            _int(raw["token_end"], f"{where} token_end"),
        )
        if (ts, te) != (span.token_start, span.token_end):
            raise InvalidAnnotation(
                f"{where} [{start}:{end}] {label} says tokens {ts}..{te} but its offsets cover tokens "
                f"{span.token_start}..{span.token_end}"
            )
    if "text" in raw and raw["text"] != task.text[start:end]:
        raise InvalidAnnotation(
            f"{where} [{start}:{end}] {label} says text {raw['text']!r} but the text there is "
            f"{task.text[start:end]!r}"
        )
    return span


def _plain_spans(task: Task, raw_spans: list[Any], layer: str) -> tuple[list[Span], bool] | None:
    """The spans when they are as Prodigy writes them (``span_rows``) as Spans of ``layer``, and
    whether they come in text order without overlapping one another; None when any is not, and
    ``span_from_record`` reads them one by one and says what is wrong."""
    tokens = task.tokens
    rows = span_rows(task.text, [t.start for t in tokens], [t.end for t in tokens], raw_spans)
    if rows is None:
        return None
    return [Span(*row, layer) for row in rows[0]], rows[1]


def span_rows(
    text: str, starts: list[int], ends: list[int], raw_spans: list[Any]
) -> tuple[list[SpanRow], bool] | None:
    """The spans when they are as Prodigy writes them (offsets, token indices that fit them, a
    label, perhaps a source and the text there; no span group key), each given its sid, and
    whether they come in text order without overlapping one another; None when any is not. A call
    and its checks a span took a second for a document of 52,000 spans."""
    n = len(starts)
    out: list[SpanRow] = []
    apart = True  # each span starts at or after the end of the one before
    last_end = 0
    for sid, raw in enumerate(raw_spans, 1):
        if type(raw) is not dict or "key" in raw:
            return None
        try:
            start, end, first, last = raw["start"], raw["end"], raw["token_start"], raw["token_end"]
            label = raw["label"]
        except KeyError:
            return None
        source = raw.get("source")
        if (
            type(start) is not int
            or type(end) is not int
            or type(first) is not int
            or type(last) is not int
            or type(label) is not str
            or not label
            or (source is not None and type(source) is not str)
            or not 0 <= first <= last < n
            or starts[first] != start
            or ends[last] != end
            or ("text" in raw and raw["text"] != text[start:end])
        ):
            return None
        if start < last_end:
            apart = False
        last_end = end
        out.append((start, end, first, last, label, source, sid))
    return out, apart


def from_record(
    record: Any,
    *,
    hash_keys: tuple[str, ...] = (),
    warnings: list[str] | None = None,
    tokens_read: tuple[Token, ...] | None = None,
) -> tuple[Task, Annotation]:
    """A task and its annotation from one gold-schema record; InvalidAnnotation says what is wrong.

    What is repaired without loss of meaning (a relation written twice, a span listed twice) is
    said in ``warnings`` so that callers can report it with the record's place. ``tokens_read``:
    what ``tokens_from_record`` gave for the same text and the same token list, byte for byte (two
    annotators' versions of a task share their tokens, and reading them was most of a record)."""
    if not isinstance(record, JSON_OBJECT):
        raise InvalidAnnotation("a task must be a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise InvalidAnnotation("the task has no 'text' string")
    meta = record.get("meta") or {}
    if not isinstance(meta, JSON_OBJECT):
        raise InvalidAnnotation("'meta' must be an object")
    tokens: tuple[Token, ...] = ()
    if tokens_read is not None:
        tokens = tokens_read
    elif record.get("tokens") is not None:
        tokens = tokens_from_record(text, record["tokens"])
    ihash = record_hash(record, text, meta, hash_keys, warnings)
    extra = {k: v for k, v in record.items() if k not in KNOWN_KEYS}
    task = Task(text, tokens, ihash, dict(meta), extra)

    raw_spans = record.get("spans") or []
    raw_rels = record.get("relations") or []
    if not isinstance(raw_spans, list) or not isinstance(raw_rels, list):
        raise InvalidAnnotation("'spans' and 'relations' must be lists")
    if (raw_spans or raw_rels) and not tokens:
        raise InvalidAnnotation("the task has spans but no 'tokens'; spans need tokens to align to")
    # Prodigy's spans.manual writes its spans without a key: they are one span group (``sc``).
    default_layer = ENTS
    if record.get("_view_id") == SPANS_VIEW and not any(
        isinstance(s, JSON_OBJECT) and "key" in s for s in raw_spans
    ):
        default_layer = DEFAULT_GROUP
    plain = _plain_spans(task, raw_spans, default_layer)
    by_key: dict[SpanKey, Span] = {}
    if plain is not None and plain[1] and default_layer == ENTS:
        # Entity spans in text order, none overlapping the one before: none is listed twice and
        # none overlaps another, so what is checked below holds already.
        spans = plain[0]
        by_key = {(s.start, s.end): s for s in spans}
    else:
        spans = (
            plain[0]
            if plain is not None
            else [
                span_from_record(task, s, f"span {i}", i + 1, default_layer) for i, s in enumerate(raw_spans)
            ]
        )
        # Prodigy's relation UI can write the same span twice; keep one, they mean the same thing.
        for s in spans:
            prior = by_key.get(s.key)
            if prior is not None:
                if prior.label != s.label:
                    raise InvalidAnnotation(
                        f"spans [{s.start}:{s.end}] are given twice with labels {prior.label} and {s.label}"
                    )
                if warnings is not None:
                    warnings.append(f"span [{s.start}:{s.end}] {s.label} is listed twice; kept once")
                continue
            by_key[s.key] = s
        spans = list(by_key.values())
        validate_spans(task, spans, on_tokens=plain is not None)

    relations: list[Relation] = []
    seen: set[tuple[int, int, str]] = set()
    for i, raw in enumerate(raw_rels):
        if not isinstance(raw, JSON_OBJECT):
            raise InvalidAnnotation(f"relation {i} is not an object")
        label = raw.get("label")
        if not isinstance(label, str) or not label:
            raise InvalidAnnotation(f"relation {i} has no label")
        ends = []
        for role in ("head", "child"):
            arg = raw.get(f"{role}_span")
            if not isinstance(arg, JSON_OBJECT):
                raise InvalidAnnotation(f"relation {i} {label} has no {role}_span")
            # Arguments are found by their character offsets. Prodigy sometimes writes a wrong
            # token_start in head_span/child_span for a span at offset 0, so that copy is not trusted.
            start = _int(arg.get("start"), f"relation {i} {label} {role}_span start")
            end = _int(arg.get("end"), f"relation {i} {label} {role}_span end")
            layer = (
                span_layer(arg, default_layer, f"relation {i} {label} {role}_span")
                if "key" in arg
                else default_layer
            )
            found = by_key.get((start, end) if layer == ENTS else (start, end, layer, str(arg.get("label"))))
            if found is None:
                raise InvalidAnnotation(
                    f"relation {i} {label}: its {role} [{start}:{end}] {task.text[start:end]!r} "
                    "is not one of the task's spans"
                )
            if role in raw and raw[role] != found.token_end:
                raise InvalidAnnotation(
                    f"relation {i} {label}: '{role}' is token {raw[role]} but its {role}_span ends at "
                    f"token {found.token_end}"
                )
            ends.append(found.sid)
        source = raw.get("source")
        rel = Relation(ends[0], ends[1], label, source if isinstance(source, str) else None)
        if rel.key in seen:
            if warnings is not None:
                warnings.append(f"relation {i} {label} repeats an earlier relation; kept once")
            continue
        seen.add(rel.key)
        relations.append(rel)
    validate_relations(spans, relations)

    answer = record.get("answer")
    if answer is not None and answer not in ANSWERS:
        raise InvalidAnnotation(f"'answer' must be one of {', '.join(ANSWERS)}, not {answer!r}")
    annotator = record.get("_annotator_id")
    session = record.get("_session_id")
    timestamp = record.get("_timestamp")
    annotation = Annotation(
        spans=tuple(spans),
        relations=tuple(relations),
        answer=answer,
        annotator=annotator if isinstance(annotator, str) else None,
        session=session if isinstance(session, str) else None,
        timestamp=timestamp if _whole(timestamp) else None,
    )
    return task, annotation


class Plain(NamedTuple):
    """A record that reads as Prodigy writes it (``plain_record``), kept in the shapes the store
    writes rather than as a Task and an Annotation: ``item()`` gives those, the same as
    ``from_record`` of the record."""

    text: str
    input_hash: int
    meta: dict[str, Any]
    extra: dict[str, Any]
    tokens: TokenColumns
    spans: list[SpanRow]  # entity spans in text order, none overlapping another
    relations: list[RelationRow]
    answer: Answer | None
    annotator: str | None
    session: str | None
    timestamp: int | None
    # The record's token, span and relation lists as JSON, when read to share its checked
    # columns and rows with another version of the task (``plain_record``'s ``lists``).
    lists: tuple[bytes, bytes, bytes] | None = None

    def item(self) -> tuple[Task, Annotation]:
        task = Task(self.text, _tokens_of(self.tokens), self.input_hash, dict(self.meta), self.extra)
        spans = tuple(Span(*row) for row in self.spans)
        relations = tuple(Relation(*row) for row in self.relations)
        return task, Annotation(spans, relations, self.answer, self.annotator, self.session, self.timestamp)


# A Plain made from its twelve fields in order, as tuple.__new__ makes it: a NamedTuple's own
# __new__ is Python, with its keywords and defaults (3,400 machine instructions a call, 2% of an
# import while it was made twice a record).
new_plain: Callable[[Iterable[Any]], Plain] = partial(tuple.__new__, Plain)


def plain_record(
    record: Any, like: Plain | None = None, *, lists: bool = False, extra: bool = True
) -> Plain | None:
    """The record when it reads as Prodigy writes it, with nothing to mend or warn about: a JSON
    object with its text, tokens (``token_columns``), entity spans on them in text order without
    overlaps (``span_rows``), relations between those spans, each once (``relation_rows``), a
    usable input hash (or none) and answer. None otherwise: ``from_record`` then reads it and says
    what is wrong, if anything. Whatever this returns, ``from_record`` gives the same task and
    annotation for (the tests check both ways), without building a Token a token or a Span a
    span: an import of a million records spent half its time there.

    ``lists``: keep the record's token, span and relation lists as JSON (``Plain.lists``), for
    ``like``: a plain read of another version of the same task, made with ``lists``, whose checked
    columns and rows this one takes (the same objects) when its text and lists are the same JSON.
    Two annotators' versions of a task mostly are, and checking the tokens is most of the reading
    (``agreement`` reads so; an import reads each record on its own). ``extra``: gather the keys
    the schema does not name (``Plain.extra``; left empty without, for a reader that has no use
    for them: gathering them was 2% of ``agreement``'s time)."""
    if type(record) is not dict:
        return None
    text, raw_tokens = record.get("text"), record.get("tokens")
    meta = record.get("meta") or {}
    raw_spans = record.get("spans") or []
    raw_rels = record.get("relations") or []
    if (
        type(text) is not str
        or type(raw_tokens) is not list
        or type(meta) is not dict
        or type(raw_spans) is not list
        or type(raw_rels) is not list
        or ((raw_spans or raw_rels) and not raw_tokens)
        or record.get("_view_id") == SPANS_VIEW
    ):
        return None
    ihash = record.get("_input_hash")
    if ihash is None:
        ihash = input_hash(text, meta)
    elif not _whole(ihash):
        return None  # from_record warns and hashes the text
    answer = record.get("answer")
    if answer is not None and answer not in ANSWERS:
        return None
    dumped = seen = (b"", b"", b"")  # this record's lists as JSON, and like's when it shares them
    twin: Plain | None = None  # like, when its text and token list are this record's
    if lists:
        try:
            dumped = orjson.dumps(raw_tokens), orjson.dumps(raw_spans), orjson.dumps(raw_rels)
        except orjson.JSONEncodeError:  # nested too deep to write (in keys not read): shares nothing
            lists = False
    if (
        lists
        and like is not None
        and like.lists is not None
        and like.text == text
        and like.lists[0] == dumped[0]
    ):
        twin, seen = like, like.lists
    columns = token_columns(text, raw_tokens) if twin is None else twin.tokens
    if columns is None:
        return None
    relations: list[RelationRow] | None = None
    if twin is not None and seen[1] == dumped[1]:
        spans = twin.spans
        if seen[2] == dumped[2]:
            relations = twin.relations
    else:
        rows = span_rows(text, columns[1], columns[2], raw_spans)
        if rows is None or not rows[1]:
            return None
        spans = rows[0]
    if relations is None:
        relations = relation_rows(spans, raw_rels) if raw_rels else []
        if relations is None:
            return None
    annotator = record.get("_annotator_id")
    session = record.get("_session_id")
    timestamp = record.get("_timestamp")
    return new_plain(
        (
            text,
            ihash,
            meta,
            # the keys looked up in C first: a record of the schema's keys alone needs no comprehension
            {k: v for k, v in record.items() if k not in KNOWN_KEYS}
            if extra and not KNOWN_KEYS.issuperset(record)
            else {},
            columns,
            spans,
            relations,
            answer,
            annotator if type(annotator) is str else None,
            session if type(session) is str else None,
            timestamp if _whole(timestamp) else None,
            dumped if lists else None,
        )
    )


def relation_rows(spans: list[SpanRow], raw_rels: list[Any]) -> list[RelationRow] | None:
    """The relations as Prodigy writes them, between the spans (by their offsets), each once and
    none from a span to itself; None when any is not."""
    by_offsets: dict[tuple[Any, ...], SpanRow] = {(row[0], row[1]): row for row in spans}
    out: list[RelationRow] = []
    seen: set[tuple[int, int, str]] = set()
    for raw in raw_rels:
        if type(raw) is not dict:
            return None
        label, head, child = raw.get("label"), raw.get("head_span"), raw.get("child_span")
        if type(label) is not str or not label or type(head) is not dict or type(child) is not dict:
            return None
        head_start, head_end = head.get("start"), head.get("end")
        child_start, child_end = child.get("start"), child.get("end")
        # chained, not all() over a generator: that was a fifth of reading the relations
        if "key" in head or "key" in child or not type(head_start) is type(head_end) is int:
            return None
        if not type(child_start) is type(child_end) is int:
            return None
        first, second = by_offsets.get((head_start, head_end)), by_offsets.get((child_start, child_end))
        if (
            first is None
            or second is None
            or first is second
            or ("head" in raw and raw["head"] != first[3])
            or ("child" in raw and raw["child"] != second[3])
        ):
            return None
        key = (first[6], second[6], label)
        if key in seen:
            return None
        seen.add(key)
        source = raw.get("source")
        out.append((first[6], second[6], label, source if isinstance(source, str) else None))
    return out


def record_start(record: Mapping[str, Any], count: int) -> tuple[Task, Annotation] | None:
    """The start of a record: its first ``count`` tokens, its text up to the end of the last of
    them and its spans on them, to draw before the whole of a long record is read; None when those
    tokens or spans are not as Prodigy writes them (the whole record is read carefully later and
    what is wrong said then). Its spans are numbered anew and its relations left out."""
    text, raw = record.get("text"), record.get("tokens")
    if not isinstance(text, str) or not isinstance(raw, list) or not raw:
        return None
    head = raw[:count]
    end = head[-1].get("end") if type(head[-1]) is dict else None
    if type(end) is not int:
        return None
    start = text[:end]
    tokens = _plain_tokens(start, head)
    raw_spans = record.get("spans") or []
    if tokens is None or not isinstance(raw_spans, list):
        return None
    task = Task(start, tokens, 0, {})
    layer = DEFAULT_GROUP if record.get("_view_id") == SPANS_VIEW else ENTS
    if not _only(dict, raw_spans):
        return None if raw_spans else (task, Annotation())
    try:  # the spans that end within the start, picked in C: a long document holds 50,000
        lasts: list[Any] = list(map(_TOKEN_END, raw_spans))
        on_start = list(compress(raw_spans, map(operator.gt, repeat(len(tokens)), lasts)))
    except (KeyError, TypeError):  # a span without token_end, or with one that is not a number
        return None
    plain = _plain_spans(task, on_start, layer)
    return None if plain is None else (task, Annotation(tuple(plain[0])))
