"""Every message a screen said, kept so that none is lost: the message line shows the latest, cut
to the terminal's width with a mark when it does not fit, and ``m`` opens them all, whole."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from annotator.tui import display
from annotator.tui.keymap import Key, KeyDispatch, key_bindings

KEPT = 500  # the latest messages kept
MESSAGES_KEYS = (
    Key("close_messages", "escape,m,q", "close the messages", "esc m q", "dialog", action="dismiss"),
)


class MessageLog:
    """The messages said in one run of the app, oldest first (a repeat of the latest is kept once)."""

    def __init__(self) -> None:
        self.entries: deque[tuple[str, bool]] = deque(maxlen=KEPT)

    def add(self, message: str, error: bool) -> None:
        if message and (not self.entries or self.entries[-1] != (message, error)):
            self.entries.append((message, error))


def log_of(app: App[object]) -> MessageLog:
    """The app's log (``said``); an app without one has said nothing worth keeping."""
    found = getattr(app, "said", None)
    return found if isinstance(found, MessageLog) else MessageLog()


class MessagesScreen(KeyDispatch, ModalScreen[None]):
    # Its look, parsed when it first opens rather than with the app's stylesheet before the first
    # frame (tui/annotator.tcss says why).
    DEFAULT_CSS = """
    MessagesScreen {
        align: center middle;
    }

    MessagesScreen > VerticalScroll {
        width: 90%;
        height: 80%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    """
    KEYS = MESSAGES_KEYS
    BINDINGS = key_bindings(MESSAGES_KEYS)  # type: ignore[assignment]

    def __init__(self, log: MessageLog) -> None:
        super().__init__()
        self.log_entries = list(log.entries)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"messages ({len(self.log_entries)}, latest last; esc closes)"
            text = Text()
            for message, error in self.log_entries:
                # a mark before each: a long message wraps, and the next must not read as its end
                text.append("› ", style="dim")
                text.append_text(display.text(message, style="bold red" if error else ""))
                text.append("\n")
            yield Static(text if self.log_entries else Text("nothing said yet", style="dim"))

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)
