"""Reading what there is to annotate, as a stream: a ``.txt`` file (one document), a folder of
``.txt`` files (one document each), or a ``.jsonl`` of tasks.

Nothing here reads a whole corpus to yield its first item: folders are read file by file and JSONL
line by line. A bad record is appended to ``problems`` with its file, line and reason, and the
good ones go on. spaCy is not imported here: items that need the model's tokens say so (``kind``)
and ``nlp/`` finishes them.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Any, Literal

from annotator.core import gcpause
from annotator.core.errors import AnnotatorError, BadRecord, InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task, Token
from annotator.core.pieces import MAX_TASK_CHARS, cut_points, pieces
from annotator.core.records import (
    KNOWN_KEYS,
    from_record,
    record_hash,
    record_start,
    token_dict,
    tokens_from_record,
)
from annotator.formats.jsontext import RecordError, records

SUFFIXES = (".txt", ".jsonl")
# Below this size a JSONL file's tasks are counted up front for "task i of N" (a newline count runs
# at hundreds of MB/s, so this costs well under a second); above it the total is unknown.
COUNT_LIMIT_BYTES = 64 * 1024 * 1024

ItemKind = Literal["ready", "tokens", "spans", "text"]
# A first record of this many tokens or more is not read whole before the screen opens: reading
# and checking a document of 500,000 tokens took a second, so its start (the first GLIMPSE_TOKENS
# tokens, more than a screen holds) is drawn read-only while the feed reads the rest. Its problems,
# if it has any, are said on that screen (with its file and line) instead of before it.
GLIMPSE_FROM = 50_000
GLIMPSE_TOKENS = 5_000


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SourceItem:
    """One document to annotate and where it came from.

    kind: ``ready``  tokens and a starting annotation were given (``task`` + ``annotation``);
          ``tokens`` tokens were given, the model suggests on them (``task``);
          ``spans``  spans/relations were given without tokens: they are kept if they fall on the
                     model's tokens (``record``, finished by ``with_tokens``);
          ``text``   plain text for the model to tokenize and pre-annotate.
    """

    text: str
    meta: Mapping[str, Any]
    input_hash: int
    source: str
    line: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    task: Task | None = None
    annotation: Annotation | None = None
    record: Mapping[str, Any] | None = None
    # A JSONL record whose tokens (and spans) are read only when ``prepared`` is asked for: a
    # restarted annotate skips the tasks stored already, and reading the tokens of a million of
    # them again took minutes of the feed's time, beside the screen.
    unread: Mapping[str, Any] | None = None

    def prepared(self) -> SourceItem:
        """The item with its tokens and spans read (itself when they were); InvalidAnnotation says
        what is wrong with them."""
        if self.unread is None:
            return self
        return _item_from_record(self.unread, self.source, self.line or 0, None)

    @property
    def long(self) -> bool:
        """A record not read yet with GLIMPSE_FROM tokens or more: its start can be drawn first."""
        tokens = self.unread.get("tokens") if self.unread is not None else None
        return isinstance(tokens, list) and len(tokens) >= GLIMPSE_FROM

    def glimpse(self) -> tuple[Task, Annotation] | None:
        """The start of a record not read yet (its first GLIMPSE_TOKENS tokens with the spans on
        them), or None (see ``record_start``)."""
        return record_start(self.unread, GLIMPSE_TOKENS) if self.unread is not None else None

    @property
    def kind(self) -> ItemKind:
        if self.unread is not None:
            return "tokens"  # given tokens, read later: never cut into parts like a plain text
        if self.annotation is not None:
            return "ready"
        if self.task is not None:
            return "tokens"
        if self.record is not None:
            return "spans"
        return "text"

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    def bad(self, reason: str) -> BadRecord:
        return BadRecord(self.source, self.line, reason)

    def with_tokens(self, tokens: Sequence[Token]) -> tuple[Task, Annotation]:
        """The given spans and relations on these tokens; BadRecord when one does not align."""
        if self.record is None:
            raise ValueError("with_tokens is for items whose spans wait for tokens")
        record = dict(self.record)
        record["tokens"] = [token_dict(t) for t in tokens]
        record["_input_hash"] = self.input_hash
        try:
            return from_record(record)
        except InvalidAnnotation as exc:
            raise self.bad(f"{exc} (on the model's tokens)") from exc

    @classmethod
    def from_text(cls, text: str, meta: Mapping[str, Any] | None = None, source: str = "text") -> SourceItem:
        meta = dict(meta or {})
        return cls(text, meta, input_hash(text, meta), source)


STDIN = "-"


def _check_path(path: Path) -> None:
    if str(path) == STDIN:
        return
    if not path.exists():
        raise AnnotatorError(f"{path}: no such file or folder")
    if not (path.is_file() or path.is_dir() or stat.S_ISFIFO(path.stat().st_mode)):
        raise AnnotatorError(f"{path} is neither a file, a folder nor a pipe")
    if path.is_file() and path.suffix.lower() not in SUFFIXES:
        raise AnnotatorError(
            f"{path}: cannot read {path.suffix or 'files without an extension'}; give a .txt file, a "
            "folder of .txt files or a .jsonl of tasks (other formats: `annotator import --format`)"
        )


def _folder_files(folder: Path) -> list[Path]:
    # Names only: listing is cheap even for a large corpus, and sorting makes the order stable.
    files = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() == ".txt"
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.is_file()
    ]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def count_source(path: Path) -> int | None:
    """How many documents a source holds, when that is cheap to know; None otherwise."""
    _check_path(path)
    if str(path) == STDIN or not (path.is_file() or path.is_dir()):
        return None  # a pipe is read once, by the reader
    if path.is_dir():
        return sum(_txt_parts(f) for f in _folder_files(path))
    if path.suffix.lower() == ".txt":
        return _txt_parts(path)
    try:
        if path.stat().st_size > COUNT_LIMIT_BYTES:
            return None
        # Read a megabyte at a time, not a line: a long document is one line of tens of megabytes,
        # which reading as a line took a third of a second before its first screen.
        count = 0
        has_text = False  # the line the last piece ended inside holds more than whitespace
        with path.open("rb") as fh:
            while piece := fh.read(1 << 20):
                lines = piece.split(b"\n")
                for line in lines[:-1]:
                    count += has_text or (not line.isspace() and line != b"")
                    has_text = False
                has_text = has_text or (lines[-1] != b"" and not lines[-1].isspace())
        return count + has_text
    except OSError:
        return None


def read_source(
    path: Path, problems: list[BadRecord], warnings: list[str] | None = None, *, lazy: bool = False
) -> Iterator[SourceItem]:
    """Stream a source's documents. Raises AnnotatorError at once for a missing path or an
    unsupported extension; bad records go to ``problems``; repairs (a relation written twice) to
    ``warnings``. ``-`` reads tasks as JSON lines from standard input, and a pipe is read as a
    ``.jsonl`` (or as one text when its name ends in ``.txt``), once, as it comes. ``lazy``: a JSONL
    record's tokens and spans are read when the item is ``prepared`` (by then a stored task is
    passed over: its record's problems were said when it was stored)."""
    _check_path(path)
    if path.is_dir():
        files = _folder_files(path)
        if not files:
            raise AnnotatorError(f"{path}: the folder holds no .txt files")
        items: Iterator[SourceItem] = (
            item for f in files for item in _read_txt(f, f.relative_to(path).as_posix(), problems)
        )
    elif str(path) == STDIN:  # standard input: tasks as JSON lines
        items = _read_jsonl(Path("/dev/stdin"), problems, warnings, where=STDIN, lazy=lazy)
    elif path.suffix.lower() == ".txt":
        items = _read_txt(path, path.name, problems)
    else:
        items = _read_jsonl(path, problems, warnings, lazy=lazy)
    return (part for item in items for part in parts(item))


def parts(item: SourceItem, limit: int = MAX_TASK_CHARS) -> Iterator[SourceItem]:
    """A plain text longer than ``limit`` characters as several tasks, its parts, cut at paragraph
    then sentence boundaries (``core.pieces``); each part's meta says which it is (``part``, of
    ``parts``) and where it starts in the whole text (``part_start``, a character offset). Other
    items, and texts that fit, as they are."""
    if item.kind != "text" or len(item.text) <= limit:
        yield item
        return
    cut = list(pieces(item.text, limit))
    for number, (start, text) in enumerate(cut, 1):
        meta = {**item.meta, "part": number, "parts": len(cut), "part_start": start}
        # Where the part starts is part of what it is: two parts of one text with the same
        # characters (a repeated chapter) are two tasks, as the text's own two places are.
        ihash = input_hash(text, meta, ("part_start",))
        yield SourceItem(text, meta, ihash, item.source, item.line, item.extra)


def _txt_parts(path: Path) -> int:
    """How many tasks a .txt file makes; reads it only if it may be longer than one task."""
    try:
        if path.stat().st_size <= MAX_TASK_CHARS:  # UTF-8 takes at least a byte a character
            return 1
        return len(cut_points(path.read_bytes().decode("utf-8-sig"), MAX_TASK_CHARS)) - 1
    except (OSError, UnicodeDecodeError):
        return 1  # reported when it is read


def require_items(path: Path, items: Iterator[SourceItem], problems: list[BadRecord]) -> Iterator[SourceItem]:
    """``items`` unchanged, once its first item has been read; AnnotatorError with the reasons when
    there is none (an empty or binary .txt, a folder or JSONL of nothing but bad records), so that
    a command refuses the source before it opens a screen on nothing."""
    before = len(problems)
    first = next(items, None)
    while first is not None and first.unread is not None and not first.long:
        try:
            first = first.prepared()  # the first record is read whole: a bad one is said here
        except InvalidAnnotation as exc:
            problems.append(first.bad(str(exc)))
            first = next(items, None)
    if first is None:
        found = [str(p) for p in problems[before:]]
        if not found:
            raise AnnotatorError(f"{path}: nothing to annotate (no task in it)")
        if len(found) == 1 and path.is_file() and path.suffix.lower() == ".txt":
            raise AnnotatorError(f"{found[0]}; nothing to annotate")
        more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
        raise AnnotatorError(
            f"{path}: nothing to annotate, every text in it is bad: {'; '.join(found[:3])}{more}"
        )
    return chain([first], items)


def _read_txt(path: Path, name: str, problems: list[BadRecord]) -> Iterator[SourceItem]:
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(BadRecord(where, None, f"cannot read the file: {exc.strerror or exc}"))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            BadRecord(
                where,
                None,
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "convert it, e.g. `iconv -f latin1 -t utf-8`",
            )
        )
        return
    if "\x00" in text:
        # UTF-8 allows NUL, so an image or an archive can pass the decoding above; no text holds one.
        problems.append(
            BadRecord(where, None, f"a binary file, not text (a NUL byte at offset {data.index(0)})")
        )
        return
    if not text.strip():
        problems.append(
            BadRecord(where, None, "the file is empty" if not text else "the file is empty (only blanks)")
        )
        return
    yield SourceItem.from_text(text, {"source": name}, where)


def _read_jsonl(
    path: Path,
    problems: list[BadRecord],
    warnings: list[str] | None,
    where: str | None = None,
    *,
    lazy: bool = False,
) -> Iterator[SourceItem]:
    where = where or str(path)
    for rec in records(path):
        if isinstance(rec, RecordError):
            problems.append(BadRecord(where, rec.line, rec.reason))
            continue
        lineno, record = rec
        try:
            item = _item_from_record(record, where, lineno, warnings, lazy=lazy)
        except InvalidAnnotation as exc:
            problems.append(BadRecord(where, lineno, str(exc)))
            continue
        yield item


def _has_annotation(record: Mapping[str, Any]) -> bool:
    return bool(record.get("spans")) or bool(record.get("relations")) or record.get("answer") is not None


def _item_from_record(
    record: Any, where: str, line: int, warnings: list[str] | None, *, lazy: bool = False
) -> SourceItem:
    if not isinstance(record, Mapping):
        raise InvalidAnnotation("a task must be a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise InvalidAnnotation("the task has no 'text' string")
    if not text.strip():
        raise InvalidAnnotation("the task's 'text' is empty")
    meta = record.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise InvalidAnnotation("'meta' must be an object")
    meta = dict(meta)
    said: list[str] = []
    ihash = record_hash(record, text, meta, warnings=said)
    if warnings is not None:
        warnings.extend(f"{where}:{line}: {w}" for w in said)
    extra = {k: v for k, v in record.items() if k not in KNOWN_KEYS}
    base = SourceItem(text, meta, ihash, where, line, extra)
    has_tokens = record.get("tokens") is not None
    if lazy and has_tokens:
        return replace(base, unread={**record, "_input_hash": ihash})
    if has_tokens:
        raw_tokens = record["tokens"]
        with gcpause.reading(len(raw_tokens) if isinstance(raw_tokens, list) else 0):
            return _with_tokens(base, record, raw_tokens, warnings)
    if _has_annotation(record):
        spans, rels = record.get("spans") or [], record.get("relations") or []
        if not isinstance(spans, list) or not isinstance(rels, list):
            raise InvalidAnnotation("'spans' and 'relations' must be lists")
        return SourceItem(text, meta, ihash, where, line, extra, record=record)
    return base


def _with_tokens(
    base: SourceItem, record: Mapping[str, Any], raw_tokens: Any, warnings: list[str] | None
) -> SourceItem:
    if _has_annotation(record):
        said: list[str] = []
        task, annotation = from_record({**record, "_input_hash": base.input_hash}, warnings=said)
        if warnings is not None:
            warnings.extend(f"{base.source}:{base.line}: {w}" for w in said)
        return _replace_ready(base, task, annotation)
    tokens = tokens_from_record(base.text, raw_tokens)
    return _replace_ready(base, Task(base.text, tokens, base.input_hash, base.meta, base.extra), None)


def _replace_ready(base: SourceItem, task: Task, annotation: Annotation | None) -> SourceItem:
    return SourceItem(
        base.text, base.meta, task.input_hash, base.source, base.line, base.extra, task, annotation
    )
