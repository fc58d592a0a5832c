"""Readers and writers of the annotation formats other tools speak, one module per format.

Readers: ``read(path, problems, *, lang="en") -> Iterator[(Task, Annotation)]``; each bad record is
reported to ``problems`` (a ``Problems``) with file, line and reason, and the good ones go on.
Writers: ``write(path, items) -> Counts``; they write to a temporary file beside the target and
rename it into place. ``registry.get(name)`` finds a format by name and says what it can hold,
``guess.guess(path)`` guesses it from a file. The services that use them to import into and
export from a dataset are ``annotator.transfer``.
"""

# Nothing is imported here: a reader of one format (sources.py reads its .jsonl through jsontext)
# loads that module alone, not every format's Counts, Item and Problems (Problems is a dataclass,
# made at import: a millisecond of annotate's start). Import them from formats.base and
# formats.problems.
