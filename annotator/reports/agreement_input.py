"""The versions ``annotator agreement`` compares: one annotator's rows in the database, or one gold
JSONL file (read record by record; a bad line is reported with its place and skipped)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from annotator.core.agreement import Version
from annotator.core.errors import AnnotatorError, BadRecord, InvalidAnnotation
from annotator.core.records import from_record
from annotator.store import Store


@dataclass
class FileVersions:
    versions: dict[int, Version] = field(default_factory=dict)
    bad: list[BadRecord] = field(default_factory=list)
    warnings: list[BadRecord] = field(default_factory=list)


def read_file(path: Path) -> FileVersions:
    """A gold-schema JSONL file as one annotator's versions, keyed by input hash.

    A record without ``answer`` counts as accepted: a file handed to ``agreement`` is a list of
    finished annotations, and tools that write gold files without answers exist. When two records
    share an input hash the later one is used, as Prodigy does, and a warning says so."""
    out = FileVersions()
    where = str(path)
    line_of: dict[int, int] = {}
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise AnnotatorError(f"cannot read {where}: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                out.bad.append(BadRecord(where, number, f"not valid JSON ({exc})"))
                continue
            repairs: list[str] = []
            try:
                task, annotation = from_record(record, warnings=repairs)
            except InvalidAnnotation as exc:
                out.bad.append(BadRecord(where, number, str(exc)))
                continue
            out.warnings.extend(BadRecord(where, number, r) for r in repairs)
            if annotation.answer is None:
                annotation = replace(annotation, answer="accept")
            earlier = line_of.get(task.input_hash)
            if earlier is not None:
                out.warnings.append(
                    BadRecord(
                        where, number, f"same task as line {earlier} (input hash); this later one is used"
                    )
                )
            line_of[task.input_hash] = number
            out.versions[task.input_hash] = Version(task, annotation, f"{where}:{number}")
    return out


def store_versions(store: Store, dataset: str, annotator: str) -> dict[int, Version]:
    """Every row of ``annotator`` in ``dataset`` (drafts and every answer), keyed by input hash."""
    return {
        task.input_hash: Version(task, annotation, f"task {task_id}")
        for task_id, task, annotation in store.annotations(dataset, annotator, answers=None)
    }


@dataclass
class Sides:
    """Each annotator's versions, in the order given, and what went wrong reading them."""

    sides: list[tuple[str, dict[int, Version]]] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)
    warnings: list[BadRecord] = field(default_factory=list)


def from_files(paths: list[Path]) -> Sides:
    """One annotator per file, named by the path as given."""
    names = [str(p) for p in paths]
    if len(names) < 2:
        raise AnnotatorError("agreement needs two files (or --dataset with --annotators)")
    if len(set(names)) != len(names):
        raise AnnotatorError("the same file is given twice")
    out = Sides()
    for path, name in zip(paths, names, strict=True):
        read = read_file(path)
        out.sides.append((name, read.versions))
        out.bad += read.bad
        out.warnings += read.warnings
    return out


def parse_annotators(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) < 2:
        raise AnnotatorError(f"--annotators needs at least two names separated by commas, not {value!r}")
    if len(set(names)) != len(names):
        raise AnnotatorError(f"--annotators names someone twice: {value!r}")
    return names


def from_store(db: Path, dataset: str, annotators: list[str]) -> Sides:
    # create=False: a mistyped --db must not leave an empty database behind.
    with Store(db, create=False) as store:
        datasets = store.datasets()
        if dataset not in datasets:
            known = ", ".join(datasets) if datasets else "none"
            raise AnnotatorError(f"no dataset {dataset!r} in {db} (datasets: {known})")
        present = store.annotators(dataset)
        missing = [a for a in annotators if a not in present]
        if missing:
            known = ", ".join(present) if present else "none"
            raise AnnotatorError(
                f"no annotations by {', '.join(missing)} in dataset {dataset!r} (annotators: {known})"
            )
        return Sides(sides=[(name, store_versions(store, dataset, name)) for name in annotators])
