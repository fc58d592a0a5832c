"""Finding text in a task: the token sequences a typed query matches, and the next one from a token.

A match is a run of whole tokens whose text is the query, ignoring case, with any run of whitespace
in the query matching any run of whitespace (or none, between tokens written together) in the text.
"""

from __future__ import annotations

import re

from annotator.core.model import Task

Match = tuple[int, int]  # token start, token end (inclusive)


def _pattern(query: str) -> re.Pattern[str] | None:
    words = query.split()
    if not words:
        return None
    return re.compile(r"\s*".join(re.escape(w) for w in words), re.IGNORECASE)


def matches(task: Task, query: str) -> list[Match]:
    """Every token run matching ``query``, in text order (overlapping runs included)."""
    pattern = _pattern(query)
    if pattern is None or not task.tokens:
        return []
    starts = {t.start: t.id for t in task.tokens}
    ends = {t.end: t.id for t in task.tokens}
    out: list[Match] = []
    pos = 0
    text = task.text
    while True:
        found = pattern.search(text, pos)
        if found is None:
            break
        first, last = starts.get(found.start()), ends.get(found.end())
        if first is not None and last is not None and first <= last:
            out.append((first, last))
        pos = found.start() + 1
    return out


def next_match(found: list[Match], cursor: int, forward: bool = True) -> Match | None:
    """The first match starting after token ``cursor`` (before it, backwards), wrapping around."""
    if not found:
        return None
    if forward:
        return next((m for m in found if m[0] > cursor), found[0])
    return next((m for m in reversed(found) if m[0] < cursor), found[-1])
