"""The first screen of a browser session whose page named nobody (``annotator serve`` without
``?annotator=``): it asks the annotator's (or reviewer's) name, checks it with the one rule for
names, and starts the session with it. A name the session refuses (a reviewer who annotated the
dataset) is said here, and another can be typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from annotator.core.errors import AnnotatorError
from annotator.core.names import NAME_RULE, name_problem, shown
from annotator.tui import display

Started = TypeVar("Started")


class NameScreen(Screen[Started], Generic[Started]):
    """Dismissed with what ``start(name)`` returned, once it returned."""

    # Its look, parsed when it first opens rather than with the app's stylesheet before the first
    # frame (tui/annotator.tcss says why).
    DEFAULT_CSS = """
    NameScreen {
        align: center middle;
    }

    NameScreen > #name-box {
        width: 76;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }

    NameScreen #name-problem {
        margin-top: 1;
        color: $text-muted;
    }
    """

    def __init__(
        self, start: Callable[[str], Started], who: str, dataset: str, name: str | None = None
    ) -> None:
        super().__init__()
        self.start = start
        self.who = who  # "annotator" or "reviewer"
        self.dataset = dataset
        self.name_given = name  # from the page's address: tried at once

    def compose(self) -> ComposeResult:
        with Vertical(id="name-box") as box:
            box.border_title = display.text(f"annotator · {self.dataset}")
            yield Static(display.text(f"Your name, as the {self.who} of dataset {self.dataset}:"))
            yield Input(placeholder="your name, then enter", max_length=200, id="name")
            yield Static(display.text(NAME_RULE), id="name-problem")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.name_given is not None:
            self.query_one(Input).value = self.name_given
            self.try_name(self.name_given)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.try_name(event.value)

    def try_name(self, name: str) -> None:
        problem = name_problem(name)
        if problem is not None:
            self.say(f"{shown(name)} {problem}: {NAME_RULE}")
            return
        try:
            started = self.start(name)
        except AnnotatorError as exc:
            self.say(str(exc))
            return
        self.dismiss(started)

    def say(self, message: str) -> None:
        self.query_one("#name-problem", Static).update(display.text(message, style="bold red"))


@dataclass(frozen=True)
class NamedLater(Generic[Started]):
    """A session that starts once the person has said their name (``annotator serve`` in a
    browser): the app opens on the name screen, which calls ``start`` with the name (``name``, from
    the page's address, is tried first)."""

    start: Callable[[str], Started]
    who: str  # "annotator" or "reviewer", for the question
    dataset: str
    name: str | None = None

    def screen(self) -> NameScreen[Started]:
        return NameScreen(self.start, self.who, self.dataset, self.name)
