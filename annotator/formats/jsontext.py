"""JSON records from a file, the one reader every JSON format and the ``.jsonl`` source share.

A file may be JSON Lines (one record a line), records pretty-printed one after another (as doccano
writes its relation export: each begins with ``{`` at the start of a line), or one JSON array (as
Label Studio exports). Each record comes with the line where it begins, so that problems are
reported there, and a bad record costs only itself: the next line that begins a record starts
afresh. The file is read once, front to back, without seeking, so a pipe works as well as a file,
and a JSON Lines file is read line by line (its first record comes out before the rest is read).

Values are parsed by orjson, whatever the layout, so every format refuses the same things: text
that is not UTF-8, a lone surrogate (``"\\ud800"``), ``NaN``, numbers too large for a double. A
record nested deeper than ``MAX_DEPTH`` is refused too: nothing this tool reads needs it, and
such a record could be read but not written back (orjson writes at most 254 levels). A reader
that keeps only part of a record may check that part alone (``parsed_records``): an import keeps
a record read as it comes as flat columns and rows, and its meta and unnamed keys as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

import orjson

MAX_DEPTH = 254  # levels of lists and objects: the most orjson writes
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"
_WS = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_INCOMPLETE = "unexpected end of data"
_BUFFER = 1 << 20


class RecordError(ValueError):
    def __init__(self, line: int | None, reason: str, *, incomplete: bool = False) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.incomplete = incomplete  # the JSON ended before the record did


# What the depth check keeps of a record's bytes: quotes, and brackets made round (the JSON is valid
# once orjson has parsed it, so which kind each is does not matter).
_ROUND = bytes.maketrans(b"[]{}", b"()()")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
# Every byte but the opening brackets, deleted to count those in one pass (counting each kind took
# 1.6 times the machine instructions, 5% of an import's).
_NOT_OPENING = bytes(b for b in range(256) if b not in b"[{")
_PEELS = 8  # levels of brackets taken off before the exact check decides instead
# The escapes that change which quotes end strings: one pass, and no copy when there is none (a
# long text has a \n escape a paragraph; replacing the two in turn copied its 40 MB twice).
_QUOTING_ESCAPES = re.compile(rb'\\[\\"]')


# A record's line, its value, and the bytes it was parsed from.
Parsed = tuple[int, Any, bytes]
# What the readers below give: (line, value) of a record whose depth was checked, else Parsed.
_Found = tuple[int, Any] | Parsed | RecordError


def too_deep(raw: bytes, value: Any) -> bool:
    """Whether ``raw`` (which orjson has parsed into ``value``) nests deeper than MAX_DEPTH.

    Its brackets outside strings are kept (escaped backslashes and quotes dropped, every other
    byte deleted by one ``translate``, empty strings dropped as ``""``, what is left between
    quotes dropped), then the innermost pairs are taken off a level at a time: a record of a few
    levels is empty after a few passes over a fraction of its bytes. Deeper ones are decided by
    orjson writing the value, which it refuses past MAX_DEPTH levels. All of it runs in C: writing
    a document of 500,000 tokens back took a tenth of a second of its first screen, walking it in
    Python a second."""
    if len(raw) < 1 << 16 and len(raw.translate(None, _NOT_OPENING)) <= MAX_DEPTH:
        return False
    if b"\\" in raw:  # escaped quotes and backslashes out, left to right as JSON reads them
        raw = _QUOTING_ESCAPES.sub(b"", raw)
    brackets = raw.translate(_ROUND, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets:  # brackets inside strings: every other piece is outside them
        brackets = b"".join(brackets.split(b'"')[::2])
    for _ in range(_PEELS):
        if not brackets:
            return False
        brackets = brackets.replace(b"()", b"")
    if not brackets:
        return False
    return nested_too_deep(value)


def nested_too_deep(value: Any) -> bool:
    """Whether ``value`` (parsed JSON) nests deeper than MAX_DEPTH, decided by orjson writing it,
    which it refuses past MAX_DEPTH levels (a parsed value holds nothing else it refuses): for a
    small value, cheaper than ``too_deep``'s scan. A tuple of a record's values nests as deep as
    the record."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return True
    return False


def _utf8_reason(raw: bytes) -> str | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    return None


def _parse(raw: bytes, line: int, check: bool) -> _Found:
    """One record from its bytes: (line, value), or (line, value, bytes) without ``check`` of its
    depth, or why it is not one."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        bad_utf8 = _utf8_reason(raw)
        if bad_utf8 is not None:
            return RecordError(line, bad_utf8)
        return RecordError(line, _json_reason(exc, raw), incomplete=exc.msg == _INCOMPLETE)
    if not check:
        return line, value, raw
    if too_deep(raw, value):
        return RecordError(line, TOO_DEEP)
    return line, value


def _json_reason(exc: orjson.JSONDecodeError, raw: bytes) -> str:
    if exc.msg == _INCOMPLETE:
        return "not valid JSON (the record is cut short)"
    if b"\n" not in raw.strip():
        return f"not valid JSON ({exc.msg}, column {exc.colno})"
    return f"not valid JSON ({exc.msg}, {exc.lineno - 1} line(s) further on, column {exc.colno})"


def _blank(raw: bytes) -> bool:
    # Not ``raw.strip()``: that copies the line, 40 MB for a long document's.
    return not raw or raw.isspace()


def _by_line(lines: Iterator[tuple[int, bytes]], check: bool) -> Iterator[_Found]:
    """JSON Lines, and records pretty-printed over several lines, each beginning with ``{`` at the
    start of a line."""
    pending: list[bytes] = []  # the lines of a record begun but not yet complete
    start = 0
    skipping = False  # passing over the rest of a bad multi-line record, up to the next record
    for lineno, raw in lines:
        begins = raw[:1] == b"{"
        if skipping and not begins:
            continue
        skipping = False
        if pending and begins:
            end = len(pending[-1].rstrip(_WS)) + 1
            at = f"column {end}" if len(pending) == 1 else f"line {start + len(pending) - 1}, column {end}"
            yield RecordError(
                start, f"not valid JSON (cut short at {at}; another record begins at line {lineno})"
            )
            pending = []
        if not pending:
            if _blank(raw):
                continue
            found = _parse(raw, lineno, check)
            if isinstance(found, RecordError) and found.incomplete:
                pending, start = [raw], lineno
            else:
                yield found
            continue
        pending.append(raw)
        if not raw.rstrip().endswith((b"}", b"]")):
            continue  # a record can only end on a closing bracket: no need to parse yet
        found = _parse(b"".join(pending), start, check)
        if isinstance(found, RecordError) and found.incomplete:
            continue
        skipping = isinstance(found, RecordError)
        pending = []
        yield found
    if pending:
        yield RecordError(start, "not valid JSON (the file ends inside this record)")


# Inside an array: a whole string (escapes and all), or a bracket or comma outside strings.
_ARRAY_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def _element_end(text: str, pos: int) -> int:
    """Where the array element beginning at ``pos`` ends: the comma or closing bracket after it at
    its own depth (the end of the text when there is none). Brackets are counted, not recursed
    into, so no nesting is too deep to pass over."""
    depth = 0
    for m in _ARRAY_TOKENS.finditer(text, pos):
        token = m.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            if depth == 0:
                return m.start()
            depth -= 1
        elif token == "," and depth == 0:
            return m.start()
    return len(text)


def _array(data: bytes, first_line: int, check: bool) -> Iterator[_Found]:
    """The elements of one JSON array, each found by ``_element_end`` and parsed by orjson: a bad
    element costs only itself."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = data.count(b"\n", 0, exc.start) + first_line
        yield RecordError(where, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")
        return

    def line_at(pos: int) -> int:
        return text.count("\n", 0, pos) + first_line

    pos = _skip(text, text.index("[") + 1)
    while pos < len(text):
        if text[pos] == "]":
            pos = _skip(text, pos + 1)
            if pos < len(text):
                yield RecordError(line_at(pos), "text after the end of the JSON array")
            return
        end = _element_end(text, pos)
        yield _parse(text[pos:end].encode("utf-8"), line_at(pos), check)
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
    yield RecordError(line_at(len(text)), "the file ends inside the JSON array")


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def records(path: Path) -> Iterator[tuple[int, Any] | RecordError]:
    """(line, value) for every record of ``path``, or a RecordError in its place (line None when
    the file cannot be read at all)."""
    return cast(Iterator[tuple[int, Any] | RecordError], _read(path, check=True))


def parsed_records(path: Path) -> Iterator[Parsed | RecordError]:
    """``records`` with the bytes of each record, and no record refused for its depth: the reader
    checks what it keeps of each (``nested_too_deep``), or the whole (``too_deep``)."""
    return cast(Iterator[Parsed | RecordError], _read(path, check=False))


def _read(path: Path, check: bool) -> Iterator[_Found]:
    try:
        # A megabyte of buffer: a long document is one line of tens of megabytes, read in 8 KB
        # pieces by default (a quarter slower).
        handle = open(path, "rb", buffering=_BUFFER)  # noqa: SIM115 - closed below; errors become records
    except OSError as exc:
        yield RecordError(None, f"cannot read the file ({exc.strerror or exc})")
        return
    with handle:
        # Numbered and chained in C: two generators of ours between the file and _by_line were 4%
        # of agreement a.jsonl b.jsonl.
        lines = enumerate(handle, 1)
        try:
            for lineno, raw in lines:
                if lineno == 1:
                    raw = raw.removeprefix(_BOM)
                if _blank(raw):
                    continue
                if raw.lstrip(_WS)[:1] == b"[":
                    yield from _array(raw + handle.read(), lineno, check)
                else:
                    yield from _by_line(chain(((lineno, raw),), lines), check)
                return
        except OSError as exc:
            yield RecordError(None, f"cannot read the file ({exc.strerror or exc})")


def record_at(handle: IO[bytes], line: int) -> tuple[int, Any] | RecordError:
    """The record that begins where ``handle`` stands, at line ``line`` of a file of records (JSON
    Lines, or records pretty-printed one after another): how a record read once is found again.
    Its depth is not checked again: its first reading did."""
    for found in _by_line(enumerate(handle, line), check=False):
        return found if isinstance(found, RecordError) else (found[0], found[1])
    return RecordError(line, "the file ends before the record")
