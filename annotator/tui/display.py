"""The one way a string from the data reaches the screen.

Task texts, span texts, labels, annotator and dataset names and meta come from files of unknown
origin. Textual reads a plain ``str`` as markup in most places (``Static.update``, border titles,
option prompts, the command palette), so ``[link=...]`` or ``[@click=app.quit]`` in a span text
would become a link or an action. Every string from the data goes through ``cells`` (for the
document view's segments and the widths its layout computes) or ``text`` (a ``Text``, never parsed
as markup, for panels, messages, titles and lists); the command palette, which parses its titles,
gets ``palette_title``.

``cells`` draws control characters as visible one-cell stand-ins (``core.display``), so that data
never writes to the terminal and the columns the user sees stay the stored offsets.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text

from annotator.core.display import visible


def cells(data: str) -> str:
    """What the terminal draws for ``data``, one cell per character of it: every control character
    (C0, DEL, C1; newline and tab too, for a string drawn on one line) a visible stand-in."""
    return visible(data)


def text(data: str, style: StyleType = "") -> Text:
    """``data`` as a Text to display: plain characters, never markup."""
    return Text(cells(data), style=style)


def palette_title(data: str) -> str:
    """A command palette title holding data (a label name). The palette reads its titles as markup,
    where a backslash before ``[`` makes it a plain ``[`` (and is the only backslash it consumes)."""
    return cells(data).replace("[", "\\[")
