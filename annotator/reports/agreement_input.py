"""The versions ``annotator agreement`` compares: one annotator's rows in the database, or one gold
JSONL file (read record by record as ``annotator import`` reads it; a bad record is reported with
its place and skipped)."""

from __future__ import annotations

import bisect
import hashlib
import os
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from annotator.core.agreement import AgreementReport, TaskVersions, Version, by_task, compare_stream
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.formats.jsonl import read_record
from annotator.formats.jsontext import RecordError, record_at, records
from annotator.formats.problems import Problems
from annotator.store import Store


class FileIndex:
    """One gold file read once, keeping a few numbers a task, not the tasks: for each input hash, in
    the order it first comes, the line of its last good record (when two records share an input
    hash the later one is used, as Prodigy does, and a warning says so) and its text's fingerprint;
    with the file's bad records and warnings. ``versions`` reads the tasks again, one at a time.

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
        hashes, lines, prints = array("q"), array("q"), array("q")
        try:
            for rec in records(path):
                if isinstance(rec, RecordError):
                    problems.report(self.where, rec.line, rec.reason)
                    continue
                version = self._version(rec, problems)
                if version is None:
                    continue
                hashes.append(version.task.input_hash)
                lines.append(rec[0])
                prints.append(_fingerprint(version.task.text))
                if held is not None:
                    held.append(version)
        except OSError as exc:
            raise AnnotatorError(f"cannot read {self.where}: {exc.strerror or exc}") from None
        # Each hash's records side by side, in file order (a stable sort): the first gives the hash
        # its place, the last its version, and each later one repeats the one before it.
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        firsts, lasts = array("q"), array("q")
        repeats: list[BadRecord] = []
        for k, i in enumerate(order):
            if k and hashes[order[k - 1]] == hashes[i]:
                lasts[-1] = i
                repeats.append(
                    BadRecord(
                        self.where,
                        lines[i],
                        f"same task as line {lines[order[k - 1]]}; this later one is used",
                    )
                )
            else:
                firsts.append(i)
                lasts.append(i)
        del order
        ranked = sorted(range(len(firsts)), key=firsts.__getitem__)
        self.keys = array("q", (hashes[firsts[r]] for r in ranked))  # in the order each first came
        self.lines = array("q", (lines[lasts[r]] for r in ranked))  # of the record used
        self.prints = array("q", (prints[lasts[r]] for r in ranked))
        self.held = None if held is None else [held[lasts[r]] for r in ranked]
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

    def versions(self, wanted: Iterable[int | None]) -> Iterator[Version | None]:
        """The versions of the tasks at these places in ``keys`` (None: none), read again one at a
        time, in any order."""
        if self.held is not None:
            for place in wanted:
                yield None if place is None else self.held[place]
            return
        with open(self.path, "rb") as handle:
            starts = _Sorted(_line_starts(handle, self.lines))
            for place in wanted:
                if place is None:
                    yield None
                    continue
                number = self.lines[place]
                offset = starts.get(number)
                assert offset is not None
                handle.seek(offset)
                rec = record_at(handle, number)
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


def _line_starts(handle: IO[bytes], lines: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(line, byte offset where it begins) for each of these lines, from one pass over the file."""
    wanted = array("q", sorted(set(lines)))
    at = 0
    offset = 0
    for number, raw in enumerate(handle, 1):
        if at == len(wanted):
            return
        if wanted[at] == number:
            yield number, offset
            at += 1
        offset += len(raw)


class _Sorted:
    """Integer keys with an integer value each, as two sorted arrays, looked up by bisection: a
    dict of a million ints took ~100 MB. The first value given for a key is kept."""

    def __init__(self, pairs: Iterable[tuple[int, int]]) -> None:
        keys, values = array("q"), array("q")
        for key, value in sorted(pairs, key=lambda kv: kv[0]):  # stable: the first of a key first
            if not keys or keys[-1] != key:
                keys.append(key)
                values.append(value)
        self.keys, self.values = keys, values

    def get(self, key: int) -> int | None:
        i = bisect.bisect_left(self.keys, key)
        return self.values[i] if i < len(self.keys) and self.keys[i] == key else None

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None


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
    sides: list[_Sorted] = []  # each file's place in its keys for each key it is compared under
    order = array("q")  # the keys compared
    texts: list[tuple[int, int]] = []  # (fingerprint, key) of earlier files, the first of a text first
    for n, index in enumerate(files):
        own = _Sorted(zip(index.keys, range(len(index.keys)), strict=True))
        by_text = _Sorted(texts)
        moved: dict[int, int] = {}  # an earlier file's key -> the place of this file's task of its text
        kept: list[int] = []  # the places of the tasks not moved
        for place, (key, text) in enumerate(zip(index.keys, index.prints, strict=True)):
            earlier = any(key in side for side in sides)
            if n and not earlier:
                target = by_text.get(text)
                if target is not None and target not in own and target not in moved:
                    moved[target] = place
                    continue
            kept.append(place)
            if not earlier:
                order.append(key)
        if moved:
            read.warnings.append(
                BadRecord(
                    index.where,
                    None,
                    f"{len(moved)} task(s) of this file have the text of a task of {names[0]} under "
                    "another input hash; paired by their text",
                )
            )
        sides.append(_Sorted([*((index.keys[place], place) for place in kept), *moved.items()]))
        texts += [(index.prints[place], index.keys[place]) for place in kept]
        texts += [(index.prints[place], target) for target, place in moved.items()]
    streams = [index.versions(map(side.get, order)) for index, side in zip(files, sides, strict=True)]
    tasks = ((key, [next(stream) for stream in streams]) for key in order)
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
