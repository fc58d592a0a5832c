"""The review screen: two annotators' versions over one text, each disagreement resolved by a key,
the result stored as the gold version."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from annotator.core.adjudication import CannotTakeBoth, Disagreement
from annotator.core.choices import Choice
from annotator.core.edits import Edit
from annotator.core.errors import InvalidAnnotation
from annotator.core.gold import focus, marks
from annotator.core.model import Annotation, Relation
from annotator.core.wording import counted
from annotator.review import PAST, ReviewSession
from annotator.store import StoreError
from annotator.tui import display
from annotator.tui.components.dialogs import HelpScreen
from annotator.tui.components.document_view import Marks, ReviewDocumentView
from annotator.tui.components.message_log import MessagesScreen, log_of
from annotator.tui.components.review_panels import (
    describe,
    disagreement_detail,
    gold_relations,
    note_line,
    state_of,
    versions_legend,
)
from annotator.tui.components.side_panels import MessageLine
from annotator.tui.components.status_line import StatusLine
from annotator.tui.editor import EditorScreen
from annotator.tui.faults import FaultReporting, fault_message
from annotator.tui.keymap import KeyDispatch, key_bindings
from annotator.tui.review_keys import REVIEW_KEYS
from annotator.tui.screens.first_frame import RenderedOnce


def _relation_text(version: Annotation, r: Relation, text: str) -> str:
    h, c = version.span(r.head), version.span(r.child)
    return f"{text[h.start : h.end] if h else '?'!r} ─{r.label}→ {text[c.start : c.end] if c else '?'!r}"


class GoldEditScreen(EditorScreen):
    """The annotate keys on the gold version of one task; a (or enter) goes back to the review."""

    def action_accept(self) -> None:
        self.dismiss()

    def action_reject(self) -> None:
        self.dismiss()

    def action_ignore(self) -> None:
        self.dismiss()

    def action_prev_task(self) -> None:
        self.say("a goes back to the review")

    def action_next_task(self) -> None:
        self.say("a goes back to the review")

    async def action_quit(self) -> None:
        self.dismiss()


class PlanRead(Message):
    """The review read more tasks (``done``: all of them), or reading them failed (``fault``)."""

    def __init__(self, done: bool, fault: StoreError | None = None) -> None:
        super().__init__()
        self.done = done
        self.fault = fault


class ReviewScreen(RenderedOnce[None], KeyDispatch, Screen[None]):
    KEYS = REVIEW_KEYS
    BINDINGS = key_bindings(REVIEW_KEYS)  # type: ignore[assignment]

    def __init__(self, review: ReviewSession) -> None:
        super().__init__()
        self.review = review
        self.selected = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield ReviewDocumentView(self.review.scheme, id="doc")
            with Vertical(id="side"):
                yield Static(id="legend")
                yield Static(id="detail")
                yield Static(id="relations")
        yield MessageLine(id="message")
        yield StatusLine(id="status")

    @property
    def doc(self) -> ReviewDocumentView:
        return self.query_one(ReviewDocumentView)

    def on_mount(self) -> None:
        self.doc.focus()
        legend = self.query_one("#legend", Static)
        legend.border_title = "versions"
        r = self.review
        legend.update(versions_legend(r.a, r.b, self.doc.state_style))
        if self.review.adjudication is None and self.review.open_first() is None:
            self.nothing_yet()
            return
        self.load_task()

    def nothing_yet(self) -> None:
        """No task is open: the tasks are still being read, or none needs a review."""
        plan = self.review.plan
        if plan.done:
            self.say(
                f"nothing to review: {counted(plan.agreed_to_gold, 'agreed task')} went straight into the gold set",
            )
        else:
            self.say("looking for the first disagreement; it opens here as soon as it is found")
        self.update_status()

    def on_plan_read(self, message: PlanRead) -> None:
        """More tasks were read behind the screen: the first disagreement opens as it is found, and
        the status line says how far the reading has got."""
        if message.fault is not None:
            self.storage_fault(message.fault)
            return
        if self.review.adjudication is None and self.fault is None:
            try:
                opened = self.review.open_first()
            except StoreError as exc:
                self.storage_fault(exc)
                return
            if opened is not None:
                self.load_task()
                return
            if message.done:
                self.nothing_yet()
        self.update_status()

    # -- drawing ----------------------------------------------------------------------------------

    def load_task(self) -> None:
        unresolved = self.review.resolution().unresolved
        self.selected = unresolved[0] if unresolved else 0
        adj = self.review.adjudication
        assert adj is not None
        display, marks = self.overlay()
        self.doc.show(adj.task, display)
        self.doc.set_marks(marks)
        self.after_change()
        item = self.review.item
        self.say(item.note if item and item.note else "")

    def overlay(self) -> tuple[Annotation, Marks]:
        """The gold so far, with each unresolved disagreement drawn as one stand-in span
        (``core.gold.marks``), and where the selected disagreement is (``core.gold.focus``)."""
        resolution = self.review.resolution()
        result = self.review.result
        drawn = marks(resolution, result)
        at = focus(resolution, drawn, self.selected)
        shown = Annotation(tuple(m.span for m in drawn), result.relations)
        return shown, Marks(
            cursor=at.cursor,
            selection=at.tokens,
            selected_sid=at.stand_in,
            span_states={m.span.sid: state_of(m.state) for m in drawn},
            relation_head=at.head,
            relation_child=at.child,
        )

    def after_change(self) -> None:
        display, marks = self.overlay()
        self.doc.update_annotation(display)
        self.doc.set_marks(marks)
        self.show_detail()
        self.show_relations()
        self.update_status()

    def show_detail(self) -> None:
        panel = self.query_one("#detail", Static)
        adj = self.review.adjudication
        item = self.review.item
        note = item.note if item is not None else None
        if adj is None or not adj.disagreements:
            panel.border_title = "disagreements"
            text = note_line(note, self.doc.state_style)
            text.append("the two versions' spans and relations agree: a accepts them", style="dim")
            panel.update(text)
            return
        d = adj.disagreements[self.selected]
        choice = self.review.resolution().choices[d.index]
        panel.border_title = f"disagreement {d.index + 1} of {len(adj.disagreements)}"
        taken = self._taken(choice) if choice else None
        panel.update(
            disagreement_detail(adj, d, taken, self.review.a, self.review.b, note, self.doc.state_style)
        )

    def show_relations(self) -> None:
        panel = self.query_one("#relations", Static)
        adj = self.review.adjudication
        result = self.review.result
        panel.border_title = f"gold relations ({len(result.relations)})"
        if adj is None:
            panel.update("")
            return
        choices = self.review.resolution().choices
        open_relations = sum(
            1 for d in adj.disagreements if d.kind == "relation" and choices[d.index] is None
        )
        panel.update(
            gold_relations(
                adj.task.text, result, self.review.a, self.review.b, open_relations, self.doc.state_style
            )
        )

    def _what(self, d: Disagreement, choice: Choice) -> str:
        """What the choice put into (or, for neither, left out of) the gold: "'Germany' GPE"."""
        adj = self.review.adjudication
        assert adj is not None
        if d.kind == "relation":
            a = [_relation_text(adj.a, r, adj.task.text) for r in d.a_relations]
            b = [_relation_text(adj.b, r, adj.task.text) for r in d.b_relations]
        else:
            a = [describe((s,), adj.task.text) for s in d.a_spans]
            b = [describe((s,), adj.task.text) for s in d.b_spans]
        both = a + [x for x in b if x not in a]
        taken = {Choice.A: a, Choice.B: b, Choice.BOTH: both}.get(choice)
        if taken:
            return ", ".join(taken)
        # neither, or a side that had nothing there: what the choice left out
        left = both if taken is None else (b if choice is Choice.A else a)
        none = "no relation" if d.kind == "relation" else "no span"
        return f"{none}, left out " + ", ".join(left) if left else none

    def _taken(self, choice: Choice) -> str:
        return {
            Choice.A: f"A ({self.review.a})",
            Choice.B: f"B ({self.review.b})",
            Choice.BOTH: "both",
            Choice.NEITHER: "neither",
        }[choice]

    def say(self, message: str, error: bool = False) -> None:
        self.query_one(MessageLine).say(message, error)

    def storage_fault(self, exc: StoreError) -> None:
        """As on the annotate screen: say it, take no more choices, exit non-zero."""
        self.fault = exc
        if isinstance(self.app, FaultReporting):
            self.app.record_fault(exc)
        self.say(fault_message(exc), error=True)

    def update_status(self) -> None:
        """Where the review is, and whose gold set it writes (the reviewer's: "→ judge" wherever
        the gold goes), the least needed parts given up first on a narrow terminal."""
        r = self.review
        left = r.tasks_left()
        unresolved = len(r.resolution().unresolved) if r.adjudication else 0
        pos = f"task {r.position + 1}/{len(r.plan.queue)}" if r.position is not None else "no task"
        cur = r.gold.current
        answer = cur.annotation.answer if cur else None
        reading = [] if r.plan.done else [(display.text(r.plan.progress()), 8)]
        parts = [
            (display.text(r.dataset, style="bold"), 7),
            (Text(pos), 9),
            *reading,
            (Text(f"{unresolved} open here"), 8),
            (Text(f"{counted(left, 'task')} left"), 6),
        ]
        if answer:
            parts.append((display.text(f"{PAST[answer]} → {r.reviewer}"), 5))
        parts += [
            (display.text(f"{r.a} vs {r.b} → {r.reviewer}"), 4),
            (display.text(f"{r.plan.agreed_to_gold} agreed → {r.reviewer}"), 3),
        ]
        self.query_one(StatusLine).show_parts(parts)

    # -- keys -------------------------------------------------------------------------------------

    def _has_disagreements(self) -> bool:
        adj = self.review.adjudication
        if adj is None or not adj.disagreements:
            self.say("no disagreements in this task")
            return False
        return True

    def action_next_disagreement(self) -> None:
        if self._has_disagreements():
            assert self.review.adjudication is not None
            self.selected = (self.selected + 1) % len(self.review.adjudication.disagreements)
            self.after_change()

    def action_prev_disagreement(self) -> None:
        if self._has_disagreements():
            assert self.review.adjudication is not None
            self.selected = (self.selected - 1) % len(self.review.adjudication.disagreements)
            self.after_change()

    def action_take(self, value: str) -> None:
        if not self._has_disagreements():
            return
        choice = Choice(value)
        try:
            self.review.choose(self.selected, choice)
        except (CannotTakeBoth, InvalidAnnotation) as exc:
            self.say(str(exc), error=True)
            return
        taken = self._taken(choice)
        index = self.selected
        what = self._what(self.review.disagreement(index), choice)
        unresolved = self.review.resolution().unresolved
        # A relation taken without its argument spans in the gold is not there yet: say so, and
        # stay on it, rather than let "took A" suggest it was added.
        here = self.review.waiting(index) if self.review.disagreement(index).kind == "relation" else []
        elsewhere = [] if here else self.review.waiting()
        after = [i for i in unresolved if i > self.selected] or unresolved
        if after and not here:
            self.selected = after[0]
        self.after_change()
        total = len(self.review.adjudication.disagreements) if self.review.adjudication else 0
        message = f"took {taken} for disagreement {index + 1} of {total}: {what}"
        if here:  # "alice's MET waits for its head ...": the message named the relation already
            message += f"; it waits {here[0].partition(' waits ')[2]}: take that span first"
        elif elsewhere:
            message += (
                f"; {counted(len(elsewhere), 'relation')} waiting for a span not in the gold ({elsewhere[0]})"
            )
        elif not unresolved:
            message += "; every disagreement is resolved: a accepts the result"
        self.say(message)

    def action_undo(self) -> None:
        edit = self.review.gold.undo()
        if edit is not None and edit.choice is not None:
            self.selected = edit.choice.disagreement  # back on the disagreement the choice was for
        self.after_change()
        self.say("nothing to undo" if edit is None else f"undone: {self._edit_name(edit)}")

    def action_redo(self) -> None:
        edit = self.review.gold.redo()
        self.after_change()
        self.say("nothing to redo" if edit is None else f"redone: {self._edit_name(edit)}")

    def _edit_name(self, edit: Edit) -> str:
        if edit.choice is not None:
            return f"{self._taken(edit.choice.choice)} for disagreement {edit.choice.disagreement + 1}"
        return edit.note or "an edit"

    def action_accept(self) -> None:
        if self.review.adjudication is None:
            return
        open_left = self.review.resolution().unresolved
        self.review.accept()
        note = f" ({len(open_left)} left open: taken as neither)" if open_left else ""
        self._next(f"accepted into the gold set → {self.review.reviewer}{note}")

    def action_reject(self) -> None:
        if self.review.adjudication is None:
            return
        self.review.reject()
        self._next(f"rejected: kept out of the gold set → {self.review.reviewer}")

    def _next(self, message: str) -> None:
        if self.review.next_open(1) is None:
            self.update_status()
            self.after_change()
            self.say(message)  # kept in the log (m); the line shows what comes next
            self.say(f"every task is reviewed: {self.review.export_command}")
            return
        self.load_task()
        item = self.review.item
        self.say(f"{message} · next: {item.note}" if item is not None and item.note else message)

    def action_next_task(self) -> None:
        if self.review.next_open(1, unanswered_only=False) is None:
            self.say("this is the last task")
            return
        self.load_task()

    def action_prev_task(self) -> None:
        if self.review.next_open(-1, unanswered_only=False) is None:
            self.say("this is the first task")
            return
        self.load_task()

    def action_edit(self) -> None:
        if self.review.adjudication is None:
            return
        screen = GoldEditScreen(self.review.gold, "gold")
        self.app.push_screen(screen, lambda _: self.after_change())

    def action_messages(self) -> None:
        self.app.push_screen(MessagesScreen(log_of(self.app)))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(REVIEW_KEYS, "review keys"))

    async def action_quit(self) -> None:
        self.app.exit()
