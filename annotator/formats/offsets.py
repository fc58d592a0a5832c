"""Character offsets as JavaScript counts them (UTF-16 code units) and as Python does (code points).

Tools with a browser front end (doccano, older Label Studio) count a character outside the Basic
Multilingual Plane, such as most emoji, as two; this tool, Prodigy, brat and spaCy count it as one.
The two agree on every text without such characters, which is why the difference goes unnoticed
until an emoji shifts every span after it.
"""

from __future__ import annotations

import bisect


def has_astral(text: str) -> bool:
    """True when some character of ``text`` lies outside the BMP (counts 2 in UTF-16)."""
    return any(ord(c) > 0xFFFF for c in text) if not text.isascii() else False


class Utf16Offsets:
    """Converts offsets of one text between code points and UTF-16 code units."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        # Code-point index of every astral character, and where it starts in UTF-16 units.
        self._astral = [i for i, c in enumerate(text) if ord(c) > 0xFFFF]
        self._u16 = [i + k for k, i in enumerate(self._astral)]
        self.utf16_length = self.length + len(self._astral)

    def to_utf16(self, cp: int) -> int:
        return cp + bisect.bisect_left(self._astral, cp)

    def from_utf16(self, unit: int) -> int | None:
        """The code-point offset at UTF-16 offset ``unit``, or None when ``unit`` falls between the
        two halves of a surrogate pair or outside the text."""
        if not 0 <= unit <= self.utf16_length:
            return None
        k = bisect.bisect_right(self._u16, unit - 1)  # astral characters starting before ``unit``
        if k and self._u16[k - 1] + 1 == unit:
            return None
        return unit - k
