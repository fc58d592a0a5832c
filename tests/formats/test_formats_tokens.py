"""Tokens for token-less formats: splitting at span edges, UTF-16 offsets, spaCy words/spaces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.model import Task
from annotator.core.validate import align, validate_tokens
from annotator.formats.offsets import Utf16Offsets, has_astral
from annotator.formats.tokens import split_tokens, tokenize, words_and_spaces
from tests.strategies import tasks, texts


@st.composite
def text_and_cuts(draw: st.DrawFn) -> tuple[str, list[int], list[int]]:
    text = draw(texts(min_words=1))
    n = len(text)
    starts = draw(st.lists(st.integers(0, n - 1), max_size=6)) if n else []
    ends = draw(st.lists(st.integers(1, n), max_size=6)) if n else []
    return text, starts, ends


@settings(max_examples=200, deadline=None)
@given(text_and_cuts())
def test_split_makes_every_edge_a_boundary_and_keeps_every_old_one(
    case: tuple[str, list[int], list[int]],
) -> None:
    text, starts, ends = case
    before = tokenize(text)
    after, cuts = split_tokens(text, before, starts, ends)
    validate_tokens(text, after)  # ids 0.., in order, text matches offsets, no overlap
    assert {t.start for t in after} >= {t.start for t in before} | set(starts)
    assert {t.end for t in after} >= {t.end for t in before} | set(ends)
    covered = {i for t in before for i in range(t.start, t.end)}
    assert covered <= {i for t in after for i in range(t.start, t.end)}
    if cuts == 0:
        assert after == before
    task = Task(text, after, 0)
    words, spaces = words_and_spaces(task)
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text


def test_split_inside_a_token_and_on_the_space_after_it() -> None:
    text = "Obamas  visit"
    toks = tokenize(text)
    assert [(t.text, t.ws) for t in toks] == [("Obamas", True), (" ", False), ("visit", False)]
    after, cuts = split_tokens(text, toks, [0], [5])
    assert cuts == 1
    assert [(t.text, t.ws) for t in after] == [("Obama", False), ("s", True), (" ", False), ("visit", False)]
    # a span " visit" that starts on the space spaCy keeps as the whitespace of "Obamas"
    after, _ = split_tokens(text, toks, [6], [13])
    assert [(t.text, t.start, t.ws) for t in after] == [
        ("Obamas", 0, False),
        (" ", 6, False),
        (" ", 7, False),
        ("visit", 8, False),
    ]
    assert align(after, 6, 13) == (1, 3)


@settings(max_examples=100, deadline=None)
@given(tasks(min_tokens=1))
def test_words_and_spaces_give_the_exact_text_with_every_token(task: Task) -> None:
    words, spaces = words_and_spaces(task)
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == task.text
    assert [w for w in words if not w.isspace()] == [t.text for t in task.tokens if not t.text.isspace()]


@given(st.text(max_size=30))
def test_utf16_offsets_agree_with_javascript_counting(text: str) -> None:
    conv = Utf16Offsets(text)
    units = text.encode("utf-16-le", errors="surrogatepass")
    assert conv.utf16_length == len(units) // 2
    assert has_astral(text) == (conv.utf16_length != len(text))
    for cp in range(len(text) + 1):
        u = conv.to_utf16(cp)
        assert units[: 2 * u].decode("utf-16-le", errors="surrogatepass") == text[:cp]
        assert conv.from_utf16(u) == cp
    inside_pairs = {conv.to_utf16(i) + 1 for i, c in enumerate(text) if ord(c) > 0xFFFF}
    for u in inside_pairs:
        assert conv.from_utf16(u) is None
    assert conv.from_utf16(conv.utf16_length + 1) is None
