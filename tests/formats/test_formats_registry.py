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


@pytest.mark.parametrize("name", [n for n, f in FORMATS.items() if f.writes])
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


def test_a_format_is_imported_only_when_it_is_used() -> None:
    """The registry names the formats without importing them: a command that writes JSONL loads
    neither brat's nor spaCy's module."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from annotator.formats.registry import get\n"
        "before = {m for m in sys.modules if m.startswith('annotator.formats.')}\n"
        "assert get('jsonl', writing=True).write is not None\n"
        "after = {m for m in sys.modules if m.startswith('annotator.formats.')}\n"
        "print(sorted(before), 'annotator.formats.jsonl' in after, 'annotator.formats.brat' in after)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded, jsonl, brat = done.stdout.rsplit(" ", 2)
    assert (jsonl, brat.strip()) == ("True", "False")
    assert "brat" not in loaded and "docbin" not in loaded and "conll" not in loaded
