"""What evaluation and training read from the store: one annotator's accepted tasks."""

from __future__ import annotations

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Task
from annotator.store import Store


def who_from(gold: bool, annotator: str | None) -> str:
    """The annotator whose work is read: ``--gold`` is the adjudicated set (stored as "gold")."""
    if gold and annotator:
        raise AnnotatorError("give either --gold or --annotator, not both")
    if not gold and not annotator:
        raise AnnotatorError("give --gold (the adjudicated set) or --annotator A")
    return "gold" if gold else str(annotator)


def accepted_pairs(store: Store, dataset: str, who: str) -> list[tuple[Task, Annotation]]:
    if dataset not in store.datasets():
        known = ", ".join(store.datasets()) or "none"
        raise AnnotatorError(f"no dataset {dataset!r} in {store.path} (datasets: {known})")
    pairs = [(task, ann) for _, task, ann in store.annotations(dataset, who, ("accept",))]
    if not pairs:
        raise AnnotatorError(f"{who!r} has accepted no task in dataset {dataset!r}")
    return pairs
