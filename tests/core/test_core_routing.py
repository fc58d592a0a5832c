"""Routing plans and active time, without a database."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.errors import AnnotatorError
from annotator.core.progress import timing
from annotator.core.routing import Planner, hand_over, parse_overlap, spread


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 9), st.data())
def test_every_task_gets_overlap_different_annotators_spread_evenly(n: int, data: st.DataObject) -> None:
    names = [f"a{i}" for i in range(n)]
    overlap = data.draw(st.integers(1, n))
    tasks = data.draw(st.integers(0, 300))
    planner = Planner(list(names))
    plan = spread(list(range(tasks)), planner, overlap)
    per_task: dict[int, list[str]] = {}
    for task_id, name in plan:
        per_task.setdefault(task_id, []).append(name)
    assert all(len(set(v)) == len(v) == overlap for v in per_task.values())
    assert len(per_task) == tasks
    loads = Counter(name for _, name in plan)
    assert max(loads.values(), default=0) - min((loads[a] for a in names), default=0) <= 2
    assert dict(planner.loads) == dict(loads)
    if overlap >= 2 and tasks >= 3 * n * n:  # enough tasks for every pair to meet several times
        shared = Counter(
            tuple(sorted(pair)) for v in per_task.values() for pair in itertools.combinations(v, 2)
        )
        counts = [shared[tuple(sorted(p))] for p in itertools.combinations(names, 2)]
        assert min(counts) > 0 and max(counts) - min(counts) <= max(2, max(counts) // 5)


def test_a_period_cut_short_leaves_pairs_level() -> None:
    """8 annotators in threes: 56 groups a period; 192 tasks are 3 periods and 24 groups of a
    fourth, after which the pairs shared 18 to 23 tasks when the groups were ordered by load alone."""
    names = [f"a{i}" for i in range(8)]
    planner = Planner(list(names))
    spread(list(range(192)), planner, 3)
    counts = [planner.shared[pair] for pair in itertools.combinations(names, 2)]
    assert max(counts) - min(counts) <= 2, sorted(counts)


def test_three_annotators_overlap_two_share_equally() -> None:
    planner = Planner(["a", "b", "c"])
    plan = spread(list(range(30)), planner, 2)
    assert planner.loads == Counter({"a": 20, "b": 20, "c": 20})
    assert planner.shared == Counter({("a", "b"): 10, ("a", "c"): 10, ("b", "c"): 10})
    assert len(plan) == 60


def test_topping_up_a_task_keeps_who_has_it() -> None:
    planner = Planner(["a", "b", "c"])
    plan = spread([7], planner, 3, {7: ["b"]})
    assert sorted(name for _, name in plan) == ["a", "c"]


def test_a_joiner_takes_over_untouched_tasks_until_everyone_has_about_as_much_left() -> None:
    remaining = {"a": 10, "b": 4, "c": 10}
    offers = {"a": [9, 8, 7, 6, 5], "b": [19], "c": [29, 28, 27, 26, 25, 9]}
    moved = hand_over("d", remaining, offers)
    left = Counter(remaining)
    for _task, giver in moved:
        left[giver] -= 1
        left["d"] += 1
    assert len({t for t, _ in moved}) == len(moved)  # a task offered twice is taken once
    assert left == Counter(
        {"a": 7, "c": 7, "d": 6, "b": 4}
    )  # the joiner has as much as the most left, less one
    assert all(task_id in offers[giver] for task_id, giver in moved)
    assert hand_over("d", {"a": 3}, {"a": []}) == []  # nothing untouched: nothing moves


def test_overlap_is_a_number_up_to_the_annotators_or_all() -> None:
    assert parse_overlap("all", 3) is None
    assert parse_overlap("2", 3) == 2
    for bad in ("0", "4", "two", ""):
        with pytest.raises(AnnotatorError, match="--overlap"):
            parse_overlap(bad, 3)


def test_active_time_counts_gaps_up_to_five_minutes_for_the_later_rows_task() -> None:
    # task 1: edits at 1000, 1010, accepted at 1030 -> 30 s; task 2 accepted at 1050 -> 20 s
    # (reading it); a break of 350 s, then task 3: edit at 1400 (nothing counted), accepted at
    # 1460 -> 60 s. Active 110 s, three tasks: median 30 s, 3 / (110 / 3600) per hour.
    events = [
        (1000.0, 1, "do"),
        (1010.0, 1, "do"),
        (1030.0, 1, "answer"),
        (1050.0, 2, "answer"),
        (1400.0, 3, "do"),
        (1460.0, 3, "answer"),
    ]
    t = timing(events)
    assert t.active_seconds == 110.0 and t.decided == 3
    assert t.median_seconds_per_task == 30.0
    assert t.tasks_per_hour == pytest.approx(3 / (110 / 3600))
    assert timing([]).tasks_per_hour is None and timing([]).median_seconds_per_task is None
    # a task decided twice counts once; exactly five minutes is still work
    again = timing([(0.0, 1, "answer"), (300.0, 1, "answer")])
    assert again.decided == 1 and again.active_seconds == 300.0
