"""Task routing: which annotators work which tasks of a dataset.

``assign`` routes a dataset: each task to ``overlap`` annotators, spread evenly (core/routing.py);
``overlap`` None is every annotator on every task, the default for a dataset never routed. Tasks
stored later are routed as they arrive (``top_up``, which the feed calls after each batch and the
annotate command when it starts). An annotator not in the routing who starts annotating a routed
dataset joins it (``join``): they take over untouched tasks from the end of the others' queues until
everyone has about as much left, and share the tasks stored later. An assignment is only ever moved
when its annotator has not touched the task, so no task is worked by more than ``overlap`` people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.core.routing import Planner, hand_over, spread
from annotator.store import RoutedMeanwhile, Routing, Store

RETRIES = 8  # another process routing the same new tasks at the same moment: read again


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class Routed:
    """What a routing step did."""

    dataset: str
    overlap: int | None
    loads: dict[str, int] = field(default_factory=dict)  # assigned tasks per annotator, after it
    assigned: int = 0  # assignments made
    moved: int = 0  # assignments a joiner took over
    joined: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.overlap is None:
            return f"{self.dataset}: every annotator works every task ({', '.join(self.loads) or 'anyone'})"
        if not any(self.loads.values()):  # a first annotate or --prepare-only: no task stored yet
            return (
                f"{self.dataset}: each task to {self.overlap} of {', '.join(self.loads)}, as tasks are stored"
            )
        parts = ", ".join(f"{name} {n}" for name, n in self.loads.items())
        said = f"{self.dataset}: each task to {self.overlap} of {len(self.loads)} annotators; tasks each: {parts}"
        if self.joined:
            said += f"; {', '.join(self.joined)} joined and took over {self.moved} untouched task(s)"
        return said


def parse_names(value: str) -> list[str]:
    """``--annotators a,b,c``: the names, in order, each once."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise AnnotatorError(f"--annotators needs one or more names separated by commas, not {value!r}")
    if len(set(names)) != len(names):
        raise AnnotatorError(f"--annotators names someone twice: {value!r}")
    return names


def assign(store: Store, dataset: str, annotators: Sequence[str], overlap: int | None) -> Routed:
    """Route the dataset's tasks (and those stored later) to ``annotators``, ``overlap`` each.

    A dataset routed before keeps its overlap (changing it would take work from people who did it);
    annotators named now who were not routed before join it."""
    if len(set(annotators)) != len(annotators) or not annotators:
        raise AnnotatorError(f"--annotators needs different names: {', '.join(annotators)}")
    current = store.routing(dataset)
    if current is not None:
        if current.overlap != overlap:
            was = "all" if current.overlap is None else str(current.overlap)
            raise AnnotatorError(
                f"dataset {dataset!r} is routed with --overlap {was} already; it keeps it "
                "(name more annotators to add them)"
            )
        done = Routed(dataset, overlap)
        for name in annotators:
            if name not in current.loads:
                step = join(store, dataset, name)
                done.moved += step.moved
                done.joined += step.joined
        done.assigned = top_up(store, dataset)
        now = store.routing(dataset)
        done.loads = dict(now.loads) if now is not None else {}
        return done
    if overlap is None:
        store.route(dataset, Routing(None, dict.fromkeys(annotators, 0)))
        return Routed(dataset, None, dict.fromkeys(annotators, 0))
    planner = Planner(list(annotators))
    task_ids = store.task_ids(dataset)
    plan = spread(task_ids, planner, overlap)
    loads = {name: planner.loads[name] for name in annotators}
    store.route(dataset, Routing(overlap, loads, task_ids[-1] if task_ids else 0), plan)
    done = Routed(dataset, overlap, loads, len(plan))
    done.assigned += top_up(store, dataset)  # tasks another process stored meanwhile
    return done


def top_up(store: Store, dataset: str) -> int:
    """Route the tasks stored since the dataset was last routed; returns the assignments made."""
    for _ in range(RETRIES):
        current = store.routing(dataset)
        if current is None or current.overlap is None:
            return 0
        new = store.task_ids_after(dataset, current.assigned_upto)
        if not new:
            return 0
        planner = Planner(list(current.annotators), Counter(current.loads))
        plan = spread(new, planner, current.overlap)
        loads = {name: planner.loads[name] for name in current.annotators}
        try:
            store.route(
                dataset,
                Routing(current.overlap, loads, new[-1]),
                plan,
                expect=current,
            )
        except RoutedMeanwhile:
            continue
        return len(plan)
    raise AnnotatorError(f"could not route the new tasks of {dataset!r}: other processes kept routing them")


def join(store: Store, dataset: str, annotator: str) -> Routed:
    """Add ``annotator`` to a routed dataset mid-way (nothing to do if the dataset is not routed or
    they are in it already)."""
    for _ in range(RETRIES):
        current = store.routing(dataset)
        if current is None or current.overlap is None or annotator in current.loads:
            return Routed(dataset, None if current is None else current.overlap)
        remaining = {
            name: max(load - _decided(store, dataset, name), 0) for name, load in current.loads.items()
        }
        # Whoever has more left than the fair share offers their untouched tasks; all of them, since
        # a task two of them share untouched can be taken from only one.
        target = sum(remaining.values()) // (len(remaining) + 1)
        offers = {
            name: store.unstarted(dataset, name, left) if left > target else []
            for name, left in remaining.items()
        }
        moved = hand_over(annotator, remaining, offers)
        loads = dict(current.loads)
        loads[annotator] = len(moved)
        for _task, giver in moved:
            loads[giver] -= 1
        try:
            store.route(
                dataset,
                Routing(current.overlap, loads, current.assigned_upto),
                [(task_id, annotator) for task_id, _ in moved],
                moved,
                expect=current,
            )
        except RoutedMeanwhile:
            continue
        done = Routed(dataset, current.overlap, loads, len(moved), len(moved), [annotator])
        done.assigned += top_up(store, dataset)
        return done
    raise AnnotatorError(f"could not add {annotator!r} to {dataset!r}: other processes kept routing it")


def _decided(store: Store, dataset: str, annotator: str) -> int:
    counts = store.answer_counts(dataset, annotator)
    return counts.get("accept", 0) + counts.get("reject", 0) + counts.get("ignore", 0)


def pairs(store: Store, dataset: str) -> dict[tuple[str, str], int]:
    """The pairs of annotators routing made, with the tasks each pair shares; for a dataset not
    routed, every pair of its annotators (each shares every task)."""
    shared = store.shared_tasks(dataset)
    if shared:
        return shared
    names = [n for n in (store.routing(dataset) or Routing(None, {})).annotators] or store.annotators(dataset)
    tasks = store.task_count(dataset)
    return {(a, b): tasks for i, a in enumerate(sorted(names)) for b in sorted(names)[i + 1 :]}


def routed_annotators(db: str | Path, dataset: str) -> list[str]:
    """The annotators the dataset is routed to (none when it is not routed)."""
    with Store(db, create=False) as store:
        if dataset not in store.datasets():
            raise AnnotatorError(f"no dataset {dataset!r} in {store.location}")
        current = store.routing(dataset)
        return list(current.annotators) if current is not None and current.overlap is not None else []


def review_pair(store: Store, dataset: str) -> list[str]:
    """The two annotators to review when none were named: the one pair routing made."""
    current = store.routing(dataset)
    shared = {pair: n for pair, n in store.shared_tasks(dataset).items() if n}
    if current is None or current.overlap is None or not shared:
        raise AnnotatorError(
            f"name the two annotators to review: --annotators A,B (dataset {dataset!r} is not routed)"
        )
    if len(shared) > 1:
        listing = ", ".join(f"{a},{b} ({n} tasks)" for (a, b), n in shared.items())
        raise AnnotatorError(f"routing made several pairs; review one with --annotators A,B: {listing}")
    (pair,) = shared
    return list(pair)
