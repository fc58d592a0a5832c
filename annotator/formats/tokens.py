"""Tokens for formats that carry none (doccano, brat, Label Studio, CoNLL rebuilt text).

Text is tokenized with spaCy's rule-based tokenizer (``spacy.blank(lang)``: no model, no weights).
An imported span is the truth and the tokenizer is not: when a span edge falls inside a token (or
on the space after one), the token is split there, so the span keeps its exact character offsets
and still falls on token boundaries. Nothing is ever moved to fit the tokenizer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.core.model import Task, Token


@lru_cache(maxsize=8)
def _tokenizer(lang: str) -> Any:
    import spacy  # deferred: most commands never tokenize, and spaCy takes a second to import

    try:
        return spacy.blank(lang).tokenizer
    except Exception as exc:  # spaCy raises ImportError or its own error for unknown languages
        raise AnnotatorError(f"spaCy has no tokenizer for language {lang!r}: {exc}") from exc


def tokenize(text: str, lang: str = "en") -> tuple[Token, ...]:
    doc = _tokenizer(lang)(text)
    return tuple(Token(t.text, t.idx, t.idx + len(t.text), i, bool(t.whitespace_)) for i, t in enumerate(doc))


@dataclass
class _Segment:
    start: int
    end: int
    is_token: bool
    ws: bool  # meaningful for tokens: followed by whitespace that is not itself a token


def split_tokens(
    text: str, tokens: Sequence[Token], starts: Iterable[int], ends: Iterable[int]
) -> tuple[tuple[Token, ...], int]:
    """Tokens on which every offset in ``starts`` begins a token and every one in ``ends`` ends one.

    Tokens are split where an edge falls inside them; uncovered whitespace (the space after a token
    with ``ws``) becomes a token when a span edge needs it to. Returns the tokens and how many
    cuts were made (0: the tokens are returned unchanged). One pass over the tokens and the sorted
    cuts, so a document with 100,000 spans splits as fast as one with ten."""
    n = len(text)
    tok_starts = {t.start for t in tokens}
    tok_ends = {t.end for t in tokens}
    cut_starts = {c for c in starts if 0 <= c < n and c not in tok_starts}
    cut_ends = {c for c in ends if 0 < c <= n and c not in tok_ends}
    if not cut_starts and not cut_ends:
        return tuple(tokens), 0

    segments: list[_Segment] = []
    pos = 0
    for t in tokens:
        if t.start > pos:
            segments.append(_Segment(pos, t.start, False, False))
        segments.append(_Segment(t.start, t.end, True, t.ws))
        pos = t.end
    if pos < n:
        segments.append(_Segment(pos, n, False, False))

    # Cut every segment at the points inside it (the pieces of a token have no space between them).
    points = sorted(cut_starts | cut_ends)
    pieces: list[_Segment] = []
    j = 0
    for seg in segments:
        while j < len(points) and points[j] <= seg.start:
            j += 1
        left = seg.start
        while j < len(points) and points[j] < seg.end:
            pieces.append(_Segment(left, points[j], seg.is_token, False))
            left = points[j]
            j += 1
        pieces.append(_Segment(left, seg.end, seg.is_token, seg.ws))

    # The piece a span starts at, or ends at, is a token (whitespace too, when a span edge is there).
    at_start = {p.start: k for k, p in enumerate(pieces)}
    at_end = {p.end: k for k, p in enumerate(pieces)}
    for k in sorted({at_start[c] for c in cut_starts} | {at_end[c] for c in cut_ends}):
        if not pieces[k].is_token:
            pieces[k].is_token, pieces[k].ws = True, False
            if k > 0:
                pieces[k - 1].ws = False

    out: list[Token] = []
    for k, seg in enumerate(pieces):
        if not seg.is_token:
            continue
        nxt = pieces[k + 1] if k + 1 < len(pieces) else None
        # A token keeps its own "followed by whitespace" unless what followed it became a token.
        ws = seg.ws and nxt is not None and not nxt.is_token
        out.append(Token(text[seg.start : seg.end], seg.start, seg.end, len(out), ws))
    return tuple(out), len(cut_starts) + len(cut_ends)


def words_and_spaces(task: Task) -> tuple[list[str], list[bool]]:
    """spaCy ``Doc(words=..., spaces=...)`` arguments whose text is exactly ``task.text``, with a
    word for every token of the task, in order, plus whitespace words for text the tokens leave
    uncovered (spaCy's own convention: one plain space after a token is its ``whitespace_``)."""
    text = task.text
    words: list[str] = []
    spaces: list[bool] = []

    def gap(g: str) -> None:
        if not g:
            return
        if words and not spaces[-1] and g[0] == " ":
            spaces[-1] = True
            g = g[1:]
        if g:
            words.append(g)
            spaces.append(False)

    pos = 0
    for t in task.tokens:
        gap(text[pos : t.start])
        words.append(t.text)
        spaces.append(False)
        pos = t.end
    gap(text[pos:])
    return words, spaces
