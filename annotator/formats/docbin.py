"""spaCy's binary training format: a ``DocBin`` (``.spacy`` file) of ``Doc`` objects.

Each task becomes a ``Doc`` whose text is exactly the task's text: one word per token of the task,
plus whitespace words for any text its tokens leave uncovered (spaCy's own convention). Spans are
``doc.ents``; relations go in ``doc.user_data`` under the key of a ``doc._.rel`` extension, as the
spaCy relation-extraction tutorial (explosion/projects ``tutorials/rel_component``) reads them:
``{(head_ent_start_token, child_ent_start_token): {label: 1.0}}``. The task's meta, input hash,
answer and annotator go in ``doc.user_data["annotator"]``, so a DocBin written here reads back into
the same tasks.

Span groups are ``doc.spans[key]`` (spancat data); a relation with an argument in a span group goes
in ``user_data["annotator"]["span_relations"]`` as ``[head, child, label]`` with each argument
``[start_char, end_char, key, label]`` (``doc._.rel`` names entities only, by their first token).

``spacy train`` reads these files directly (``--paths.train train.spacy --paths.dev dev.spacy``).
They are written without a Doc a task: the writer fills DocBin's columns itself and serializes
them as DocBin does, and a test checks that the bytes are those spaCy's DocBin writes (``_Chunk``).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from operator import attrgetter
from pathlib import Path
from typing import Any

import msgpack
import orjson
from isal import isal_zlib

from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.model import ANSWERS, ENTS, Annotation, Relation, Span, Task, Token
from annotator.core.records import INT64, record_hash
from annotator.core.validate import make_span, validate_annotation, validate_tokens
from annotator.formats import docbin_layout as layout
from annotator.formats.atomic import existing_mode, write_bytes
from annotator.formats.base import Counts, Item, describe
from annotator.formats.problems import Problems
from annotator.formats.tokens import split_tokens, words_and_spaces

REL_KEY = ("._.", "rel", None, None)  # where spaCy keeps the value of the doc._.rel extension
INFO_KEY = "annotator"


def _vocab() -> Any:
    from spacy.vocab import Vocab

    return Vocab()


def to_doc(vocab: Any, task: Task, annotation: Annotation) -> Any:
    from spacy.tokens import Doc

    words, spaces = words_and_spaces(task)
    doc = Doc(vocab, words=words, spaces=spaces)
    if doc.text != task.text:  # words_and_spaces guarantees it; a failure here is a bug, not input
        raise AnnotatorError(f"{describe(task)}: the Doc's text differs from the task's")
    ents = []
    groups: dict[str, list[Any]] = {}
    start_of: dict[int, int] = {}
    for s in sorted(annotation.spans, key=lambda s: (s.start, s.end)):
        ent = doc.char_span(s.start, s.end, label=s.label)
        if ent is None:
            raise AnnotatorError(
                f"{describe(task)}: span [{s.start}:{s.end}] {s.label} does not fit the Doc's tokens"
            )
        if s.layer == ENTS:
            ents.append(ent)
            start_of[s.sid] = ent.start
        else:
            groups.setdefault(s.layer, []).append(ent)
    try:
        doc.ents = ents
    except ValueError as exc:  # overlapping spans: a Doc's ents cannot overlap
        raise AnnotatorError(f"{describe(task)}: {exc}") from exc
    for key, group in groups.items():
        doc.spans[key] = group
    doc.user_data.update(user_data(task, annotation, start_of))
    return doc


def user_data(task: Task, annotation: Annotation, start_of: Mapping[int, int]) -> dict[Any, Any]:
    """A Doc's ``user_data``: the relations between entities as ``doc._.rel`` reads them, and this
    tool's ``annotator`` entry (see the module doc). ``start_of``: each entity span's first token in
    the Doc, by span id."""
    rel: dict[tuple[int, int], dict[str, float]] = {}
    span_relations = []
    for r in annotation.relations:
        if r.head in start_of and r.child in start_of:
            rel.setdefault((start_of[r.head], start_of[r.child]), {})[r.label] = 1.0
        else:
            by_sid = {s.sid: s for s in annotation.spans}
            head, child = by_sid[r.head], by_sid[r.child]
            span_relations.append([_argument(head), _argument(child), r.label])
    out: dict[Any, Any] = {}
    if rel:
        out[REL_KEY] = rel
    info: dict[str, Any] = {"input_hash": task.input_hash}
    if span_relations:
        info["span_relations"] = span_relations
    if task.meta:
        info["meta"] = dict(task.meta)
    if task.extra:
        info["extra"] = dict(task.extra)
    for key in ("answer", "annotator", "session", "timestamp"):
        value = getattr(annotation, key)
        if value is not None:
            info[key] = value
    out[INFO_KEY] = info
    return out


def _argument(s: Span) -> list[Any]:
    return [s.start, s.end, s.layer, s.label]


TRIMMED = "entity spans trimmed of whitespace at an edge (spaCy's debug data refuses it there)"
BLANK = "entity spans made only of whitespace (spaCy refuses them), and their relations"


def trimmed(task: Task, annotation: Annotation, counts: Counts) -> tuple[Task, Annotation]:
    """The task and annotation with every entity's leading and trailing whitespace left out of it
    (its tokens split where needed), and spans made only of whitespace left out with their
    relations: what ``spacy debug data`` calls invalid whitespace entity spans. Counted in
    ``counts``; the same objects when there is nothing to trim."""
    text = task.text
    edges: dict[int, tuple[int, int]] = {}
    blank: set[int] = set()
    for s in annotation.spans:
        piece = text[s.start : s.end]
        if not piece.strip():
            blank.add(s.sid)
        elif piece != piece.strip():
            edges[s.sid] = (
                s.start + len(piece) - len(piece.lstrip()),
                s.end - len(piece) + len(piece.rstrip()),
            )
    if not edges and not blank:
        return task, annotation
    counts.changed[TRIMMED] += len(edges)
    counts.leave_out(BLANK, len(blank))
    tokens, _ = split_tokens(
        text, task.tokens, (a for a, _ in edges.values()), (b for _, b in edges.values())
    )
    task = replace(task, tokens=tokens)
    spans = []
    for s in annotation.spans:
        if s.sid in blank:
            continue
        start, end = edges.get(s.sid, (s.start, s.end))
        spans.append(make_span(task, start, end, s.label, s.source, s.sid, layer=s.layer))
    relations = tuple(r for r in annotation.relations if r.head not in blank and r.child not in blank)
    return task, replace(annotation, spans=tuple(spans), relations=relations)


# Docs a DocBin holds before it is written out: a DocBin is one msgpack+zlib blob built in memory
# (1.8 GB for 100,000 short tasks, 274 MB for 10,000), so a larger export is a folder of files of this
# many docs.
CHUNK = 2_000


def write(path: Path, items: Iterable[Item]) -> Counts:
    """One ``.spacy`` file, or, past CHUNK docs, a folder ``path`` of ``part-00001.spacy``...: spaCy
    reads a folder of .spacy files as one corpus (``spacy train --paths.train``), and so does
    ``annotator import``. Memory stays that of one chunk whatever the size of the export. Each
    entity is trimmed of whitespace at its edges (``trimmed``), so that ``spacy debug data`` and
    ``spacy train`` take it whatever was imported. spaCy itself is imported only for a task that
    must go through a Doc (see ``_Chunk``)."""
    path = Path(path)
    if path.is_symlink() or not path.is_dir():
        existing_mode(path)  # refuses a link, a pipe or a device before anything is written
    counts = Counts(paths=[path])
    parts: list[Path] = []
    staging = path.with_name(f".{path.name}.parts")
    with contextlib.ExitStack() as cleanup:
        strings = _Strings(cleanup)
        chunk = _Chunk(strings)
        try:
            for task, annotation in items:
                if len(chunk) == CHUNK:
                    if not parts:
                        if staging.exists():
                            shutil.rmtree(staging)
                        staging.mkdir(parents=True)
                    parts.append(staging / f"part-{len(parts) + 1:05d}.spacy")
                    write_bytes(parts[-1], chunk.to_bytes())
                    chunk = _Chunk(strings)
                task, annotation = trimmed(task, annotation, counts)
                chunk.add(task, annotation)
                counts.add(annotation)
            if not parts:
                _replaceable(path)
                write_bytes(path, chunk.to_bytes())
                return counts
            if len(chunk):
                parts.append(staging / f"part-{len(parts) + 1:05d}.spacy")
                write_bytes(parts[-1], chunk.to_bytes())
            _replaceable(path)
            if path.exists():
                path.unlink()
            staging.rename(path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return counts


IDS_KEPT = 50_000  # about 10 MB of strings and ids


class _Strings:
    """What the chunks share: the ids of the strings met so far (cleared past IDS_KEPT, so memory
    stays flat however many distinct words an export has), one msgpack packer (``DocBin.to_bytes``
    packs with srsly's copy of msgpack, whose bytes are msgpack's), and spaCy, imported the first
    time a task must go through a Doc."""

    def __init__(self, cleanup: contextlib.ExitStack) -> None:
        self.ids: dict[str, int] = {}
        self.pack: Any = msgpack.Packer(use_bin_type=True).pack
        self._cleanup = cleanup
        self._spacy: tuple[Any, Any] | None = None

    def ids_of(self, strings: Iterable[str]) -> dict[str, int]:
        if len(self.ids) > IDS_KEPT:
            self.ids.clear()
        return layout.string_ids(strings, self.ids)

    def spacy(self) -> tuple[Any, Any]:
        """spaCy's Vocab and DocBin class, for the tasks that go through a Doc."""
        if self._spacy is None:
            from spacy.tokens import DocBin

            self._cleanup.enter_context(_encoders_read_once())
            self._spacy = (_vocab(), DocBin)
        return self._spacy


_START = attrgetter("start")
_SPACE = ("", " ")  # a token's whitespace_ by its flag
_NO_SPAN_GROUPS = b"\x90"  # msgpack of an empty list: a Doc without span groups, as spaCy writes it


class _Chunk:
    """Up to CHUNK docs, kept as spaCy's DocBin keeps them and written out as its ``to_bytes``
    writes them (the same bytes: a test compares them), without making a Doc for each task or
    importing spaCy: a task's tokens are the Doc's words, and its entities set three columns of
    the token table (ORTH, ENT_IOB, ENT_TYPE; SENT_START is 1 on a Doc's first token, every other
    column 0, as on any Doc made from words). A Doc a task and DocBin.add's look at every token's
    nine strings made a spaCy export 17-22x the raw dump. A task this cannot be sure of (span
    groups, text its tokens leave uncovered, an entity off its tokens or overlapping another) is
    made into a Doc by ``to_doc`` and added as DocBin adds it."""

    def __init__(self, strings: _Strings) -> None:
        self.shared = strings
        self.strings: set[str] = set()  # labels and the strings of docs made by to_doc
        self.words: list[str] = []  # a row per token of every doc: its word, and two columns
        self.iob: list[int] = []
        self.ent_type: list[int] = []
        self.spaces: list[bool] = []
        self.lengths: list[int] = []
        self.rest: list[bytes | None] = []  # the whole rows of docs made by to_doc
        self.user_data: list[bytes] = []
        self.span_groups: list[bytes] = []
        self.cats: list[dict[str, float]] = []
        self.flags: list[dict[str, bool]] = []

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, task: Task, annotation: Annotation) -> None:
        texts, starts, ends, _, ws = zip(*task.tokens, strict=True) if task.tokens else ((),) * 5
        ents = sorted((s for s in annotation.spans if s.layer == ENTS), key=_START)
        n = len(texts)
        fits = (
            len(ents) == len(annotation.spans)
            and "".join(itertools.chain.from_iterable(zip(texts, map(_SPACE.__getitem__, ws), strict=True)))
            == task.text
        )
        # Each entity on its own tokens, after the last token of the one before (a loop, not
        # generators: a tenth of this method's time went into making them).
        after = -1
        for s in ents if fits else ():
            a, b = s.token_start, s.token_end
            if not (after < a <= b < n) or starts[a] != s.start or ends[b] != s.end:
                fits = False
                break
            after = b
        if not fits:
            vocab, _ = self.shared.spacy()
            self._add_doc(to_doc(vocab, task, annotation))
            return
        iob, ent_type = [layout.OUTSIDE] * n, [0] * n
        if ents:
            ids = self.shared.ids_of(s.label for s in ents)
            for s in ents:
                a, b = s.token_start, s.token_end
                iob[a : b + 1] = [layout.BEGIN] + [layout.INSIDE] * (b - a)
                ent_type[a : b + 1] = [ids[s.label]] * (b - a + 1)
                self.strings.add(s.label)
        self.words += texts
        self.iob += iob
        self.ent_type += ent_type
        self.spaces += ws
        self.lengths.append(n)
        self.rest.append(None)
        self.user_data.append(
            self.shared.pack(user_data(task, annotation, {s.sid: s.token_start for s in ents}))
        )
        self.span_groups.append(_NO_SPAN_GROUPS)
        self.cats.append({})
        self.flags.append({"has_unknown_spaces": False})

    def _add_doc(self, doc: Any) -> None:
        """A Doc, as DocBin.add takes it (spaCy's own code, one doc at a time)."""
        _, doc_bin = self.shared.spacy()
        one = doc_bin(store_user_data=True)
        one.add(doc)
        rows = one.tokens[0]
        self.words += [t.text for t in doc]
        self.iob += rows[:, layout.ENT_IOB].tolist()
        self.ent_type += rows[:, layout.ENT_TYPE].tolist()
        self.spaces += one.spaces[0][:, 0].tolist()
        self.lengths.append(len(rows))
        self.rest.append(rows.astype("uint64").tobytes("C"))
        self.strings |= one.strings
        self.user_data += one.user_data
        self.span_groups += one.span_groups
        self.cats += one.cats
        self.flags += one.flags

    def to_bytes(self) -> bytes:
        """What DocBin.to_bytes writes for these docs. The token table is built a column at a time
        in an ``array`` of uint64 (numpy's ``tobytes`` of the same table gives the same bytes)."""
        words = set(self.words)
        ids = self.shared.ids_of(words)
        width, n = len(layout.ATTRS), len(self.words)
        table = array("Q", _ZERO) * (width * n)
        table[layout.ORTH :: width] = array("Q", map(ids.__getitem__, self.words))
        table[layout.ENT_IOB :: width] = array("Q", self.iob)
        table[layout.ENT_TYPE :: width] = array("Q", self.ent_type)
        at = 0
        for length, rows in zip(self.lengths, self.rest, strict=True):
            if rows is not None:  # a doc made by to_doc: its rows as spaCy made them
                table[at * width : (at + length) * width] = array("Q", rows)
            elif length:
                table[at * width + layout.SENT_START] = 1
            at += length
        msg = {
            "version": layout.VERSION,
            "attrs": list(layout.ATTRS),
            "tokens": memoryview(table),  # packed as bytes (msgpack bin), without a copy
            "spaces": bytes(map(bool, self.spaces)),
            "lengths": array("i", self.lengths).tobytes(),
            # every token's tag, lemma, norm, ... is the empty string, which DocBin lists too
            "strings": sorted(words | self.strings | ({""} if words else set())),
            "cats": self.cats,
            "flags": self.flags,
            "span_groups": self.span_groups,
            "user_data": self.user_data,
        }
        # spaCy's reader takes any zlib stream (zlib.decompress); ISA-L's fastest level writes one
        # in a quarter of zlib's level 1 (which was an eighth of the export's time), a tenth
        # smaller, and zlib's default level took three times level 1 for a file a fifth smaller.
        return isal_zlib.compress(self.shared.pack(msg), 1)


_ZERO = (0,)


@contextlib.contextmanager
def _encoders_read_once() -> Iterator[None]:
    """spaCy writes each Doc's user_data with srsly, whose msgpack Packer looks for encoders
    among every installed package's entry points each time one is made: 60% of a spaCy export
    that went through Docs. They do not change while the export runs, so they are looked up once,
    for all of it."""
    import srsly

    registry = srsly.msgpack.msgpack_encoders
    found = registry.get_all()
    setattr(registry, "get_all", lambda: found)  # noqa: B010 - shadows the method on this object only
    try:
        yield
    finally:
        delattr(registry, "get_all")


def _replaceable(path: Path) -> None:
    """An earlier export in chunks (a folder of nothing but part-*.spacy files) is removed, so that
    this one replaces it; any other folder is refused rather than touched."""
    if not path.is_dir() or path.is_symlink():
        return
    inside = list(path.iterdir())
    if not inside or any(
        not (p.is_file() and p.name.startswith("part-") and p.suffix == ".spacy") for p in inside
    ):
        raise AnnotatorError(f"{path} is a folder that is not a spaCy export of this tool; not replaced")
    for part in inside:
        part.unlink()
    path.rmdir()


def _json(value: Any) -> Any:
    """msgpack gives arrays back as tuples; meta and extra hold JSON, where they are lists."""
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    return value


def _json_mapping(info: Mapping[str, Any], key: str, warnings: list[str]) -> dict[str, Any]:
    """``info[key]`` as a JSON object, or {} (said) when it holds what JSON cannot: bytes, keys
    that are not strings, numbers beyond 64 bits, nesting deeper than the writers go."""
    value = info.get(key)
    if not isinstance(value, Mapping):
        return {}
    try:
        plain = _json(value)
        orjson.dumps(plain)
    except (TypeError, RecursionError, orjson.JSONEncodeError) as exc:
        warnings.append(f"its {key} holds what JSON cannot ({exc}); imported without it")
        return {}
    return dict(plain)


def _relations(rel: Any, sid_at: Mapping[int, int]) -> list[Relation]:
    """``doc._.rel`` as relations: ``{(head start, child start): {label: score}}``, the labels
    scored 0.5 or more (the tutorial stores 0.0 for every pair that is not related)."""
    relations: list[Relation] = []
    if not isinstance(rel, Mapping):
        return relations
    for key, labels in rel.items():
        if not (isinstance(key, tuple | list) and len(key) == 2) or not isinstance(labels, Mapping):
            raise InvalidAnnotation(f"doc._.rel key {key!r} is not (head start, child start)")
        ends = [sid_at.get(k) if isinstance(k, int) else None for k in key]
        if ends[0] is None or ends[1] is None:
            raise InvalidAnnotation(f"doc._.rel {tuple(key)} does not start at two of the Doc's entities")
        for label, score in labels.items():
            if not isinstance(score, int | float) or not isinstance(label, str | int):
                raise InvalidAnnotation(
                    f"doc._.rel {tuple(key)}: {label!r}: {score!r} is not a label and a score"
                )
            if score >= 0.5:
                relations.append(Relation(ends[0], ends[1], str(label)))
    return relations


def _group_spans(doc: Any, first_sid: int, warnings: list[str]) -> tuple[Span, ...]:
    """The spans of every ``doc.spans[key]``, in the groups' order; a span a group lists twice (the
    same tokens and label) is kept once and said, one without a label is left out and said."""
    out: list[Span] = []
    for key, group in doc.spans.items():
        if not isinstance(key, str) or not key or not key.isprintable() or key.strip() != key or key == ENTS:
            raise InvalidAnnotation(f"doc.spans key {key!r} cannot name a span group")
        seen: set[tuple[int, int, str]] = set()
        for g in group:
            place = (g.start_char, g.end_char, g.label_)
            if not g.label_:
                warnings.append(f"doc.spans[{key!r}] [{g.start_char}:{g.end_char}] has no label; left out")
            elif place in seen:
                warnings.append(
                    f"doc.spans[{key!r}] [{g.start_char}:{g.end_char}] {g.label_} is listed twice; kept once"
                )
            else:
                seen.add(place)
                out.append(
                    Span(
                        g.start_char,
                        g.end_char,
                        g.start,
                        g.end - 1,
                        g.label_,
                        None,
                        first_sid + len(out),
                        key,
                    )
                )
    return tuple(out)


def _span_relations(raw: Any, spans: Iterable[Span]) -> list[Relation]:
    """The relations with an argument in a span group, from ``user_data`` (see the module doc)."""
    if raw is None:
        return []
    at = {(s.start, s.end, s.layer, s.label): s.sid for s in spans}
    out = []
    for item in raw if isinstance(raw, list | tuple) else [raw]:
        try:
            head, child, label = item
            ends = [at.get((int(a[0]), int(a[1]), str(a[2]), str(a[3]))) for a in (head, child)]
        except (TypeError, ValueError, IndexError) as exc:
            raise InvalidAnnotation(
                f"span_relations item {item!r} is not [head, child, label] ({exc})"
            ) from exc
        if ends[0] is None or ends[1] is None or not isinstance(label, str):
            raise InvalidAnnotation(f"span_relations item {item!r} does not join two of the Doc's spans")
        out.append(Relation(ends[0], ends[1], label))
    return out


def from_doc(doc: Any, warnings: list[str] | None = None) -> Item:
    said: list[str] = [] if warnings is None else warnings
    text = doc.text
    tokens = tuple(Token(t.text, t.idx, t.idx + len(t.text), t.i, bool(t.whitespace_)) for t in doc)
    validate_tokens(text, tokens)
    found = doc.user_data.get(INFO_KEY)
    info: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    meta, extra = _json_mapping(info, "meta", said), _json_mapping(info, "extra", said)
    task = Task(text, tokens, record_hash(info, text, meta, warnings=said, key="input_hash"), meta, extra)
    spans = tuple(
        Span(e.start_char, e.end_char, e.start, e.end - 1, e.label_, None, i + 1)
        for i, e in enumerate(doc.ents)
    )
    relations = _relations(doc.user_data.get(REL_KEY), {s.token_start: s.sid for s in spans})
    spans += _group_spans(doc, len(spans) + 1, said)
    relations += _span_relations(info.get("span_relations"), spans)
    answer = info.get("answer")

    def text_or_none(key: str) -> str | None:
        value = info.get(key)
        return value if isinstance(value, str) else None

    timestamp = info.get("timestamp")
    annotation = Annotation(
        spans,
        tuple(relations),
        answer if isinstance(answer, str) and answer in ANSWERS else None,
        text_or_none("annotator"),
        text_or_none("session"),
        timestamp if isinstance(timestamp, int) and timestamp in INT64 else None,
    )
    validate_annotation(task, annotation)
    return task, annotation


def files(path: Path) -> list[Path]:
    path = Path(path)
    return sorted(path.rglob("*.spacy")) if path.is_dir() else [path]


# A DocBin is zlib-compressed msgpack. Real ones inflate by well under 20 times; a zip bomb by up
# to 1,000. Refusing more than MAX_RATIO times the file's size (and at least MIN_LIMIT) stops a
# 1 MB bomb at 100 MB instead of letting it take gigabytes.
MAX_RATIO = 100
MIN_LIMIT = 64 * 1024 * 1024
INFLATE_STEP = 1024 * 1024  # bytes inflated at a time while checking the size


def check_inflated_size(data: bytes, limit: int) -> None:
    """ValueError when ``data`` is not zlib data or inflates beyond ``limit`` bytes. Inflated a
    megabyte at a time and thrown away, so a bomb costs no memory."""
    inflater = zlib.decompressobj()
    size = 0
    pending = data
    try:
        while pending or not inflater.eof:
            chunk = inflater.decompress(pending, INFLATE_STEP)
            size += len(chunk)
            if size > limit:
                raise ValueError(
                    f"it decompresses to more than {limit // 2**20} MB, over {MAX_RATIO} times its "
                    "size; refused (a real DocBin inflates far less: this looks like a zip bomb)"
                )
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break
    except zlib.error as exc:
        raise ValueError(f"not zlib-compressed ({exc})") from exc
    if not inflater.eof:
        raise ValueError("the compressed data ends early (a truncated file?)")


def _load(file: Path) -> Any:
    """The DocBin in ``file``; ValueError, KeyError, TypeError or msgpack's errors when it is not one."""
    from spacy.tokens import DocBin

    data = file.read_bytes()
    check_inflated_size(data, max(MIN_LIMIT, MAX_RATIO * len(data)))
    return DocBin().from_bytes(data)


def _docs(docbin: Any, vocab: Any, source: str, problems: Problems) -> Iterator[Any]:
    """Each Doc of a DocBin, as ``DocBin.get_docs`` builds it, but one at a time: a bad Doc (a string
    missing from the table, a malformed array, user data that is not msgpack) is reported and the
    next one is read (spaCy's generator would stop at the first)."""
    import srsly
    from spacy.attrs import ORTH
    from spacy.tokens import Doc

    try:
        for string in docbin.strings:
            vocab[string]
        orth = docbin.attrs.index(ORTH)
    except Exception as exc:  # a string table or attribute list spaCy cannot take: the whole file
        problems.report(source, None, f"not a spaCy DocBin file ({type(exc).__name__}: {exc})")
        return

    def one(i: int) -> Any:
        tokens, spaces = docbin.tokens[i], docbin.spaces[i]
        doc = Doc(
            vocab, words=tokens[:, orth], spaces=None if docbin.flags[i].get("has_unknown_spaces") else spaces
        )
        doc = doc.from_array(docbin.attrs, tokens)
        doc.cats = docbin.cats[i]
        if docbin.span_groups[i]:
            doc.spans.from_bytes(docbin.span_groups[i])
        if i < len(docbin.user_data) and docbin.user_data[i] is not None:
            doc.user_data.update(srsly.msgpack_loads(docbin.user_data[i], use_list=False))
        return doc

    for i in range(len(docbin.tokens)):
        try:
            doc = one(i)
        except Exception as exc:  # a missing string, a malformed array, bad msgpack: spaCy raises any kind
            problems.report(source, None, f"doc {i + 1} cannot be read ({type(exc).__name__}: {exc})")
            continue
        yield i + 1, doc


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    vocab = _vocab()
    found = files(Path(path))
    if not found:
        problems.report(str(path), None, "no .spacy files in this folder")
    for file in found:
        source = str(file)
        try:
            docbin = _load(file)
        except OSError as exc:
            problems.report(source, None, f"cannot read the file ({exc.strerror or exc})")
            continue
        except Exception as exc:  # spaCy and msgpack raise ValueError, KeyError, TypeError, ...
            problems.report(source, None, f"not a spaCy DocBin file ({type(exc).__name__}: {exc})")
            continue
        for n, doc in _docs(docbin, vocab, source, problems):
            item = problems.attempt(source, None, _from_doc, doc, n, source, problems, default=None)
            if item is not None:
                yield item


def _from_doc(doc: Any, n: int, source: str, problems: Problems) -> Item:
    warnings: list[str] = []
    try:
        item = from_doc(doc, warnings)
    except InvalidAnnotation as exc:
        raise InvalidAnnotation(f"doc {n}: {exc}") from exc
    for w in warnings:
        problems.warn(source, None, f"doc {n}: {w}")
    return item


def users(path: Path) -> set[str | None]:
    """The annotators named in the Docs' ``user_data`` (a DocBin of several people's work)."""
    vocab = _vocab()
    found: set[str | None] = set()
    for file in files(Path(path)):
        try:
            docbin = _load(file)
        except Exception:  # said when the file is read
            continue
        for _, doc in _docs(docbin, vocab, str(file), Problems()):
            info = doc.user_data.get(INFO_KEY)
            who = info.get("annotator") if isinstance(info, Mapping) else None
            found.add(who if isinstance(who, str) else None)
    return found
