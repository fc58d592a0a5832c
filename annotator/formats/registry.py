"""The formats by name: how to read and write each, what each can hold, and how a default output
is named. The services ask a format what it holds (``keeps_answers``, ...) rather than its name."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.formats import brat, conll, docbin, doccano, jsonl, label_studio
from annotator.formats.base import Counts, Item

Reader = Callable[..., Iterator[Item]]  # (path, problems, *, lang) -> items
Writer = Callable[[Path, Iterable[Item]], Counts]


@dataclass(frozen=True)
class Format:
    """A format and what its files hold as this tool reads and writes them."""

    name: str
    read: Reader
    write: Writer | None
    suffix: str  # of a default output file; "" for a folder
    users: Callable[[Path], Collection[str | None]] | None = None  # for files of several people's work
    keeps_answers: bool = False  # accept / reject / ignore (else every record reads as accepted)
    names_annotators: bool = False  # who made each record (else copies by several look alike)
    holds_relations: bool = False
    holds_overlaps: bool = False  # its spans may overlap (entity spans here may not)
    # Its files say which spans are entities and which are in which span group (else the import
    # places them by the dataset's scheme: core/layers.py).
    names_layers: bool = False


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "jsonl",
            jsonl.read,
            jsonl.write,
            ".jsonl",
            jsonl.users,
            keeps_answers=True,
            names_annotators=True,
            holds_relations=True,
            holds_overlaps=True,
            names_layers=True,
        ),
        Format(
            "doccano",
            doccano.read,
            doccano.write,
            ".doccano.jsonl",
            doccano.users,
            holds_relations=True,
            holds_overlaps=True,
        ),
        Format("brat", brat.read, brat.write, "", holds_relations=True, holds_overlaps=True),
        Format("conll", conll.read, conll.write, ".conll"),
        Format(
            "spacy",
            docbin.read,
            docbin.write,
            ".spacy",
            docbin.users,
            keeps_answers=True,
            names_annotators=True,
            holds_relations=True,
            holds_overlaps=True,
            names_layers=True,
        ),
        Format(
            "label-studio",
            label_studio.read,
            None,
            ".json",
            label_studio.users,
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
    choices = [n for n, f in FORMATS.items() if f.write is not None or not writing]
    if fmt is None or (writing and fmt.write is None):
        what = "write" if writing else "read"
        raise AnnotatorError(f"cannot {what} format {name!r}; choose one of: {', '.join(choices)}")
    return fmt
