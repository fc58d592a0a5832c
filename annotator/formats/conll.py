"""CoNLL-style NER columns: a token and its BIO tag per line, a blank line between sentences, and
``-DOCSTART- -X- O O`` before each document (the delimiter ``spacy convert`` splits documents on).

Written: ``TOKEN TAG`` (IOB2: ``B-`` begins every entity). A task's sentences end at line breaks
of its text that no span crosses; whitespace tokens are not written. What cannot be written is an
error naming the task, never a malformed file: overlapping spans, a token with whitespace inside,
a span made only of whitespace, a label with whitespace.

Read: the first column is the token and the last the tag (as spaCy reads it); ``B-``/``I-`` (also
IOB1, where ``I-`` may begin an entity), ``E-``/``L-`` and ``S-``/``U-`` prefixes. The file does not
hold the text's spacing, so the text is rebuilt: tokens joined by one space, sentences by a line
break (a ``"\\n"`` token, as spaCy's tokenizer makes). Every offset is exact for the rebuilt text.
A document (or, in a file without ``-DOCSTART-``, a sentence) is a record: a bad line makes its
record bad, reported at that line; the other records go on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import ENTS, Annotation, Task, Token
from annotator.formats.assemble import Place, RawSpan, build
from annotator.formats.atomic import atomic_binary
from annotator.formats.base import Counts, Item, describe
from annotator.formats.problems import Problems

DOCSTART = "-DOCSTART- -X- O O"
IOB1_NOTE = "entities that begin with I- (IOB1 style), read as beginnings"


WHITESPACE_SPANS = "spans made only of whitespace (CoNLL writes no whitespace token)"


def sentences(
    task: Task, annotation: Annotation, counts: Counts | None = None
) -> list[list[tuple[str, str]]]:
    """The task as CoNLL sentences of (token, tag). A span made only of whitespace is left out
    (counted in ``counts``); AnnotatorError for what CoNLL cannot hold at all."""
    spans = sorted(annotation.spans, key=lambda s: (s.start, s.end))
    for a, b in itertools.pairwise(spans):
        if b.start < a.end:
            raise AnnotatorError(
                f"{describe(task)}: spans [{a.start}:{a.end}] {a.label} and [{b.start}:{b.end}] {b.label} "
                "overlap, and CoNLL has one tag per token"
            )
    tags = ["O"] * len(task.tokens)
    inside = [False] * len(task.tokens)  # a span continues after this token
    for s in spans:
        if any(c.isspace() for c in s.label):
            raise AnnotatorError(f"{describe(task)}: label {s.label!r} holds whitespace")
        written = [i for i in range(s.token_start, s.token_end + 1) if not task.tokens[i].text.isspace()]
        if not written:
            if counts is not None:
                counts.leave_out(WHITESPACE_SPANS)
                counts.said.append(
                    f"{describe(task)}: span [{s.start}:{s.end}] {s.label} is only whitespace; left out"
                )
            continue
        for k, i in enumerate(written):
            tags[i] = ("B-" if k == 0 else "I-") + s.label
        for i in range(s.token_start, s.token_end):
            inside[i] = True
    text = task.text
    words = [t.text for t in task.tokens]
    joined = "".join(words)
    if "\n" not in text and joined.split() == [joined]:
        # No line break and no whitespace in any token (most tasks): one sentence of every token,
        # without looking at each token's text (a third of a CoNLL export's time).
        return [list(zip(words, tags, strict=True))]
    out: list[list[tuple[str, str]]] = [[]]
    for i, tok in enumerate(task.tokens):
        if tok.text.isspace():
            if "\n" in tok.text and not inside[i] and not (i > 0 and inside[i - 1]) and out[-1]:
                out.append([])
            continue
        if any(c.isspace() for c in tok.text):
            raise AnnotatorError(
                f"{describe(task)}: token {i} {tok.text!r} holds whitespace, which CoNLL cannot hold"
            )
        out[-1].append((tok.text, tags[i]))
        nxt = task.tokens[i + 1].start if i + 1 < len(task.tokens) else len(text)
        if "\n" in text[tok.end : nxt] and not inside[i] and out[-1]:
            out.append([])
    return [s for s in out if s]


GROUP_SPANS = "spans in span groups (conll holds the entity layer only)"


def entity_layer(annotation: Annotation, counts: Counts) -> Annotation:
    """The annotation's entity layer: CoNLL has one tag a token, so the spans of span groups (which
    overlap) are left out, counted. Relations stay, for the export to count as left out (CoNLL holds
    none)."""
    group = {s.sid for s in annotation.spans if s.layer != ENTS}
    if not group:
        return annotation
    counts.leave_out(GROUP_SPANS, len(group))
    return replace(annotation, spans=tuple(s for s in annotation.spans if s.sid not in group))


def write(path: Path, items: Iterable[Item]) -> Counts:
    """Every task CoNLL can hold; one it cannot (a token or label with whitespace inside) is left
    out and said, and the others are written."""
    counts = Counts(paths=[Path(path)])
    with atomic_binary(Path(path)) as handle:
        for task, full in items:
            annotation = entity_layer(full, counts)
            try:
                written = sentences(task, annotation, counts)
            except AnnotatorError as exc:
                counts.leave_out("tasks CoNLL cannot hold")
                counts.said.append(str(exc) + "; left out")
                counts.failed += 1
                continue
            chunks = [DOCSTART, ""]
            for sent in written:
                chunks += [f"{word} {tag}" for word, tag in sent]
                chunks.append("")
            handle.write(("\n".join(chunks) + "\n").encode("utf-8"))
            counts.add(annotation)
            counts.spans -= sum(1 for s in annotation.spans if not task.text[s.start : s.end].strip())
    return counts


@dataclass
class _Record:
    line: int  # first line, for messages
    sentences: list[list[tuple[str, str, int]]] = field(default_factory=lambda: [[]])  # word, tag, line
    bad: tuple[int, str] | None = None

    def empty(self) -> bool:
        return not any(self.sentences)


def _tag_error(tag: str) -> str | None:
    prefix, sep, label = tag.partition("-")
    if tag == "O" or (sep and label and prefix in {"B", "I", "E", "L", "S", "U"}):
        return None
    return f"tag {tag!r} is not O or B-/I-/E-/S- (or L-/U-) plus a label"


def _entities(tags: list[str]) -> tuple[list[tuple[str, int, int]], int]:
    """(label, first, last) token ranges from well-formed tags, and how many began with I- (IOB1)."""
    out: list[tuple[str, int, int]] = []
    open_: tuple[str, int] | None = None
    iob1 = 0

    def close(last: int) -> None:
        nonlocal open_
        if open_ is not None:
            out.append((open_[0], open_[1], last))
            open_ = None

    for i, tag in enumerate(tags):
        if tag == "O":
            close(i - 1)
            continue
        prefix, _, label = tag.partition("-")
        if prefix in {"B", "S", "U"} or open_ is None or open_[0] != label:
            if prefix in {"I", "E", "L"}:
                iob1 += 1
            close(i - 1)
            open_ = (label, i)
        if prefix in {"E", "L", "S", "U"}:
            close(i)
    close(len(tags) - 1)
    return out, iob1


def _task(record: _Record, source: str, problems: Problems) -> Item | None:
    text_parts: list[str] = []
    tokens: list[Token] = []
    spans: list[RawSpan] = []
    pos = 0
    try:
        for n, sent in enumerate(s for s in record.sentences if s):
            if n:
                tokens.append(Token("\n", pos, pos + 1, len(tokens), False))
                text_parts.append("\n")
                pos += 1
            first = len(tokens)
            for k, (word, _, _) in enumerate(sent):
                last = k == len(sent) - 1
                tokens.append(Token(word, pos, pos + len(word), len(tokens), not last))
                text_parts.append(word if last else word + " ")
                pos += len(word) + (0 if last else 1)
            ents, iob1 = _entities([tag for _, tag, _ in sent])
            problems.note(IOB1_NOTE, iob1)
            spans += [RawSpan(tokens[first + a].start, tokens[first + b].end, label) for label, a, b in ents]
        text = "".join(text_parts)
        place = Place(problems, source, record.line)
        built = build(
            text,
            spans,
            tokens=tokens,
            place=place,
            meta={"source": Path(source).name},
            ihash=input_hash(text),
        )
    except InvalidAnnotation as exc:
        problems.report(source, record.line, str(exc))
        return None
    return built.task, built.annotation


def _decoded(path: Path, source: str, problems: Problems) -> list[tuple[int, str | None, str]] | None:
    """(line number, text, why it is not text) for each line of the file: UTF-8, or UTF-16 when it
    begins with that byte-order mark. A line that is not UTF-8 has text None, and costs only its
    record. None when the file cannot be read at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.report(source, None, f"cannot read the file ({exc.strerror or exc})")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            problems.report(source, None, f"not UTF-16 text, though it begins like it ({exc.reason})")
            return None
        problems.note("CoNLL files in UTF-16, read as such")
        return [(n, line, "") for n, line in enumerate(text.split("\n"), 1)]
    out: list[tuple[int, str | None, str]] = []
    for n, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):
        try:
            out.append((n, raw.decode("utf-8"), ""))
        except UnicodeDecodeError as exc:
            out.append((n, None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"))
    return out


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    source = str(path)
    lines = _decoded(Path(path), source, problems)
    if lines is None:
        return
    by_document = any(line is not None and line.startswith("-DOCSTART-") for _, line, _ in lines)
    record = _Record(1)

    def finish(rec: _Record) -> Iterator[Item]:
        if rec.bad is not None:
            problems.report(source, rec.bad[0], rec.bad[1])
        elif not rec.empty():
            item = problems.attempt(source, rec.line, _task, rec, source, problems, default=None)
            if item is not None:
                yield item

    for lineno, text, not_text in lines:
        if text is None:
            if record.bad is None:
                record.bad = (lineno, not_text)
            record.sentences[-1].append(("", "O", lineno))  # the record is bad; this keeps it open
            continue
        line = text.rstrip("\r")
        fields = line.split()
        if fields and fields[0] == "-DOCSTART-":
            yield from finish(record)
            record = _Record(lineno + 1)
            continue
        if not fields:
            if record.sentences[-1]:
                if by_document:
                    record.sentences.append([])
                else:
                    yield from finish(record)
                    record = _Record(lineno + 1)
            elif record.empty():
                record.line = lineno + 1
            continue
        if len(fields) < 2:
            if record.bad is None:
                record.bad = (lineno, f"expected 'TOKEN ... TAG', found {line!r}")
            continue
        wrong = _tag_error(fields[-1])
        if wrong is not None and record.bad is None:
            record.bad = (lineno, wrong)
        record.sentences[-1].append((fields[0], fields[-1], lineno))
    yield from finish(record)
