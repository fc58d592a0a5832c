"""The learner's client: starts the learner process, sends it accepted tasks and the upcoming ones,
and keeps the suggestions it sends back for the session to use when those tasks open.

Nothing here imports spaCy: the process does, after it starts (spawned, not forked: the app has
threads). At most one batch is in the process and at most one waits here: tasks accepted while it
works are sent together when it is done, each still one update. A thread reads the replies, so
the caller's loop never waits on the model; ``on_event`` is called from that thread.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from pathlib import Path

from annotator.core.corrections import Rivals
from annotator.core.doubts import Doubts
from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.nlp.learner_protocol import (
    Batch,
    BatchDone,
    Failed,
    LearnerSetup,
    Ready,
    Reply,
    Save,
    Saved,
    Stop,
)
from annotator.session import AnnotationSession, OpenTask
from annotator.store import Store


def _run(conn: Connection, setup: LearnerSetup) -> None:
    """The learner process. Its standard output and error would write over the screen (it shares
    the terminal): they go nowhere, and what it has to say goes through the pipe. It runs at a
    lower priority than the screen."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # Background work: on a busy machine the screen's process gets the CPU first.
    with contextlib.suppress(OSError):
        os.nice(10)
    from annotator.nlp.learner import serve

    serve(conn, setup)


class LearnerClient:
    def __init__(
        self,
        setup: LearnerSetup | Callable[[], LearnerSetup],
        on_event: Callable[[Reply], object] | None = None,
    ) -> None:
        # A setup, or what makes one when the first accepted task starts the process (the user's
        # texts for rehearsal are in the store by then).
        self.setup = setup
        # multiprocessing's resource tracker is started with the process's stderr, which Textual
        # replaces while it runs (with one that has no file descriptor): start it now.
        resource_tracker.ensure_running()
        self.on_event = on_event
        self.updates = 0
        self.ready = False
        self.failed: str | None = None
        self.errors: list[str] = []  # what went wrong after the start (a batch, a task)
        self.canaries = 0
        self.rollbacks = 0
        self._predicted: dict[int, Annotation] = {}
        self._doubts: dict[int, Doubts] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = False
        self._pending: list[tuple[Task, Annotation]] = []
        self._upcoming: list[tuple[int, Task]] = []
        self._saved: threading.Event | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._reader: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        setup = self.setup() if callable(self.setup) else self.setup
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        self._conn = ours
        self._busy = True  # until Ready
        self._process = ctx.Process(target=_run, args=(theirs, setup), name="annotator-learner", daemon=True)
        self._process.start()
        theirs.close()
        self._reader = threading.Thread(target=self._read, name="annotator-learner-reader", daemon=True)
        self._reader.start()

    # -- what the session asks ----------------------------------------------------------------------

    def predicted(self, task_id: int) -> tuple[Annotation, Doubts | None] | None:
        """The learner's latest suggestion for a task, if it re-predicted it, with how sure it was."""
        with self._lock:
            found = self._predicted.get(task_id)
            return None if found is None else (found, self._doubts.get(task_id))

    def scores(self, task_ids: Sequence[int]) -> dict[int, float]:
        """The uncertainty of those tasks the learner re-predicted, as of its latest prediction."""
        with self._lock:
            return {task_id: self._doubts[task_id].score for task_id in task_ids if task_id in self._doubts}

    def accepted(self, task: Task, annotation: Annotation, upcoming: Sequence[tuple[int, Task]]) -> None:
        """One more accepted task to learn from; ``upcoming`` are the next tasks nobody opened."""
        if not self.started:
            self.start()
        with self._lock:
            if self.failed is not None:
                return
            self._pending.append((task, annotation))
            self._upcoming = list(upcoming)
            self._send_locked()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything sent has been learnt (benchmarks and tests)."""
        with self._idle:
            return self._idle.wait_for(
                lambda: (not self._busy and not self._pending) or self.failed is not None, timeout
            )

    def save(self, path: Path, timeout: float = 120.0) -> bool:
        """Write the updated pipeline to ``path`` (after what is queued); True when written."""
        if not self.wait_idle(timeout) or self.failed is not None:
            return False
        done = threading.Event()
        with self._lock:
            self._saved = done
            self._busy = True
            self._send(Save(path))
        return done.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    self._conn.send(Stop())
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()

    # -- the pipe ---------------------------------------------------------------------------------------

    def _send(self, request: Batch | Save | Stop) -> None:
        assert self._conn is not None
        try:
            self._conn.send(request)
        except (OSError, BrokenPipeError) as exc:
            self.failed = f"the learner stopped: {exc}"
            self._busy = False

    def _send_locked(self) -> None:
        if self._busy or not self._pending or not self.ready:
            return
        batch = Batch(self._pending, self._upcoming)
        self._pending = []
        self._busy = True
        self._send(batch)

    def _read(self) -> None:
        assert self._conn is not None
        while True:
            try:
                reply: Reply = self._conn.recv()
            except (EOFError, OSError):
                with self._idle:
                    if self.failed is None:
                        self.failed = "the learner process ended"
                    self._busy = False
                    self._idle.notify_all()
                self._event(Failed(self.failed or "the learner process ended"))
                return
            with self._idle:
                if isinstance(reply, Ready):
                    self.ready = True
                elif isinstance(reply, BatchDone):
                    self.updates = reply.updates
                    self._predicted.update(reply.predictions)
                    self._doubts.update(reply.doubts)
                    self.errors.extend(reply.errors)
                    self.canaries += len(reply.canaries)
                    self.rollbacks += sum(c.rolled_back for c in reply.canaries)
                elif isinstance(reply, Saved) and self._saved is not None:
                    self._saved.set()
                elif isinstance(reply, Failed):
                    if not self.ready:
                        self.failed = reply.message
                    self.errors.append(reply.message)
                self._busy = False
                self._send_locked()
                self._idle.notify_all()
            self._event(reply)

    def _event(self, reply: Reply) -> None:
        if self.on_event is not None:
            self.on_event(reply)


UPCOMING = 3  # tasks re-predicted after each accept


def attach(session: AnnotationSession, client: LearnerClient, upcoming: int = UPCOMING) -> None:
    """Let the session learn: each accepted task goes to the learner with the next tasks nobody has
    opened (leaving out the one the screen opens next: the task on screen never changes), and
    tasks opened later start from what the learner predicted for them."""

    def accepted(cur: OpenTask, annotation: Annotation) -> None:
        client.accepted(cur.task, annotation, session.upcoming(upcoming, skip=1))

    session.learned = client.predicted
    session.on_accept = accepted
    if not session.committee:
        # The learner's margins are fresher than those measured when the task was stored (a
        # committee's disagreements are another scale: they are kept).
        session.fresh_scores = client.scores
    session.model_note = lambda: model_note(client.updates, session.rivals)


def model_note(updates: int, rivals: Rivals) -> str:
    """The status line's word on the learner: its updates, and whether its suggestions are shown
    (only while they have needed fewer corrections than the model's on the recent tasks)."""
    if rivals.learner_ahead:
        return f"model +{updates} updates"
    if not rivals.recent:
        return f"model +{updates} updates, not shown yet"
    model, learner = rivals.totals
    return f"model +{updates} updates, not shown ({learner} fixes vs {model})"


def news(reply: Reply) -> tuple[str, bool] | None:
    """What the annotator should be told about a reply, and whether it is an error; None: nothing."""
    if isinstance(reply, Failed):
        return reply.message, True
    if isinstance(reply, BatchDone):
        if reply.errors:
            return reply.errors[0], True
        for canary in reply.canaries:
            if canary.rolled_back:
                gold = f", gold F1 {canary.gold_f1:.3f}" if canary.gold_f1 is not None else ""
                return (
                    f"the model drifted (agreement with the original {canary.agreement:.2f}{gold}): "
                    f"rolled back to +{canary.kept} updates",
                    True,
                )
    return None


REHEARSAL_TEXTS = 400  # texts of the source the learner cuts into rehearsal and canary sentences
CANARY_TEXTS = 50  # of them, from the end of the source


def setup_from_store(
    store: Store, dataset: str, model: str | None, scheme: LabelScheme, relation_rules: Path | None
) -> LearnerSetup:
    """The learner's setup for a dataset: the user's own texts (the first tasks of the source) for
    rehearsal and the canary, and the gold the dataset holds (every reviewer's) for the canary."""
    ids = store.task_ids(dataset)
    # The first texts for rehearsal; the last ones, which the annotator reaches last, for the canary.
    chosen = (
        ids if len(ids) <= REHEARSAL_TEXTS else ids[: REHEARSAL_TEXTS - CANARY_TEXTS] + ids[-CANARY_TEXTS:]
    )
    texts = [store.task(task_id).text for task_id in chosen]
    gold = [
        (task, ann)
        for review in store.reviewers(dataset)
        for _, task, ann in store.annotations(dataset, review.reviewer, ("accept",))
    ]
    return LearnerSetup(model, scheme, texts, relation_rules, gold)


def check_model_folder(path: Path) -> None:
    """Where --save-model may write: a new or empty folder, or a pipeline (which it replaces)."""
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / "meta.json").exists())):
        raise AnnotatorError(f"{path}: exists and is not a spaCy pipeline folder; give a new or empty folder")
