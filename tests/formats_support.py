"""Helpers for the format tests: fixture paths and counts taken straight from the raw files."""

from __future__ import annotations

from annotator.core.model import Annotation, Task
from annotator.formats.problems import Problems
from tests.conftest import FIXTURES

REL_FILE = FIXTURES / "prodigy" / "rel_component_annotations.jsonl"
DOCCANO = FIXTURES / "doccano"
BRAT_NEWS = FIXTURES / "brat" / "news"
BRATIAA = FIXTURES / "agreement" / "bratiaa"
NOVELS = FIXTURES / "agreement" / "novels" / "original_data"
LABEL_STUDIO = FIXTURES / "label-studio" / "testing_ls_full.json"


def totals(items: list[tuple[Task, Annotation]]) -> tuple[int, int, int]:
    return len(items), sum(len(a.spans) for _, a in items), sum(len(a.relations) for _, a in items)


def messages(problems: Problems) -> str:
    return "\n".join(problems.lines())
