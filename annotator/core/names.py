"""Dataset, annotator and reviewer names: what they may hold. A name ends up in file names (the
default export path), on screen and in the database, so one rule keeps it from naming a path outside
where it belongs or writing to the terminal."""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 100
NAME_RULE = f"a name has 1 to {MAX_NAME_LENGTH} characters, without '/', '\\', '..' or control characters"


def name_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a name, or None."""
    if not value.strip():
        return "is empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"has {len(value)} characters"
    if "/" in value or "\\" in value:
        return "holds a path separator"
    if ".." in value:
        return "holds '..'"
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return f"holds U+{ord(ch):04X}, a control character"
    return None


def shown(value: str) -> str:
    """The name as a message quotes it: escaped, and cut when long."""
    return repr(value[:40]) + ("…" if len(value) > 40 else "")
