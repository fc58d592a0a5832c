"""Hostile strings for texts, labels and names: terminal escapes, C0/C1 controls and markup.

Each entry is (name, payload). The payloads are what scraped web text, other teams' exports and
files of unknown origin carry when they attack a terminal program: an OSC 52 that sets the
clipboard, an OSC 0 that sets the window title, CSI sequences that clear the screen, leave the
alternate screen or turn the mouse off, C1 controls (U+009B is a CSI of its own, U+0090 a DCS), BEL
and BS, and Rich/Textual markup that would be read as styles, links or actions.
"""

from __future__ import annotations

ESC = "\x1b"
BEL = "\x07"

ESCAPES: list[tuple[str, str]] = [
    ("osc52-clipboard", f"{ESC}]52;c;UFdORUQ={BEL}"),
    ("osc0-title", f"{ESC}]0;PWNED{BEL}"),
    ("osc8-link", f"{ESC}]8;;https://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\"),
    ("csi-clear", f"{ESC}[2J{ESC}[H"),
    ("csi-leave-alt-screen", f"{ESC}[?1049l"),
    ("csi-mouse-off", f"{ESC}[?1000l"),
    ("csi-sgr-hidden", f"{ESC}[8mhidden{ESC}[0m"),
    ("c1-csi", "\x9b2J"),
    ("c1-dcs", "\x90qpayload\x9c"),
    ("c1-osc", "\x9d0;C1TITLE\x9c"),
    ("bel", f"ring{BEL}{BEL}"),
    ("backspace", "abc\x08\x08\x08XYZ"),
    ("carriage-return", "visible\rHIDDEN"),
    ("nul-and-del", "a\x00b\x7fc"),
    ("vt-ff", "x\x0by\x0cz"),
    ("lone-surrogate", "bad\ud800pair"),
]

MARKUP: list[tuple[str, str]] = [
    ("link", "[link=https://evil.example]here[/link]"),
    ("close-all", "[/]"),
    ("click-quit", "[@click=app.quit]CLICKME[/]"),
    ("bold", "[bold]X[/]"),
    ("citation", "[citation needed]"),
    ("unbalanced", "[red]open"),
    ("emoji-code", ":warning:"),
    ("dollar-var", "$accent [$text]"),
]

CORPUS: list[tuple[str, str]] = ESCAPES + MARKUP
