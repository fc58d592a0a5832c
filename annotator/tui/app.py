"""The annotate application: opens the annotate screen at once and prepares the source behind it.
The review application is `review_app.py`, so that `annotate` does not import the review."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import SystemCommand
from textual.screen import Screen

from annotator.core.errors import BadRecord
from annotator.session import AnnotationSession
from annotator.tui import collector
from annotator.tui.components.message_log import MessageLog
from annotator.tui.display import palette_title
from annotator.tui.faults import FaultReporting
from annotator.tui.feed_messages import FeedFinished, feed_message
from annotator.tui.keymap import shown_keys
from annotator.tui.modes.edit import EditMode
from annotator.tui.screens.annotate import AnnotateScreen

if TYPE_CHECKING:
    from annotator.feed import FeedEvent  # in the feed's thread only (tui/launch.py says why)
    from annotator.learn import LearnerClient  # only with --learn (multiprocessing, its protocol)
    from annotator.tui.screens.name import NamedLater  # annotator serve's only

# The look of both apps' screens and components, in one file a theme restyles (the review app adds
# review.tcss; each dialog's look is its class's DEFAULT_CSS, parsed when it first opens).
STYLESHEET = Path(__file__).parent / "annotator.tcss"


# Runs the feed in its own thread: (notify, should_stop) -> None.
FeedRunner = Callable[[Callable[["FeedEvent"], None], Callable[[], bool]], None]


class AnnotatorApp(FaultReporting):
    TITLE = "annotator"
    CSS_PATH = STYLESHEET
    ENABLE_COMMAND_PALETTE = True

    session: AnnotationSession
    annotate_screen: AnnotateScreen

    def __init__(
        self,
        session: AnnotationSession | NamedLater[AnnotationSession],
        model_name: str = "",
        feed: FeedRunner | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(keymap)
        self.said = MessageLog()  # every message of the run, for m
        self.model_name = model_name
        self._feed = feed
        self._stop = threading.Event()
        # Clear while the screen handles a key or a click and draws what it changed: the feed waits
        # for it between two records. Sharing the interpreter's lock with a feed that passes over a
        # million stored records made each key wait for it (60-100 ms a key instead of ~5).
        self._screen_idle = threading.Event()
        self._screen_idle.set()
        self.feed_thread: threading.Thread | None = None
        self.problems: list[BadRecord] = []
        self.feed_error: str | None = None
        self.learner: LearnerClient | None = None  # annotate --learn: the learner process's client
        # NamedLater is ``annotator serve``'s (tui/screens/name.py), not imported by a terminal's run.
        self._later = None if isinstance(session, AnnotationSession) else session
        if isinstance(session, AnnotationSession):
            self._use(session)

    def _use(self, session: AnnotationSession | None) -> None:
        assert session is not None  # the name screen is only dismissed with a session
        self.session = session
        self.annotate_screen = AnnotateScreen(session, self.model_name)

    def on_mount(self) -> None:
        if self._later is not None:
            self.push_screen(self._later.screen(), self._named)
        else:
            self._open()

    def _named(self, session: AnnotationSession | None) -> None:
        self._use(session)
        self._open()

    def _open(self) -> None:
        self.session.finished = self._feed is None
        if self.session.current is None:
            self.session.open_first_unanswered()
        # Pushed here rather than made the app's default screen, which drew the first task 40 ms
        # sooner but was composed before the terminal's size is known: on a busy machine its first
        # frame was drawn 80x25 in a larger terminal.
        self.push_screen(self.annotate_screen)
        # The collector, off since the start (tui/collector.py), is on again after the first frame
        # (the annotate screen holds what runs after its refresh until it has drawn it).
        self.call_after_refresh(collector.started)
        if self._feed is not None:
            # After the first paint: importing spaCy holds the GIL for a while.
            self.call_after_refresh(self._start_feed)

    def _start_feed(self) -> None:
        assert self._feed is not None
        feed = self._feed

        screen = self.annotate_screen

        def notify(event: FeedEvent) -> None:
            screen.post_message(feed_message(event))  # thread-safe

        def run() -> None:
            try:
                feed(notify, self._feed_should_stop)
            except Exception as exc:  # in a thread: unsaid, it would leave the screen waiting
                if not self._stop.is_set():
                    from annotator.feed import FeedDone

                    notify(FeedDone(error=f"preparing the source failed: {exc!r}"))

        # A daemon thread, so quitting never waits for a model to finish loading; an interrupted
        # batch is an uncommitted SQLite transaction, rolled back, and prepared again next time.
        self.feed_thread = threading.Thread(target=run, name="annotator-feed", daemon=True)
        self.feed_thread.start()

    def _feed_should_stop(self) -> bool:
        """Asked by the feed (in its thread) before each record: it waits while the screen is busy
        with input (at most a second, should a refresh never come), then goes on unless quitting."""
        self._screen_idle.wait(timeout=1.0)
        return self._stop.is_set()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self._screen_idle.clear()
            self.call_after_refresh(self._screen_idle.set)
        await super().on_event(event)

    def on_feed_finished(self, message: FeedFinished) -> None:
        """Bubbled up from the screen, which has drawn it: kept for the summary after quitting."""
        self.problems = message.problems
        self.feed_error = message.error

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        target = self.annotate_screen
        for key in target.KEYS:
            if key.numbered or key.id in ("quit", "help"):
                continue
            yield SystemCommand(
                key.description.capitalize(),
                f"key: {shown_keys(key, self.keymap)}",
                lambda key=key: target.run_key(key.id),
            )
        edit = target.modes[EditMode.name]
        assert isinstance(edit, EditMode)
        for n, label in enumerate(target.scheme.labels, 1):
            yield SystemCommand(
                palette_title(f"Label {label}"),
                f"key: {self.keymap.get(f'label_{n}', str(n))}" if n <= 9 else "key: 0",
                lambda label=label: edit.label_with(label),
            )
        yield SystemCommand("Keys", "show every key (?)", target.action_help)

    def on_unmount(self) -> None:
        self._stop.set()
        self._screen_idle.set()
