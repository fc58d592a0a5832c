"""Importing a file into a dataset: the service behind ``annotator import``.

A format's reader (``annotator.formats``) turns the file into tasks and annotations and reports
what it could not read; this stores them, pairs each text with the one the dataset already holds,
names the annotators, and says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Answer, Task
from annotator.core.validate import align
from annotator.formats.base import Counts, Item, describe
from annotator.formats.guess import guess
from annotator.formats.problems import Problems
from annotator.formats.registry import Format, get
from annotator.formats.tokens import split_tokens
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


@dataclass
class ImportReport:
    format: str
    guessed: str | None  # why the format was chosen, when it was guessed
    counts: Counts = field(default_factory=Counts)
    task_ids: set[int] = field(default_factory=set)
    annotators: dict[str, int] = field(default_factory=dict)
    without_answer: int = 0
    problems: Problems = field(default_factory=Problems)


def resolve(path: Path, fmt: str | None) -> tuple[Format, str | None]:
    if fmt:
        return get(fmt), None
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
    """The input hash a dataset holds for a text, read from the store the first time a task's own
    hash is not found there.

    A text is one input (hashes are computed from the text alone), but tools compute the hash
    differently: Prodigy's differ from this tool's, and doccano, brat and CoNLL carry none. Without
    this, a second annotator's file from another tool would add every text again as a new task,
    and nothing would pair for agreement or review."""

    def __init__(self, store: StoreLike, dataset: str) -> None:
        self.store, self.dataset = store, dataset
        self._by_text: dict[str, int] | None = None

    def hash_for(self, task: Task) -> int:
        if self.store.find_task(self.dataset, task.input_hash) is not None:
            return task.input_hash
        if self._by_text is None:
            self._by_text = {}
            for task_id in self.store.task_ids(self.dataset):
                stored = self.store.task(task_id)
                self._by_text.setdefault(stored.text, stored.input_hash)
        return self._by_text.setdefault(task.text, task.input_hash)


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
    user's as ``<annotator>-<user id>``."""
    path = Path(path)
    if not path.exists():
        raise AnnotatorError(f"{path}: no such file or folder")
    spec, why = resolve(path, fmt)
    report = ImportReport(spec.name, why)
    problems = report.problems
    per_user = spec.users is not None and len(spec.users(path)) > 1
    seen: set[tuple[int, str]] = set()
    source = str(path)
    index = _TextIndex(store, dataset)

    def rehash(task: Task) -> Task:
        found = index.hash_for(task)
        if found == task.input_hash:
            return task
        problems.note(BY_TEXT_NOTE)
        return replace(task, input_hash=found)

    def name_of(annotation: Annotation) -> str:
        if per_user and annotation.annotator:
            return f"{annotator}-{annotation.annotator}"
        return annotator

    def flush(batch: list[Item]) -> None:
        batch = [(rehash(t), a) for t, a in batch]
        ids = store.add_tasks(dataset, [(t, replace(a, answer=None, annotator=None)) for t, a in batch])
        for task_id, (task, annotation) in zip(ids, batch, strict=True):
            stored = store.task(task_id)
            if stored.text != task.text:
                problems.report(
                    source, None, f"{describe(task)}: the dataset holds another text under its hash"
                )
                continue
            if stored.tokens != task.tokens:
                moved = _on_tokens(stored, annotation)
                if moved is None:
                    refined = refine_tokens(store, dataset, task_id, stored, annotation)
                    if isinstance(refined, str):
                        problems.report(source, None, f"{describe(task)}: {refined}")
                        continue
                    problems.note(REFINED_NOTE)
                    moved = _on_tokens(refined, annotation)
                    assert moved is not None
                annotation = moved
            who = name_of(annotation)
            if (task_id, who) in seen:
                problems.warn(
                    source, None, f"{describe(task)} appears again for {who}; the later annotation is kept"
                )
            seen.add((task_id, who))
            if annotation.answer is None:
                report.without_answer += 1
            annotation = replace(annotation, answer=annotation.answer or DEFAULT_ANSWER, annotator=who)
            before = store.annotation(task_id, who)
            if before is not None and (before.content(), before.answer) != (
                annotation.content(),
                annotation.answer,
            ):
                problems.note(REPLACED_NOTE)
            store.save_annotation(task_id, who, annotation, session=annotation.session or "import")
            report.counts.add(annotation)
            report.task_ids.add(task_id)
            report.annotators[who] = report.annotators.get(who, 0) + 1

    batch: list[Item] = []
    for item in spec.read(path, problems, lang=lang):
        batch.append(item)
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    return report


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
    who = ", ".join(f"{name} ({n})" for name, n in sorted(report.annotators.items())) or "nobody"
    out = [
        f"imported {c.tasks} annotations of {len(report.task_ids)} tasks from {source} into dataset "
        f"{dataset!r}: {c.spans} spans, {c.relations} relations; annotators: {who}",
        f"problems: {len(p.bad)} bad records skipped, {len(p.warnings)} warnings, "
        f"{sum(p.unsupported.values())} annotations of kinds not supported",
    ]
    if report.without_answer:
        out.append(f"{report.without_answer} records had no answer and were stored as accepted")
    return out, err
