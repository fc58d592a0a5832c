"""One annotator working through one dataset: which task is open, its history, and every decision.

This is the annotate screen's model, kept free of Textual so that it can be tested and reused (the
review screen drives the same object). Every change is committed to the store before a method
returns, so whatever the screen shows after a key press is already on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from annotator.core.corrections import Rivals, count
from annotator.core.doubts import SOURCE_EVERY, WINDOW, Doubts, uncertain_order
from annotator.core.edits import RELATION_EDITS, Edit, History
from annotator.core.errors import AnnotatorError
from annotator.core.links import Link, noted, relink
from annotator.core.memory import MEMORY_SOURCE, Memory
from annotator.core.model import ENTS, Annotation, Answer, Task
from annotator.core.retokenize import edge_users, merge_tokens, realign, realign_history, split_token
from annotator.core.scheme import LabelScheme
from annotator.store import UNCHECKED, Expect, StaleWrite, Store, TaskState

T = TypeVar("T")


class ConcurrentEdit(AnnotatorError):
    """Another process of the same annotator changed the open task since this one last saw it."""


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class OpenTask:
    task_id: int
    task: Task
    history: History
    seen: int | None = None  # the version (latest log row of this task and annotator) last read or written
    # What the annotator was shown when the task opened (the suggestion, improved by the learner and
    # the correction memory): what an accepted task's corrections are measured against.
    shown: Annotation | None = None
    # The step from the stored suggestion to ``shown``, written to the log with the first edit (so
    # that the history replays from the suggestion) and never for a task only looked at.
    pending: Edit | None = None
    from_memory: int = 0  # spans the correction memory changed or added in ``shown``
    # How sure the model was of the suggestion ``shown`` started from (the learner's, when its
    # re-prediction was shown): the unsure spans and near misses the screen marks.
    doubts: Doubts | None = None
    why: str = ""  # why it opened now (--order uncertain), for the message line
    # The model's suggestion and the learner's, each as the memory has it, when the learner had
    # re-predicted this task: an accept measures which needed fewer corrections (core/corrections.py).
    rivals: tuple[Annotation, Annotation] | None = None

    @property
    def annotation(self) -> Annotation:
        return self.history.current


class AnnotationSession:
    def __init__(
        self, store: Store, dataset: str, annotator: str, scheme: LabelScheme, session_id: str | None = None
    ) -> None:
        self.store = store
        self.dataset = dataset
        self.annotator = annotator
        self.scheme = scheme
        self.session_id = session_id or f"{dataset}-{annotator}"
        # The tasks this annotator works through (the queue: their assignments when the dataset is
        # routed, the others' tasks are never opened here; else every task) are read from the store
        # a few at a time, never all: a dataset may hold a million. The open task's place in it:
        self._place: tuple[int, int | None] | None = None  # (task id, index)
        self.current: OpenTask | None = None
        self.total: int | None = None  # known size of the source, when it can be known cheaply
        self.finished = True  # False while a source is still being prepared into the store
        # Every write names the version it was made on, and the store refuses it if another process
        # of this annotator wrote the task since (two terminals on one database): the check and the
        # write are one statement. The annotate command turns it on.
        self.guard = False
        # The correction memory (None: --no-memory): accepted tasks teach it, and it improves the
        # suggestions of every task opened afterwards.
        self.memory: Memory | None = None
        # Suggestions the learner re-predicted for tasks not opened yet (task id -> annotation), and
        # what to tell it when a task is accepted (annotator.learn.attach sets both).
        self.learned: Callable[[int], tuple[Annotation, Doubts | None] | None] | None = None
        # Which of the two needed fewer corrections lately: a task opens with the learner's
        # suggestion only while it is ahead.
        self.rivals = Rivals()
        # "source": tasks open in source order; "uncertain": the least sure of the next WINDOW
        # unanswered tasks, every SOURCE_EVERY-th in source order (core/doubts.py).
        self.order = "source"
        # Uncertainty scores fresher than the stored ones (the learner's re-predictions), if any.
        self.fresh_scores: Callable[[Sequence[int]], dict[int, float]] | None = None
        self.committee = False  # the stored scores are a committee's (--committee)
        self.on_accept: Callable[[OpenTask, Annotation], None] | None = None
        self.model_note: Callable[[], str] | None = None  # "model +N updates" for the status line
        # Edits that add spans also add the relations the rules see for them (core/links.py); a
        # review takes only what annotators made, so it turns this off.
        self.relink = True

    def use_memory(self) -> None:
        """Turn the correction memory on, with what the store keeps for this dataset and annotator."""
        self.memory = Memory(self.store.memory(self.dataset, self.annotator))

    # -- navigation -------------------------------------------------------------------------------

    def queue_size(self) -> int:
        """How many tasks the queue holds (those stored so far, while the source is prepared)."""
        return self.store.queue_size(self.dataset, self.annotator)

    def queue(self) -> list[int]:
        """Every task id of the queue, in order (a pass over all of them: for tools and tests)."""
        return self.store.queue(self.dataset, self.annotator)

    def last_task(self) -> int | None:
        found = self.store.queue_ids(self.dataset, self.annotator, None, 1, backwards=True)
        return found[0] if found else None

    @property
    def index(self) -> int | None:
        """The open task's place in the queue (counted by the store once a task, then followed)."""
        if self.current is None:
            return None
        task_id = self.current.task_id
        if self._place is None or self._place[0] != task_id:
            # Counted from the task open before, when its place is known: the next one is near.
            near = None
            if self._place is not None and (known := self._place[1]) is not None:
                near = (self._place[0], known)
            self._place = (task_id, self.store.queue_rank(self.dataset, self.annotator, task_id, near))
        return self._place[1]

    def open(self, task_id: int, stored: tuple[Task, Annotation] | None = None) -> OpenTask:
        """Open a task, read from the store (``stored``: the task and its suggestion as the feed
        stored them a moment ago, so that a document of 500,000 tokens and 52,503 spans is not
        read back at once)."""
        if stored is not None and self.store.annotation(task_id, self.annotator) is None:
            # Never touched by this annotator: its state is the suggestion, made on these very
            # tokens (nothing to realign), with no history and no version.
            task = stored[0]
            state = TaskState(History(stored[1]), None, None)
            history = state.history
        else:
            task = self.store.task(task_id)  # (one this annotator has touched may be split since)
            state = self.store.state(task_id, self.annotator)
            # The log keeps offsets; a token split since (by anyone) moved only token indices.
            history = realign_history(task, state.history)
        if state.stored is None:
            # A task this annotator never touched starts from the suggestion, undecided.
            suggestion = replace(history.current, answer=None, annotator=None, session=None, timestamp=None)
            shown, from_memory, doubts, rivals = self._improve(task_id, task, suggestion)
            pending = None
            if shown is not suggestion:
                pending = Edit(
                    "suggest",
                    suggestion.spans,
                    shown.spans,
                    suggestion.relations,
                    shown.relations,
                    note=f"{from_memory} from memory" if from_memory else "",
                )
            self.current = OpenTask(
                task_id,
                task,
                History(shown),
                state.version,
                shown,
                pending,
                from_memory,
                doubts,
                rivals=rivals,
            )
        else:
            shown, _, doubts, _ = self._improve(task_id, task, self.store.suggestion(task_id))
            self.current = OpenTask(task_id, task, history, state.version, shown, doubts=doubts)
        return self.current

    def _improve(
        self, task_id: int, task: Task, suggestion: Annotation
    ) -> tuple[Annotation, int, Doubts | None, tuple[Annotation, Annotation] | None]:
        """The suggestion as the correction memory has it (the same object when it changed
        nothing), or the learner's re-prediction as the memory has it when the learner re-predicted
        the task and has needed fewer corrections than the model lately. Then the count of spans
        the memory changed or added, how sure the model was of what it suggested, and both
        candidates (the model's, the learner's) when there were two."""
        stored = self.store.doubts(task_id)
        links = stored.links if stored is not None else ()
        own, touched = self._remembered(task, suggestion, links)
        learned = self.learned(task_id) if self.learned is not None else None
        if learned is None:
            return own, touched, stored, None
        theirs, their_touched = self._remembered(task, learned[0], links)
        if not self.rivals.learner_ahead:
            return own, touched, stored, (own, theirs)
        doubts = learned[1]
        if doubts is not None and links:  # the parse, and so what the rules read, did not change
            doubts = replace(doubts, links=links)
        return theirs, their_touched, doubts, (own, theirs)

    def _remembered(
        self, task: Task, suggestion: Annotation, links: Sequence[Link]
    ) -> tuple[Annotation, int]:
        """The suggestion as the correction memory has it, with the relations the rules see for the
        spans the memory changed or added ("Nakatani" remembered as a PERSON meets "Ahn")."""
        if self.memory is None:
            return suggestion, 0
        shown, touched = self.memory.apply(task, suggestion, self.scheme)
        if touched and links and self.relink:
            changed = {s.sid for s in shown.spans if s.source == MEMORY_SOURCE}
            added = relink(shown, changed, links, self.scheme)
            shown = replace(shown, relations=shown.relations + added)
        return shown, touched

    def _guarded(self, cur: OpenTask, write: Callable[[Expect], T]) -> T:
        """Run one store write with the version this copy was made on; on a stale copy nothing is
        written: reload the task and say why."""
        try:
            return write(cur.seen if self.guard else UNCHECKED)
        except StaleWrite:
            self.open(cur.task_id)
            raise ConcurrentEdit(
                f"changed in another window of {self.annotator}: reloaded from there; press the key again"
            ) from None

    def upcoming(self, count: int, skip: int = 0) -> list[tuple[int, Task]]:
        """The next ``count`` tasks after the open one that this annotator never touched, after
        leaving out the first ``skip`` of them (the one the screen opens next is never changed).
        In the uncertain order, every untouched task of the window it picks from (re-predicted,
        they are also scored again)."""
        if self.order == "uncertain":
            current = self.current.task_id if self.current else None
            return [
                (task_id, self.store.task(task_id))
                for task_id in self.window()
                if task_id != current and self.store.annotation(task_id, self.annotator) is None
            ]
        out: list[tuple[int, Task]] = []
        if self.index is None or self.current is None:
            return out
        after: int | None = self.current.task_id
        while len(out) < count:
            page = self.store.queue_ids(self.dataset, self.annotator, after, max(count, 50))
            for task_id in page:
                if self.store.annotation(task_id, self.annotator) is not None:
                    continue
                if skip:
                    skip -= 1
                    continue
                out.append((task_id, self.store.task(task_id)))
                if len(out) == count:
                    break
            if not page:
                break
            after = page[-1]
        return out

    def open_first_unanswered(
        self, stored: Mapping[int, tuple[Task, Annotation]] | None = None
    ) -> OpenTask | None:
        """``stored``: tasks just stored with their suggestions, by id (see ``open``)."""
        if self.order == "uncertain":
            return self.advance()
        task_id = self.store.next_unanswered(self.dataset, self.annotator)
        if task_id is None:
            return None
        return self.open(task_id, (stored or {}).get(task_id))

    def step(self, delta: int) -> OpenTask | None:
        """Open the task ``delta`` places away without deciding (the draft stays stored)."""
        idx = self.index
        if idx is None or self.current is None or delta == 0:
            return None
        found = self.store.queue_ids(
            self.dataset, self.annotator, self.current.task_id, abs(delta), backwards=delta < 0
        )
        if len(found) < abs(delta):
            return None
        opened = self.open(found[-1])
        self._place = (found[-1], idx + delta)
        return opened

    def advance(self) -> OpenTask | None:
        """Open the next unanswered task after the current one, wrapping to any earlier one; in
        the uncertain order, the least sure of the next unanswered ones (see ``pick``)."""
        if self.order == "uncertain":
            task_id, why = self.pick()
        else:
            after = self.current.task_id if self.current else None
            task_id, why = self.store.next_unanswered(self.dataset, self.annotator, after=after), ""
            if task_id is None and after is not None:
                task_id = self.store.next_unanswered(self.dataset, self.annotator)
        if task_id is None:
            self.current = None
            return None
        opened = self.open(task_id)
        opened.why = why
        return opened

    def window(self) -> list[int]:
        """The first WINDOW unanswered tasks in source order: what the uncertain order picks from."""
        return self.store.unanswered(self.dataset, self.annotator, WINDOW)

    def scores(self, task_ids: Sequence[int]) -> dict[int, float]:
        """The tasks' uncertainty: the learner's latest where it re-predicted them, else as stored."""
        scores = self.store.doubt_scores(task_ids)
        if self.fresh_scores is not None:
            scores.update(self.fresh_scores(task_ids))
        return scores

    def pick(self) -> tuple[int | None, str]:
        """The task the uncertain order opens next, and why (for the message line)."""
        window = self.window()
        if not window:
            return None, ""
        counts = self.counts()
        decided = sum(counts.get(answer, 0) for answer in ("accept", "reject", "ignore"))
        scores = self.scores(window)
        task_id = uncertain_order(window, scores, decided)
        if task_id == window[0] and (decided + 1) % SOURCE_EVERY == 0:
            return task_id, f"in source order (every {SOURCE_EVERY}th task is)"
        score = scores.get(task_id)
        shown = "no score" if score is None else f"uncertainty {score:.1f}"
        return task_id, f"the least sure of the next {len(window)} ({shown})"

    # -- edits and decisions ----------------------------------------------------------------------

    def _require(self) -> OpenTask:
        if self.current is None:
            raise RuntimeError("no task is open")
        return self.current

    def apply(self, edit: Edit) -> Annotation:
        cur = self._require()
        if edit.empty:
            return cur.annotation
        edit = self._linked(cur, edit)
        cur.history.do(edit)
        self._record(cur, "do", edit)
        return cur.annotation

    def _linked(self, cur: OpenTask, edit: Edit) -> Edit:
        """The edit with the relations the rules read in the parse for the entity spans it adds (a
        relabel, a resize, a new span: "Nakatani" made a PERSON takes part in "X met Y"), in the
        same undoable step; never one the annotator removed in this task."""
        links = cur.doubts.links if cur.doubts is not None and self.relink else ()
        changed = {s.sid for s in edit.added_spans if s.layer == ENTS}
        if not links or not changed:
            return edit
        refused = {r.key for e in cur.history.done if e.kind in RELATION_EDITS for r in e.removed_relations}
        added = relink(edit.apply(cur.annotation), changed, links, self.scheme, refused)
        if not added:
            return edit
        return replace(edit, added_relations=edit.added_relations + added, note=noted(edit.note, len(added)))

    def undo(self) -> Edit | None:
        cur = self._require()
        if cur.history.done:
            self._retokenize(cur, cur.history.done[-1].inverse())
        edit = cur.history.undo()
        if edit is not None:
            self._record(cur, "undo", edit)
        return edit

    def redo(self) -> Edit | None:
        cur = self._require()
        if cur.history.undone:
            self._retokenize(cur, cur.history.undone[-1])
        edit = cur.history.redo()
        if edit is not None:
            self._record(cur, "redo", edit)
        return edit

    def split_token(self, at: int) -> Edit:
        """Split the token holding character ``at`` there, for every annotator of the dataset (the
        tokens are the task's), as a step of this annotator's history that ``u`` undoes."""
        cur = self._require()
        tok = cur.task.tokens[cur.task.token_index_at_char(at) or 0]
        shown = f"{tok.text[: at - tok.start]}|{tok.text[at - tok.start :]}"
        edit = Edit("split-token", note=f"split {tok.text!r} into {shown!r}", split_at=at)
        self._retokenize(cur, edit)
        self.apply(edit)
        return edit

    def _retokenize(self, cur: OpenTask, edit: Edit) -> None:
        """Make the token change ``edit`` carries (a split, or the merge that undoes one) on the
        task, the stored annotations and this history; AnnotatorError, with nothing changed, when a
        merge would cut a span (one of anyone's that begins or ends between the two halves)."""
        if edit.split_at is not None:
            task = split_token(cur.task, edit.split_at)
        elif edit.merge_at is not None:
            at = edit.merge_at
            holders = [("you", cur.annotation), ("the suggestion", self.store.suggestion(cur.task_id))]
            holders += [
                (who, a)
                for who in self.store.annotators(self.dataset)
                if who != self.annotator and (a := self.store.annotation(cur.task_id, who)) is not None
            ]
            for who, annotation in holders:
                cut = edge_users(annotation, at)
                if cut:
                    s = cut[0]
                    raise AnnotatorError(
                        f"cannot undo the split at character {at}: {who} {'have' if who == 'you' else 'has'} "
                        f"a span that begins or ends there ({cur.task.text[s.start : s.end]!r} {s.label}); "
                        "delete or resize it first"
                    )
            task = merge_tokens(cur.task, at)
        else:
            return
        self.store.retokenize(cur.task_id, task)
        cur.task = task
        cur.history = realign_history(task, cur.history)
        if cur.shown is not None:
            cur.shown = realign(task, cur.shown)

    def _record(self, cur: OpenTask, event: str, edit: Edit | None) -> None:
        if cur.pending is not None:
            # The improved suggestion becomes the first step of the history, as the log will have it.
            step = cur.pending
            cur.seen = self._guarded(
                cur,
                lambda expect: self.store.record_edit(
                    cur.task_id,
                    self.annotator,
                    self.session_id,
                    "do",
                    step,
                    cur.shown or cur.annotation,
                    expect=expect,
                ),
            )
            cur.history.done.insert(0, step)
            cur.pending = None
        self._reopen(cur)
        after = cur.annotation
        cur.seen = self._guarded(
            cur,
            lambda expect: self.store.record_edit(
                cur.task_id, self.annotator, self.session_id, event, edit, after, expect=expect
            ),
        )

    @staticmethod
    def _reopen(cur: OpenTask) -> None:
        """An edit makes a decided task a draft again, here as in the store (``record_edit``), so
        that the screen never shows "accepted" for spans that were not accepted."""
        if cur.history.current.answer is not None:
            cur.history.current = replace(cur.history.current, answer=None)

    def decide(self, answer: Answer) -> Annotation:
        cur = self._require()
        wanted = replace(cur.annotation, answer=answer)
        # What an accept teaches the correction memory is stored with the decision, in one
        # transaction: a crash right after the accept cannot lose it.
        lesson = (
            self.memory.lesson(cur.task, cur.shown, wanted)
            if answer == "accept" and self.memory is not None and cur.shown is not None
            else {}
        )
        decision = self._guarded(
            cur,
            lambda expect: self.store.record_answer(
                cur.task_id, self.annotator, self.session_id, wanted, expect=expect, remember=lesson
            ),
        )
        cur.seen = decision.version
        cur.pending = None  # the decision holds the improved suggestion itself
        # The history goes on through the decision: undo reaches the edits made before it (and,
        # like any edit, makes the task a draft again).
        cur.history.current = decision.annotation
        if self.memory is not None:
            self.memory.update(lesson)
        if answer == "accept" and cur.rivals is not None:
            model, learner = cur.rivals
            labels = self.scheme.labels
            self.rivals.record(count(model, wanted, labels), count(learner, wanted, labels))
            cur.rivals = None  # measured once, on the first accept
        if answer == "accept" and self.on_accept is not None:
            self.on_accept(cur, decision.annotation)
        return decision.annotation

    def counts(self) -> dict[str, int]:
        return self.store.answer_counts(self.dataset, self.annotator)
