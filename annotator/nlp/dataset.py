"""What evaluation and training read from the store: one annotator's accepted tasks."""

from __future__ import annotations

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Task
from annotator.core.reviews import gold_reviewer
from annotator.store import Store


def who_from(store: Store, dataset: str, gold: bool, annotator: str | None) -> str:
    """The annotator whose work is read: ``--gold`` is the adjudicated set, the annotations of
    whoever reviewed the dataset (asked for with --annotator when several did)."""
    if gold and annotator:
        raise AnnotatorError("give either --gold or --annotator, not both")
    if not gold and not annotator:
        raise AnnotatorError("give --gold (the adjudicated set) or --annotator A")
    _require_dataset(store, dataset)
    return gold_reviewer(store.reviewers(dataset), dataset, choose="--annotator") if gold else str(annotator)


def _require_dataset(store: Store, dataset: str) -> None:
    if dataset not in store.datasets():
        known = ", ".join(store.datasets()) or "none"
        raise AnnotatorError(f"no dataset {dataset!r} in {store.location} (datasets: {known})")


def accepted_pairs(store: Store, dataset: str, who: str) -> list[tuple[Task, Annotation]]:
    _require_dataset(store, dataset)
    pairs = [(task, ann) for _, task, ann in store.annotations(dataset, who, ("accept",))]
    if not pairs:
        raise AnnotatorError(f"{who!r} has accepted no task in dataset {dataset!r}")
    return pairs
