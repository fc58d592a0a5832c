"""JSON records from a file that may be JSON Lines, one pretty-printed object after another (as
doccano writes its relation export), or one JSON array (as Label Studio exports), each with the
line where it begins so that problems can be reported there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


class RecordError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _next_object(text: str, pos: int) -> int:
    """Where the next top-level object may start after a bad one: a line that begins with '{'."""
    found = text.find("\n{", pos)
    return len(text) if found < 0 else found + 1


def _concatenated(text: str) -> Iterator[tuple[int, Any] | RecordError]:
    pos = _skip(text, 0)
    in_array = pos < len(text) and text[pos] == "["
    if in_array:
        pos = _skip(text, pos + 1)
    while pos < len(text):
        line = text.count("\n", 0, pos) + 1
        if in_array and text[pos] == "]":
            pos = _skip(text, pos + 1)
            if pos < len(text):
                yield RecordError(text.count("\n", 0, pos) + 1, "text after the end of the JSON array")
            return
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield RecordError(exc.lineno, f"not valid JSON ({exc.msg}, column {exc.colno})")
            if in_array:
                return  # inside an array there is no telling where the next element starts
            # A truncated object may have swallowed the next ones: look again from its start.
            pos = _skip(text, _next_object(text, pos + 1))
            continue
        yield line, value
        pos = _skip(text, end)
        if in_array:
            if pos < len(text) and text[pos] == ",":
                pos = _skip(text, pos + 1)
            elif pos < len(text) and text[pos] != "]":
                yield RecordError(text.count("\n", 0, pos) + 1, "expected ',' or ']' in the JSON array")
                return


def records(path: Path) -> Iterator[tuple[int, Any] | RecordError]:
    """(line, value) for every record, or a RecordError in its place. A file whose first line is
    a JSON value is read as JSON Lines, line by line, so a bad line costs only itself."""
    with open(path, "rb") as handle:
        first = b""
        for raw in handle:
            if raw.strip():
                first = raw
                break
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        try:
            jsonl = isinstance(orjson.loads(first), dict)
        except orjson.JSONDecodeError:
            jsonl = False
        handle.seek(0)
        if jsonl:
            for lineno, raw in enumerate(handle, 1):
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    yield lineno, orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    yield RecordError(lineno, f"not valid JSON ({exc})")
            return
        data = handle.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RecordError(data.count(b"\n", 0, exc.start) + 1, f"not UTF-8 text ({exc.reason})")
        return
    yield from _concatenated(text)
