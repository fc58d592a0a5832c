"""Counts per dataset and annotator, and their text table for ``annotator stats``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotator.core.display import visible


@dataclass(frozen=True, slots=True)
class StatsRow:
    dataset: str
    annotator: str
    accepted: int
    rejected: int
    ignored: int
    drafted: int
    spans_per_label: dict[str, int]  # spans of the accepted tasks
    tasks: int = 0  # tasks in the dataset, so "accepted" reads as "n of tasks"


@dataclass(frozen=True, slots=True)
class PairTally:
    """Two annotators of a dataset: the tasks both accepted, and the exact span matches between
    them over those tasks (tp; fp: the second's spans the first has not; fn: the reverse)."""

    compared: int
    tp: int
    fp: int
    fn: int


HEADERS = ("dataset", "annotator", "tasks", "accepted", "rejected", "ignored", "drafted")
_NUMERIC = frozenset(HEADERS[2:])


def label_summary(spans_per_label: dict[str, int]) -> str:
    if not spans_per_label:
        return "-"
    ordered = sorted(spans_per_label.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{visible(label)} {count}" for label, count in ordered)


def render_stats(rows: Sequence[StatsRow]) -> str:
    """A plain, aligned table: it reads the same in a terminal, a pipe and a CI log."""
    headers = (*HEADERS, "spans per label (accepted)")
    body = [
        (
            visible(r.dataset),  # names from data: no control character reaches the terminal
            visible(r.annotator),
            str(r.tasks),
            str(r.accepted),
            str(r.rejected),
            str(r.ignored),
            str(r.drafted),
            label_summary(r.spans_per_label),
        )
        for r in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *body, strict=True)]
    lines = []
    for cells in (headers, *body):
        parts = []
        for name, cell, width in zip(headers, cells, widths, strict=True):
            if name == headers[-1]:
                parts.append(cell)  # last column: no trailing padding
            elif name in _NUMERIC:
                parts.append(cell.rjust(width))
            else:
                parts.append(cell.ljust(width))
        lines.append("  ".join(parts))
    return "\n".join(lines)
