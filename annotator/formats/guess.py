"""Which format a file or folder is in, from its name and, when that does not tell, its contents."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.formats import label_studio
from annotator.formats.jsontext import RecordError, records

CONLL_SUFFIXES = frozenset({".conll", ".conll03", ".conll2003", ".iob", ".iob2", ".bio", ".bioes", ".ner"})
_TAG = re.compile(r"^(O|[BIESLU]-\S+)$")


def _from_record(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    if isinstance(value.get("data"), Mapping) and ("annotations" in value or "predictions" in value):
        return "label-studio"
    if label_studio.is_min(value):
        return "label-studio"
    if "entities" in value and "text" in value:
        return "doccano"
    anns = value.get("annotations")
    if isinstance(anns, list) and any(isinstance(a, Mapping) and "start_offset" in a for a in anns):
        return "doccano"
    label = value.get("label", value.get("labels"))
    has_text = "text" in value or isinstance(value.get("data"), str)  # doccano 1.5-1.7 wrote "data"
    if has_text and isinstance(label, list) and all(isinstance(x, list) for x in label):
        return "doccano"
    if "text" in value:
        return "jsonl"
    return None


def _looks_conll(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="strict") as handle:
            lines = [line.split() for line in itertools.islice(handle, 200)]
    except (UnicodeDecodeError, OSError):
        return False
    rows = [f for f in lines if f]
    if not rows:
        return False
    tagged = sum(1 for f in rows if f[0] == "-DOCSTART-" or (len(f) >= 2 and _TAG.match(f[-1])))
    return tagged == len(rows)


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
    first = next(iter(records(path)), None)
    if first is not None and not isinstance(first, RecordError):
        found = _from_record(first[1])
        if found is not None:
            return found, f"its first record looks like {found}"
    if _looks_conll(path):
        return "conll", "its lines are tokens with BIO tags"
    raise AnnotatorError(
        f"{path}: cannot tell the format from its name or contents; pass --format "
        "(jsonl, doccano, brat, conll, spacy or label-studio)"
    )
