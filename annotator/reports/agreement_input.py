"""The versions ``annotator agreement`` compares: one annotator's rows in the database, or one gold
JSONL file (read record by record as ``annotator import`` reads it; a bad record is reported with
its place and skipped)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotator.core.agreement import AgreementReport, TaskVersions, Version, by_task, compare_stream
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.formats.jsonl import read_record
from annotator.formats.jsontext import RecordError, records
from annotator.formats.problems import Problems
from annotator.store import Store


@dataclass
class FileVersions:
    versions: dict[int, Version] = field(default_factory=dict)
    bad: list[BadRecord] = field(default_factory=list)
    warnings: list[BadRecord] = field(default_factory=list)


def read_file(path: Path) -> FileVersions:
    """A gold-schema file as one annotator's versions, keyed by input hash.

    Read as ``annotator import`` reads JSONL: one task a line, pretty-printed or a JSON array too,
    and records without ``tokens`` (``{"text", "spans"}`` as scripts write them) tokenized with
    spaCy's tokenizer. A record without ``answer`` counts as accepted: a file handed to
    ``agreement`` is a list of finished annotations, and tools that write gold files without answers
    exist. When two records share an input hash the later one is used, as Prodigy does, and a
    warning says so."""
    out = FileVersions()
    where = str(path)
    line_of: dict[int, int] = {}
    problems = Problems()
    if not path.is_file():
        raise AnnotatorError(f"cannot read {where}: no such file")
    try:
        found = list(records(path))
    except OSError as exc:
        raise AnnotatorError(f"cannot read {where}: {exc.strerror or exc}") from None
    for rec in found:
        if isinstance(rec, RecordError):
            problems.report(where, rec.line, rec.reason)
            continue
        number, value = rec
        item = read_record(value, where, number, problems, os.environ.get("ANNOTATOR_LANG", "en"))
        if item is None:
            continue
        task, annotation = item
        if annotation.answer is None:
            annotation = replace(annotation, answer="accept")
        earlier = line_of.get(task.input_hash)
        if earlier is not None:
            problems.warn(where, number, f"same task as line {earlier} (input hash); this later one is used")
        line_of[task.input_hash] = number
        out.versions[task.input_hash] = Version(task, annotation, f"{where}:{number}")
    out.bad = list(problems.bad)
    out.warnings = list(problems.warnings)
    out.warnings += [
        BadRecord(problems.unsupported_example[kind], None, f"not supported, not compared: {n} x {kind}")
        for kind, n in sorted(problems.unsupported.items())
    ]
    return out


def pair_by_text(sides: list[tuple[str, dict[int, Version]]]) -> list[BadRecord]:
    """Re-key each later side's tasks that no earlier side has under their input hash, but that an
    earlier side has under another hash with the same text: one text is one input, whichever tool
    computed the hash (Prodigy's differ from this tool's; a script's file may have none)."""
    notes: list[BadRecord] = []
    by_text: dict[str, int] = {}
    hashes: set[int] = set()
    for n, (name, versions) in enumerate(sides):
        if n:
            moved = 0
            for key in list(versions):
                if key in hashes:
                    continue
                target = by_text.get(versions[key].task.text)
                if target is not None and target not in versions:
                    versions[target] = versions.pop(key)
                    moved += 1
            if moved:
                notes.append(
                    BadRecord(
                        name,
                        None,
                        f"{moved} task(s) of this file have the text of a task of {sides[0][0]} under "
                        "another input hash; paired by their text",
                    )
                )
        for key, version in versions.items():
            by_text.setdefault(version.task.text, key)
            hashes.add(key)
    return notes


def store_tasks(store: Store, dataset: str, annotators: Sequence[str]) -> Iterator[TaskVersions]:
    """Task by task, in task order: each named annotator's row (drafts and every answer) or None;
    one pass over the dataset's rows, nothing held but the task at hand."""
    return by_task(store.annotations(dataset, None, answers=None), annotators)


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
    out.warnings += pair_by_text(out.sides)
    return out


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
