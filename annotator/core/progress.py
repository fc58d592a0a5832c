"""Time spent annotating, from an annotator's edit log, in pure Python.

Only active time counts: the time between two consecutive log rows of one annotator is work on the
task of the later row (reading the task before its first edit, deciding after its last), unless it
is longer than BREAK_S, which is a break and counts for nothing. So a task decided without an edit
gets the time since the annotator's previous row; the first row after a break gets none.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

BREAK_S = 300.0  # a gap over five minutes is a break
DECISION = "answer"


@dataclass(frozen=True, slots=True)
class Timing:
    active_seconds: float
    decided: int  # tasks decided (each once, however often it was decided)
    median_seconds_per_task: float | None  # over the decided tasks
    tasks_per_hour: float | None  # decided tasks per hour of active time

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "active_seconds": round(self.active_seconds, 3),
            "median_seconds_per_task": None
            if self.median_seconds_per_task is None
            else round(self.median_seconds_per_task, 3),
            "tasks_per_hour": None if self.tasks_per_hour is None else round(self.tasks_per_hour, 3),
        }


def timing(events: Iterable[tuple[float, int, str]], break_s: float = BREAK_S) -> Timing:
    """``events``: one annotator's (time, task id, event) rows in time order."""
    spent: dict[int, float] = {}
    decided: list[int] = []
    seen: set[int] = set()
    active = 0.0
    previous: float | None = None
    for when, task_id, event in events:
        if previous is not None:
            gap = when - previous
            if 0.0 <= gap <= break_s:
                spent[task_id] = spent.get(task_id, 0.0) + gap
                active += gap
        previous = when
        if event == DECISION and task_id not in seen:
            seen.add(task_id)
            decided.append(task_id)
    per_task = [spent.get(task_id, 0.0) for task_id in decided]
    return Timing(
        active_seconds=active,
        decided=len(decided),
        median_seconds_per_task=statistics.median(per_task) if per_task else None,
        tasks_per_hour=len(decided) / (active / 3600.0) if active > 0 else None,
    )
