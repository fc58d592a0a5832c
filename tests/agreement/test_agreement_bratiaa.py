"""The published bratiaa figures, reproduced from the brat files with this project's agreement code.

bratiaa (kldtz/bratiaa, README "Agreement Measures") counts, for every pair of annotators and every
document, TP/FP/FN of text-bound annotations by set operations, pools them over documents and/or
labels, computes F1 = 2TP / (2TP + FP + FN) per pair, and reports the mean and the (population)
standard deviation of those pairwise F1s. Instance level: two annotations match when label and
offsets match, which is this project's ``spans.exact`` (and ``per_label``). Token level (``-t``):
every annotation is split into the whitespace tokens (``\\S+``) it overlaps, and (label, token)
pairs are compared, which is IO token labelling over whitespace tokens (no token of the example
project overlaps two annotations, so one label per token loses nothing).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from annotator.core.agreement import PairReport, Version, compare, compare_all, token_labels
from annotator.core.counts import Counts
from annotator.core.model import Annotation, Task
from annotator.formats import brat
from annotator.formats.problems import Problems
from tests.conftest import FIXTURES

BRATIAA = FIXTURES / "agreement" / "bratiaa"
PROJECT = BRATIAA / "example-project"
LABELS = ["LOC", "MISC", "ORG", "PER"]  # annotation.conf, sorted as bratiaa sorts them


def read_annotator(folder: Path) -> dict[int, Version]:
    problems = Problems()
    out = {}
    for task, annotation in brat.read(folder, problems):
        # brat has no answers: every document of an annotator's folder is finished work.
        out[task.input_hash] = Version(task, Annotation(annotation.spans, (), "accept"), task.meta["source"])
    assert problems.ok, problems.lines()
    return out


@pytest.fixture(scope="module")
def project() -> dict[str, dict[int, Version]]:
    names = sorted(p.name for p in PROJECT.iterdir() if p.is_dir())
    return {name: read_annotator(PROJECT / name) for name in names}


def published(report: str) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Rows of the report's tables (name -> (mean, sd)) and the overall mean and SD."""
    text = (BRATIAA / report).read_text()
    rows = {
        m[1]: (float(m[2]), float(m[3]))
        for m in re.finditer(r"^\| (\S+)\s*\|\s*([\d.]+) \|\s*([\d.]+) \|$", text, re.M)
    }
    total = re.search(r"Mean F1: ([\d.]+), SD F1: ([\d.]+)", text)
    assert total is not None and len(rows) == 7 + 4
    return rows, (float(total[1]), float(total[2]))


def mean_sd(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values))


def test_instance_level_f1_matches_the_published_report(project: dict[str, dict[int, Version]]) -> None:
    report = compare_all(list(project.items()))
    assert [p.annotators for p in report.pairs] == list(itertools.combinations(sorted(project), 2))
    assert all(p.tasks.compared == 7 for p in report.pairs)
    rows, total = published("instance-agreement-report.md")

    # Overall, to the precision bratiaa's regression test and the fixtures README give.
    mean, sd = mean_sd([p.exact.f1 for p in report.pairs])
    assert mean == pytest.approx(0.8903501, abs=1e-7)
    assert sd == pytest.approx(0.0526314, abs=1e-7)
    assert (round(mean, 3), round(sd, 3)) == total

    for label in LABELS:
        m, s = mean_sd([p.per_label[label].f1 for p in report.pairs])
        assert (round(m, 3), round(s, 3)) == rows[label], label

    for version in next(iter(project.values())).values():
        doc = version.ref.replace(".txt", ".ann")
        key = version.task.input_hash
        f1s = [
            compare({key: project[a][key]}, {key: project[b][key]}).exact.f1
            for a, b in itertools.combinations(sorted(project), 2)
        ]
        m, s = mean_sd(f1s)
        assert (round(m, 3), round(s, 3)) == rows[doc], doc


def whitespace_token_counts(a: Task, x: Annotation, y: Annotation) -> dict[str, Counts]:
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", a.text)]
    la, lb = token_labels(tokens, x.spans), token_labels(tokens, y.spans)
    return {
        label: Counts(
            sum(p == q == label for p, q in zip(la, lb, strict=True)),
            sum(q == label != p for p, q in zip(la, lb, strict=True)),
            sum(p == label != q for p, q in zip(la, lb, strict=True)),
        )
        for label in LABELS
    }


def test_token_level_f1_matches_the_published_report(project: dict[str, dict[int, Version]]) -> None:
    rows, total = published("token-agreement-report.md")
    pairs = list(itertools.combinations(sorted(project), 2))
    docs = sorted(next(iter(project.values())))
    # counts[pair][doc][label]
    counts = {
        (a, b): {
            d: whitespace_token_counts(project[a][d].task, project[a][d].annotation, project[b][d].annotation)
            for d in docs
        }
        for a, b in pairs
    }

    def pooled(pair: tuple[str, str], doc: int | None = None, label: str | None = None) -> Counts:
        out = Counts()
        for d in docs if doc is None else [doc]:
            for lab in LABELS if label is None else [label]:
                out += counts[pair][d][lab]
        return out

    mean, sd = mean_sd([pooled(p).f1 for p in pairs])
    assert mean == pytest.approx(0.9639787, abs=1e-7)
    assert sd == pytest.approx(0.01498979, abs=1e-8)
    assert (round(mean, 3), round(sd, 3)) == total
    for label in LABELS:
        m, s = mean_sd([pooled(p, label=label).f1 for p in pairs])
        assert (round(m, 3), round(s, 3)) == rows[label], label
    for d in docs:
        name = project["Lisa"][d].ref.replace(".txt", ".ann")
        m, s = mean_sd([pooled(p, doc=d).f1 for p in pairs])
        assert (round(m, 3), round(s, 3)) == rows[name], name


def test_two_annotator_project_of_bratiaa_tests() -> None:
    # bratiaa's tests/test_agree.py: agree-2 (ann1 vs ann2, two documents) has total F1 0.787878.
    root = BRATIAA / "agree-2"
    report: PairReport = compare(
        read_annotator(root / "ann1"), read_annotator(root / "ann2"), ("ann1", "ann2")
    )
    assert report.tasks.compared == 2
    assert report.exact.f1 == pytest.approx(0.787878, rel=1e-4)
    assert report.exact == Counts(13, 4, 3)
    # Max's long spans ("Grenoble (Francia)") are overlap matches but not exact ones: overlap >= exact.
    assert report.overlap.tp >= report.exact.tp


def test_max_long_spans_show_as_the_gap_between_exact_and_overlap(
    project: dict[str, dict[int, Version]],
) -> None:
    # The example's README: Max annotates "[Grenoble (Francia)]" where the others write
    # "[Grenoble] ([Francia])": instance F1 suffers, overlap and token figures much less.
    with_max = compare(project["Lisa"], project["Max"], ("Lisa", "Max"))
    others = compare(project["Lisa"], project["Peter"], ("Lisa", "Peter"))
    gap_max = with_max.overlap.f1 - with_max.exact.f1
    gap_others = others.overlap.f1 - others.exact.f1
    assert gap_max > 0.05 > gap_others
