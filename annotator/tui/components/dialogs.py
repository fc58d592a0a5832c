"""Dialogs over a screen: the key help and the label picker."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from annotator.tui import display
from annotator.tui.keymap import Key, KeyDispatch, key_bindings, keymap_of, shown_keys

HELP_KEYS = (
    Key("close_help", "escape,q,question_mark", "close the keys", "esc q ?", "dialog", action="dismiss"),
)
PICKER_KEYS = (
    Key("close_picker", "escape", "close the list, no label", "esc", "dialog", action="cancel"),
    Key("pick", "1,2,3,4,5,6,7,8,9", "take the label of that number", "1…9", "dialog", numbered=True),
)


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
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80; height: 90%; border: thick $accent; background: $surface; padding: 1 2; }
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


class LabelPicker(KeyDispatch, ModalScreen[str | None]):
    DEFAULT_CSS = """
    LabelPicker { align: center middle; }
    LabelPicker > Vertical { width: 40; height: auto; max-height: 80%; border: thick $accent; background: $surface; }
    LabelPicker OptionList { height: auto; max-height: 30; }
    """
    KEYS = PICKER_KEYS
    BINDINGS = key_bindings(PICKER_KEYS)  # type: ignore[assignment]

    def __init__(self, labels: tuple[str, ...], title: str = "label") -> None:
        super().__init__()
        self.labels = labels
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield OptionList(
                *[
                    Option(display.text(f"{i:>2}  {label}"), id=label)
                    for i, label in enumerate(self.labels, 1)
                ]
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, n: int) -> None:
        if n <= len(self.labels):
            self.dismiss(self.labels[n - 1])

    def action_cancel(self) -> None:
        self.dismiss(None)
