"""The annotate screen: the editing screen over an annotator's queue, with decisions that store the
answer and open the next task, while the source is still being prepared behind it (the feed's
messages arrive here)."""

from __future__ import annotations

from collections.abc import Mapping

from annotator.core.model import Annotation, Answer, Task
from annotator.core.wording import counted
from annotator.session import ConcurrentEdit
from annotator.store import StoreError
from annotator.tui.editor import EditorScreen, first_visible
from annotator.tui.feed_messages import (
    FeedFinished,
    FirstTextRead,
    LearnerNews,
    ModelReady,
    SourceSize,
    TasksStored,
)
from annotator.tui.screens.first_frame import RenderedOnce


class AnnotateScreen(RenderedOnce[None], EditorScreen):
    def open_first(self) -> None:
        if self.session.current is not None:
            self.load_current()
        elif self.session.finished and self.session.queue_size():
            self.show_done("every task is answered")

    # -- the source being prepared --------------------------------------------------------------

    def on_first_text_read(self, message: FirstTextRead) -> None:
        self.show_pending(message.task, message.suggestion, start_only=message.start_only)
        self.call_after_refresh(message.shown.set)

    def on_model_ready(self, message: ModelReady) -> None:
        self.model_name = message.name
        self.update_status()

    def on_learner_news(self, message: LearnerNews) -> None:
        from annotator.learn import news  # only a run with --learn gets here: see tui/launch.py

        said = news(message.reply)  # type: ignore[arg-type]
        if said is not None:
            self.say(said[0], error=said[1])
        self.update_status()

    def on_tasks_stored(self, message: TasksStored) -> None:
        handed = zip(message.tasks, message.suggestions, strict=False)
        self.tasks_arrived(dict(zip(message.task_ids, handed, strict=False)))

    def on_source_size(self, message: SourceSize) -> None:
        self.session.total = max(message.total, self.session.queue_size())
        self.update_status()

    def on_feed_finished(self, message: FeedFinished) -> None:
        self.session.finished = True
        self.tasks_arrived()
        if self.fault is not None:
            return  # the storage fault stays said
        if self.session.current is None and self.pending_task is not None:
            # The text on screen never became a task: say why, not "still preparing", for good.
            first = message.problems[0].reason if message.problems else None
            self.unprepared = message.error or first or "it holds no text"
        if message.error:
            self.say(message.error, error=True)
        elif message.problems:
            first_problem = message.problems[0]
            self.say(
                f"{counted(len(message.problems), 'bad record')} skipped; first: {first_problem}", error=True
            )
        elif not self.session.queue_size():
            self.say("the source has no texts", error=True)

    def show_pending(
        self, task: Task, suggestion: Annotation | None = None, *, start_only: bool = False
    ) -> None:
        """Show a text before its task is stored, read-only: with provisional tokens while the
        model loads, or a ready task with its ``suggestion`` while it is stored, or the start of a
        long one while the rest is read (the whole replaces it, the cursor where it was)."""
        if self.session.current is not None:
            return
        if self.pending_task is None or self.cursor >= len(task.tokens):
            self.cursor = first_visible(task)
        self.pending_task = task
        self.doc.show(task, suggestion or Annotation(), provisional=True)
        if start_only:
            self.say("reading the document; its start is shown, read-only until it is read and stored")
        elif suggestion is None:
            self.say("loading the model; the text is read-only until its suggestions arrive")
        else:
            self.say("storing the text; it is read-only until it is stored")
        self.update_status()

    def tasks_arrived(self, stored: Mapping[int, tuple[Task, Annotation]] | None = None) -> None:
        """``stored``: tasks the feed has just stored with their suggestions, by id, opened as they
        are if one is next."""
        try:
            self._open_arrived(stored or {})
        except StoreError as exc:
            self.storage_fault(exc)

    def _open_arrived(self, stored: Mapping[int, tuple[Task, Annotation]]) -> None:
        s = self.session  # the tasks stored are in the store's queue already
        if s.current is None and not (self.done and s.finished):
            pending_char = None
            if self.pending_task is not None:
                pending_char = (
                    self.pending_task.tokens[self.cursor].start if self.pending_task.tokens else None
                )
            if s.open_first_unanswered(stored) is not None:
                self.load_current(keep_cursor_char=pending_char)
            elif s.finished and s.queue_size() and not self.done:
                self.show_done("every task is answered")
        self.update_status()

    def show_done(self, message: str) -> None:
        """No unanswered task is left (or none is ready yet): say so in place of the text, rather
        than leave the last task on screen while no key can edit it."""
        self.done = True
        s = self.session
        counts = s.counts()
        if s.finished:
            text = (
                f"Every task of {s.dataset} is answered ({s.queue_size()}): {counts.get('accept', 0)} accepted, "
                f"{counts.get('reject', 0)} rejected, {counts.get('ignore', 0)} ignored.\n\n"
                "[ opens the last task again to change it. q quits: everything is saved."
            )
        else:
            text = "No unanswered task is ready yet: the next ones are being prepared and open here by themselves."
        # The feed's tokenizer (in its thread), not on the way to a first frame that shows a task.
        from annotator.core.tokenize import provisional_tokens

        self.reset_view(0)
        self.doc.show(Task(text, provisional_tokens(text), 0), Annotation(), provisional=True)
        self.refresh_side()
        self.update_status()
        self.say(message)

    # -- decisions and navigation -----------------------------------------------------------------

    def _decide(self, answer: Answer) -> None:
        if not self.editable():
            return
        try:
            self.session.decide(answer)
        except ConcurrentEdit as exc:
            self.reloaded(exc)
            return
        except StoreError as exc:  # from the palette too
            self.storage_fault(exc)
            return
        past = {"accept": "accepted", "reject": "rejected", "ignore": "ignored"}[answer]
        if self.session.advance() is None:
            self.show_done(f"{past}; no unanswered task is left" + ("" if self.session.finished else " yet"))
            return
        self.load_current()
        why = self.session.current.why if self.session.current else ""
        self.say(f"{past}; next task" + (f": {why}" if why else ""))

    def action_accept(self) -> None:
        self._decide("accept")

    def action_reject(self) -> None:
        self._decide("reject")

    def action_ignore(self) -> None:
        self._decide("ignore")

    def action_prev_task(self) -> None:
        last = self.session.last_task() if self.session.current is None else None
        if last is not None:
            self.session.open(last)
            self.load_current()
            return
        if self.session.step(-1) is None:
            self.say("this is the first task")
            return
        self.load_current()

    def action_next_task(self) -> None:
        if self.session.step(1) is None:
            self.say("this is the last task so far")
            return
        self.load_current()
