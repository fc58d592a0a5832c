"""The review application: the review screen over two annotators' tasks, which are read behind
its first screen by a thread."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from annotator.review import ReviewSession, review_scheme
from annotator.routing import review_pair
from annotator.store import Store, StoreError, resolve_db
from annotator.tui.app import STYLESHEET
from annotator.tui.components.message_log import MessageLog
from annotator.tui.faults import FaultReporting
from annotator.tui.screens.name import NamedLater
from annotator.tui.screens.review import PlanRead, ReviewScreen


class ReviewApp(FaultReporting):
    TITLE = "annotator review"
    CSS_PATH = [STYLESHEET, STYLESHEET.with_name("review.tcss")]  # the review's own rules after the shared

    review: ReviewSession

    def __init__(
        self, review: ReviewSession | NamedLater[ReviewSession], keymap: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(keymap)
        self.said = MessageLog()  # every message of the run, for m
        self._later = review if isinstance(review, NamedLater) else None
        if isinstance(review, ReviewSession):
            self.review = review
        self._stop = threading.Event()
        self.plan_thread: threading.Thread | None = None

    def on_mount(self) -> None:
        if self._later is not None:
            self.push_screen(self._later.screen(), self._named)
        else:
            self._review_screen(self.review)

    def _named(self, review: ReviewSession | None) -> None:
        assert review is not None  # the name screen is only dismissed with a session
        self.review = review
        self._review_screen(review)

    def _review_screen(self, review: ReviewSession) -> None:
        screen = ReviewScreen(review)
        self.push_screen(screen)
        if not review.plan.done:
            # The tasks are read behind the first screen, which opens the first disagreement found.
            self.plan_thread = threading.Thread(
                target=self._plan, args=(screen,), name="annotator-review-plan", daemon=True
            )
            self.plan_thread.start()

    def _plan(self, screen: ReviewScreen) -> None:
        try:
            while not self._stop.is_set():
                done = self.review.plan_some()
                screen.post_message(PlanRead(done))  # thread-safe
                if done:
                    return
        except StoreError as exc:
            screen.post_message(PlanRead(False, exc))
        except Exception as exc:  # in a thread: unsaid, the review would wait for it for ever
            screen.post_message(PlanRead(False, StoreError(f"reading the tasks failed: {exc!r}")))

    def on_unmount(self) -> None:
        # The store is closed once the app returns: the reading stops first, between two steps.
        self._stop.set()
        if self.plan_thread is not None:
            self.plan_thread.join()


def served_review(dataset: str, annotators: list[str] | None, name: str | None) -> ReviewApp:
    """The review app of one browser connection (``annotator serve --review``): the page's name (or
    the one the first screen asks for) is the reviewer."""
    store = Store(resolve_db(None), create=False)
    pair = annotators or review_pair(store, dataset)
    scheme = review_scheme(store, dataset, pair, None, None, None, [])

    def start(reviewer: str) -> ReviewSession:
        return ReviewSession(store, dataset, pair[0], pair[1], reviewer, False, scheme, background=True)

    return ReviewApp(NamedLater(start, "reviewer", dataset, name), {})
