"""Incremental re-wrapping gives exactly the rows a full wrap gives, and the cache moves with them."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.hashing import input_hash
from annotator.core.model import Task
from annotator.core.tokenize import provisional_tokens
from annotator.tui.components.layout import Layout

WORDS = st.sampled_from(
    [
        "a",
        "Seoul",
        "North",
        "Korea’s",
        "東京",
        "😀x",
        "\n",
        "\n\n",
        ",",
        "internationalisation",
        "spending.",
        "(Ahn)",
        "“Korea-U.S.-Japan”",
    ]
)


TEXTS = st.lists(WORDS, min_size=1, max_size=80)
WIDTHS = st.integers(min_value=8, max_value=40)


@settings(max_examples=150, deadline=None)
@given(
    words=TEXTS,
    width=WIDTHS,
    changes=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=12)), max_size=6
    ),
)
def test_rewrap_equals_full_wrap(words: list[str], width: int, changes: list[tuple[int, int]]) -> None:
    text = " ".join(words)
    task = Task(text, provisional_tokens(text), input_hash(text))
    if not task.tokens:
        return
    extra: dict[int, int] = {}
    layout = Layout(task, width, lambda i: extra.get(i, 0))
    for token, tag in changes:
        token %= len(task.tokens)
        extra[token] = tag
        old_rows = list(layout.rows)
        first, old_end, new_end = layout.rewrap(token, token)
        full = Layout(task, width, lambda i: extra.get(i, 0))
        assert list(layout.rows) == list(full.rows)
        # what rewrap says it replaced is all that changed
        assert layout.rows[:first] == old_rows[:first]
        assert layout.rows[new_end:] == old_rows[old_end:]


def test_rows_fit_the_width_and_break_at_newlines() -> None:
    text = "SEOUL – Japanese Defense Minister Gen Nakatani met Ahn.\n\nNakatani visited Seoul."
    task = Task(text, provisional_tokens(text), input_hash(text))
    layout = Layout(task, 20, lambda i: 0)
    layout.wrap_all()
    for row in range(len(layout.rows)):
        pos = layout.positions(row)
        if pos:
            last, x = pos[-1]
            assert x + layout.token_width(last) <= 20
    texts = [" ".join(task.tokens[i].text for i, _ in layout.positions(r)) for r in range(len(layout.rows))]
    assert "" in texts  # the blank line between the paragraphs
    assert texts[texts.index("") + 1].startswith("Nakatani")


def test_punctuation_stays_on_the_line_of_the_word_it_touches() -> None:
    """A line never starts inside a run of tokens glued together (no space between them, as in
    "spending." or "(Ahn)"), unless the run is wider than a whole line."""
    text = "The ministers met in Seoul on defence spending. Poland's (Ahn) “Korea-U.S.-Japan” end."
    task = Task(text, provisional_tokens(text), input_hash(text))
    tokens = task.tokens

    def glued(k: int) -> bool:  # token k touches token k + 1
        return k + 1 < len(tokens) and tokens[k].end == tokens[k + 1].start

    for width in range(8, 40):
        layout = Layout(task, width, lambda i: 0)
        for first, end in layout.rows[1:]:
            if first == end or not glued(first - 1):
                continue
            run_start, run_end = first - 1, first
            while run_start > 0 and glued(run_start - 1):
                run_start -= 1
            while glued(run_end):
                run_end += 1
            run = sum(layout.token_width(k) for k in range(run_start, run_end + 1))
            assert run > width, (width, tokens[first].text)


@settings(max_examples=150, deadline=None)
@given(
    words=TEXTS,
    width=WIDTHS,
    groups=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=6)), max_size=12
    ),
)
def test_underline_rows_of_span_groups_rewrap_as_a_full_wrap(
    words: list[str], width: int, groups: list[tuple[int, int]]
) -> None:
    """Issue 14: a row whose tokens carry span-group spans is followed by one underline row a level;
    adding spans one by one and re-wrapping gives the rows (and kinds) a full wrap gives, and spans
    on one level of a row never touch."""
    text = " ".join(words)
    task = Task(text, provisional_tokens(text), input_hash(text))
    if not task.tokens:
        return
    n = len(task.tokens)
    spans: list[tuple[int, int, int]] = []

    def under(first: int, end: int) -> list[tuple[int, int, int]]:
        return [s for s in spans if s[0] < end and s[1] >= first]

    layout = Layout(task, width, lambda i: 0, under)
    for start, length in groups:
        start %= n
        spans.append((start, min(start + length, n - 1), 4))
        layout.rewrap(start, spans[-1][1])
        full = Layout(task, width, lambda i: 0, under)
        assert (list(layout.rows), layout.kinds) == (list(full.rows), full.kinds)
    for row, kind in enumerate(layout.kinds):
        if kind:
            continue
        placed = layout.placed(row)
        depth = 0
        while row + depth + 1 < len(layout.kinds) and layout.kinds[row + depth + 1] == depth + 1:
            depth += 1
        assert depth == max((level for level, *_ in placed), default=0)
        for level in range(1, depth + 1):
            cells = sorted((x, w) for lv, x, w, _ in placed if lv == level)
            for (x1, w1), (x2, _) in itertools.pairwise(cells):
                assert x1 + w1 < x2


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(WORDS, min_size=1, max_size=120),
    width=st.integers(min_value=8, max_value=40),
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("row"), st.integers(min_value=0, max_value=300)),
            st.tuples(st.just("token"), st.integers(min_value=0, max_value=300)),
            st.tuples(st.just("tag"), st.integers(min_value=0, max_value=300), st.integers(0, 12)),
            st.tuples(st.just("group"), st.integers(min_value=0, max_value=300), st.integers(0, 6)),
        ),
        max_size=12,
    ),
)
def test_lazy_wrapping_gives_the_rows_a_complete_wrap_gives(
    words: list[str], width: int, steps: list[tuple[object, ...]]
) -> None:
    """Rows asked for a few at a time (a row on screen, the row of a token), with tags changing and
    span-group spans added (underline rows) on the rows made so far and on tokens not reached yet,
    are the rows of one complete wrap of the final state; the count before every row is made is an
    estimate that ends exact."""
    text = " ".join(words)
    task = Task(text, provisional_tokens(text), input_hash(text))
    if not task.tokens:
        return
    n = len(task.tokens)
    extra: dict[int, int] = {}
    spans: list[tuple[int, int, int]] = []

    def under(first: int, end: int) -> list[tuple[int, int, int]]:
        return [s for s in spans if s[0] < end and s[1] >= first]

    layout = Layout(task, width, lambda i: extra.get(i, 0), under)
    for step in steps:
        if step[0] == "row":
            k = int(step[1]) % (len(layout.rows) + 2)  # type: ignore[call-overload]
            try:
                first, end = layout.rows[k]
            except IndexError:  # past the last row: every row is made by then
                assert k >= len(layout.made) == len(layout.rows)
                continue
            assert 0 <= first <= end <= n
        elif step[0] == "token":
            token = int(step[1]) % n  # type: ignore[call-overload]
            first, end = layout.rows[layout.row_of(token)]
            assert first <= token < end or first == end == token
        elif step[0] == "tag":
            token = int(step[1]) % n  # type: ignore[call-overload]
            extra[token] = int(step[2])  # type: ignore[call-overload]
            layout.rewrap(token, token)
        else:
            start = int(step[1]) % n  # type: ignore[call-overload]
            spans.append((start, min(start + int(step[2]), n - 1), 4))  # type: ignore[call-overload]
            layout.rewrap(start, spans[-1][1])
    full = Layout(task, width, lambda i: extra.get(i, 0), under)
    full.wrap_all()
    assert (list(layout.rows), layout.kinds) == (list(full.rows), full.kinds) == (full.made, full.kinds)
    assert len(layout.rows) == len(full.made)


def test_a_long_document_opens_without_wrapping_all_of_it() -> None:
    paragraph = "SEOUL – Japanese Defense Minister Gen Nakatani met Ahn Gyu-back in Seoul on Sunday."
    text = "\n\n".join([paragraph] * 2000)
    task = Task(text, provisional_tokens(text), input_hash(text))
    layout = Layout(task, 40, lambda i: 0)
    assert layout.rows[0] == layout.made[0] and len(layout.made) < 500  # the first screen's lines
    estimate = len(layout.rows)
    layout.wrap_all()
    assert abs(len(layout.rows) - estimate) <= 0.2 * len(layout.rows)  # the scroll bar barely moves
