"""Exporting a dataset to a file: the service behind ``annotator export``."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from annotator.core.errors import AnnotatorError
from annotator.core.model import ANSWERS
from annotator.core.wording import counted
from annotator.formats.atomic import make_folder
from annotator.formats.base import Counts, Item, StoredRow
from annotator.formats.registry import FORMATS, Format, get
from annotator.transfer.storelike import StoreLike

T = TypeVar("T")


@dataclass
class ExportReport:
    format: str
    counts: Counts
    annotators: list[str]
    empty_hint: str | None = None
    answers_lost: bool = False  # rejected/ignored tasks written to a format without answers
    repeated: int = 0  # texts written more than once (once per annotator) to a format naming nobody
    gold_by: str | None = None  # the reviewer whose gold set was written


class _StoreItems:
    """The annotations to export, iterable more than once (the doccano writer looks twice)."""

    def __init__(
        self,
        store: StoreLike,
        dataset: str,
        annotator: str | None,
        answers: Collection[str],
        tokens: bool = True,
    ) -> None:
        self.store, self.dataset, self.annotator, self.answers = store, dataset, annotator, answers
        self.tokens = tokens

    def __iter__(self) -> Iterator[Item]:
        rows = self.store.annotations(self.dataset, self.annotator, self.answers, tokens=self.tokens)
        for _, task, annotation in rows:
            yield task, annotation


class _StoreRows:
    """The store's rows to export as they are (``Format.write_rows``)."""

    def __init__(
        self, store: StoreLike, dataset: str, annotator: str | None, answers: Collection[str]
    ) -> None:
        self.store, self.dataset, self.annotator, self.answers = store, dataset, annotator, answers

    def __iter__(self) -> Iterator[StoredRow]:
        return self.store.annotation_rows(self.dataset, self.annotator, self.answers)


class _Tally(Generic[T]):
    """Passes items (or the store's rows) through and counts the texts that went by more than once
    (in the last pass: the doccano writer looks at the items twice). The store gives a text's rows
    one after the other (task order, then annotator order), and split_items keeps them together
    too, so comparing each item with the one before counts them without a set of every text."""

    def __init__(self, items: Iterable[T], hash_of: Callable[[T], int]) -> None:
        self.items, self.hash_of = items, hash_of
        self.repeated = 0

    def __iter__(self) -> Iterator[T]:
        self.repeated = 0
        previous: int | None = None
        run = 0
        for item in self.items:
            input_hash = self.hash_of(item)
            run = run + 1 if input_hash == previous else 1
            if run == 2:
                self.repeated += 1
            previous = input_hash
            yield item


def _item_hash(item: Item) -> int:
    return item[0].input_hash


def _row_hash(row: StoredRow) -> int:
    return row.input_hash


def answers_for(answer: str) -> tuple[str, ...]:
    """``all`` is every decision (accept, reject, ignore); drafts only when named."""
    if answer == "all":
        return ANSWERS
    picked = tuple(a.strip() for a in answer.split(","))
    if any(a not in (*ANSWERS, "draft") for a in picked):
        raise AnnotatorError(
            f"--answer {answer!r}: choose accept, reject, ignore, draft (comma-separated) or all"
        )
    return picked


def default_output(dataset: str, spec: Format, split: bool, gold: bool = False) -> Path:
    """exports/<dataset><suffix>, or exports/<dataset>-<format> for a folder; a gold set is
    <dataset>.gold, so that it and the annotators' export never overwrite each other."""
    safe = dataset.replace("/", "_") + (".gold" if gold else "")
    if split:
        return Path("exports") / f"{safe}-{spec.name}"
    if not spec.suffix:
        return Path("exports") / f"{safe}-{spec.name}"
    return Path("exports") / f"{safe}{spec.suffix}"


def split_items(items: Iterable[Item], ratio: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Train and dev parts. Tasks, not records, are shuffled, so that the annotations of one text by
    several annotators never land on both sides."""
    groups: dict[int, list[Item]] = {}
    for task, annotation in items:
        groups.setdefault(task.input_hash, []).append((task, annotation))
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    n_train = round(len(keys) * ratio)
    train = [item for k in keys[:n_train] for item in groups[k]]
    dev = [item for k in keys[n_train:] for item in groups[k]]
    return train, dev


def export_dataset(
    store: StoreLike,
    dataset: str,
    *,
    fmt: str = "jsonl",
    output: Path | None = None,
    annotator: str | None = None,
    gold: bool = False,
    reviewer: str | None = None,
    answer: str = "accept",
    split: float | None = None,
    seed: int = 0,
) -> ExportReport:
    """``gold``: the adjudicated set, the annotations of whoever reviewed the dataset (``reviewer``
    says whose when several did)."""
    spec = get(fmt, writing=True)
    assert spec.write is not None
    known = store.datasets()
    if dataset not in known:
        listing = ", ".join(known) if known else "none yet"
        raise AnnotatorError(f"unknown dataset {dataset!r}; the database holds: {listing}")
    if gold and annotator:
        raise AnnotatorError(
            "--gold writes the adjudicated set, --annotator one annotator's work: give one of them "
            "(--gold --reviewer R chooses whose gold set)"
        )
    if reviewer is not None and not gold:
        raise AnnotatorError("--reviewer chooses whose gold set --gold writes: give --gold too")
    who = annotator
    if gold:
        from annotator.core.reviews import gold_reviewer  # --gold only

        who = gold_reviewer(store.reviewers(dataset), dataset, reviewer)
    annotators = store.annotators(dataset)
    if who is not None and who not in annotators:
        listing = ", ".join(annotators) if annotators else "none yet"
        raise AnnotatorError(f"dataset {dataset!r} has no annotator {who!r}; its annotators: {listing}")
    if split is not None and not 0 < split < 1:
        raise AnnotatorError(
            f"--split {split}: give the share of tasks for training, between 0 and 1 (e.g. 0.8)"
        )
    answers = answers_for(answer)
    items = _StoreItems(store, dataset, who, answers, spec.writes_tokens)
    out = Path(output) if output is not None else default_output(dataset, spec, split is not None, gold)
    report = ExportReport(spec.name, Counts(), [who] if who else annotators, gold_by=who if gold else None)
    write_rows = spec.write_rows
    if split is None and write_rows is not None:
        rows = _Tally(_StoreRows(store, dataset, who, answers), _row_hash)
        report.counts = write_rows(out, rows)
        report.repeated = rows.repeated
    elif split is None:
        tally = _Tally(items, _item_hash)
        report.counts = spec.write(out, tally)
        report.repeated = tally.repeated
    else:
        if out.exists() and not out.is_dir():
            raise AnnotatorError(f"{out} is a file; with --split, -o names the folder for train and dev")
        make_folder(out)  # refuses a link or anything else that is not a folder
        train, dev = split_items(items, split, seed)
        suffix = spec.suffix
        for part, chunk in (("train", train), ("dev", dev)):
            tally = _Tally(chunk, _item_hash)
            report.counts += spec.write(out / f"{part}{suffix}", tally)
            report.repeated += tally.repeated
    if not spec.holds_relations:
        report.counts.leave_out(f"relations ({spec.name} holds none)", report.counts.relations)
        report.counts.relations = 0
    # In a format that names nobody, several annotators' versions of one text become copies nobody
    # can tell apart (and a later import keeps only one of them).
    if spec.names_annotators:
        report.repeated = 0
    report.answers_lost = not spec.keeps_answers and any(a != "accept" for a in answers)
    if report.counts.tasks == 0:
        report.empty_hint = (
            f"no annotation with answer {'/'.join(answers)} in {dataset!r}"
            + (f" by {who}" if who else "")
            + ("; --answer all includes rejected and ignored tasks" if answer != "all" else "")
        )
    return report


MAX_SAID = 50


def export_lines(report: ExportReport) -> tuple[list[str], list[str]]:
    c = report.counts
    where = ", ".join(str(p) for p in c.paths)
    spec = get(report.format)
    wrote = [counted(c.tasks, "task"), counted(c.spans, "span")]
    if spec.holds_relations:
        wrote.append(counted(c.relations, "relation"))
    gold = f"the gold set reviewed by {report.gold_by}: " if report.gold_by else ""
    out = [f"wrote {gold}{', '.join(wrote)} to {where} ({report.format})"]
    if c.left_out:
        out.append("left out: " + "; ".join(f"{n} {what}" for what, n in sorted(c.left_out.items())))
    if c.changed:
        out.append("changed: " + "; ".join(f"{n} {what}" for what, n in sorted(c.changed.items())))
    err = [report.empty_hint] if report.empty_hint else []
    err += [f"note: {line}" for line in c.said[:MAX_SAID]]
    if len(c.said) > MAX_SAID:
        err.append(f"... and {len(c.said) - MAX_SAID} more")
    if report.repeated:
        err.append(
            f"note: {report.repeated} text(s) written more than once, once per annotator, and "
            f"{report.format} names no annotator (an import keeps one of them): export one with "
            f"--annotator A ({_holding(lambda f: f.names_annotators)} keep the annotator)"
        )
    if report.answers_lost:
        err.append(
            f"note: {report.format} keeps no answers: rejected, ignored or draft tasks are written "
            f"like accepted ones ({_holding(lambda f: f.keeps_answers)} keep them)"
        )
    return out, err


def _holding(test: Callable[[Format], bool]) -> str:
    """The writable formats that hold something, for a hint: "jsonl and spacy"."""
    names = [f.name for f in FORMATS.values() if f.writes and test(f)]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
