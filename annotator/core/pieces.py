"""Cutting a long text into pieces at paragraph, then sentence boundaries.

Two limits use it. A text longer than ``MAX_TASK_CHARS`` becomes several tasks (its parts), so
that no task holds more tokens than the store, the undo log and the screen handle briskly (a
10 MB text as one task took 2 million token objects, ~700 MB to load). And the model reads any
text longer than ``PIECE_CHARS`` piece by piece: spaCy's parser and entity recognizer need memory
in proportion to the length of what they read at once (about 3 MB per 1,000 characters with
``en_core_web_sm``), so a 1,000,000-character text read whole needed 2.9 GB.

A cut falls just after the last blank line (a paragraph break) in the second half of the window,
else after the last sentence end there (``.``, ``!``, ``?`` and their kin, closing quotes or
brackets, then whitespace), else after the last line break or whitespace, else at the limit.
Pieces are contiguous: joined, they are the text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

# The longest task: about 35,000 tokens, twice the 20,000-token document the keystroke figures are
# measured on. Parts of 1,000,000 characters (spaCy's default ``nlp.max_length``) made a 10 MB text
# peak at 760 MB while annotated and showed its first part after 800 s on a loaded machine; parts of
# 200,000 characters: a 2 MB text peaked at 304 MB instead of 390 MB, its first part after 220 s.
MAX_TASK_CHARS = 200_000
# What the model reads at once: a few MB of the parser's memory, and still whole paragraphs.
PIECE_CHARS = 10_000

_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE = re.compile(r"[.!?…。！？][\"'”’»)\]]*\s+")
_LINE = re.compile(r"\n\s*")
_SPACE = re.compile(r"\s+")


def _last_end(pattern: re.Pattern[str], text: str, start: int, lo: int, hi: int) -> int | None:
    """The last end past ``lo`` of a match of ``pattern`` inside ``text[start:hi]``, if any."""
    end = None
    for match in pattern.finditer(text, start, hi):
        if match.end() > lo:
            end = match.end()
    return end


def cut_points(text: str, limit: int) -> list[int]:
    """Offsets ``[0, c1, ..., len(text)]`` such that every ``text[c_k:c_k+1]`` is at most ``limit``
    characters long (and at least one character)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    cuts = [0]
    start, n = 0, len(text)
    while n - start > limit:
        hi = start + limit
        lo = start + limit // 2  # a cut in the first half would make many small pieces
        cut = None
        for pattern in (_PARAGRAPH, _SENTENCE, _LINE, _SPACE):
            cut = _last_end(pattern, text, start, lo, hi)
            if cut is not None:
                break
        if cut is None:
            cut = hi
        cuts.append(cut)
        start = cut
    cuts.append(n)
    return cuts


def pieces(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` for each piece of ``text`` (one piece if it fits)."""
    cuts = cut_points(text, limit)
    for start, end in itertools.pairwise(cuts):
        yield start, text[start:end]
