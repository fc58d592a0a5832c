"""Adjudicating two annotators' versions into a gold set, task by task (the review screen's model).

The gold version of a task is stored as the reviewer's annotation, so it has the same durability,
undo history and restart behaviour as any annotator's work. Each choice (take A, take B, both,
neither) is one edit in that history that records the choice (a ``ReviewChoice``): the choices made
so far are read back from the history, also after a restart. A choice is applied as the difference
between the merged results before and after it, so it composes with free edits made in between;
that logic is pure and lives in ``core/gold.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotator.config import keep_scheme, order_model_labels, resolve_scheme
from annotator.core.adjudication import Adjudication, Disagreement, Resolution, adjudicate
from annotator.core.agreement import by_task
from annotator.core.choices import Choice, ReviewChoice
from annotator.core.edits import Edit
from annotator.core.errors import AnnotatorError
from annotator.core.gold import choice_edit, choices_in, reviewers_own, waiting
from annotator.core.model import Annotation
from annotator.core.scheme import LabelScheme, RelationType
from annotator.core.wording import counted
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.store.base import Saved

PAST: dict[str | None, str] = {"accept": "accepted", "reject": "rejected", "ignore": "ignored"}
# Tasks read between two pauses of the plan: the status line says how far, quitting waits for one.
STEP = 1_000
STORE_BATCH = 500  # agreed tasks stored as gold in one transaction


@dataclass(frozen=True)
class ReviewItem:
    task_id: int
    note: str = ""  # e.g. "alice accepted, bob rejected"


@dataclass
class ReviewPlan:
    """What the review found so far: the tasks to review (in task order), and what became of the
    others. It grows while the tasks are read (``ReviewSession.plan_some``)."""

    queue: list[ReviewItem] = field(default_factory=list)
    agreed_to_gold: int = 0  # agreed tasks stored as gold without review
    already_gold: int = 0  # agreed tasks whose gold was stored before (a review run again)
    only: Counter[str] = field(default_factory=Counter)  # tasks only one annotator answered
    not_accepted: int = 0  # both rejected or ignored: nothing for the gold set
    read: int = 0  # tasks read so far (with a row of either annotator)
    total: int = 0  # tasks in the dataset when the review started
    done: bool = False  # every task read

    def progress(self) -> str:
        """How far the reading has got, for the status line while it goes on."""
        return (
            f"reading tasks {self.read:,} of {self.total:,}: {counted(len(self.queue), 'task')} to review, "
            f"{self.agreed_to_gold:,} agreed into the gold set so far"
        )

    def summary(self) -> str:
        """What the plan found, in one line (most important first)."""
        only = ", ".join(f"{n} {who} only" for who, n in self.only.items())
        return (
            f"{counted(len(self.queue), 'task')} to review; {counted(self.agreed_to_gold, 'agreed task')} went straight into "
            "the gold set"
            + (f" ({self.already_gold} already in it)" if self.already_gold else "")
            + f"; {self.not_accepted} neither accepted"
            + (f"; not reviewed: {only}" if only else "")
            + ("" if self.done else f"; the review closed having read {self.read:,} of {self.total:,} tasks")
        )


def scheme_from_versions(store: Store, dataset: str, annotators: list[str]) -> LabelScheme:
    """A scheme holding every label of the annotators' accepted tasks, in the default key order,
    for a dataset stored without a scheme (imported work). Read from the counts the store keeps:
    no pass over the annotations."""
    labels, relations = store.accepted_labels(dataset, annotators)
    return LabelScheme(
        tuple(order_model_labels(labels)), relations=tuple(RelationType(r) for r in sorted(relations))
    )


def review_scheme(
    store: Store,
    dataset: str,
    annotators: list[str],
    labels: str | None,
    config: Path | None,
    relations: str | None,
    notes: list[str],
    span_groups: str | None = None,
) -> LabelScheme:
    """The scheme of the review's edit screen: the flags, else the scheme stored with the dataset
    (its key order), else the labels the annotators used. A label the versions use that the scheme
    lacks is added at the end (and said), so that no span of theirs is left without a key."""
    used = scheme_from_versions(store, dataset, annotators)
    if dataset not in store.datasets():
        return used  # the review refuses it with the datasets there are
    stored = store.scheme(dataset)
    scheme = resolve_scheme(
        labels, config, relations, [], notes, base=stored or used, span_groups=span_groups
    )
    flags = (labels, config, relations, span_groups)
    if stored is not None or any(flag is not None for flag in flags):
        keep_scheme(store, dataset, scheme, stored, notes)
    extra = [label for label in used.labels if label not in scheme.labels]
    extra_rels = [r for r in used.relations if scheme.relation(r.label) is None]
    groups = dict(scheme.span_groups)
    extra_groups = []
    for key, group in used.span_groups.items():
        missing = tuple(label for label in group if label not in groups.get(key, ()))
        groups[key] = groups.get(key, ()) + missing
        extra_groups += [f"{key}:{label}" for label in missing]
    if extra or extra_rels or extra_groups:
        notes.append(
            "the annotators used labels the scheme does not have, added at the end of the keys: "
            + ", ".join([*extra, *(r.label for r in extra_rels), *extra_groups])
        )
        scheme = replace(
            scheme,
            labels=scheme.labels + tuple(extra),
            relations=scheme.relations + tuple(extra_rels),
            span_groups=groups,
        )
    return scheme


class ReviewSession:
    def __init__(
        self,
        store: Store,
        dataset: str,
        a: str,
        b: str,
        reviewer: str = "gold",
        include_agreed: bool = False,
        scheme: LabelScheme | None = None,
        *,
        background: bool = False,
    ) -> None:
        """``background``: the tasks are read by ``plan_some`` (the review screen calls it from a
        worker while the first disagreements are already on screen), else here, all of them."""
        if len({a, b, reviewer}) != 3:
            raise AnnotatorError(
                f"the two annotators and the reviewer must be three names (got {a}, {b}, {reviewer})"
            )
        if dataset not in store.datasets():
            known = ", ".join(store.datasets()) or "none"
            raise AnnotatorError(f"no dataset {dataset!r} in {store.location} (datasets: {known})")
        known_annotators = store.annotators(dataset)
        for name in (a, b):
            if name not in known_annotators:
                raise AnnotatorError(
                    f"{name!r} has no annotations in dataset {dataset!r} (annotators: {', '.join(known_annotators) or 'none'})"
                )
        session_id = f"{dataset}-review-{reviewer}"
        if reviewer in known_annotators:
            own = store.rows_not_of(dataset, reviewer, session_id)
            if own:
                raise AnnotatorError(
                    f"{reviewer} has annotations of their own in dataset {dataset!r} ({counted(own, 'task')}); the "
                    "gold set is stored as the reviewer's annotations and would take theirs: give another "
                    "--reviewer"
                )
        # The gold set is a role: the reviewer's annotations, found by ``export --gold`` whatever
        # the reviewer is called.
        store.record_review(dataset, reviewer, [a, b])
        self.store = store
        self.dataset = dataset
        self.a, self.b, self.reviewer = a, b, reviewer
        self.include_agreed = include_agreed
        self.scheme = scheme or scheme_from_versions(store, dataset, [a, b])
        self.gold = AnnotationSession(store, dataset, reviewer, self.scheme, session_id=session_id)
        self.gold.relink = False  # the gold takes what the annotators made, no suggestion of its own
        self.plan = ReviewPlan(total=store.task_count(dataset))
        self._answered: set[int] = set()  # tasks of the queue whose gold is decided
        self._steps = self._plan()
        if not background:
            while not self.plan_some():
                pass
        self.position: int | None = None
        self.adjudication: Adjudication | None = None
        self._resolution_cache: tuple[tuple[object, ...], Resolution] | None = None

    # -- which tasks need a review --------------------------------------------------------------

    def plan_some(self) -> bool:
        """Read the next tasks (about STEP of them) into the plan; True once every task is read."""
        if not self.plan.done:
            next(self._steps, None)
        return self.plan.done

    def _plan(self) -> Iterator[None]:
        """One pass over the dataset's rows (a task's versions arrive together), not three queries
        a task, pausing after every STEP tasks. An agreed task goes into the gold set in a batch of
        unsynced commits: it is derived from the two versions, so a power cut costs nothing a second
        start would not redo, and the next decision fsyncs it with everything before (one fsync a
        task took 44 s at 100,000 tasks)."""
        plan = self.plan
        agreed: list[Saved] = []
        rows = self.store.annotations(self.dataset, None, answers=None)
        for task_id, (version_a, version_b, version_gold) in by_task(rows, [self.a, self.b, self.reviewer]):
            plan.read += 1
            if plan.read % STEP == 0:
                self._store_agreed(agreed)
                yield
            va = version_a.annotation if version_a is not None else None
            vb = version_b.annotation if version_b is not None else None
            answered = [v for v in (va, vb) if v is not None and v.answer is not None]
            if len(answered) < 2:
                if answered:
                    plan.only[self.a if va is not None and va.answer else self.b] += 1
                continue
            assert va is not None and vb is not None and version_a is not None
            if va.answer != "accept" and vb.answer != "accept":
                plan.not_accepted += 1
                continue
            gold = version_gold.annotation if version_gold is not None else None
            if va.answer != vb.answer:
                self._queue(
                    ReviewItem(task_id, f"{self.a} {PAST[va.answer]}, {self.b} {PAST[vb.answer]}"), gold
                )
                continue
            adj = adjudicate(version_a.task, va, vb, self.a, self.b)
            if adj.disagreements or self.include_agreed:
                self._queue(ReviewItem(task_id), gold)
            elif gold is None or gold.answer is None:
                session = self.gold.session_id
                agreed_gold = replace(adj.agreed, answer="accept", session=session, timestamp=None)
                agreed.append(Saved(task_id, self.reviewer, agreed_gold, session))
                if len(agreed) >= STORE_BATCH:
                    self._store_agreed(agreed)
            else:
                plan.already_gold += 1
        self._store_agreed(agreed)
        plan.done = True

    def _queue(self, item: ReviewItem, gold: Annotation | None) -> None:
        if gold is not None and gold.answer is not None:
            self._answered.add(item.task_id)  # decided in an earlier run of the review
        self.plan.queue.append(item)

    def _store_agreed(self, agreed: list[Saved]) -> None:
        """Store the agreed tasks waiting in ``agreed`` as gold, one transaction, and empty it."""
        if agreed:
            self.store.save_annotations(agreed)
            self.plan.agreed_to_gold += len(agreed)
            agreed.clear()

    @property
    def export_command(self) -> str:
        """How to write this review's gold set; the reviewer is named when others reviewed too."""
        others = [r for r in self.store.reviewers(self.dataset) if r.reviewer != self.reviewer]
        who = f" --reviewer {self.reviewer}" if others else ""
        return f"annotator export --dataset {self.dataset} --gold{who}"

    def closing(self, where: str) -> str:
        """What the review command says when the screen closes."""
        left = self.tasks_left()
        total = len(self.plan.queue)
        return (
            f"{total - left} of {total} reviewed, {left} left; the gold set (reviewer: {self.reviewer}) is "
            f"stored in {where}. Export it: {self.export_command}"
        )

    def answered(self, item: ReviewItem) -> bool:
        """Whether the gold of the task is decided. Only the open task changes while the review
        runs (its decisions, edits and undo), so it alone is read from the store; the others are
        known from the plan and from when they were last open (a look a task took seconds a key
        with a queue of a hundred thousand)."""
        if self.position is not None and item.task_id == self.plan.queue[self.position].task_id:
            gold = self.store.annotation(item.task_id, self.reviewer)
            if gold is not None and gold.answer is not None:
                self._answered.add(item.task_id)
            else:
                self._answered.discard(item.task_id)
        return item.task_id in self._answered

    def tasks_left(self) -> int:
        if self.item is not None:
            self.answered(self.item)
        return len(self.plan.queue) - len(self._answered)

    # -- one task -------------------------------------------------------------------------------

    @property
    def item(self) -> ReviewItem | None:
        return self.plan.queue[self.position] if self.position is not None else None

    def open(self, position: int) -> Adjudication:
        if self.item is not None:
            self.answered(self.item)  # as the task being left was left
        item = self.plan.queue[position]
        task = self.store.task(item.task_id)
        va = self.store.annotation(item.task_id, self.a)
        vb = self.store.annotation(item.task_id, self.b)
        assert va is not None and vb is not None
        adj = adjudicate(task, va, vb, self.a, self.b)
        if self.store.annotation(item.task_id, self.reviewer) is None:
            # The gold starts as what both agree on; each disagreement is then taken or left.
            self.store.save_annotation(item.task_id, self.reviewer, adj.agreed, session=self.gold.session_id)
        self.gold.open(item.task_id)
        self.position, self.adjudication = position, adj
        return adj

    def open_first(self) -> Adjudication | None:
        for i, item in enumerate(self.plan.queue):
            if not self.answered(item):
                return self.open(i)
        if self.plan.queue:
            return self.open(0)
        return None

    def next_open(self, delta: int = 1, unanswered_only: bool = True) -> Adjudication | None:
        if self.position is None:
            return self.open_first()
        n = len(self.plan.queue)
        for step in range(1, n + 1):
            i = self.position + delta * step
            if not 0 <= i < n:
                if unanswered_only:
                    i %= n
                else:
                    return None
            if not unanswered_only or not self.answered(self.plan.queue[i]):
                return self.open(i)
        return None

    @property
    def result(self) -> Annotation:
        cur = self.gold.current
        return cur.annotation if cur else Annotation()

    def resolution(self) -> Resolution:
        """The choice made for each disagreement of the open task, read from the gold's history
        (``core/gold.choices_in``). Only while a task is open."""
        adj = self.adjudication
        assert adj is not None and self.gold.current is not None, "no task is open"
        # Every redraw asks several times; the answer changes only with the gold's history.
        history = self.gold.current.history
        state = (adj, history, history.current)  # each edit, undo or decision makes a new one
        cached = self._resolution_cache
        if cached is not None and all(x is y for x, y in zip(cached[0], state, strict=True)):
            return cached[1]
        resolution = choices_in(adj, history)
        self._resolution_cache = (state, resolution)
        return resolution

    def choose(self, index: int, choice: Choice) -> Edit:
        """Take ``choice`` for disagreement ``index``: applied to the gold as the change between the
        merged results without and with it. CannotTakeBoth/InvalidAnnotation say why not."""
        before = self.resolution()
        after = before.take(index, choice)
        edit = choice_edit(self.result, before.result(), after.result(), ReviewChoice(index, choice))
        self.gold.apply(edit)
        return edit

    def waiting(self, index: int | None = None) -> list[str]:
        """Relations the choices take (of disagreement ``index``, or of every one and those both
        versions agree on) that are not in the gold because one of their argument spans is not:
        said to the reviewer, since taking the span later brings the relation in."""
        if self.adjudication is None:
            return []
        return waiting(self.resolution(), self.result, index)

    def accept(self) -> None:
        """Accept the gold version. A disagreement left open counts as neither, and is taken as
        such (so that reopening the task shows it so; the history goes on through the decision).
        Every span and relation must say where it came from: one that is not, as it stands, in the
        version its ``source`` names (drawn, relabelled or resized in the edit screen) is marked as
        the reviewer's before the decision."""
        cur, adj = self.gold.current, self.adjudication
        if cur is not None and adj is not None:
            for index in self.resolution().unresolved:
                self.choose(index, Choice.NEITHER)
            own = reviewers_own(adj, cur.annotation, self.reviewer)
            if own is not None:
                self.gold.apply(own)
        self.gold.decide("accept")

    def reject(self) -> None:
        self.gold.decide("reject")

    def disagreement(self, index: int) -> Disagreement:
        assert self.adjudication is not None
        return self.adjudication.disagreements[index]
