"""How a string from data is shown on a terminal: every control character as a visible stand-in.

Task texts, labels, annotator ids, dataset and file names come from files of unknown origin. Written
to a terminal as they are, their control characters are obeyed: ``ESC ] 52 ; c ; ... BEL`` sets the
clipboard, ``ESC ] 0 ; ... BEL`` the window title, ``ESC [ 2 J`` clears the screen, the C1 control
U+009B is a CSI of its own, BEL rings and BS moves the cursor back over what was drawn. So every
string from data goes through ``visible`` on its way to a terminal, the TUI's and the CLI's alike.

The mapping is one character to one character of one cell: the columns of a table stay aligned,
and the n-th character a user sees in a text is its n-th stored character, so the offsets shown
are the stored ones. C0 controls and DEL become the Unicode control pictures (ESC is ``␛``, BEL
``␇``, NUL ``␀``); C1 controls, which have no pictures, become ``␦``; a lone surrogate (which no
terminal encoding can write) becomes ``�``. Newline and tab are controls too: a one-line field maps
them (``␊``, ``␉``); a layout that draws them itself names them in ``keep``.
"""

from __future__ import annotations

import re
from functools import cache

C1_STAND_IN = "\u2426"  # ␦ SYMBOL FOR SUBSTITUTE FORM TWO: the C1 block has no control pictures
SURROGATE_STAND_IN = "\ufffd"  # �


# Everything a terminal may act on, plus what it cannot encode: C0, DEL, C1, lone surrogates.
# Compiled when first needed: the surrogates' range makes each pattern some 4M machine instructions
# to compile, on the start of every command, and a printable text (``str.isprintable``: no control
# character and no surrogate among others) never needs one.
@cache
def _unsafe() -> re.Pattern[str]:
    return re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@cache
def _unsafe_for_json() -> re.Pattern[str]:
    return re.compile("[\x7f-\x9f\ud800-\udfff]")


def stand_in(char: str) -> str:
    """The one-cell character drawn instead of ``char`` (``char`` itself when it is safe)."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟, in the order of the C0 block
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= code <= 0x9F:
        return C1_STAND_IN
    if 0xD800 <= code <= 0xDFFF:
        return SURROGATE_STAND_IN
    return char


@cache
def _table(keep: str) -> dict[int, str]:
    ranges = (range(0x20), range(0x7F, 0xA0), range(0xD800, 0xE000))
    return {code: stand_in(chr(code)) for r in ranges for code in r if chr(code) not in keep}


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control character (and lone surrogate) replaced by its stand-in, except
    the characters in ``keep`` (``"\\n"`` where the caller lays out lines itself)."""
    if text.isprintable() or _unsafe().search(text) is None:
        return text  # the common case costs one scan, no copy
    return text.translate(_table(keep))


def has_unsafe(text: str, keep: str = "") -> bool:
    """Whether ``visible(text, keep)`` would change ``text``."""
    return any(ch not in keep for ch in _unsafe().findall(text))


def json_for_terminal(text: str) -> str:
    """JSON text safe to print: DEL, C1 controls and lone surrogates inside its strings written as
    ``\\uXXXX`` escapes (JSON writers escape C0 themselves but leave these raw), so the printed JSON
    still reads back as the same data."""
    return _unsafe_for_json().sub(lambda m: f"\\u{ord(m.group()):04x}", text)
