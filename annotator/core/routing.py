"""Which annotators each task goes to, in pure Python: the plan ``annotator assign`` and a joiner
mid-way store.

Spread evenly: every task goes to ``overlap`` different annotators. The tasks go through every
group of ``overlap`` annotators in turn (the period: each group once), in an order that keeps the
loads level, so that after each period every annotator has the same number of tasks and every pair
of annotators shares the same number (agreement needs pairs that share enough tasks). Where the
number of groups is too large for that (more than MAX_PERIOD), and for tasks that already have some
of their annotators, each next annotator is the one with the fewest tasks, ties broken by the fewest
tasks shared with those already on the task, then by a rotating order.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from math import comb

from annotator.core.errors import AnnotatorError

MAX_PERIOD = 1500  # groups in one period (20 annotators in threes: 1,140)


def parse_overlap(value: str, annotators: int) -> int | None:
    """``--overlap N`` or ``all`` (None) for a list of ``annotators`` names."""
    if value.strip().lower() == "all":
        return None
    try:
        overlap = int(value)
    except ValueError:
        raise AnnotatorError(f"--overlap takes a number or 'all', not {value!r}") from None
    if not 1 <= overlap <= annotators:
        raise AnnotatorError(
            f"--overlap {overlap} needs between 1 and {annotators} (the annotators named), or 'all'"
        )
    return overlap


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


@lru_cache(maxsize=8)  # a second or two for 20 annotators in threes: once a process, not a batch
def period(annotators: tuple[str, ...], overlap: int) -> tuple[tuple[str, ...], ...] | None:
    """Every group of ``overlap`` annotators once, ordered so that loads stay level (each next
    group: the least loaded busiest member, then the least in all, then the pairs that have met
    least); None when there are too many."""
    if comb(len(annotators), overlap) > MAX_PERIOD:
        return None
    unused = list(itertools.combinations(annotators, overlap))
    loads: Counter[str] = Counter()
    shared: Counter[tuple[str, ...]] = Counter()  # pairs, as combinations() orders them

    def cost(group: tuple[str, ...]) -> tuple[int, int, int, int]:
        pairs = [shared[p] for p in itertools.combinations(group, 2)]
        # Level loads first, then level pairs: a period cut short (fewer tasks than groups) then
        # leaves every pair within a task or two of the others, not the pairs of its last groups out.
        return (max(loads[a] for a in group), sum(loads[a] for a in group), max(pairs, default=0), sum(pairs))

    ordered: list[tuple[str, ...]] = []
    while unused:
        at = min(range(len(unused)), key=lambda i: (*cost(unused[i]), i))
        group = unused.pop(at)
        loads.update(group)
        shared.update(itertools.combinations(group, 2))
        ordered.append(group)
    return tuple(ordered)


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class Planner:
    """The running loads (tasks per annotator) and shared counts (tasks per pair) of a routing."""

    annotators: list[str]
    loads: Counter[str] = field(default_factory=Counter)
    shared: Counter[tuple[str, str]] = field(default_factory=Counter)
    turn: int = 0

    def take(self, group: Iterable[str], joining: Sequence[str] = ()) -> None:
        members = list(group)
        for name in members:
            self.loads[name] += 1
        for a, b in itertools.combinations([*joining, *members], 2):
            if a in members or b in members:
                self.shared[_pair(a, b)] += 1

    def pick(self, need: int, taken: Iterable[str] = ()) -> list[str]:
        """``need`` annotators for one task that already has ``taken`` (fewer if there are not
        that many others), one at a time (see the module)."""
        chosen = list(taken)
        new: list[str] = []
        n = len(self.annotators)
        order = {name: (i - self.turn) % n for i, name in enumerate(self.annotators)}
        self.turn += 1
        for _ in range(need):
            candidates = [a for a in self.annotators if a not in chosen]
            if not candidates:
                break
            best = min(
                candidates,
                key=lambda a: (self.loads[a], sum(self.shared[_pair(a, b)] for b in chosen), order[a]),
            )
            self.take([best], chosen)
            chosen.append(best)
            new.append(best)
        return new


def spread(
    task_ids: Sequence[int],
    planner: Planner,
    overlap: int,
    have: Mapping[int, Sequence[str]] | None = None,
) -> list[tuple[int, str]]:
    """(task, annotator) pairs that bring every task up to ``overlap`` annotators. The period
    goes on where the tasks routed before left it (their number tells where)."""
    have = have or {}
    groups = period(tuple(planner.annotators), overlap)
    at = sum(planner.loads.values()) // overlap if overlap else 0
    out: list[tuple[int, str]] = []
    for task_id in task_ids:
        taken = [a for a in have.get(task_id, ()) if a in planner.annotators]
        if groups is not None and not taken:
            group = groups[at % len(groups)]
            at += 1
            planner.take(group)
            out.extend((task_id, name) for name in group)
            continue
        need = max(overlap - len(taken), 0)
        out.extend((task_id, name) for name in planner.pick(need, taken))
    return out


def hand_over(
    joiner: str, remaining: Mapping[str, int], offers: Mapping[str, Sequence[int]]
) -> list[tuple[int, str]]:
    """Tasks a joiner takes over from the others so that everyone has about as much left:
    (task, from whom). ``remaining`` is each annotator's undecided assignments; ``offers`` their
    untouched tasks, the ones furthest down their queue first (nobody has those open)."""
    left = dict(remaining)
    left.setdefault(joiner, 0)
    pools = {name: list(tasks) for name, tasks in offers.items() if name != joiner}
    taken: set[int] = set()
    moved: list[tuple[int, str]] = []
    while True:
        givers = [name for name, pool in pools.items() if pool]
        if not givers:
            return moved
        giver = max(givers, key=lambda name: (left.get(name, 0), name))
        if left.get(giver, 0) - left[joiner] <= 1:
            return moved
        task_id = pools[giver].pop(0)
        if task_id in taken:
            continue  # offered by two annotators: the joiner takes one of the two places only
        taken.add(task_id)
        moved.append((task_id, giver))
        left[giver] -= 1
        left[joiner] += 1
