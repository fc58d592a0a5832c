"""Importing a file into a dataset: the service behind ``annotator import``.

A format's reader (``annotator.formats``) turns the file into tasks and annotations and reports
what it could not read; this stores them, pairs each text with the one the dataset already holds,
names the annotators, and says what happened.
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from annotator.core.display import visible
from annotator.core.errors import AnnotatorError
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Answer, Task
from annotator.core.records import Plain
from annotator.core.validate import align
from annotator.core.wording import counted
from annotator.formats.base import Counts, Item, Suggestion, describe
from annotator.formats.guess import check_fits, guess
from annotator.formats.problems import Problems
from annotator.formats.registry import Format, get
from annotator.formats.tokens import split_tokens
from annotator.store.base import Saved
from annotator.store.serialize import plain_tokens_blob
from annotator.transfer.reading import batches
from annotator.transfer.storelike import StoreLike

BATCH = 500
REFINED_NOTE = (
    "tasks already in the dataset whose tokens were split to fit this file's spans "
    "(their stored annotations moved along, offsets unchanged)"
)
REPLACED_NOTE = (
    "annotations already stored for this annotator replaced by the file's (other spans, relations "
    "or answer; a draft's undo history goes with it)"
)
BY_TEXT_NOTE = (
    "tasks matched a stored task by its text (their input hash differs, as between tools that "
    "compute it differently); stored under the dataset's hash"
)
# A record of a format without answers (doccano, brat, CoNLL, spaCy) or a JSONL task without one is
# stored as accepted: importing means "this is finished annotation made elsewhere", and a draft
# would be invisible to export, agreement and review.
DEFAULT_ANSWER: Answer = "accept"


class IdSet:
    """A set of task ids, one bit each: ids are small, dense integers, and a Python set of a million
    of them took ~60 MB, where this takes 125 kB."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._len = 0

    def update(self, values: Collection[int]) -> None:
        """Add every one of ``values`` (in one call: a call is most of what an ``add`` takes)."""
        bits = self._bits
        last = max(values, default=-1) // 8
        if last >= len(bits):
            bits.extend(bytes(max(last + 1 - len(bits), len(bits))))
        for value in values:
            byte, bit = divmod(value, 8)
            if not bits[byte] >> bit & 1:
                bits[byte] |= 1 << bit
                self._len += 1

    def among(self, values: Iterable[int]) -> set[int]:
        """Those of ``values`` in the set (in one call)."""
        bits, size = self._bits, len(self._bits)
        return {v for v in values if v >> 3 < size and bits[v >> 3] >> (v & 7) & 1}

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int) or value < 0:
            return False
        byte, bit = divmod(value, 8)
        return byte < len(self._bits) and bool(self._bits[byte] >> bit & 1)

    def __len__(self) -> int:
        return self._len


@dataclass
class ImportReport:
    format: str
    guessed: str | None  # why the format was chosen, when it was guessed
    counts: Counts = field(default_factory=Counts)
    task_ids: IdSet = field(default_factory=lambda: IdSet())
    annotators: dict[str, int] = field(default_factory=dict)
    without_answer: int = 0
    repeats: int = 0  # records of a task and annotator the file already gave (the later is kept)
    suggestions: int = 0  # model predictions stored as their tasks' suggestions
    problems: Problems = field(default_factory=Problems)


def resolve(path: Path, fmt: str | None) -> tuple[Format, str | None]:
    """The format to read ``path`` with: the one named (AnnotatorError when the file cannot be in
    it, saying what was expected), else the one guessed, with why."""
    if fmt:
        spec = get(fmt)
        check_fits(path, spec.name)
        return spec, None
    name, why = guess(path)
    return get(name), why


def _on_tokens(stored: Task, annotation: Annotation) -> Annotation | None:
    """The annotation moved onto the tokens a dataset already holds for the same text, or None
    when a span does not fall on them."""
    spans = []
    for s in annotation.spans:
        aligned = align(stored.tokens, s.start, s.end)
        if aligned is None:
            return None
        spans.append(replace(s, token_start=aligned[0], token_end=aligned[1]))
    return replace(annotation, spans=tuple(spans))


def refine_tokens(
    store: StoreLike, dataset: str, task_id: int, stored: Task, annotation: Annotation
) -> Task | str:
    """Split the stored task's tokens so that the spans of ``annotation`` fall on them, and move the
    task's suggestion and every stored annotation onto the new tokens (splitting keeps every old
    boundary, so they all fit). Returns the new task, or why it could not be done: an annotator's
    unfinished draft holds an edit history on the old tokens, which is left alone."""
    tokens, cuts = split_tokens(
        stored.text, stored.tokens, (s.start for s in annotation.spans), (s.end for s in annotation.spans)
    )
    if not cuts or any(align(tokens, s.start, s.end) is None for s in annotation.spans):
        return "its spans do not fall on the tokens the dataset holds for this text"
    rows = [(who, store.annotation(task_id, who)) for who in store.annotators(dataset)]
    held = [(who, a) for who, a in rows if a is not None]
    drafts = [who for who, a in held if a.answer is None]
    if drafts:
        return (
            "its spans need the stored tokens split, and the task has unfinished drafts by "
            f"{', '.join(drafts)}; finish them (or import into another dataset) first"
        )
    task = replace(stored, tokens=tokens)
    store.set_tokens(task_id, task)
    moved = _on_tokens(task, store.suggestion(task_id))
    if moved is not None:
        store.set_suggestion(task_id, moved)
    for who, a in held:
        again = _on_tokens(task, a) if a is not None else None
        if again is not None:
            store.save_annotation(task_id, who, again, session=again.session or "import")
    return task


class _TextIndex:
    """The input hash a dataset holds for a text, found without keeping every text.

    A text is one input (hashes are computed from the text alone), but tools compute the hash
    differently: Prodigy's differ from this tool's, and doccano, brat and CoNLL carry none. Without
    this, a second annotator's file from another tool would add every text again as a new task,
    and nothing would pair for agreement or review.

    This tool's own hash of a text is its fingerprint: a task stored under it is found by one
    lookup. Only tasks held under another tool's hash need a note of fingerprint -> hash; the
    stored ones are read the first time a task's own hash is not found (a dataset that starts empty
    has none), this file's as they go by. A file whose hashes are this tool's keeps nothing."""

    def __init__(self, store: StoreLike, dataset: str) -> None:
        self.store, self.dataset = store, dataset
        self._foreign: dict[int, int] | None = None  # fingerprint -> hash, for other tools' hashes
        self._empty_at_start = store.task_count(dataset) == 0

    def _stored_foreign(self) -> dict[int, int]:
        if self._foreign is None:
            self._foreign = {}
            if not self._empty_at_start:
                for task_id in self.store.task_ids(self.dataset):
                    stored = self.store.task(task_id)
                    fingerprint = input_hash(stored.text)
                    if fingerprint != stored.input_hash:
                        self._foreign.setdefault(fingerprint, stored.input_hash)
        return self._foreign

    def hashes_for(self, tasks: list[Task | Plain]) -> tuple[list[tuple[bool, int | None]], dict[int, int]]:
        """For each task, in order: whether the dataset held it before this call (tasks of this
        call are stored after it), and the held task's id when the lookup gave it (a held task
        needs no storing, nor its id looked up again); and by position, the hash to store those
        under that are to be stored under another than their own. Two queries for the batch."""
        held = self.store.find_tasks(self.dataset, (t.input_hash for t in tasks))
        prints = [None if t.input_hash in held else input_hash(t.text) for t in tasks]
        held_by_print = self.store.find_tasks(
            self.dataset,
            (p for t, p in zip(tasks, prints, strict=True) if p is not None and p != t.input_hash),
        )
        out: list[tuple[bool, int | None]] = []
        moved: dict[int, int] = {}
        foreign = self._foreign  # read when first needed
        for at, (task, fingerprint) in enumerate(zip(tasks, prints, strict=True)):
            if fingerprint is None:
                out.append((True, held[task.input_hash]))
            elif fingerprint != task.input_hash and fingerprint in held_by_print:
                moved[at] = fingerprint
                out.append((True, held_by_print[fingerprint]))
            else:
                if foreign is None:
                    foreign = self._stored_foreign()
                found = foreign.get(fingerprint)
                if found is not None:  # held, or stored by a record of this call before it
                    if found != task.input_hash:
                        moved[at] = found
                    out.append((True, None))
                    continue
                if fingerprint != task.input_hash:
                    foreign[fingerprint] = task.input_hash  # for a later record of the same text
                out.append(_NEW)
        return out, moved


_NEW = (False, None)  # a task the dataset does not hold: one tuple for all of them


class _Pending:
    """Annotations waiting to be stored, a batch a transaction."""

    def __init__(self, store: StoreLike) -> None:
        self.store = store
        self.rows: list[Saved] = []

    def add(self, row: Saved) -> None:
        self.rows.append(row)

    def write(self) -> None:
        if self.rows:
            self.store.save_annotations(self.rows)
            self.rows = []


def import_file(
    store: StoreLike,
    path: Path,
    dataset: str,
    annotator: str,
    fmt: str | None = None,
    *,
    lang: str = "en",
) -> ImportReport:
    """Store every good record of ``path`` in ``dataset``: the task (its annotation as the
    suggestion) and the annotation as ``annotator``'s, with its answer (``accept`` when the file
    has none). A file holding several users' work (a doccano multi-user export, a Label Studio
    export with several annotators, a JSONL export with several ``_annotator_id``) stores each
    user's as ``<annotator>-<user id>``. ``-`` is standard input; it and a pipe are read into a
    temporary file first (the format is guessed from the contents, then the reader reads them)."""
    path = Path(path)
    with regular_file(path) as local:
        try:
            report = _import(store, local, dataset, annotator, fmt, lang)
        except AnnotatorError as exc:  # name what the user named, not the temporary copy
            raise AnnotatorError(str(exc).replace(str(local), str(path))) from exc
    if local != path:
        report.problems.rename(str(local), str(path))
    return report


@contextlib.contextmanager
def regular_file(path: Path) -> Iterator[Path]:
    """``path`` itself, or for standard input (``-``) and a pipe a temporary copy, which every
    reader can read twice (to guess the format, count the users, then read)."""
    if str(path) == "-":
        if sys.stdin.isatty():
            raise AnnotatorError("-: standard input is the terminal; pipe a file into it, or name the file")
        stream: IO[bytes] = sys.stdin.buffer
    elif not path.exists():
        raise AnnotatorError(f"{path}: no such file or folder")
    elif stat.S_ISFIFO(path.stat().st_mode):
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    elif not (path.is_file() or path.is_dir()):
        raise AnnotatorError(f"{path} is neither a file, a folder nor a pipe")
    else:
        yield path
        return
    with stream, tempfile.TemporaryDirectory(prefix="annotator-import-") as tmp:
        copy = Path(tmp) / ("stdin" if str(path) == "-" else path.name)
        with open(copy, "wb") as out:
            shutil.copyfileobj(stream, out)
        yield copy


def _import(
    store: StoreLike, path: Path, dataset: str, annotator: str, fmt: str | None, lang: str
) -> ImportReport:
    spec, why = resolve(path, fmt)
    report = ImportReport(spec.name, why)
    problems = report.problems
    counts = report.counts
    per_user = spec.users is not None and len(spec.users(path)) > 1
    seen: dict[str, IdSet] = {}  # tasks stored for each annotator by this import
    # The annotators holding rows in the dataset before this import (the store keeps them counted):
    # any other's only rows are those this import stores, which ``seen`` knows, so their records'
    # earlier rows are not asked of the store (B onto A's tasks: 4k machine instructions a record).
    had_rows = set(store.annotators(dataset))
    source = str(path)
    index = _TextIndex(store, dataset)
    # A file that names no layers: its spans go to the layers the dataset's scheme gives their labels.
    scheme = store.scheme(dataset) if not spec.names_layers and dataset in store.datasets() else None
    home: dict[str, str] = {}
    if scheme is not None and scheme.span_groups:
        # Imported here: with core/scheme.py, 10M machine instructions of every import's start.
        from annotator.core.layers import homes

        home = homes(scheme)
    pending = _Pending(store)

    def rehash(batch: list[Item | Plain]) -> list[tuple[bool, int | None]]:
        """Put each record of ``batch`` under the hash to store it under; for each, whether the
        dataset held it before, and the held task's id if the lookup gave it."""
        looked_up, moved = index.hashes_for([e if isinstance(e, Plain) else e[0] for e in batch])
        for at, found in moved.items():
            problems.note(BY_TEXT_NOTE)
            entry = batch[at]
            if isinstance(entry, Plain):
                batch[at] = entry._replace(input_hash=found)
            else:
                batch[at] = (replace(entry[0], input_hash=found), entry[1])
        return looked_up

    def name_of(annotation: Annotation | Plain) -> str:
        if per_user and annotation.annotator:
            return f"{annotator}-{annotation.annotator}"
        return annotator

    def repeat(task: Task, task_id: int, who: str, annotation: Annotation) -> None:
        """A task this file gave already for ``who``: the later one replaces the earlier in the
        store and in the counts (read back from the store: repeats are rare, and keeping every
        annotation of a large file to compare would not be)."""
        pending.write()  # the earlier one may be waiting in this batch
        earlier = store.annotation(task_id, who)
        report.repeats += 1
        same = earlier is not None and (earlier.content(), earlier.answer) == (
            annotation.content(),
            annotation.answer,
        )
        problems.warn(
            source,
            None,
            f"{describe(task)} appears again in this file for {who}"
            + ("; the same annotation, stored once" if same else "; the later one is kept"),
        )
        if earlier is not None:
            counts.spans -= len(earlier.spans)
            counts.relations -= len(earlier.relations)
        counts.spans += len(annotation.spans)
        counts.relations += len(annotation.relations)

    def flush(batch: list[Item | Plain]) -> None:
        looked_up = rehash(batch)
        # Only the tasks whose id the lookup did not give go to add_tasks, which would look each up
        # again (13k machine instructions a task, an eighth of what a file onto held tasks took),
        # and those the lookup found missing are not looked up at all (``unheld``): only a task
        # matched by its text under another tool's hash is held with its id unknown.
        new = [
            e if isinstance(e, Plain) else (e[0], Annotation(e[1].spans, e[1].relations))
            for e, (_, task_id) in zip(batch, looked_up, strict=True)
            if task_id is None
        ]
        unheld = not any(held for held, task_id in looked_up if task_id is None)
        added = iter(store.add_tasks(dataset, new, unheld=unheld) if new else ())
        ids = [next(added) if task_id is None else task_id for _, task_id in looked_up]
        # What the dataset held before for this batch's records, read at once rather than a task at
        # a time: the annotations about to be replaced, and the stored tasks, to compare. A record
        # read as it came is compared with the stored text and tokens bytes (the same tokens write
        # the same bytes); only the others need the stored tasks made into objects.
        asked: set[tuple[int, str]] = set()  # (task id, annotator) of the records of held tasks
        held_plain: list[tuple[int, Plain, str]] = []  # those read as they came, with their annotator
        held_all: list[int] = []
        new_by: dict[str, list[int]] = {}  # held tasks of the records of annotators new to the dataset
        for task_id, e, (held, _) in zip(ids, batch, looked_up, strict=True):
            if not held:
                continue
            held_all.append(task_id)
            if isinstance(e, Plain):
                who = name_of(e)
                held_plain.append((task_id, e, who))
            elif not isinstance(e[1], Suggestion):
                who = name_of(e[1])
            else:
                continue
            if who in had_rows:
                asked.add((task_id, who))
            else:
                new_by.setdefault(who, []).append(task_id)
        earlier = store.annotations_of(asked) if asked else {}
        # the pairs of annotators new to the dataset that this import stored in an earlier batch
        ours = {
            (task_id, who)
            for who, of_who in new_by.items()
            if who in seen
            for task_id in seen[who].among(of_who)
        }
        bodies = store.task_bodies([task_id for task_id, _, _ in held_plain]) if held_plain else {}
        as_read = {  # (task id, annotator)
            (task_id, who)
            for task_id, e, who in held_plain
            if (task_id, who) not in earlier
            and (task_id, who) not in ours
            and bodies.get(task_id) == (e.text, plain_tokens_blob(e))
        }
        plain_ids = {task_id for task_id, _ in as_read}
        held_ids = [task_id for task_id in held_all if task_id not in plain_ids]
        held_tasks = store.tasks(held_ids) if held_ids else {}
        # This batch's bookkeeping in sets, added to the import's (``seen``, ``report.task_ids``:
        # a bit a task) once at its end: a call of IdSet's, a Python method, took 2-3k machine
        # instructions, several a record. A task the dataset did not hold can only have been
        # stored by this batch, so ``made`` says whether it was, as ``report.task_ids`` would.
        made: set[int] = set()  # the tasks this batch stored an annotation of
        now: dict[str, set[int]] = {}  # and for each annotator
        spans = relations = 0  # the batch's, added to the counts at its end
        for task_id, entry, (held, _) in zip(ids, batch, looked_up, strict=True):
            # A task the dataset did not hold was stored from this record (or an earlier one of
            # this batch): nothing to compare it with or to replace, no need to read it back.
            fresh = not held and task_id not in made
            if isinstance(entry, Plain):
                who = name_of(entry)
                mine = now.get(who)
                if mine is None:
                    mine = now[who] = set()
                # Stored as it is (no Task or Annotation made of it, nothing to compare or
                # replace): a task just stored from it, or one holding its text and tokens already
                # for an annotator who held no row of it before (``as_read``) and whom this file
                # has not given it for yet (an earlier batch's would be in ``earlier``).
                if fresh or ((task_id, who) in as_read and task_id not in mine):
                    if entry.answer is None:
                        report.without_answer += 1
                        entry = entry._replace(answer=DEFAULT_ANSWER)
                    mine.add(task_id)
                    made.add(task_id)
                    spans += len(entry.spans)
                    relations += len(entry.relations)
                    # Made as a tuple: a NamedTuple's own __new__ is Python (see records.new_plain).
                    pending.add(tuple.__new__(Saved, (task_id, who, entry, entry.session or "import")))
                    continue
                task, annotation = entry.item()
            else:
                task, annotation = entry
            if fresh:
                stored = task
            else:
                stored = held_tasks[task_id] if task_id in held_tasks else store.task(task_id)
            if stored.text != task.text:
                problems.report(
                    source, None, f"{describe(task)}: the dataset holds another text under its hash"
                )
                continue
            if stored.tokens != task.tokens:
                moved = _on_tokens(stored, annotation)
                if moved is None:
                    pending.write()  # refine_tokens moves every stored annotation of the task
                    refined = refine_tokens(store, dataset, task_id, stored, annotation)
                    if isinstance(refined, str):
                        problems.report(source, None, f"{describe(task)}: {refined}")
                        continue
                    problems.note(REFINED_NOTE)
                    held_tasks[task_id] = refined
                    # every stored annotation of the task moved onto the new tokens
                    asked = {k for k in asked if k[0] != task_id}
                    moved = _on_tokens(refined, annotation)
                    assert moved is not None
                annotation = moved
            if isinstance(annotation, Suggestion):  # a model's, for the task: nobody's annotation
                store.set_suggestion(task_id, Annotation(annotation.spans, annotation.relations))
                report.suggestions += 1
                continue
            who = name_of(annotation)
            if annotation.answer is None:
                report.without_answer += 1
            annotation = Annotation(  # built whole: dataclasses.replace took several times as long
                annotation.spans,
                annotation.relations,
                annotation.answer or DEFAULT_ANSWER,
                who,
                annotation.session,
                annotation.timestamp,
            )
            mine = now.get(who)
            if mine is None:
                mine = now[who] = set()
            if task_id in mine or (not fresh and task_id in seen.get(who, ())):
                repeat(task, task_id, who, annotation)
            else:
                mine.add(task_id)
                if fresh:
                    before = None
                elif (task_id, who) in asked:
                    before = earlier.get((task_id, who))
                elif who not in had_rows:  # a row this import stored would have been a repeat
                    before = None
                else:
                    before = store.annotation(task_id, who)
                if before is not None and (before.content(), before.answer) != (
                    annotation.content(),
                    annotation.answer,
                ):
                    problems.note(REPLACED_NOTE)
                spans += len(annotation.spans)
                relations += len(annotation.relations)
            pending.add(Saved(task_id, who, annotation, annotation.session or "import"))
            made.add(task_id)
        pending.write()
        # Each record above stored a (task, annotator) pair not stored before by this import (a
        # repeat replaces one), so the annotations counted are the pairs in ``seen``.
        for who, mine in now.items():
            if mine:
                ids_of = seen.get(who)
                if ids_of is None:
                    ids_of = seen[who] = IdSet()
                ids_of.update(mine)
                counts.tasks += len(mine)
                report.annotators[who] = len(ids_of)
        counts.spans += spans
        counts.relations += relations
        report.task_ids.update(made)

    def store_batch(batch: list[Item | Plain]) -> None:
        # One transaction: an import stopped midway leaves whole batches, each task with its
        # annotation, and the counts the store keeps with them.
        with store.batch():
            flush(batch)

    # Records read as they came are stored as they are, unless the scheme places their spans.
    read_plain = None if home else spec.read_plain

    def read(into: Problems) -> Iterator[Item | Plain]:
        items: Iterator[Item | Plain] = (
            read_plain(path, into, lang=lang) if read_plain is not None else spec.read(path, into, lang=lang)
        )
        return _placed(items, home) if home else items

    # Read in a process of its own while this one stores the batches read before; closed at once
    # when storing fails or is interrupted, which ends the reader.
    with contextlib.closing(batches(read, problems, BATCH, source)) as read_batches:
        for batch in read_batches:
            store_batch(batch)
    if fmt and not counts.tasks and not report.suggestions and problems.bad:
        _say_what_it_looks_like(path, spec, problems)
    return report


def _placed(items: Iterator[Item | Plain], home: dict[str, str]) -> Iterator[Item | Plain]:
    """Each item with its spans on the layers ``home`` gives their labels (a Suggestion stays one:
    replace keeps its type)."""
    from annotator.core.layers import place

    for item in items:
        yield item if isinstance(item, Plain) else (item[0], place(item[0], item[1], home))


def _say_what_it_looks_like(path: Path, spec: Format, problems: Problems) -> None:
    """After a --format under which nothing could be read: what the file looks like instead."""
    try:
        found, why = guess(path)
    except AnnotatorError:
        return
    if found != spec.name:
        problems.report(
            str(path),
            None,
            f"nothing in it could be read as {spec.name}; it looks like {found} ({why}): "
            f"pass --format {found}, or leave --format out",
        )


MAX_WARNINGS = 50


def import_lines(report: ImportReport, source: Path, dataset: str) -> tuple[list[str], list[str]]:
    """What the import command prints: (stdout lines, stderr lines)."""
    err: list[str] = []
    if report.guessed:
        err.append(f"format: {report.format} (guessed: {report.guessed}; pass --format to choose)")
    p = report.problems
    err += [f"bad record: {b}" for b in p.bad]
    err += [f"warning: {w}" for w in p.warnings[:MAX_WARNINGS]]
    if len(p.warnings) > MAX_WARNINGS:
        err.append(f"... and {len(p.warnings) - MAX_WARNINGS} more warnings")
    for kind, n in sorted(p.unsupported.items()):
        err.append(f"not supported, not imported: {n} x {kind} (first at {p.unsupported_example[kind]})")
    err += [f"note: {n} x {what}" for what, n in sorted(p.notes.items())]
    c = report.counts
    who = ", ".join(f"{visible(name)} ({n})" for name, n in sorted(report.annotators.items())) or "nobody"
    out = [
        f"imported {c.tasks} annotations of {len(report.task_ids)} tasks from {source} into dataset "
        f"{dataset!r}: {c.spans} spans, {c.relations} relations; annotators: {who}",
        f"problems: {len(p.bad)} not imported (bad records, or the parts of records that could not "
        f"be kept), {len(p.warnings)} warnings, "
        f"{sum(p.unsupported.values())} annotations of kinds not supported",
    ]
    if report.repeats:
        out.append(
            f"{counted(report.repeats, 'record')} repeated a task and annotator earlier in the file "
            "(not counted above; the later one is kept)"
        )
    if report.suggestions:
        out.append(
            f"{counted(report.suggestions, 'model prediction')} stored as the task's suggestion (what "
            "`annotate` starts from; nobody's annotation)"
        )
    if report.without_answer:
        out.append(f"{report.without_answer} records had no answer and were stored as accepted")
    return out, err
