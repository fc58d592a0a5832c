"""compare() and compare_all(): pairing tasks, the JSON object, edge cases, and random annotation
pairs checked against independent implementations."""

from __future__ import annotations

import math
from dataclasses import replace

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from annotator.core.agreement import Version, compare, compare_all
from annotator.core.counts import Counts
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.validate import make_span
from tests.strategies import annotations_of, tasks, tokenize

TEXTS = [
    "Lloyd Austin met Lee Jong-sup in Seoul on Friday .",
    "The ministers spoke in Seoul about North Korea .",
    "Nothing to see here .",
    "Austin flew back to Washington on Saturday .",
    "A fifth text that only one side has .",
]


def task(text: str) -> Task:
    return Task(text, tokenize(text), input_hash(text))


def spans(t: Task, *items: tuple[str, str]) -> tuple[Span, ...]:
    out = []
    for sid, (phrase, label) in enumerate(items, start=1):
        start = t.text.index(phrase)
        out.append(make_span(t, start, start + len(phrase), label, None, sid))
    return tuple(out)


def side(*versions: tuple[Task, Annotation]) -> dict[int, Version]:
    return {t.input_hash: Version(t, a, f"task {i}") for i, (t, a) in enumerate(versions)}


def indep_token_labels(t: Task, ann: Annotation) -> list[str]:
    """Each token's label found by scanning every span (no bisect, unlike the implementation)."""
    return [
        next((s.label for s in ann.spans if s.start <= tok.start and tok.end <= s.end), "O")
        for tok in t.tokens
    ]


EXPECTED_KEYS = {
    "annotators",
    "tasks",
    "spans",
    "tokens",
    "relations",
}
PRF = ["precision", "recall", "f1", "tp", "fp", "fn"]


def test_tasks_are_paired_by_input_hash_and_only_both_accepted_are_compared() -> None:
    t = [task(x) for x in TEXTS]
    acc = Annotation(answer="accept")
    a = side((t[0], acc), (t[1], acc), (t[2], replace(acc, answer="reject")), (t[3], Annotation()))
    b = side((t[0], acc), (t[2], acc), (t[3], acc), (t[4], acc))
    report = compare(a, b, ("alice", "bob"))
    assert report.tasks.as_dict() == {"compared": 1, "only_a": 1, "only_b": 1, "answer_mismatch": 2}
    assert report.tokens.tokens == len(t[0].tokens)


def test_the_json_object_has_exactly_the_documented_keys() -> None:
    t = task(TEXTS[0])
    a = Annotation(spans(t, ("Lloyd Austin", "PERSON"), ("Seoul", "GPE")), answer="accept")
    b = Annotation(spans(t, ("Austin", "PERSON"), ("Seoul", "GPE")), answer="accept")
    out = compare(side((t, a)), side((t, b)), ("A", "B")).as_dict()
    assert set(out) == EXPECTED_KEYS
    assert out["annotators"] == ["A", "B"]
    assert list(out["tasks"]) == ["compared", "only_a", "only_b", "answer_mismatch"]
    assert list(out["spans"]) == ["exact", "overlap", "boundary", "per_label"]
    for key in ("exact", "overlap", "boundary"):
        assert list(out["spans"][key]) == PRF
    assert list(out["spans"]["per_label"]) == ["GPE", "PERSON"]
    assert list(out["spans"]["per_label"]["PERSON"]) == PRF
    # "tasks_left_out" is the one key added to the object.
    assert list(out["tokens"]) == [
        "scheme",
        "observed",
        "cohen_kappa",
        "krippendorff_alpha",
        "tasks_left_out",
    ]
    assert out["tokens"]["scheme"] == "IO"
    assert list(out["relations"]) == ["exact", "aligned"]
    assert list(out["relations"]["aligned"]) == PRF
    assert out["spans"]["exact"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert out["spans"]["overlap"]["tp"] == 2
    assert out["spans"]["per_label"]["PERSON"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 1, "fn": 1,
    }  # fmt: skip


def test_tasks_with_different_tokens_are_compared_on_characters_and_left_out_of_tokens() -> None:
    t = task(TEXTS[0])
    # B's tokenizer kept "Jong-sup" together: same text, other tokens.
    b_tokens = list(t.tokens)
    i = next(k for k, tok in enumerate(b_tokens) if tok.text == "Jong")
    merged = b_tokens[i]._replace(text="Jong-sup", end=b_tokens[i + 2].end)
    b_tokens[i : i + 3] = [merged]
    tb = replace(t, tokens=tuple(tok._replace(id=k) for k, tok in enumerate(b_tokens)))
    a = Annotation(spans(t, ("Lee Jong-sup", "PERSON")), answer="accept")
    b = Annotation(spans(tb, ("Lee Jong-sup", "PERSON")), answer="accept")
    other = task(TEXTS[1])
    o = Annotation(spans(other, ("Seoul", "GPE")), answer="accept")
    report = compare(side((t, a), (other, o)), side((tb, b), (other, o)))
    assert report.exact == Counts(2, 0, 0)
    assert report.tokens.tasks_left_out == 1
    assert report.tokens.tokens == len(other.tokens)
    assert report.as_dict()["tokens"]["tasks_left_out"] == 1


def test_same_input_hash_with_different_texts_is_reported_not_compared() -> None:
    t = task(TEXTS[0])
    other = Task(TEXTS[1], tokenize(TEXTS[1]), t.input_hash)
    acc = Annotation(answer="accept")
    report = compare({1: Version(t, acc, "a.jsonl:1")}, {1: Version(other, acc, "b.jsonl:4")})
    assert report.tasks.compared == 0
    assert report.problems and "a.jsonl:1 and b.jsonl:4" in report.problems[0]


def test_no_spans_at_all() -> None:
    t = task(TEXTS[2])
    acc = Annotation(answer="accept")
    out = compare(side((t, acc)), side((t, acc))).as_dict()
    assert out["spans"]["exact"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 0, "fp": 0, "fn": 0}
    assert out["spans"]["per_label"] == {}
    assert out["tokens"]["observed"] == 1.0
    assert out["tokens"]["cohen_kappa"] == 1.0  # both constant ("O") and equal
    assert out["tokens"]["krippendorff_alpha"] == 1.0
    assert out["relations"]["exact"]["f1"] == 1.0


def test_one_side_empty() -> None:
    t = task(TEXTS[0])
    a = Annotation(spans(t, ("Lloyd Austin", "PERSON"), ("Seoul", "GPE")), answer="accept")
    out = compare(side((t, a)), side((t, Annotation(answer="accept")))).as_dict()
    assert out["spans"]["exact"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 2}
    assert out["tokens"]["cohen_kappa"] == 0.0
    labels_a = indep_token_labels(t, a)
    assert out["tokens"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(labels_a, ["O"] * len(labels_a)))
    reverse = compare(side((t, Annotation(answer="accept"))), side((t, a))).as_dict()
    assert reverse["spans"]["exact"]["fp"] == 2 and reverse["spans"]["exact"]["precision"] == 0.0


def test_identical_versions() -> None:
    t = task(TEXTS[0])
    a = Annotation(
        spans(t, ("Lloyd Austin", "PERSON"), ("Lee Jong-sup", "PERSON"), ("Seoul", "GPE")),
        relations=(Relation(1, 2, "MET"),),
        answer="accept",
    )
    out = compare(side((t, a)), side((t, a))).as_dict()
    for block in (out["spans"]["exact"], out["spans"]["overlap"], out["relations"]["aligned"]):
        assert (block["precision"], block["recall"], block["f1"]) == (1.0, 1.0, 1.0)
    assert out["tokens"]["cohen_kappa"] == 1.0 == out["tokens"]["krippendorff_alpha"]


def test_no_task_compared_gives_null_ratios() -> None:
    t = task(TEXTS[0])
    out = compare(side((t, Annotation(answer="accept"))), {}).as_dict()
    assert out["tasks"]["only_a"] == 1
    assert out["spans"]["exact"]["f1"] is None and out["tokens"]["cohen_kappa"] is None


def test_relations_exact_and_aligned() -> None:
    t = task(TEXTS[0])
    a = Annotation(
        spans(t, ("Lloyd Austin", "PERSON"), ("Lee Jong-sup", "PERSON"), ("Seoul", "GPE")),
        relations=(Relation(1, 2, "MET"), Relation(2, 3, "LOCATED_IN")),
        answer="accept",
    )
    # B marked "Austin" only (overlap-matches A's "Lloyd Austin") and relabelled Seoul (no overlap
    # match, but its offsets are A's).
    b = Annotation(
        spans(t, ("Austin", "PERSON"), ("Lee Jong-sup", "PERSON"), ("Seoul", "LOC")),
        relations=(Relation(1, 2, "MET"), Relation(2, 3, "LOCATED_IN"), Relation(2, 1, "MET")),
        answer="accept",
    )
    report = compare(side((t, a)), side((t, b)))
    assert report.relations_exact == Counts(1, 2, 1)  # only LOCATED_IN has the same offsets
    assert report.relations_aligned == Counts(2, 1, 0)  # MET(Austin -> Lee) maps onto A's MET


@st.composite
def corpora(draw: st.DrawFn, coders: int = 2) -> list[list[tuple[Task, Annotation]]]:
    """A few tasks, each annotated independently (or as an edited copy) by every coder."""
    out: list[list[tuple[Task, Annotation]]] = [[] for _ in range(coders)]
    seen: set[int] = set()
    for _ in range(draw(st.integers(1, 4))):
        t = draw(tasks(min_tokens=1))
        if t.input_hash in seen:
            continue
        seen.add(t.input_hash)
        first = replace(draw(annotations_of(t)), answer="accept")
        for c in range(coders):
            ann = (
                first if c == 0 or draw(st.booleans()) else replace(draw(annotations_of(t)), answer="accept")
            )
            out[c].append((t, ann))
    return out


@given(corpora())
@settings(max_examples=60, deadline=None)
def test_random_pairs_agree_with_independent_implementations(
    corpus: list[list[tuple[Task, Annotation]]],
) -> None:
    a_versions, b_versions = corpus
    report = compare(side(*a_versions), side(*b_versions))
    labels_a = [x for t, ann in a_versions for x in indep_token_labels(t, ann)]
    labels_b = [x for t, ann in b_versions for x in indep_token_labels(t, ann)]
    assert report.tokens.tokens == len(labels_a)
    assert report.tokens.observed == pytest.approx(np.mean(np.array(labels_a) == np.array(labels_b)))
    values = sorted(set(labels_a) | set(labels_b))
    if len(values) > 1:
        assert report.tokens.cohen_kappa == pytest.approx(cohen_kappa_score(labels_a, labels_b), abs=1e-9)
        assert report.tokens.krippendorff_alpha == pytest.approx(
            krippendorff.alpha(
                reliability_data=[[values.index(x) for x in labels_a], [values.index(x) for x in labels_b]],
                level_of_measurement="nominal",
            ),
            abs=1e-9,
        )
    else:
        assert report.tokens.cohen_kappa == 1.0 == report.tokens.krippendorff_alpha
    # Span and relation counts from plain set operations on each task's content.
    tp = fp = fn = rtp = rfp = rfn = 0
    for (_, x), (_, y) in zip(a_versions, b_versions, strict=True):
        sx, rx = (set(c) for c in x.content())
        sy, ry = (set(c) for c in y.content())
        tp, fp, fn = tp + len(sx & sy), fp + len(sy - sx), fn + len(sx - sy)
        rtp, rfp, rfn = rtp + len(rx & ry), rfp + len(ry - rx), rfn + len(rx - ry)
    assert report.exact == Counts(tp, fp, fn)
    assert report.relations_exact == Counts(rtp, rfp, rfn)
    assert report.exact.tp <= report.overlap.tp
    assert report.relations_exact.tp <= report.relations_aligned.tp
    f1 = report.exact.f1
    assert math.isclose(f1, 2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else f1 == 1.0


@given(corpora(coders=3))
@settings(max_examples=40, deadline=None)
def test_three_annotators_every_pair_and_fleiss_kappa(corpus: list[list[tuple[Task, Annotation]]]) -> None:
    names = ["ann", "bea", "cy"]
    report = compare_all([(n, side(*v)) for n, v in zip(names, corpus, strict=True)])
    assert [p.annotators for p in report.pairs] == [("ann", "bea"), ("ann", "cy"), ("bea", "cy")]
    columns = [[x for t, ann in versions for x in indep_token_labels(t, ann)] for versions in corpus]
    rows = list(zip(*columns, strict=True))
    values = sorted({x for r in rows for x in r})
    assert report.fleiss is not None
    assert report.fleiss.tokens == len(rows)
    if len(values) > 1:
        table, _ = aggregate_raters(np.array([[values.index(x) for x in r] for r in rows]))
        assert report.fleiss.kappa == pytest.approx(sm_fleiss(table, method="fleiss"), abs=1e-9)
    else:
        assert report.fleiss.kappa == 1.0
    out = report.as_dict()
    assert set(out) == {"annotators", "pairs", "tokens"}
    assert [set(p) for p in out["pairs"]] == [EXPECTED_KEYS] * 3
    assert out["tokens"]["fleiss_kappa"] == report.fleiss.kappa


def test_compare_all_with_two_annotators_prints_the_pair_object() -> None:
    t = task(TEXTS[0])
    acc = Annotation(answer="accept")
    report = compare_all([("a", side((t, acc))), ("b", side((t, acc)))])
    assert report.fleiss is None
    assert set(report.as_dict()) == EXPECTED_KEYS
    with pytest.raises(ValueError):
        compare_all([("a", side((t, acc)))])


def test_details_list_each_disagreement_of_each_task() -> None:
    t, other = task(TEXTS[0]), task(TEXTS[1])
    a = Annotation(spans(t, ("Lloyd Austin", "PERSON"), ("Seoul", "GPE")), answer="accept")
    b = Annotation(spans(t, ("Austin", "PERSON"), ("Seoul", "LOC")), answer="accept")
    same = Annotation(spans(other, ("Seoul", "GPE")), answer="accept")
    report = compare(side((t, a), (other, same)), side((t, b), (other, same)), details=True)
    assert len(report.details) == 1  # the agreeing task has nothing to list
    (diff,) = report.details
    assert [d.kind for d in diff.disagreements] == ["boundary", "label"]
    items = report.as_dict(details=True)["disagreements"][0]["items"]
    assert items[1] == {
        "kind": "label",
        "start": 33,
        "end": 38,
        "a": [{"start": 33, "end": 38, "label": "GPE", "text": "Seoul"}],
        "b": [{"start": 33, "end": 38, "label": "LOC", "text": "Seoul"}],
    }
    assert compare(side((t, a)), side((t, b))).details == ()  # only computed when asked
