"""Cutting long texts: pieces are contiguous, within the limit, and cut where a reader would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotator.core.pieces import cut_points, pieces

WORDS = st.sampled_from(
    ["Seoul", "met", "the", "minister", "Ahn.", "Yes!", "(Ahn)", "\n", "\n\n", " ", "東京"]
)


@given(st.lists(WORDS, max_size=400).map(" ".join), st.integers(min_value=1, max_value=300))
def test_pieces_are_contiguous_and_within_the_limit(text: str, limit: int) -> None:
    cut = list(pieces(text, limit))
    assert "".join(piece for _, piece in cut) == text
    assert all(1 <= len(piece) <= limit for _, piece in cut) or text == ""
    offsets = [offset for offset, _ in cut]
    assert offsets == cut_points(text, limit)[:-1]
    assert all(text[offset:].startswith(piece) for offset, piece in cut)


@given(st.text(max_size=2000), st.integers(min_value=1, max_value=500))
def test_any_text_any_limit(text: str, limit: int) -> None:
    assert "".join(piece for _, piece in pieces(text, limit)) == text


def test_paragraph_first_then_sentence_then_space() -> None:
    para = "First sentence here. Second one follows.\n\nNext paragraph starts. And ends."
    # The blank line is in the window's second half: the cut falls just after it.
    assert next(p for _, p in pieces(para, 60)) == "First sentence here. Second one follows.\n\n"
    # No blank line in reach: after the last sentence end.
    assert next(p for _, p in pieces(para, 40)) == "First sentence here. "
    # No sentence end either: after a space; no space at all: at the limit.
    assert next(p for _, p in pieces("aaaa bbbb cccc dddd", 12)) == "aaaa bbbb "
    assert [p for _, p in pieces("x" * 25, 10)] == ["x" * 10, "x" * 10, "x" * 5]
    # A closing quote stays with its sentence.
    assert next(p for _, p in pieces('He said "no." Then he left the room.', 20)) == 'He said "no." '
