"""The versions ``annotator agreement`` compares from the database: each annotator's rows, task by
task (gold files are read by ``agreement_files``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.core.agreement import AgreementReport, TaskVersions, by_task, compare_stream
from annotator.core.errors import AnnotatorError, BadRecord

if TYPE_CHECKING:
    from annotator.store import Store


def store_tasks(store: Store, dataset: str, annotators: Sequence[str]) -> Iterator[TaskVersions]:
    """Task by task, in task order: each named annotator's row (drafts and every answer) or None;
    one pass over the dataset's rows, nothing held but the task at hand."""
    return by_task(store.annotations(dataset, None, answers=None), annotators)


@dataclass
class Sides:
    """What went wrong reading the annotators' versions."""

    bad: list[BadRecord] = field(default_factory=list)
    warnings: list[BadRecord] = field(default_factory=list)


def parse_annotators(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) < 2:
        raise AnnotatorError(f"--annotators needs at least two names separated by commas, not {value!r}")
    if len(set(names)) != len(names):
        raise AnnotatorError(f"--annotators names someone twice: {value!r}")
    return names


def compare_store(
    db: str | Path, dataset: str, annotators: list[str], *, details: bool = False
) -> AgreementReport:
    """Every pair of the annotators in the database, compared task by task as the rows are read."""
    # Imported here: comparing files needs no store (loading it was 63 million machine instructions
    # of the command's start).
    from annotator.store import Store

    # create=False: a mistyped --db must not leave an empty database behind.
    with Store(db, create=False, read_only=True) as store:
        datasets = store.datasets()
        if dataset not in datasets:
            known = ", ".join(datasets) if datasets else "none"
            raise AnnotatorError(f"no dataset {dataset!r} in {store.location} (datasets: {known})")
        present = store.annotators(dataset)
        missing = [a for a in annotators if a not in present]
        if missing:
            known = ", ".join(present) if present else "none"
            raise AnnotatorError(
                f"no annotations by {', '.join(missing)} in dataset {dataset!r} (annotators: {known})"
            )
        return compare_stream(annotators, store_tasks(store, dataset, annotators), details=details)
