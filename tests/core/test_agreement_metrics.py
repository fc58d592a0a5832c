"""The agreement figures, checked against independent implementations (scikit-learn, krippendorff,
statsmodels, scipy) on random data, and the edge cases whose value this project defines."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from annotator.core.agreement import (
    boundary_counts,
    cohen_kappa,
    exact_counts,
    fleiss_kappa,
    krippendorff_alpha,
    observed_agreement,
    overlap_matching,
    per_label_counts,
    token_labels,
)
from annotator.core.counts import Counts, multiset_counts
from annotator.core.model import Span

LABELS = st.sampled_from(["O", "PER", "ORG", "LOC"])


def span(start: int, end: int, label: str = "X", sid: int = 0) -> Span:
    return Span(start, end, 0, 0, label, None, sid)


# Two coders' label sequences of one length, with at least two distinct values overall so that the
# independent implementations are defined (the constant case is tested on its own below).
@st.composite
def label_pairs(draw: st.DrawFn, min_size: int = 1) -> tuple[list[str], list[str]]:
    n = draw(st.integers(min_size, 60))
    a = draw(st.lists(LABELS, min_size=n, max_size=n))
    b = draw(st.lists(LABELS, min_size=n, max_size=n))
    return a, b


def codes(*seqs: list[str]) -> list[list[int]]:
    values = sorted({x for s in seqs for x in s})
    return [[values.index(x) for x in s] for s in seqs]


@given(label_pairs())
@settings(max_examples=300, deadline=None)  # the reference libraries, on a loaded 2-core machine
@pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-learn warns about 0/0; checked below
def test_cohen_kappa_matches_scikit_learn(pair: tuple[list[str], list[str]]) -> None:
    a, b = pair
    expected = cohen_kappa_score(a, b)
    ours = cohen_kappa(a, b)
    assert ours is not None
    if math.isnan(expected):  # scikit-learn leaves 0/0 undefined: both constant and equal
        assert len(set(a) | set(b)) == 1
        assert ours == 1.0
    else:
        assert ours == pytest.approx(expected, abs=1e-12)


@given(label_pairs(min_size=1))
@settings(max_examples=300, deadline=None)  # the reference library, on a loaded 2-core machine
def test_krippendorff_alpha_matches_the_krippendorff_package(pair: tuple[list[str], list[str]]) -> None:
    a, b = pair
    ours = krippendorff_alpha(a, b)
    if len(set(a) | set(b)) == 1:
        assert ours == 1.0  # the package refuses a single value; this project defines it as 1
        return
    expected = krippendorff.alpha(reliability_data=codes(a, b), level_of_measurement="nominal")
    assert ours == pytest.approx(expected, abs=1e-12)


@given(
    st.integers(3, 5).flatmap(
        lambda m: st.lists(st.lists(LABELS, min_size=m, max_size=m), min_size=1, max_size=50)
    )
)
@settings(max_examples=200)
def test_fleiss_kappa_matches_statsmodels(rows: list[list[str]]) -> None:
    ours = fleiss_kappa(rows)
    flat = sorted({x for r in rows for x in r})
    table, _ = aggregate_raters(np.array([[flat.index(x) for x in r] for r in rows]))
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = sm_fleiss(table, method="fleiss")
    if len(flat) == 1:
        assert math.isnan(expected)
        assert ours == 1.0
    else:
        assert ours == pytest.approx(expected, abs=1e-12)


def test_fleiss_kappa_of_two_coders_is_scotts_pi_and_alpha_follows_from_it() -> None:
    # Fleiss' kappa generalises Scott's pi (one pooled label distribution), so with two coders whose
    # label distributions differ it is below Cohen's kappa; Krippendorff's alpha is pi corrected for
    # sample size: alpha = 1 - (1 - pi)(2N - 1)/(2N).
    a = ["PER"] * 6 + ["O"] * 4
    b = ["PER"] * 3 + ["O"] * 7
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    p_e = sum(((a + b).count(v) / (2 * n)) ** 2 for v in set(a + b))
    pi = (p_o - p_e) / (1 - p_e)
    assert fleiss_kappa(list(zip(a, b, strict=True))) == pytest.approx(pi)
    assert pi < (cohen_kappa(a, b) or 0)
    assert krippendorff_alpha(a, b) == pytest.approx(1 - (1 - pi) * (2 * n - 1) / (2 * n))


def test_kappas_when_both_coders_are_constant_and_equal() -> None:
    a = ["O"] * 5
    assert cohen_kappa(a, a) == 1.0
    assert krippendorff_alpha(a, a) == 1.0
    assert fleiss_kappa([("O", "O", "O")] * 4) == 1.0
    assert observed_agreement(a, a) == 1.0


def test_kappa_when_one_coder_is_constant_and_the_other_is_not() -> None:
    a = ["O"] * 5
    b = ["O", "O", "PER", "O", "O"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b)) == 0.0
    alpha = krippendorff_alpha(a, b)
    assert alpha == pytest.approx(
        krippendorff.alpha(reliability_data=codes(a, b), level_of_measurement="nominal")
    )


def test_constant_but_different_labels_is_no_better_than_chance() -> None:
    a, b = ["O"] * 4, ["PER"] * 4
    assert cohen_kappa(a, b) == 0.0
    assert observed_agreement(a, b) == 0.0
    assert krippendorff_alpha(a, b) == pytest.approx(
        krippendorff.alpha(reliability_data=codes(a, b), level_of_measurement="nominal")
    )


def test_no_items_give_no_figure() -> None:
    assert cohen_kappa([], []) is None
    assert krippendorff_alpha([], []) is None
    assert observed_agreement([], []) is None
    assert fleiss_kappa([]) is None


def test_sequences_of_different_length_are_refused() -> None:
    with pytest.raises(ValueError):
        cohen_kappa(["O"], ["O", "O"])


def test_counts_ratios_and_zero_denominators() -> None:
    c = Counts(tp=3, fp=1, fn=2)
    assert (c.precision, c.recall) == (0.75, 0.6)
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    assert (Counts().precision, Counts().recall, Counts().f1) == (1.0, 1.0, 1.0)  # both empty
    only_a = Counts(fn=4)  # B marked nothing, A marked four spans
    assert (only_a.precision, only_a.recall, only_a.f1) == (0.0, 0.0, 0.0)
    only_b = Counts(fp=4)
    assert (only_b.precision, only_b.recall, only_b.f1) == (0.0, 0.0, 0.0)
    assert Counts(1, 2, 3) + Counts(4, 5, 6) == Counts(5, 7, 9)
    assert Counts(1, 0, 0).as_dict(defined=False) == {
        "precision": None, "recall": None, "f1": None, "tp": 1, "fp": 0, "fn": 0,
    }  # fmt: skip


def test_exact_boundary_and_per_label() -> None:
    a = [span(0, 5, "PER"), span(10, 15, "ORG"), span(20, 25, "LOC")]
    b = [span(0, 5, "PER"), span(10, 15, "PER"), span(20, 24, "LOC"), span(30, 35, "ORG")]
    assert exact_counts(a, b) == Counts(1, 3, 2)
    assert boundary_counts(a, b) == Counts(2, 2, 1)
    assert per_label_counts(a, b) == {
        "LOC": Counts(0, 1, 1),
        "ORG": Counts(0, 1, 1),
        "PER": Counts(1, 1, 0),
    }
    assert overlap_matching(a, b) == {0: 0, 2: 2}  # PER exact and LOC partial; ORG/PER differ


def test_overlap_matches_each_span_once() -> None:
    a = [span(0, 10)]
    b = [span(0, 4, sid=1), span(6, 10, sid=2)]
    assert len(overlap_matching(a, b)) == 1
    # Tie: the same number of shared characters; the earlier B span wins.
    assert overlap_matching(a, b) == {0: 0}
    # More shared characters wins over position.
    assert overlap_matching([span(0, 10)], [span(0, 3), span(5, 10)]) == {0: 1}
    # Identical offsets win over more shared characters.
    assert overlap_matching([span(0, 10)], [span(0, 10, sid=1), span(0, 12, sid=2)]) == {0: 0}


def test_overlap_needs_a_shared_character_not_just_a_touching_edge() -> None:
    assert overlap_matching([span(0, 5)], [span(5, 9)]) == {}


def test_overlap_finds_the_largest_matching_where_greedy_would_not() -> None:
    # A1 prefers B1 (more shared characters) but B1 is A2's only partner: the augmenting path
    # moves A1 to B2 so that both A spans are matched.
    a = [span(0, 10, sid=1), span(12, 20, sid=2)]
    b = [span(4, 14, sid=1), span(0, 3, sid=2)]
    assert overlap_matching(a, b) == {0: 1, 1: 0}
    # A long staggered chain, longer than Python's recursion limit would allow a recursive search.
    n = 3000
    chain_a = [span(10 * i, 10 * i + 6, sid=i) for i in range(n)]
    chain_b = [span(10 * i + 4, 10 * i + 12, sid=i) for i in range(n)]
    assert len(overlap_matching(chain_a, chain_b)) == n


@st.composite
def span_sets(draw: st.DrawFn) -> list[Span]:
    """Spans on a line of 40 characters, possibly overlapping each other (the metric allows it)."""
    out = []
    for sid in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, 38))
        end = draw(st.integers(start + 1, min(40, start + 8)))
        out.append(span(start, end, draw(st.sampled_from(["PER", "ORG"])), sid))
    return out


@given(span_sets(), span_sets())
@settings(max_examples=400, deadline=None)  # scipy per example: over 200 ms on a loaded 2-core machine
def test_overlap_matching_is_maximum_and_valid(a: list[Span], b: list[Span]) -> None:
    matching = overlap_matching(a, b)
    assert len(set(matching.values())) == len(matching)  # each B span at most once
    for i, j in matching.items():
        assert a[i].label == b[j].label and a[i].overlaps(b[j])
    graph = np.zeros((len(a), len(b)), dtype=np.int8)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            graph[i, j] = x.label == y.label and x.overlaps(y)
    if len(a) and len(b):
        best = int((maximum_bipartite_matching(csr_matrix(graph), perm_type="column") >= 0).sum())
    else:
        best = 0
    assert len(matching) == best


@given(span_sets(), span_sets())
@settings(max_examples=200)
def test_exact_and_boundary_match_a_brute_force_assignment(a: list[Span], b: list[Span]) -> None:
    # scipy's assignment solver as the independent maximum matching of identical spans.
    for key, counts in (
        (lambda s: (s.start, s.end, s.label), exact_counts(a, b)),
        (lambda s: (s.start, s.end), boundary_counts(a, b)),
    ):
        if a and b:
            cost = np.array([[0 if key(x) == key(y) else 1 for y in b] for x in a])
            rows, cols = linear_sum_assignment(cost)
            tp = int((cost[rows, cols] == 0).sum())
        else:
            tp = 0
        assert counts == Counts(tp, len(b) - tp, len(a) - tp)


@given(st.lists(st.integers(0, 3), max_size=6), st.lists(st.integers(0, 3), max_size=6))
@settings(max_examples=300)
def test_multiset_counts_match_each_item_once(a: list[int], b: list[int]) -> None:
    """Items repeated on either side (a span in two layers, two relations alike) match once each:
    counted against removing each of ``a``'s items from what is left of ``b``."""
    left, tp = [*b], 0
    for item in a:
        if item in left:
            left.remove(item)
            tp += 1
    assert multiset_counts(a, b) == Counts(tp, len(b) - tp, len(a) - tp)


def test_token_labels_io() -> None:
    tokens = [(0, 5), (6, 11), (12, 14), (15, 20)]
    spans = [span(0, 11, "PER"), span(15, 20, "LOC")]
    assert token_labels(tokens, spans) == ["PER", "PER", "O", "LOC"]
    assert token_labels(tokens, []) == ["O"] * 4
    # A token a span only partly covers gets its label (as bratiaa's token-level agreement does).
    assert token_labels([(0, 9)], [span(1, 8, "LOC")]) == ["LOC"]
    assert token_labels([], [span(0, 3)]) == []
