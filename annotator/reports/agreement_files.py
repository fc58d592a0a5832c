"""``annotator agreement a.jsonl b.jsonl``: gold files compared as they are read, side by side.

Each file is read once, front to back, all of them in step; a task's versions are compared as soon
as every file has given one (files of one dataset mostly hold the same tasks in the same order, and
then nothing waits). What reading cannot settle is settled after it, from a few numbers kept a
record (input hash, line, a fingerprint of the text: 24 bytes): a task a file repeats (the later
record is used, as Prodigy does, and a warning says so), tasks only some files have, tasks paired
by their text (another tool's input hash), and versions that came too far apart to wait for each
other (files in different orders). Those records are read again by their place, one at a time, so
memory does not grow with the files whatever their order.

Records are read as ``annotator import`` reads JSONL: one task a line, pretty-printed or a JSON
array too, and records without ``tokens`` (``{"text", "spans"}`` as scripts write them) tokenized
with spaCy's tokenizer. A record without ``answer`` counts as accepted: a file handed to
``agreement`` is a list of finished annotations, and tools that write gold files without answers
exist. A JSON array's records are held (they may share a line, so a line does not find one).
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from annotator.core.agreement import AgreementReport, Comparison, Plain, Seen, Version
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.core.model import Annotation, Task, Token
from annotator.core.records import from_record
from annotator.formats.jsonl import kept_too_deep, read_record
from annotator.formats.jsontext import TOO_DEEP, RecordError, parsed_records, record_at, too_deep
from annotator.formats.kinds import foreign
from annotator.formats.problems import Problems
from annotator.reports.agreement_input import Sides
from annotator.reports.agreement_plain import read_plain

if TYPE_CHECKING:
    import numpy

    Ints = numpy.ndarray[Any, Any]

# numpy is imported where the numbers of every record are worked on (files not read in step, a file
# repeating a task, ordering problems or disagreements), not on the way of two files of the same
# tasks in the same order: importing it was 365 million machine instructions, a twelfth of
# comparing two files of 10,000 tasks. Below this many tasks the check that no task was compared
# twice is a set of their keys, above it numpy's (a set of a million took 64 MB).
DISTINCT_BY_SET = 200_000

# How many tasks, and tokens, may wait for their other versions while the files are read. Past
# either the oldest waiting task is dropped and compared after the reading, from its place: files
# in different orders cost a second read of the records concerned, never memory.
WINDOW = 2000
WINDOW_TOKENS = 400_000


# A task's tokens as one file's record gave them: its text, its token list as JSON, and the tokens
# read from it. Another file's record of the task with the same text and list takes the tokens as
# they are: two annotators' versions share their tokens, and reading them is most of a record.
Shared = tuple[str, bytes, tuple[Token, ...]]
# What the first version read of a task hands the next one: its tokens read whole, or its plain
# version (see agreement_plain).
Like = Shared | Plain | None


def _nothing(value: Any) -> Like:
    return None


def _tokens_given(value: Any) -> bool:
    """Whether ``read_record`` would hand this record to ``from_record`` as it is first: a JSON
    object of this format (``kinds.foreign`` finds nothing) with a token list. It reads it so
    (taking the tokens another file's record of the task brought, if the same) and, when that
    fails, leaves the record to ``read_record``, which mends or reports it."""
    return type(value) is dict and type(value.get("tokens")) is list and foreign(value, "jsonl") is None


class GoldFile:
    """One gold file: read once in file order (``read``), keeping its good records' input hashes,
    lines and text fingerprints in arrays; ``settle`` then says which record each task uses and
    what the file repeats; ``versions`` reads chosen tasks again by their place."""

    def __init__(self, path: Path, *, plain: bool = True) -> None:
        """``plain``: read records as plain versions where they allow it (not for ``details``,
        which show the tasks)."""
        self.path, self.where, self.plain = path, str(path), plain
        if not path.is_file():
            raise AnnotatorError(f"cannot read {self.where}: no such file")
        # A JSON array's records are held: several may share a line, so a line does not find one.
        self.held: list[Seen] | None = [] if _is_array(path) else None
        self.problems = Problems()
        self._columns = array("q"), array("q"), array("q")  # input hash, line, fingerprint, a record each
        self._count = 0  # good records read
        self.bad: list[BadRecord] = []
        self.warnings: list[BadRecord] = []
        # After settle: each task (input hash) in the order it first came, with the record it uses.
        self.keys: Ints
        self.lines: Ints
        self.prints: Ints
        self.used: Ints

    def __len__(self) -> int:
        """The good records read so far."""
        return self._count

    def read(self, like: Callable[[Any], Like] = _nothing) -> Iterator[tuple[int, int, Seen, Like]]:
        """Each good record's number among the good records, its task's key and its version, in
        file order, and what another file's record of the task may share of it; a bad record is
        reported (file, line, reason) and passed over. ``like``: what another file's record of a
        record's task (a raw value) brought, if any."""
        hashes, lines, prints = self._columns
        try:
            for rec in parsed_records(self.path):
                if isinstance(rec, RecordError):
                    self.problems.report(self.where, rec.line, rec.reason)
                    continue
                made = self._version(rec[:2], self.problems, like(rec[1]), rec[2])
                if made is None:
                    continue
                key, version, shared = made
                ordinal = self._count
                self._count += 1
                hashes.append(key)
                lines.append(rec[0])
                prints.append(hash(version.text))
                if self.held is not None:
                    self.held.append(version)
                yield ordinal, key, version, shared
        except OSError as exc:
            raise AnnotatorError(f"cannot read {self.where}: {exc.strerror or exc}") from None

    def _version(
        self, rec: tuple[int, Any], problems: Problems, like: Like = None, record: bytes | None = None
    ) -> tuple[int, Seen, Like] | None:
        """A record's key and version, and what it shares, or None after reporting it. A plain
        version when ``read_plain`` takes the record; else a record ``read_record`` would hand to
        ``from_record`` as it is (see ``_tokens_given``) goes there directly, taking the tokens ``like``
        brought when its text and token list are the same. ``record``: its bytes, when its
        depth is to be checked as an import checks it (``jsonl.read_plain``: what is kept of a
        record read as it comes, else the whole), reading plainly or not; a record read again was
        checked the first time."""
        number, value = rec
        plain = None
        if self.plain or record is not None:
            plain = read_plain(value, f"{self.where}:{number}", like if isinstance(like, Plain) else None)
        if record is not None and (kept_too_deep(value) if plain is not None else too_deep(record, value)):
            problems.report(self.where, number, TOO_DEEP)
            return None
        if self.plain and plain is not None:
            return plain.record.input_hash, plain, plain
        if isinstance(like, Plain):
            like = None
        if _tokens_given(value):
            text = value["text"]
            try:
                raw: bytes | None = orjson.dumps(value["tokens"])
            except orjson.JSONEncodeError:  # too deep to write, in keys not read (as an import takes it)
                raw = None  # shares nothing
            tokens = (
                like[2]
                if like is not None and raw is not None and like[1] == raw and like[0] == text
                else None
            )
            warnings: list[str] = []
            try:
                task, annotation = from_record(value, warnings=warnings, tokens_read=tokens)
            except Exception:  # as read_record does: read below, mended or reported
                pass
            else:
                for warning in warnings:
                    problems.warn(self.where, number, warning)
                shared = None if raw is None else (text, raw, task.tokens)
                return task.input_hash, self._made(task, annotation, number), shared
        item = read_record(value, self.where, number, problems, os.environ.get("ANNOTATOR_LANG", "en"))
        return None if item is None else (item[0].input_hash, self._made(*item, number), None)

    def _made(self, task: Task, annotation: Annotation, number: int) -> Version:
        if annotation.answer is None:
            annotation = replace(annotation, answer="accept")
        return Version(task, annotation, f"{self.where}:{number}")

    @property
    def read_keys(self) -> array[int]:
        """The input hash of every good record read, in file order (before ``settle``)."""
        return self._columns[0]

    def hashes(self) -> Ints:
        """``read_keys`` as numpy's integers (no copy)."""
        import numpy

        return numpy.frombuffer(self.read_keys, dtype=numpy.int64)

    def settle(self) -> None:
        """Which record each task uses (the last of its input hash) and where it first came; a
        warning for each repeat, after what reading its record said, in file order."""
        import numpy

        hashes, lines, prints = (numpy.frombuffer(c, dtype=numpy.int64) for c in self._columns)
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
        del ranked, again
        ends = numpy.r_[starts[1:], len(order)] - 1 if len(order) else starts
        firsts, lasts = order[starts], order[ends]
        del order, starts, ends
        place = numpy.argsort(firsts, kind="stable")
        self.keys = hashes[firsts[place]]  # in the order each first came
        self.used = lasts[place]  # the number of the record used
        del firsts, lasts, place
        self.lines = lines[self.used]
        self.prints = prints[self.used]
        del hashes, lines, prints
        self._columns = array("q"), array("q"), array("q")  # what they held is in the arrays above
        self._report(repeats)

    def settle_distinct(self) -> None:
        """``settle`` for a file known to repeat no task, whose every record was compared while it
        was read, in file order: nothing is read again, so only what reading said is reported."""
        self._report([])

    def _report(self, repeats: list[BadRecord]) -> None:
        problems = self.problems
        self.bad = list(problems.bad)
        # In file order, each repeat after what reading its record said.
        self.warnings = sorted([*problems.warnings, *repeats], key=lambda w: w.line or 0)
        self.warnings += [
            BadRecord(problems.unsupported_example[kind], None, f"not supported, not compared: {n} x {kind}")
            for kind, n in sorted(problems.unsupported.items())
        ]

    def versions(self, places: Ints) -> Iterator[Seen | None]:
        """The versions of the tasks at these places in ``keys`` (-1: none), read again one at a
        time, in that order."""
        if self.held is not None:
            for place in places:
                yield None if place < 0 else self.held[int(self.used[place])]
            return
        with open(self.path, "rb") as handle:
            offsets = _line_starts(handle, self.lines[places[places >= 0]])
            at = 0
            # numpy's own integers, one at a time: a list of Python ints would hold 36 bytes a task.
            for place in places:
                if place < 0:
                    yield None
                    continue
                handle.seek(int(offsets[at]))
                at += 1
                rec = record_at(handle, int(self.lines[place]))
                made = None if isinstance(rec, RecordError) else self._version(rec, Problems())
                assert made is not None, "a record read before reads the same again"
                yield made[1]


def _is_array(path: Path) -> bool:
    """Whether the file is one JSON array (as ``records`` reads it), by its first non-blank byte."""
    with open(path, "rb") as handle:
        for raw in handle:
            head = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
            if head:
                return head[:1] == b"["
    return False


def _line_starts(handle: IO[bytes], lines: Ints) -> Ints:
    """The byte offset where each of these lines begins (in their order), from one pass over the
    file."""
    import numpy

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


def _lookup(keys: Ints, values: Ints, wanted: Ints) -> Ints:
    """For each of ``wanted``, the value of that key (``keys`` sorted, distinct), or -1."""
    import numpy

    if not len(keys):
        return numpy.full(len(wanted), -1, dtype=numpy.int64)
    at = numpy.minimum(numpy.searchsorted(keys, wanted), len(keys) - 1)
    return numpy.where(keys[at] == wanted, values[at], -1)


def _first_of_each(keys: Ints, values: Ints) -> tuple[Ints, Ints]:
    """The distinct keys, sorted, each with the value of its first occurrence."""
    import numpy

    distinct, first = numpy.unique(keys, return_index=True)
    return distinct, values[first]


class _Early:
    """The tasks compared while reading: each one's key and, for each file, the number of the
    record its version came from."""

    def __init__(self, files: int) -> None:
        self.keys = array("q")
        self.used = [array("q") for _ in range(files)]

    def numbers(self) -> tuple[Ints, list[Ints]]:
        import numpy

        as_ints = numpy.frombuffer
        return as_ints(self.keys, dtype=numpy.int64), [as_ints(u, dtype=numpy.int64) for u in self.used]


def _in_step(files: Sequence[GoldFile], comparison: Comparison) -> _Early:
    """Read the files side by side, a record of each in turn, comparing each task as soon as every
    file has given a version of it; a task waits at most ``WINDOW`` tasks for its other versions."""
    n = len(files)
    early = _Early(n)
    # key -> each file's version, then each one's record number, then how many versions, their
    # tokens, and the tokens to share
    waiting: dict[int, list[Any]] = {}
    tokens = 0  # of the versions waiting

    def like(value: Any) -> Like:
        """The tokens of the task this record names, from another file's record waiting for it."""
        key = value.get("_input_hash") if type(value) is dict else None
        entry = waiting.get(key) if type(key) is int else None
        return None if entry is None else entry[-1]

    readers = dict(enumerate(f.read(like) for f in files))
    while readers:
        # A record of each file in turn, each one's version waiting before the next file's is read.
        for i, reader in list(readers.items()):
            item = next(reader, None)
            if item is None:
                del readers[i]
                continue
            number, key, version, shared = item
            entry = waiting.get(key)
            if entry is None:
                entry = waiting[key] = [None] * (2 * n) + [0, 0, shared]
            if entry[i] is None:
                entry[-3] += 1
            size = len(version.starts) if isinstance(version, Plain) else len(version.task.tokens)
            entry[-2] += size
            tokens += size
            entry[i], entry[n + i] = version, number  # a file's later record of a task replaces it
            if entry[-3] == n:
                del waiting[key]
                tokens -= entry[-2]
                comparison.add(key, entry[:n])
                early.keys.append(key)
                for used, k in zip(early.used, entry[n : 2 * n], strict=True):
                    used.append(k)
        while len(waiting) > WINDOW or (tokens > WINDOW_TOKENS and waiting):
            tokens -= waiting.pop(next(iter(waiting)))[-2]
    return early


def compare_files(paths: list[Path], *, details: bool = False) -> tuple[AgreementReport, Sides]:
    """One annotator per file, named by the path as given. Tasks are paired by input hash, or by
    their text when a later file holds an earlier file's text under another hash (one text is one
    input, whichever tool computed the hash: Prodigy's differ from this tool's, and a script's file
    may have none); reported in the first file's order, then the tasks only later files have."""
    names = [str(p) for p in paths]
    if len(names) < 2:
        raise AnnotatorError("agreement needs two files (or --dataset with --annotators)")
    if len(set(names)) != len(names):
        raise AnnotatorError("the same file is given twice")
    files = [GoldFile(path, plain=not details) for path in paths]
    comparison = Comparison(names, details=details)
    early = _in_step(files, comparison)
    # Two annotators' figures are sums of integers, added in any order; Fleiss' kappa (three or
    # more) sums a fraction a token, exact only in the report's order.
    any_order = len(files) == 2
    stands = False
    read = Sides()
    if all(len(f) == len(early.keys) for f in files) and _distinct(early.keys):
        # Every record of every file was compared and no file repeats a task: every file holds the
        # same tasks, each once, so nothing is left, and nothing is paired by its text.
        for f in files:
            f.settle_distinct()
        stands = any_order or early.keys == files[0].read_keys
    if stands:
        # Every file's order is the report's; numpy only if there is something to put in order.
        comparison.order(lambda keys: _ranks(files[0].hashes(), keys) if len(keys) else [])
    else:
        for f in files:
            f.settle()
        early_keys, early_used = early.numbers()
        compared, read.warnings = _after(files, comparison, early_keys, early_used, any_order)
        comparison.order(lambda keys: _ranks(compared, keys))
    for f in files:
        read.bad += f.bad
    read.warnings = [w for f in files for w in f.warnings] + read.warnings
    return comparison.report(), read


def _after(
    files: Sequence[GoldFile],
    comparison: Comparison,
    early_keys: Ints,
    early_used: list[Ints],
    any_order: bool,
) -> tuple[Ints, list[BadRecord]]:
    """Compare what reading left: the tasks not compared while reading, or all of them again if a
    task compared then did not use the record it will (a file repeats it further on), or, with
    three files or more, if the tasks compared then are not the first ones in the report's order.
    Their records are read again by their places. The tasks compared, in order, and what the plan
    says."""
    import numpy

    compared, sides, said = _plan(files)
    for f in files:
        f.keys = f.prints = f.keys[:0]  # the plan's: the places under each key are in sides
    places = [_lookup(keys, values, early_keys) for keys, values in sides]
    # A task compared while reading stands if, in each file, its version came from the record the
    # task uses, and (three files or more) the tasks compared so came first, in order.
    stands = all(
        bool(numpy.all(place >= 0)) and numpy.array_equal(f.used[place], used)
        for f, place, used in zip(files, places, early_used, strict=True)
    ) and (any_order or numpy.array_equal(early_keys, compared[: len(early_keys)]))
    if stands:
        rest = compared[~_member(numpy.sort(early_keys), compared)]
    else:
        comparison.clear()
        rest = compared
    places = [_lookup(keys, values, rest) for keys, values in sides]
    del sides
    streams = [f.versions(place) for f, place in zip(files, places, strict=True)]
    del places
    for key in rest:
        comparison.add(int(key), [next(stream) for stream in streams])
    return compared, said


def _plan(files: Sequence[GoldFile]) -> tuple[Ints, list[tuple[Ints, Ints]], list[BadRecord]]:
    """The tasks compared, in order (the first file's, then the tasks each later file brings), and
    for each file its task's place under each key (keys sorted); a later file's task no earlier
    file has under its hash goes under the key of an earlier file's task of the same text, unless
    the file has that key itself or an earlier task of it took it (a warning says how many). A
    few arrays of a number a task at once: nothing is built for the texts unless a file brings
    tasks no earlier file has."""
    import numpy

    said: list[BadRecord] = []
    sides: list[tuple[Ints, Ints]] = []  # key -> place, keys sorted
    order = []  # the keys compared, a file's new ones after another's
    texts: list[tuple[Ints, Ints]] = []  # (key, fingerprint) of each earlier file's tasks, as filed
    for n, f in enumerate(files):
        ranked = numpy.argsort(f.keys, kind="stable")
        own = f.keys[ranked]
        earlier = numpy.zeros(len(f.keys), dtype=bool)
        for keys, _ in sides:
            earlier |= _member(keys, f.keys)
        new = numpy.flatnonzero(~earlier)
        moved, targets = new[:0], new[:0]
        if n and len(new):
            moved, targets = _by_text(texts, f.prints[new], new, own)
        kept = numpy.ones(len(f.keys), dtype=bool)
        kept[moved] = False
        order.append(f.keys[kept & ~earlier])
        if len(moved):
            said.append(
                BadRecord(
                    f.where,
                    None,
                    f"{len(moved)} task(s) of this file have the text of a task of {files[0].where} under "
                    "another input hash; paired by their text",
                )
            )
            keys = numpy.concatenate([f.keys[kept], targets])
            values = numpy.concatenate([numpy.flatnonzero(kept), moved])
            ranked = numpy.argsort(keys, kind="stable")
            sides.append((keys[ranked], values[ranked]))
            texts.append((keys, numpy.concatenate([f.prints[kept], f.prints[moved]])))
        else:
            sides.append((own, ranked))
            texts.append((f.keys, f.prints))
    return numpy.concatenate(order), sides, said


def _member(ranked: Ints, wanted: Ints) -> Ints:
    """Whether each of ``wanted`` is one of ``ranked`` (sorted)."""
    import numpy

    if not len(ranked):
        return numpy.zeros(len(wanted), dtype=bool)
    at = numpy.minimum(numpy.searchsorted(ranked, wanted), len(ranked) - 1)
    return ranked[at] == wanted  # type: ignore[no-any-return]


def _by_text(texts: list[tuple[Ints, Ints]], prints: Ints, new: Ints, own: Ints) -> tuple[Ints, Ints]:
    """Of a file's tasks at places ``new`` (no earlier file has their hash; ``prints`` their texts'),
    those that go under the key of an earlier file's task of the same text (the first task of that
    text), unless the file has that key itself (``own``, sorted) or an earlier one of them took it:
    their places, in file order, and those keys."""
    import numpy

    text_keys = numpy.concatenate([k for k, _ in texts])
    text_prints = numpy.concatenate([p for _, p in texts])
    hits = numpy.flatnonzero(numpy.isin(text_prints, prints))  # in order: the first of a text first
    known, key_of = _first_of_each(text_prints[hits], text_keys[hits])
    found = _lookup(known, numpy.arange(len(known), dtype=numpy.int64), prints)
    ok = found >= 0
    places, targets = new[ok], key_of[found[ok]]
    free = ~_member(own, targets)
    places, targets = places[free], targets[free]
    _, first = numpy.unique(targets, return_index=True)
    first.sort()
    return places[first], targets[first]


def _distinct(keys: array[int]) -> bool:
    """Whether no key is there twice."""
    if len(keys) <= DISTINCT_BY_SET:
        return len(set(keys)) == len(keys)
    import numpy

    return len(numpy.unique(numpy.frombuffer(keys, dtype=numpy.int64))) == len(keys)


def _ranks(compared: Ints, keys: Sequence[int]) -> list[int]:
    """Each key's place in ``compared`` (each key is one of them)."""
    if not len(keys):
        return []
    import numpy

    order = numpy.argsort(compared, kind="stable")
    at = numpy.searchsorted(compared[order], numpy.asarray(keys, dtype=numpy.int64))
    return [int(r) for r in order[at]]
