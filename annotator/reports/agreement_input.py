"""The versions ``annotator agreement`` compares: one annotator's rows in the database, or one gold
JSONL file (read record by record as ``annotator import`` reads it; a bad record is reported with
its place and skipped)."""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy

from annotator.core.agreement import AgreementReport, TaskVersions, Version, by_task, compare_stream
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.formats.jsonl import read_record
from annotator.formats.jsontext import RecordError, record_at, records
from annotator.formats.problems import Problems
from annotator.store import Store


class FileIndex:
    """One gold file read once, keeping a few numbers a task, not the tasks: for each input hash, in
    the order it first comes, the line of its last good record (when two records share an input
    hash the later one is used, as Prodigy does, and a warning says so) and its text's fingerprint,
    in numpy arrays (24 bytes a task); with the file's bad records and warnings. ``versions`` reads
    the tasks again, one at a time.

    Read as ``annotator import`` reads JSONL: one task a line, pretty-printed or a JSON array too,
    and records without ``tokens`` (``{"text", "spans"}`` as scripts write them) tokenized with
    spaCy's tokenizer. A record without ``answer`` counts as accepted: a file handed to
    ``agreement`` is a list of finished annotations, and tools that write gold files without
    answers exist. A JSON array's records are held instead (they may share a line)."""

    def __init__(self, path: Path) -> None:
        self.path, self.where = path, str(path)
        if not path.is_file():
            raise AnnotatorError(f"cannot read {self.where}: no such file")
        # A JSON array's records are held: several may share a line, so a line does not find one.
        held: list[Version] | None = [] if _is_array(path) else None
        problems = Problems()
        columns = array("q"), array("q"), array("q")  # input hash, line, fingerprint, a record each
        try:
            for rec in records(path):
                if isinstance(rec, RecordError):
                    problems.report(self.where, rec.line, rec.reason)
                    continue
                version = self._version(rec, problems)
                if version is None:
                    continue
                for column, value in zip(
                    columns, (version.task.input_hash, rec[0], _fingerprint(version.task.text)), strict=True
                ):
                    column.append(value)
                if held is not None:
                    held.append(version)
        except OSError as exc:
            raise AnnotatorError(f"cannot read {self.where}: {exc.strerror or exc}") from None
        hashes, lines, prints = (numpy.frombuffer(c, dtype=numpy.int64) for c in columns)
        # Each hash's records side by side, in file order (a stable sort): the first gives the hash
        # its place, the last its version, and each later one repeats the one before it.
        order = numpy.argsort(hashes, kind="stable")
        ranked = hashes[order]
        again = numpy.r_[False, ranked[1:] == ranked[:-1]] if len(order) else numpy.zeros(0, dtype=bool)
        repeats = [
            BadRecord(
                self.where,
                int(lines[order[k]]),
                f"same task as line {int(lines[order[k - 1]])}; this later one is used",
            )
            for k in numpy.flatnonzero(again)
        ]
        starts = numpy.flatnonzero(~again)
        ends = numpy.r_[starts[1:], len(order)] - 1 if len(order) else starts
        firsts, lasts = order[starts], order[ends]
        place = numpy.argsort(firsts, kind="stable")
        self.keys = hashes[firsts[place]]  # in the order each first came
        self.lines = lines[lasts[place]]  # of the record used
        self.prints = prints[lasts[place]]
        self.held = None if held is None else [held[i] for i in lasts[place]]
        self.bad = list(problems.bad)
        # In file order, each repeat after what reading its record said.
        self.warnings = sorted([*problems.warnings, *repeats], key=lambda w: w.line or 0)
        self.warnings += [
            BadRecord(problems.unsupported_example[kind], None, f"not supported, not compared: {n} x {kind}")
            for kind, n in sorted(problems.unsupported.items())
        ]

    def _version(self, rec: tuple[int, Any], problems: Problems) -> Version | None:
        number, value = rec
        item = read_record(value, self.where, number, problems, os.environ.get("ANNOTATOR_LANG", "en"))
        if item is None:
            return None
        task, annotation = item
        if annotation.answer is None:
            annotation = replace(annotation, answer="accept")
        return Version(task, annotation, f"{self.where}:{number}")

    def versions(self, places: numpy.ndarray[Any, Any]) -> Iterator[Version | None]:
        """The versions of the tasks at these places in ``keys`` (-1: none), read again one at a
        time, in that order."""
        if self.held is not None:
            for place in places:
                yield None if place < 0 else self.held[int(place)]
            return
        with open(self.path, "rb") as handle:
            offsets = _line_starts(handle, self.lines)
            # numpy's own integers, one at a time: a list of Python ints would hold 36 bytes a task.
            for place in places:
                if place < 0:
                    yield None
                    continue
                handle.seek(int(offsets[place]))
                rec = record_at(handle, int(self.lines[place]))
                version = None if isinstance(rec, RecordError) else self._version(rec, Problems())
                assert version is not None, "a record read before reads the same again"
                yield version


def _fingerprint(text: str) -> int:
    """A text's 64-bit BLAKE2b digest: texts compared without keeping them."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _is_array(path: Path) -> bool:
    """Whether the file is one JSON array (as ``records`` reads it), by its first non-blank byte."""
    with open(path, "rb") as handle:
        for raw in handle:
            head = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
            if head:
                return head[:1] == b"["
    return False


def _line_starts(handle: IO[bytes], lines: numpy.ndarray[Any, Any]) -> numpy.ndarray[Any, Any]:
    """The byte offset where each of these lines begins (in their order), from one pass over the
    file."""
    wanted = numpy.unique(lines)
    found = array("q")
    at = offset = 0
    for number, raw in enumerate(handle, 1):
        if at == len(wanted):
            break
        if wanted[at] == number:
            found.append(offset)
            at += 1
        offset += len(raw)
    return numpy.frombuffer(found, dtype=numpy.int64)[numpy.searchsorted(wanted, lines)]


def _lookup(
    keys: numpy.ndarray[Any, Any], values: numpy.ndarray[Any, Any], wanted: numpy.ndarray[Any, Any]
) -> numpy.ndarray[Any, Any]:
    """For each of ``wanted``, the value of that key (``keys`` sorted, distinct), or -1."""
    if not len(keys):
        return numpy.full(len(wanted), -1, dtype=numpy.int64)
    at = numpy.minimum(numpy.searchsorted(keys, wanted), len(keys) - 1)
    return numpy.where(keys[at] == wanted, values[at], -1)


def _first_of_each(
    keys: numpy.ndarray[Any, Any], values: numpy.ndarray[Any, Any]
) -> tuple[numpy.ndarray[Any, Any], numpy.ndarray[Any, Any]]:
    """The distinct keys, sorted, each with the value of its first occurrence."""
    distinct, first = numpy.unique(keys, return_index=True)
    return distinct, values[first]


def compare_files(paths: list[Path], *, details: bool = False) -> tuple[AgreementReport, Sides]:
    """One annotator per file, named by the path as given. Tasks are paired by input hash, or by
    their text when a later file holds an earlier file's text under another hash (one text is one
    input, whichever tool computed the hash: Prodigy's differ from this tool's, and a script's file
    may have none); compared in the first file's order, then the tasks only later files have. Each
    file is read twice, the second time task by task as compared: memory does not grow with the
    files."""
    names = [str(p) for p in paths]
    if len(names) < 2:
        raise AnnotatorError("agreement needs two files (or --dataset with --annotators)")
    if len(set(names)) != len(names):
        raise AnnotatorError("the same file is given twice")
    read = Sides()
    files = []
    for path in paths:
        index = FileIndex(path)
        files.append(index)
        read.bad += index.bad
        read.warnings += index.warnings
    empty = numpy.zeros(0, dtype=numpy.int64)
    sides: list[tuple[numpy.ndarray[Any, Any], numpy.ndarray[Any, Any]]] = []  # key -> place, keys sorted
    order = [empty]  # the keys compared, a file's new ones after another's
    text_keys, text_prints = empty, empty  # (key, fingerprint) of earlier files, the first of a text first
    for n, index in enumerate(files):
        earlier = numpy.zeros(len(index.keys), dtype=bool)
        for keys, _ in sides:
            earlier |= numpy.isin(index.keys, keys)
        places = numpy.arange(len(index.keys), dtype=numpy.int64)
        moved = numpy.zeros(len(index.keys), dtype=bool)
        targets = numpy.full(len(index.keys), -1, dtype=numpy.int64)
        if n:
            # A task no earlier file has under its hash goes under the key of an earlier file's task
            # of the same text, unless this file has that key itself, or an earlier task took it.
            known, key_of = _first_of_each(text_prints, text_keys)
            found = _lookup(known, numpy.arange(len(known), dtype=numpy.int64), index.prints)
            ok = ~earlier & (found >= 0)
            targets[ok] = key_of[found[ok]]
            ok &= ~numpy.isin(targets, index.keys)
            candidates = numpy.flatnonzero(ok)
            _, first = numpy.unique(targets[candidates], return_index=True)
            moved[candidates[first]] = True
        if moved.any():
            read.warnings.append(
                BadRecord(
                    index.where,
                    None,
                    f"{int(moved.sum())} task(s) of this file have the text of a task of {names[0]} under "
                    "another input hash; paired by their text",
                )
            )
        kept = ~moved
        order.append(index.keys[kept & ~earlier])
        keys = numpy.concatenate([index.keys[kept], targets[moved]])
        values = numpy.concatenate([places[kept], places[moved]])
        ranked = numpy.argsort(keys, kind="stable")
        sides.append((keys[ranked], values[ranked]))
        text_keys = numpy.concatenate([text_keys, index.keys[kept], targets[moved]])
        text_prints = numpy.concatenate([text_prints, index.prints[kept], index.prints[moved]])
    compared = numpy.concatenate(order)
    streams = [
        index.versions(_lookup(keys, values, compared))
        for index, (keys, values) in zip(files, sides, strict=True)
    ]
    tasks = ((int(key), [next(stream) for stream in streams]) for key in compared)
    return compare_stream(names, tasks, details=details), read


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
