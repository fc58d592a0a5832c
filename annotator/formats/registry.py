"""The formats by name: how to read and write each, what each can hold, and how a default output
is named. The services ask a format what it holds (``keeps_answers``, ...) rather than its name.

A format's module is imported when its reader or writer is first asked for, so that a command
loads only the format it reads or writes (their imports were a tenth of ``export``'s start)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.core.records import Plain
from annotator.formats.base import Counts, Item, StoredRow

Reader = Callable[..., Iterator[Item]]  # (path, problems, *, lang) -> items
# The same, but a record read as it came may come as it is (core/records.py ``Plain``).
PlainReader = Callable[..., Iterator[Item | Plain]]
Writer = Callable[[Path, Iterable[Item]], Counts]
RowWriter = Callable[[Path, Iterable[StoredRow]], Counts]


@dataclass(frozen=True)
class Format:
    """A format and what its files hold as this tool reads and writes them."""

    name: str
    module: str  # annotator.formats.<module>: its read, write and users
    writes: bool  # this tool writes it (else it only reads it)
    suffix: str  # of a default output file; "" for a folder
    has_users: bool = False  # users(path): the annotators of files of several people's work
    keeps_answers: bool = False  # accept / reject / ignore (else every record reads as accepted)
    names_annotators: bool = False  # who made each record (else copies by several look alike)
    holds_relations: bool = False
    holds_overlaps: bool = False  # its spans may overlap (entity spans here may not)
    # Its files say which spans are entities and which are in which span group (else the import
    # places them by the dataset's scheme: core/layers.py).
    names_layers: bool = False
    # Its writer reads the tasks' tokens (else an export leaves them unread in the store: a tenth
    # of a brat export's own time was making Tokens it never looked at).
    writes_tokens: bool = True

    def _get(self, attribute: str) -> Any:
        return getattr(importlib.import_module(f"annotator.formats.{self.module}"), attribute)

    def _get_or_none(self, attribute: str) -> Any:
        return getattr(importlib.import_module(f"annotator.formats.{self.module}"), attribute, None)

    @property
    def read(self) -> Reader:
        reader: Reader = self._get("read")
        return reader

    @property
    def read_plain(self) -> PlainReader | None:
        """The format's reader that passes on records read as they came as they are, if it has
        one (an import stores those without making a Task and an Annotation of each)."""
        reader: PlainReader | None = self._get_or_none("read_plain")
        return reader

    @property
    def write_rows(self) -> RowWriter | None:
        """The format's writer of the store's rows as they are (``StoredRow``), if it has one: an
        export then makes no Task and no Annotation of each (brat: two thirds of its reading)."""
        writer: RowWriter | None = self._get_or_none("write_rows")
        return writer

    @property
    def write(self) -> Writer | None:
        writer: Writer | None = self._get("write") if self.writes else None
        return writer

    @property
    def users(self) -> Callable[[Path], Collection[str | None]] | None:
        users: Callable[[Path], Collection[str | None]] | None = (
            self._get("users") if self.has_users else None
        )
        return users


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "jsonl",
            "jsonl",
            True,
            ".jsonl",
            has_users=True,
            keeps_answers=True,
            names_annotators=True,
            holds_relations=True,
            holds_overlaps=True,
            names_layers=True,
        ),
        Format(
            "doccano",
            "doccano",
            True,
            ".doccano.jsonl",
            has_users=True,
            holds_relations=True,
            holds_overlaps=True,
            writes_tokens=False,
        ),
        Format("brat", "brat", True, "", holds_relations=True, holds_overlaps=True, writes_tokens=False),
        Format("conll", "conll", True, ".conll"),
        Format(
            "spacy",
            "docbin",
            True,
            ".spacy",
            has_users=True,
            keeps_answers=True,
            names_annotators=True,
            holds_relations=True,
            holds_overlaps=True,
            names_layers=True,
        ),
        Format(
            "label-studio",
            "label_studio",
            False,
            ".json",
            has_users=True,
            keeps_answers=True,
            names_annotators=True,
            holds_relations=True,
            holds_overlaps=True,
        ),
    )
}
ALIASES = {
    "prodigy": "jsonl",
    "json": "jsonl",
    "labelstudio": "label-studio",
    "label_studio": "label-studio",
    "ls": "label-studio",
    "docbin": "spacy",
    "standoff": "brat",
    "iob": "conll",
    "bio": "conll",
}


def get(name: str, *, writing: bool = False) -> Format:
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    fmt = FORMATS.get(key)
    choices = [n for n, f in FORMATS.items() if f.writes or not writing]
    if fmt is None or (writing and not fmt.writes):
        what = "write" if writing else "read"
        raise AnnotatorError(f"cannot {what} format {name!r}; choose one of: {', '.join(choices)}")
    return fmt
