"""Dialogs over a screen: the key help and the label picker."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from annotator.tui import display
from annotator.tui.keymap import Key, KeyDispatch, key_bindings, keymap_of, shown_keys

HELP_KEYS = (
    Key("close_help", "escape,q,question_mark", "close the keys", "esc q ?", "dialog", action="dismiss"),
)
PICKER_KEYS = (
    Key("close_picker", "escape", "close the list, no label", "esc", "dialog", action="cancel"),
    Key("pick", "1,2,3,4,5,6,7,8,9", "take the label of that number", "1…9", "dialog", numbered=True),
    Key(
        "picker_down",
        "down",
        "highlight the next label (enter takes it)",
        "↓",
        "dialog",
        action="move",
        params=("1",),
    ),
    Key("picker_up", "up", "highlight the previous label", "↑", "dialog", action="move", params=("-1",)),
)
NUMBERED = 9  # the digit keys reach the first nine labels shown; the others have no number


def keys_table(keys: tuple[Key, ...], keymap: Mapping[str, str]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    group = None
    for key in keys:
        if key.group != group:
            if group is not None:
                table.add_row("", "")
            table.add_row(Text(key.group, style="dim"), "")
            group = key.group
        table.add_row(display.text(shown_keys(key, keymap)), Text(key.description))
    return table


class HelpScreen(KeyDispatch, ModalScreen[None]):
    # Its look, parsed when it first opens rather than with the app's stylesheet before the first
    # frame (tui/annotator.tcss says why).
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }

    HelpScreen > VerticalScroll {
        width: 80;
        height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    """
    KEYS = HELP_KEYS
    BINDINGS = key_bindings(HELP_KEYS)  # type: ignore[assignment]

    def __init__(self, keys: tuple[Key, ...], title: str = "keys") -> None:
        super().__init__()
        self.keys = keys
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"{self.title_text}  (esc closes; ctrl+p finds any action by name)"
            yield Static(keys_table(self.keys, keymap_of(self.app)))


class FilterBox(Input):
    """The picker's filter: it takes letters, never a digit (the digits are the picker's keys; a
    box that consumed them would hide those bindings)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return not (character or "").isdigit() and super().check_consume_key(key, character)


def narrowed(labels: tuple[str, ...], typed: str) -> tuple[str, ...]:
    """The labels that hold ``typed`` (case and spaces aside), those that start with it first, each
    group in the scheme's order."""
    want = "".join(typed.split()).casefold()
    if not want:
        return labels
    starting = tuple(label for label in labels if label.casefold().startswith(want))
    return starting + tuple(label for label in labels if want in label.casefold() and label not in starting)


class LabelPicker(KeyDispatch, ModalScreen[str | None]):
    """Every label of a kind: letters typed narrow the list, enter takes the highlighted one (the
    first), and the digits take the first nine shown, the only ones numbered. A digit never goes
    into the filter, nor on to the screen below (see ``EditorScreen.run_key``)."""

    # Its look, parsed when it first opens rather than with the app's stylesheet before the first
    # frame (tui/annotator.tcss says why).
    DEFAULT_CSS = """
    LabelPicker {
        align: center middle;
    }

    LabelPicker > Vertical {
        width: 44;
        height: auto;
        max-height: 80%;
        border: thick $accent;
        background: $surface;
    }

    LabelPicker Input {
        margin: 0 0 0 0;
    }

    LabelPicker OptionList {
        height: auto;
        max-height: 30;
    }
    """

    KEYS = PICKER_KEYS
    BINDINGS = key_bindings(PICKER_KEYS)  # type: ignore[assignment]

    def __init__(self, labels: tuple[str, ...], title: str = "label") -> None:
        super().__init__()
        self.labels = labels
        self.shown: tuple[str, ...] = labels
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = display.text(self.title_text)
            box.border_subtitle = "type to narrow · enter takes · esc"
            yield FilterBox(placeholder="type a few letters of the label", restrict=r"[^0-9]*")
            yield OptionList(*self._options())

    def _options(self) -> list[Option]:
        if not self.shown:
            return [Option(Text("no label holds that", style="dim"), disabled=True)]
        return [
            Option(display.text(f"{i if i <= NUMBERED else ' ':>2}  {label}"), id=label)
            for i, label in enumerate(self.shown, 1)
        ]

    def on_mount(self) -> None:
        self.query_one(FilterBox).focus()
        self.query_one(OptionList).highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self.shown = narrowed(self.labels, event.value)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options())
        options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if self.shown and index is not None:
            self.dismiss(self.shown[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: str) -> None:
        if self.shown:
            options = self.query_one(OptionList)
            options.highlighted = ((options.highlighted or 0) + int(step)) % len(self.shown)

    def action_pick(self, n: int) -> None:
        if n <= min(NUMBERED, len(self.shown)):
            self.dismiss(self.shown[n - 1])

    def action_cancel(self) -> None:
        self.dismiss(None)
