"""Tokens for formats that carry none (doccano, brat, Label Studio, CoNLL rebuilt text).

Text is tokenized with spaCy's rule-based tokenizer (``spacy.blank(lang)``: no model, no weights).
An imported span is the truth and the tokenizer is not: when a span edge falls inside a token (or
on the space after one), the token is split there, so the span keeps its exact character offsets
and still falls on token boundaries. Nothing is ever moved to fit the tokenizer.
"""

from __future__ import annotations

import bisect
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
    cuts were made (0: the tokens are returned unchanged)."""
    tok_starts = {t.start for t in tokens}
    tok_ends = {t.end for t in tokens}
    need = [(c, True) for c in set(starts) if c not in tok_starts]
    need += [(c, False) for c in set(ends) if c not in tok_ends]
    if not need:
        return tuple(tokens), 0

    segments: list[_Segment] = []
    pos = 0
    for t in tokens:
        if t.start > pos:
            segments.append(_Segment(pos, t.start, False, False))
        segments.append(_Segment(t.start, t.end, True, t.ws))
        pos = t.end
    if pos < len(text):
        segments.append(_Segment(pos, len(text), False, False))

    cuts = 0
    for c, is_start in sorted(need):
        seg_starts = [s.start for s in segments]
        i = bisect.bisect_right(seg_starts, c) - 1  # the segment holding offset c (or ending at it)
        if is_start:
            if i < 0 or i >= len(segments) or c >= segments[i].end:
                continue  # offset at the end of the text: nothing can start there; caller rejects
            seg = segments[i]
            if seg.start < c:
                right = _Segment(c, seg.end, seg.is_token, seg.ws)
                seg.end, seg.ws = c, False
                segments.insert(i + 1, right)
                i += 1
            if not segments[i].is_token:
                segments[i].is_token = True
                segments[i].ws = False
                if i > 0:
                    segments[i - 1].ws = False
            cuts += 1
        else:
            if c <= 0:
                continue
            i = bisect.bisect_left(seg_starts, c) - 1  # the segment holding offset c - 1
            seg = segments[i]
            if c < seg.end:
                right = _Segment(c, seg.end, seg.is_token, seg.ws)
                seg.end, seg.ws = c, False
                segments.insert(i + 1, right)
            if not seg.is_token:
                seg.is_token = True
                seg.ws = False
                if i > 0:
                    segments[i - 1].ws = False
            cuts += 1

    out: list[Token] = []
    for k, seg in enumerate(segments):
        if not seg.is_token:
            continue
        nxt = segments[k + 1] if k + 1 < len(segments) else None
        # A token keeps its own "followed by whitespace" unless what followed it became a token.
        ws = seg.ws and nxt is not None and not nxt.is_token
        out.append(Token(text[seg.start : seg.end], seg.start, seg.end, len(out), ws))
    return tuple(out), cuts


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
