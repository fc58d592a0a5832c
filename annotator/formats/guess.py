"""Which format a file or folder is in, from its name and, when that does not tell, its contents;
and whether a file can be what ``--format`` says it is.

A wrong ``--format`` is refused before anything is stored, with what was expected and what the
file looks like: a folder for a reader of one file, a binary file for a reader of text, JSON for
CoNLL, a first record that holds another format's keys. Within a file, ``foreign`` tells each JSON
reader when a record holds what it would silently drop (``spans`` read as doccano).
"""

from __future__ import annotations

import itertools
import re
import stat
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.formats.jsontext import RecordError, records
from annotator.formats.kinds import foreign, record_format

CONLL_SUFFIXES = frozenset({".conll", ".conll03", ".conll2003", ".iob", ".iob2", ".bio", ".bioes", ".ner"})
JSON_FORMATS = frozenset({"jsonl", "doccano", "label-studio"})
FOLDER_FORMATS = frozenset({"brat", "spacy"})
SNIFF_BYTES = 64 * 1024
RECORDS_LOOKED_AT = 20  # a file whose first records are bad is still recognised by the next ones
_TAG = re.compile(r"^(O|[BIESLU]-\S+)$")
_ZLIB = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")  # DocBin is zlib-compressed msgpack


def _looks_conll(lines: list[str]) -> bool:
    rows = [line.split() for line in lines if line.strip()]
    if not rows:
        return False
    tagged = sum(1 for f in rows if f[0] == "-DOCSTART-" or (len(f) >= 2 and _TAG.match(f[-1])))
    return tagged == len(rows)


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise AnnotatorError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _text_head(head: bytes) -> str | None:
    """The start of a file as text (UTF-8, or UTF-16 with its byte-order mark), None for binary
    (NUL bytes, or compressed). A stray byte that is not UTF-8 still leaves it text: the reader
    reports that line."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    if b"\0" in head or head.startswith(_ZLIB):
        return None
    return head.decode("utf-8-sig", errors="replace")


def _first_record(path: Path) -> Any:
    """The first good record among the first few of a JSON file (None if there is none)."""
    for rec in itertools.islice(records(path), RECORDS_LOOKED_AT):
        if not isinstance(rec, RecordError):
            return rec[1]
    return None


def _from_contents(path: Path, head: bytes) -> tuple[str, str] | None:
    if head.startswith(_ZLIB):
        return "spacy", "it is zlib-compressed, as a spaCy DocBin is"
    text = _text_head(head)
    if text is None:
        return None
    start = text.lstrip()[:1]
    if start in ("{", "["):
        found = record_format(_first_record(path))
        if found is not None:
            return found, f"its first record looks like {found}"
        return None
    if _looks_conll(text.splitlines()[:200]):
        return "conll", "its lines are tokens with BIO tags"
    return None


def guess(path: Path) -> tuple[str, str]:
    """(format, why); AnnotatorError when neither the name nor the contents tell."""
    path = Path(path)
    if not path.exists():
        raise AnnotatorError(f"{path}: no such file or folder")
    if path.is_dir():
        if next(path.rglob("*.ann"), None) is not None:
            return "brat", "the folder holds .ann files"
        if next(path.rglob("*.spacy"), None) is not None:
            return "spacy", "the folder holds .spacy files"
        raise AnnotatorError(
            f"{path}: cannot tell the format of this folder (no .ann or .spacy files); pass --format"
        )
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        return "spacy", "the file name ends in .spacy"
    if suffix == ".ann" or (suffix == ".txt" and path.with_suffix(".ann").exists()):
        return "brat", "a brat .ann file"
    if suffix in CONLL_SUFFIXES:
        return "conll", f"the file name ends in {suffix}"
    found = _from_contents(path, _head(path))
    if found is not None:
        return found
    if suffix in (".jsonl", ".json"):
        return "jsonl", f"the file name ends in {suffix} (no record tells more)"
    raise AnnotatorError(
        f"{path}: cannot tell the format from its name or contents; pass --format "
        "(jsonl, doccano, brat, conll, spacy or label-studio)"
    )


def check_fits(path: Path, name: str) -> None:
    """AnnotatorError when ``path`` cannot be in format ``name`` (a ``--format`` given by hand):
    what was expected, and what the file looks like."""
    path = Path(path)
    if path.is_dir():
        if name not in FOLDER_FORMATS:
            raise AnnotatorError(
                f"{path} is a folder; {name} reads one file (folders are read as brat or spacy)"
            )
        wanted = ".ann" if name == "brat" else ".spacy"
        if next(path.rglob(f"*{wanted}"), None) is None:
            raise AnnotatorError(f"{path}: {name} reads a folder of {wanted} files, and it holds none")
        return
    if not stat.S_ISREG(path.stat().st_mode):
        return  # a pipe is read once, by the reader itself
    head = _head(path)
    found = _from_contents(path, head)
    looks = f" (it looks like {found[0]}: {found[1]})" if found and found[0] != name else ""
    text = _text_head(head)
    if name == "spacy":
        if not head.startswith(_ZLIB) and head:
            raise AnnotatorError(f"{path} is not a spaCy DocBin (a zlib-compressed .spacy file){looks}")
        return
    if text is None:
        raise AnnotatorError(f"{path} is not a text file; {name} reads text{looks}")
    if name == "brat":
        if path.suffix.lower() not in (".ann", ".txt"):
            raise AnnotatorError(
                f"{path}: brat reads a folder of .txt and .ann files, or one .ann file{looks}"
            )
        return
    is_json = text.lstrip()[:1] in ("{", "[")
    if name in JSON_FORMATS and text.strip() and not is_json:
        raise AnnotatorError(f"{path} holds no JSON; {name} reads JSON records{looks}")
    if name == "conll" and is_json:
        raise AnnotatorError(f"{path} holds JSON; conll reads 'TOKEN TAG' lines{looks}")
    if name in JSON_FORMATS:
        why = foreign(_first_record(path), name)
        if why is not None:
            raise AnnotatorError(f"{path}: --format {name}, but its first record cannot be read so: {why}")
