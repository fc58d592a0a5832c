"""What each format declares it holds is what a write and a read give back, so that the services
can ask the registry instead of naming formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Task
from annotator.core.validate import make_span
from annotator.formats.problems import Problems
from annotator.formats.registry import FORMATS, get
from annotator.formats.tokens import tokenize
from tests.formats_support import messages

TEXT = "Gen Nakatani met Ahn Gyu-back in Seoul."


def sample() -> tuple[Task, Annotation]:
    tokens = tokenize(TEXT)
    task = Task(TEXT, tokens, input_hash(TEXT), {"source": "seoul.txt"})
    spans = (make_span(task, 4, 12, "PERSON", sid=1), make_span(task, 17, 29, "PERSON", sid=2))
    return task, Annotation(spans, (Relation(1, 2, "MET"),), "reject", "bob")


@pytest.mark.parametrize("name", [n for n, f in FORMATS.items() if f.write is not None])
def test_declared_capabilities_are_what_survives_a_round_trip(name: str, tmp_path: Path) -> None:
    spec = get(name, writing=True)
    assert spec.write is not None
    task, annotation = sample()
    out = tmp_path / f"out{spec.suffix}"
    spec.write(out, [(task, annotation)])
    problems = Problems()
    ((again, back),) = list(spec.read(out, problems))
    assert not problems.bad, messages(problems)
    # (CoNLL rebuilds the text with single spaces: compare what the spans cover)
    covered = [(again.text[s.start : s.end].replace(" - ", "-"), s.label) for s in back.spans]
    assert covered == [("Nakatani", "PERSON"), ("Ahn Gyu-back", "PERSON")]
    assert (len(back.relations) == 1) == spec.holds_relations
    assert (back.answer == "reject") == spec.keeps_answers
    assert (back.annotator == "bob") == spec.names_annotators


def test_only_formats_whose_files_cannot_overlap_say_so() -> None:
    assert {n for n, f in FORMATS.items() if not f.holds_overlaps} == {"conll"}
