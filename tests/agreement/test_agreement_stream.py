"""Agreement streamed task by task: the figures are sums, so they come out exactly as computed over
whole label sequences; from a database the rows are read in one pass, one task at a time."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings

from annotator.core.agreement import (
    Version,
    aligned_relation_counts,
    boundary_counts,
    cohen_kappa,
    compare,
    compare_all,
    krippendorff_alpha,
    observed_agreement,
    overlap_matching,
    per_label_counts,
    token_labels,
)
from annotator.core.counts import Counts
from annotator.core.model import Annotation, Task
from annotator.reports.agreement_input import compare_store, store_tasks
from annotator.store import Store
from tests.agreement.test_agreement_compare import TEXTS, corpora, side, spans, task


@given(corpora())
@settings(max_examples=80, deadline=None)
def test_sums_task_by_task_equal_the_whole_sequences_exactly(
    corpus: list[list[tuple[Task, Annotation]]],
) -> None:
    a_versions, b_versions = corpus
    report = compare(side(*a_versions), side(*b_versions))
    labels_a: list[str] = []
    labels_b: list[str] = []
    overlap = boundary = aligned = Counts()
    per_label: dict[str, Counts] = {}
    for (t, x), (_, y) in zip(a_versions, b_versions, strict=True):
        offsets = [(tok.start, tok.end) for tok in t.tokens]
        labels_a += token_labels(offsets, x.spans)
        labels_b += token_labels(offsets, y.spans)
        matching = overlap_matching(x.spans, y.spans)
        overlap += Counts(len(matching), len(y.spans) - len(matching), len(x.spans) - len(matching))
        boundary += boundary_counts(x.spans, y.spans)
        aligned += aligned_relation_counts(x, y, matching)
        for label, counts in per_label_counts(x.spans, y.spans).items():
            per_label[label] = per_label.get(label, Counts()) + counts
    # ==, not approx: the same integers go through the same formulas.
    assert report.tokens.tokens == len(labels_a)
    assert report.tokens.observed == observed_agreement(labels_a, labels_b)
    assert report.tokens.cohen_kappa == cohen_kappa(labels_a, labels_b)
    assert report.tokens.krippendorff_alpha == krippendorff_alpha(labels_a, labels_b)
    assert (report.overlap, report.boundary, report.relations_aligned) == (overlap, boundary, aligned)
    assert report.per_label == dict(sorted(per_label.items()))


def _database(path: Path) -> Store:
    """Five tasks: A and B on most, a draft and a reject, C and gold beside them."""
    store = Store(path)
    tasks = [task(text) for text in TEXTS]
    ids = store.add_tasks("d", [(t, Annotation()) for t in tasks])
    a = [
        Annotation(spans(tasks[0], ("Lloyd Austin", "PERSON"), ("Seoul", "GPE")), answer="accept"),
        Annotation(spans(tasks[1], ("Seoul", "GPE"), ("North Korea", "GPE")), answer="accept"),
        Annotation(answer="accept"),
        Annotation(spans(tasks[3], ("Austin", "PERSON")), answer="reject"),
        Annotation(spans(tasks[4], ("fifth", "ORDINAL")), answer="accept"),
    ]
    b = [
        Annotation(spans(tasks[0], ("Austin", "PERSON"), ("Seoul", "LOC")), answer="accept"),
        Annotation(spans(tasks[1], ("Seoul", "GPE"), ("North Korea", "GPE")), answer="accept"),
        Annotation(spans(tasks[2], ("Nothing", "ORG")), answer=None),
        Annotation(spans(tasks[3], ("Austin", "PERSON")), answer="accept"),
        None,
    ]
    for task_id, x, y in zip(ids, a, b, strict=True):
        store.save_annotation(task_id, "A", x)
        if y is not None:
            store.save_annotation(task_id, "B", y)
        store.save_annotation(task_id, "C", replace(x, answer="accept"))
        store.save_annotation(task_id, "gold", x)
    return store


def _held(store: Store, name: str) -> dict[int, Version]:
    return {
        t.input_hash: Version(t, ann, f"task {task_id}")
        for task_id, t, ann in store.annotations("d", name, answers=None)
    }


def test_the_database_streamed_gives_what_the_versions_held_in_memory_give(tmp_path: Path) -> None:
    with _database(tmp_path / "a.db") as store:
        for names in (["A", "B"], ["B", "A"], ["A", "B", "C"]):
            held = compare_all([(n, _held(store, n)) for n in names], details=True)
            streamed = compare_store(tmp_path / "a.db", "d", names, details=True)
            assert streamed.as_dict(details=True) == held.as_dict(details=True)
        pair = compare_store(tmp_path / "a.db", "d", ["A", "B"]).pairs[0]
        assert (pair.tasks.compared, pair.tasks.only_a, pair.tasks.answer_mismatch) == (2, 1, 2)


def test_rows_are_read_in_one_pass_and_a_task_is_compared_before_the_next_is_read(tmp_path: Path) -> None:
    with _database(tmp_path / "a.db") as store:
        read: list[int] = []
        real = store.annotations

        def counting(
            dataset: str,
            annotator: str | None = None,
            answers: Collection[str] | None = ("accept",),
            *,
            tokens: bool = True,
        ) -> Iterator[tuple[int, Task, Annotation]]:
            assert annotator is None  # one pass over every row, not one per annotator
            for row in real(dataset, annotator, answers, tokens=tokens):
                read.append(row[0])
                yield row

        store.annotations = counting  # type: ignore[method-assign]
        stream = store_tasks(store, "d", ["A", "B"])
        first_id, first = next(stream)
        assert [v.annotation.annotator if v else None for v in first] == ["A", "B"]
        # The first task's four rows (A, B, C, gold) and the first row of the next task: no more.
        assert read == [first_id] * 4 + [first_id + 1]
        assert len(list(stream)) == 4
