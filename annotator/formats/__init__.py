"""Readers and writers of the annotation formats other tools speak, one module per format.

Readers: ``read(path, problems, *, lang="en") -> Iterator[(Task, Annotation)]``; each bad record is
reported to ``problems`` (a ``Problems``) with file, line and reason, and the good ones go on.
Writers: ``write(path, items) -> Counts``; they write to a temporary file beside the target and
rename it into place. ``registry.get(name)`` finds a format by name, ``guess.guess(path)`` from a
file, and ``transfer`` holds the import and export services behind the CLI.
"""

from annotator.formats.base import Counts, Item
from annotator.formats.problems import Problems

__all__ = ["Counts", "Item", "Problems"]
