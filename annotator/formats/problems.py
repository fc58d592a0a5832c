"""What went wrong (or was repaired, or cannot be held) while reading a file, collected as it goes.

Readers never stop at a bad record: they report it here and go on with the next one, so that one
typo in a file of ten thousand tasks costs one task, and the user sees where it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from annotator.core.errors import BadRecord, InvalidAnnotation

T = TypeVar("T")
# How a record is reported when reading it raised an error no reader check foresaw: the record is
# still one bad record (the rest of the file goes on), and the fuzz tests look for this wording.
UNFORESEEN = "could not be read (unforeseen"


@dataclass
class Problems:
    """Bad records (skipped), warnings (repaired or worth knowing, nothing lost) and annotation kinds
    a format has but this tool cannot hold (counted, and one example place kept per kind)."""

    bad: list[BadRecord] = field(default_factory=list)
    warnings: list[BadRecord] = field(default_factory=list)
    unsupported: Counter[str] = field(default_factory=Counter)
    unsupported_example: dict[str, str] = field(default_factory=dict)
    # Informational tallies, e.g. "tokens split at span edges": (what -> count)
    notes: Counter[str] = field(default_factory=Counter)

    def report(self, source: str, line: int | None, reason: str) -> None:
        self.bad.append(BadRecord(source, line, reason))

    def warn(self, source: str, line: int | None, message: str) -> None:
        self.warnings.append(BadRecord(source, line, message))

    def not_supported(self, kind: str, source: str, line: int | None) -> None:
        self.unsupported[kind] += 1
        self.unsupported_example.setdefault(kind, f"{source}:{line}" if line is not None else source)

    def attempt(self, source: str, line: int | None, read: Callable[..., T], *args: Any, default: T) -> T:
        """``read(*args)``, or ``default`` after reporting the record as bad: with the reason an
        InvalidAnnotation gives, or, for an error nothing foresaw, its kind and message. One
        record's error never ends the file."""
        try:
            return read(*args)
        except InvalidAnnotation as exc:
            self.report(source, line, str(exc))
        except Exception as exc:  # the last guard of one record; the fuzz tests keep this unused
            self.report(source, line, f"{UNFORESEEN} {type(exc).__name__}: {exc})")
        return default

    def note(self, what: str, count: int = 1) -> None:
        if count:
            self.notes[what] += count

    def rename(self, old: str, new: str) -> None:
        """Say ``new`` where the problems say the file ``old`` (a temporary copy of a pipe)."""

        def renamed(found: list[BadRecord]) -> list[BadRecord]:
            return [BadRecord(new, b.line, b.reason) if b.source == old else b for b in found]

        self.bad, self.warnings = renamed(self.bad), renamed(self.warnings)
        for kind, where in self.unsupported_example.items():
            if where == old or where.startswith(old + ":"):
                self.unsupported_example[kind] = new + where[len(old) :]

    @property
    def ok(self) -> bool:
        return not self.bad

    def lines(self) -> list[str]:
        """Human-readable lines, bad records first."""
        out = [f"bad record: {b}" for b in self.bad]
        out += [f"warning: {w}" for w in self.warnings]
        for kind, n in sorted(self.unsupported.items()):
            out.append(
                f"not supported, not imported: {n} x {kind} (first at {self.unsupported_example[kind]})"
            )
        out += [f"note: {n} x {what}" for what, n in sorted(self.notes.items())]
        return out
