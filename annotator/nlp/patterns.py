"""Suggestions from a patterns file (``--patterns FILE``): spaCy's ``SpanRuler`` JSONL, one pattern
a line (``{"label": "SKILL", "pattern": "machine learning"}`` or a token pattern list), for the
entity layer and the span groups alike: a match goes to the layer the scheme gives its label."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from annotator.core.errors import AnnotatorError

if TYPE_CHECKING:  # the annotate command reads the file before spaCy is imported
    from spacy.language import Language

PATTERNS_KEY = "annotator_patterns"  # the doc.spans key the ruler writes its matches to
PATTERNS_SOURCE = "patterns"


def read_patterns(path: Path) -> list[dict[str, Any]]:
    """The patterns of a SpanRuler JSONL file; a line that is not one is an AnnotatorError naming
    the file, the line and why (a patterns file is small and written by hand: all or nothing)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnnotatorError(f"{path}: cannot read the patterns file ({exc.strerror or exc})") from exc
    out: list[dict[str, Any]] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise AnnotatorError(f"{path}:{n}: not JSON ({exc})") from exc
        if not isinstance(item, dict):
            raise AnnotatorError(f"{path}:{n}: a pattern is an object with 'label' and 'pattern'")
        label, pattern = item.get("label"), item.get("pattern")
        if not isinstance(label, str) or not label:
            raise AnnotatorError(f"{path}:{n}: the pattern has no 'label'")
        if not (isinstance(pattern, str) and pattern) and not (
            isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern)
        ):
            raise AnnotatorError(
                f"{path}:{n}: 'pattern' must be a phrase or a list of token patterns (objects)"
            )
        out.append({k: v for k, v in item.items() if k in ("label", "pattern", "id")})
    if not out:
        raise AnnotatorError(f"{path}: no patterns in the file")
    return out


def add_patterns(nlp: Language, path: Path) -> int:
    """Add a SpanRuler with the file's patterns at the end of the pipeline (its matches go to
    ``doc.spans[PATTERNS_KEY]``); returns how many patterns it holds."""
    patterns = read_patterns(path)
    if PATTERNS_KEY in nlp.pipe_names:
        nlp.remove_pipe(PATTERNS_KEY)
    ruler = nlp.add_pipe("span_ruler", name=PATTERNS_KEY, config={"spans_key": PATTERNS_KEY})
    try:
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError) as exc:
        nlp.remove_pipe(PATTERNS_KEY)
        raise AnnotatorError(f"{path}: spaCy refuses a pattern: {exc}") from exc
    return len(patterns)
