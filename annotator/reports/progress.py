"""``annotator progress``: how far a dataset's annotators have got, read from the store.

Counts come from the counts the store keeps (no pass over the tasks); times from the edit log's
rows of work (core/progress.py); agreement so far is the exact span F1 of each pair over the tasks
both accepted (pooled counts, as ``annotator agreement`` computes it), from the match counts the store
keeps for each pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from annotator.core.counts import Counts
from annotator.core.display import visible
from annotator.core.progress import BREAK_S, Timing, timing
from annotator.routing import pairs
from annotator.store import Store
from annotator.store.errors import StoreError


@dataclass(frozen=True)
class AnnotatorProgress:
    annotator: str
    assigned: int
    counts: dict[str, int]  # accept, reject, ignore, draft
    timing: Timing

    @property
    def done(self) -> int:
        return self.counts["accept"] + self.counts["reject"] + self.counts["ignore"]

    @property
    def left(self) -> int:
        return max(self.assigned - self.done, 0)


@dataclass(frozen=True)
class PairProgress:
    annotators: tuple[str, str]
    shared: int  # tasks routed to both (every task when the dataset is not routed)
    compared: int  # tasks both accepted
    f1: float | None  # exact span F1 over those, None before any


@dataclass
class Progress:
    dataset: str
    tasks: int
    overlap: int | None
    annotators: list[AnnotatorProgress] = field(default_factory=list)
    pairs: list[PairProgress] = field(default_factory=list)
    open_assignments: int = 0
    open_tasks: int = 0


def measure(store: Store, dataset: str) -> Progress:
    if dataset not in store.datasets():
        known = ", ".join(store.datasets()) or "none"
        raise StoreError(f"no dataset {dataset!r} in {store.location} (datasets: {known})")
    routing = store.routing(dataset)
    routed = routing is not None and routing.overlap is not None
    tasks = store.task_count(dataset)
    names = list(routing.annotators) if routing is not None and routing.annotators else []
    names += [n for n in store.annotators(dataset) if n not in names]
    activity = store.activity(dataset)
    out = Progress(dataset, tasks, routing.overlap if routed and routing is not None else None)
    for name in names:
        assigned = routing.loads.get(name, 0) if routed and routing is not None else tasks
        out.annotators.append(
            AnnotatorProgress(
                name, assigned, store.answer_counts(dataset, name), timing(activity.get(name, []))
            )
        )
    tallies = store.pair_tallies(dataset)
    for (a, b), shared in pairs(store, dataset).items():
        if a not in names or b not in names:
            continue
        kept = tallies.get((a, b) if a < b else (b, a))
        if kept is None:
            out.pairs.append(PairProgress((a, b), shared, 0, None))
            continue
        total = Counts(kept.tp, kept.fp, kept.fn) if a < b else Counts(kept.tp, kept.fn, kept.fp)
        out.pairs.append(PairProgress((a, b), shared, kept.compared, total.f1))
    if routed:
        out.open_assignments, out.open_tasks = store.open_assignments(dataset)
    else:
        out.open_assignments = sum(p.left for p in out.annotators)
    return out


def to_json(progress: Progress) -> str:
    data: dict[str, Any] = {
        "dataset": progress.dataset,
        "tasks": progress.tasks,
        "overlap": "all" if progress.overlap is None else progress.overlap,
        "break_seconds": BREAK_S,
        "annotators": [
            {
                "annotator": p.annotator,
                "assigned": p.assigned,
                "done": p.done,
                "accepted": p.counts["accept"],
                "rejected": p.counts["reject"],
                "ignored": p.counts["ignore"],
                "drafts": p.counts["draft"],
                "left": p.left,
                **p.timing.to_json(),
            }
            for p in progress.annotators
        ],
        "pairs": [
            {
                "annotators": list(p.annotators),
                "shared_tasks": p.shared,
                "compared": p.compared,
                "span_f1_exact": None if p.f1 is None else round(p.f1, 4),
            }
            for p in progress.pairs
        ],
        "left": {"assignments": progress.open_assignments, "tasks": progress.open_tasks},
    }
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_progress(progress: Progress, console: Console | None = None) -> None:
    """Rich tables; every name from the data goes in as Text, never as markup, and with its control
    characters drawn as stand-ins (core/display)."""
    console = console or Console()
    overlap = "every annotator" if progress.overlap is None else f"{progress.overlap} annotators"
    console.print(Text(f"{visible(progress.dataset)}: {progress.tasks} tasks, each to {overlap}"))
    rows = [
        (
            str(p.done),
            str(p.assigned),
            str(p.counts["accept"]),
            str(p.counts["reject"]),
            str(p.counts["ignore"]),
            str(p.counts["draft"]),
            str(p.left),
            _number(p.timing.median_seconds_per_task),
            _number(p.timing.tasks_per_hour),
        )
        for p in progress.annotators
    ]
    # short headings: the table fits 80 columns. A narrow terminal shortens the names, never a
    # number (a million tasks is seven digits: then one space between columns, not two).
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column("annotator", justify="left")
    headings = ("done", "of", "accept", "reject", "ignore", "draft", "left", "s/task", "tasks/h")
    for k, heading in enumerate(headings):
        table.add_column(heading, justify="right", min_width=max([len(heading), *(len(r[k]) for r in rows)]))
    for p, cells in zip(progress.annotators, rows, strict=True):
        table.add_row(Text(visible(p.annotator)), *cells)
    console.print(table)
    if progress.pairs:
        pairs_table = Table(box=None, pad_edge=False)
        for heading in ("pair", "shared tasks", "both accepted", "span F1 (exact)"):
            pairs_table.add_column(heading, justify="left" if heading == "pair" else "right")
        for pair in progress.pairs:
            pairs_table.add_row(
                Text(" + ".join(visible(a) for a in pair.annotators)),
                str(pair.shared),
                str(pair.compared),
                _number(pair.f1, 3),
            )
        console.print(pairs_table)
    if progress.overlap is None:
        console.print(Text(f"left: {progress.open_assignments} task(s) over all annotators"))
    else:
        console.print(
            Text(f"left: {progress.open_assignments} assignment(s) on {progress.open_tasks} task(s)")
        )
    console.print(
        Text(
            f"s/task: median seconds a decided task took; tasks/h: decided tasks per hour; both count "
            f"active time only (a gap over {BREAK_S / 60:g} minutes is a break)"
        )
    )
