"""How the UI ends when something goes wrong: a storage fault is said on the screen and stops the
edits (the app then exits non-zero, never saying "all saved"); a crash of the app exits non-zero
with its reason on stderr, drawn so that no text from the data reaches the terminal raw."""

from __future__ import annotations

import sys
import traceback

from rich.text import Text

from annotator.core.display import visible
from annotator.store import StoreError
from annotator.tui.keymap import KeyedApp


class FaultReporting(KeyedApp):
    """An app that remembers its first storage fault and draws a crash as plain text."""

    fault: StoreError | None = None
    crash: str | None = None  # the one-line reason the app stopped on an error

    def record_fault(self, exc: StoreError) -> None:
        if self.fault is None:
            self.fault = exc

    def _fatal_error(self) -> None:
        """Textual's own report of an uncaught exception is a traceback with the values of local
        variables, which hold texts and labels from the data, and the exception's message, which
        may quote them: drawn raw, they would reach the terminal. This draws the traceback without
        the variables, every control character a stand-in, and keeps its last line, the reason,
        for the summary. (Overrides a private method of the pinned Textual: the only place where
        the report of an uncaught exception is made.)"""
        error = sys.exc_info()[1]
        if error is None:
            return super()._fatal_error()
        self.crash = visible(f"{type(error).__name__}: {error}")
        report = "".join(traceback.format_exception(error))
        self.panic(Text(visible(report, keep="\n")))
        return None


def fault_message(exc: StoreError) -> str:
    """What the message line says: first that the edits stopped (a long message is cut at the
    edge, and m shows it whole), then the fault."""
    return f"no more edits are taken (q quits): {exc}"
