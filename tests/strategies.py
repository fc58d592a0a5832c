"""Hypothesis strategies for valid tasks, annotations and label schemes, for the tests of every area.

Texts mix ASCII, CJK, Hebrew and Arabic (right to left), emoji, combining marks, zero-width and
bidi control characters and any other character a UTF-8 file can hold. They are tokenized by
``tokenize`` below (whitespace separates, a word is a run of letters/digits with their combining
marks, any other character is a token of its own), and spans are drawn on token boundaries, so
every drawn task and annotation is valid by construction.

Usage::

    from tests.strategies import annotated_tasks, schemes

    @given(annotated_tasks())
    def test_something(pair):
        task, annotation = pair
"""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from hypothesis import strategies as st

from annotator.core.hashing import input_hash
from annotator.core.model import ANSWERS, Annotation, Relation, Span, Task, Token
from annotator.core.records import KNOWN_KEYS
from annotator.core.scheme import LabelScheme, RelationType

ENTITY_LABELS: tuple[str, ...] = ("PERSON", "ORG", "GPE", "NORP", "DATE", "ORT_Ö")
RELATION_LABELS: tuple[str, ...] = ("MET", "WORKS_FOR", "LOCATED_IN", "PART_OF")
SOURCES: tuple[str | None, ...] = (None, "en_core_web_sm", "alice")

_WHITESPACE = " \n\t\u00a0\u3000\u2028"  # NBSP, ideographic space and line separator too

_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_any_char = st.characters(exclude_categories=_SURROGATES)  # lone surrogates cannot be written as UTF-8
_non_space_char = st.one_of(
    st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")),
    st.characters(min_codepoint=ord("A"), max_codepoint=ord("Z")),
    st.characters(min_codepoint=ord("0"), max_codepoint=ord("9")),
    st.sampled_from(".,;:!?'\"()-–—’“”«»&/"),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
    st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA),  # Hebrew
    st.characters(min_codepoint=0x0627, max_codepoint=0x064A),  # Arabic
    st.characters(min_codepoint=0x0300, max_codepoint=0x036F),  # combining marks
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji (astral plane)
    st.sampled_from("\u200d\ufe0f\u200f\u202e\u00e9"),  # ZWJ, VS16, RLM, RLO, precomposed é
    _any_char,
).filter(lambda c: not c.isspace())

words = st.text(alphabet=_non_space_char, min_size=1, max_size=8)
separators = st.text(alphabet=st.sampled_from(_WHITESPACE), min_size=1, max_size=3)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _is_mark(c: str) -> bool:
    return unicodedata.category(c).startswith("M")


def tokenize(text: str) -> tuple[Token, ...]:
    """Whitespace/punctuation tokenizer: the tokens of every drawn task."""
    bounds: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        j = i + 1
        if _is_word_char(text[i]):
            while j < n and (_is_word_char(text[j]) or _is_mark(text[j])):
                j += 1
        else:
            while j < n and _is_mark(text[j]):
                j += 1
        bounds.append((i, j))
        i = j
    return tuple(Token(text[s:e], s, e, k, e < n and text[e].isspace()) for k, (s, e) in enumerate(bounds))


@st.composite
def texts(draw: st.DrawFn, min_words: int = 0, max_words: int = 16) -> str:
    """A text of at least ``min_words`` tokens (each word gives one token or more)."""
    lead = draw(st.sampled_from(("", " ", "\n")))
    pieces = draw(st.lists(st.tuples(words, separators), min_size=min_words, max_size=max_words))
    text = lead + "".join(w + s for w, s in pieces)
    return text if draw(st.booleans()) else text.rstrip()


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=_any_char, max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet=_any_char, max_size=4), inner, max_size=3),
    ),
    max_leaves=6,
)


@st.composite
def tasks(draw: st.DrawFn, min_tokens: int = 0, max_words: int = 16) -> Task:
    text = draw(texts(min_words=min_tokens, max_words=max(max_words, min_tokens)))
    meta = draw(st.dictionaries(st.text(alphabet=_any_char, max_size=6), json_values, max_size=3))
    extra_keys = st.text(alphabet=_any_char, min_size=1, max_size=8).filter(lambda k: k not in KNOWN_KEYS)
    extra = draw(st.dictionaries(extra_keys, json_values, max_size=2))
    return Task(text, tokenize(text), input_hash(text, meta), meta, extra)


@st.composite
def token_ranges(
    draw: st.DrawFn, n_tokens: int, min_size: int = 0, max_size: int = 8
) -> list[tuple[int, int]]:
    """Non-overlapping token ranges (end inclusive) in text order."""
    if n_tokens == 0:
        return []
    steps = draw(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(1, 4)),
            min_size=min(min_size, n_tokens),
            max_size=max_size,
        )
    )
    ranges: list[tuple[int, int]] = []
    pos = 0
    for gap, length in steps:
        pos += gap
        if pos >= n_tokens:
            break
        end = min(pos + length - 1, n_tokens - 1)
        ranges.append((pos, end))
        pos = end + 1
    if len(ranges) < min(min_size, n_tokens):
        # Gaps pushed the ranges past the end: fall back to single tokens from the start.
        ranges = [(i, i) for i in range(min(min_size, n_tokens))]
    return ranges


@st.composite
def schemes(draw: st.DrawFn) -> LabelScheme:
    """A label scheme over ENTITY_LABELS whose relation types constrain head and child labels
    (an empty set allows any label)."""
    label_sets = st.frozensets(st.sampled_from(ENTITY_LABELS), max_size=3)
    relations = tuple(RelationType(name, draw(label_sets), draw(label_sets)) for name in RELATION_LABELS)
    return LabelScheme(ENTITY_LABELS, {}, relations)


@st.composite
def annotations_of(
    draw: st.DrawFn,
    task: Task,
    *,
    scheme: LabelScheme | None = None,
    min_spans: int = 0,
    max_spans: int = 8,
    min_relations: int = 0,
) -> Annotation:
    """A valid annotation of ``task``: random non-overlapping spans with random distinct ids, in
    random order, and relations between them (only those ``scheme`` allows, when given)."""
    labels = scheme.labels if scheme is not None else ENTITY_LABELS
    ranges = draw(token_ranges(len(task.tokens), min_size=min_spans, max_size=max_spans))
    sids = draw(st.lists(st.integers(1, 10_000), unique=True, min_size=len(ranges), max_size=len(ranges)))
    spans = [
        Span(
            task.tokens[a].start,
            task.tokens[b].end,
            a,
            b,
            draw(st.sampled_from(labels)),
            draw(st.sampled_from(SOURCES)),
            sid,
        )
        for (a, b), sid in zip(ranges, sids, strict=True)
    ]
    spans = draw(st.permutations(spans))
    relations: list[Relation] = []
    if len(spans) >= 2:
        by_sid = {s.sid: s for s in spans}
        rel_labels = scheme.relation_labels if scheme is not None else RELATION_LABELS
        candidates = draw(
            st.lists(
                st.tuples(st.sampled_from(sids), st.sampled_from(sids), st.sampled_from(rel_labels)),
                min_size=min_relations,
                max_size=6,
            )
        )
        seen: set[tuple[int, int, str]] = set()
        for head, child, label in candidates:
            if head == child or (head, child, label) in seen:
                continue
            if scheme is not None and scheme.relation_error(label, by_sid[head].label, by_sid[child].label):
                continue
            seen.add((head, child, label))
            relations.append(Relation(head, child, label, draw(st.sampled_from(SOURCES))))
        # Duplicates, self-links or the scheme may have thinned the draw: top up in a fixed order
        # (with a scheme, only where it allows some relation label at all).
        pairs = [(a, b) for a in spans for b in spans if a.sid != b.sid]
        for (a, b), label in ((p, lab) for p in pairs for lab in rel_labels):
            if len(relations) >= min_relations:
                break
            key = (a.sid, b.sid, label)
            if key in seen or (scheme is not None and scheme.relation_error(label, a.label, b.label)):
                continue
            seen.add(key)
            relations.append(Relation(a.sid, b.sid, label))
    return Annotation(
        spans=tuple(spans),
        relations=tuple(relations),
        answer=draw(st.sampled_from((None, *ANSWERS))),
        annotator=draw(st.none() | st.text(alphabet=_any_char, min_size=1, max_size=8)),
        session=draw(st.none() | st.text(alphabet=_any_char, min_size=1, max_size=8)),
        timestamp=draw(st.none() | st.integers(0, 2**40)),
    )


@st.composite
def annotated_tasks(
    draw: st.DrawFn,
    *,
    scheme: LabelScheme | None = None,
    min_tokens: int = 0,
    min_spans: int = 0,
    min_relations: int = 0,
) -> tuple[Task, Annotation]:
    """A task with a valid annotation. ``min_relations`` > 0 needs ``min_spans`` >= 2 and, with a
    scheme, is met only where the scheme allows a relation between the drawn labels."""
    task = draw(tasks(min_tokens=max(min_tokens, min_spans)))
    annotation = draw(annotations_of(task, scheme=scheme, min_spans=min_spans, min_relations=min_relations))
    return task, annotation


def record_span(span: Span) -> dict[str, Any]:
    """The gold-schema dict of a span (as a test builds one by hand)."""
    return {
        "start": span.start,
        "end": span.end,
        "token_start": span.token_start,
        "token_end": span.token_end,
        "label": span.label,
    }
