"""The scale benchmarks' synthetic data: valid gold-schema records of the shape the issue names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import orjson

from annotator.core.records import from_record

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synth", BENCHMARKS / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth"] = module
    spec.loader.exec_module(module)
    return module


def test_two_annotators_same_tasks_b_perturbed(tmp_path: Path) -> None:
    synth = load_synth()
    summary = synth.generate(400, tmp_path, seed=3)
    lines_a = (tmp_path / "a.jsonl").read_bytes().splitlines()
    lines_b = (tmp_path / "b.jsonl").read_bytes().splitlines()
    assert len(lines_a) == len(lines_b) == 400
    hashes = set()
    changed = total = 0
    for line_a, line_b in zip(lines_a, lines_b, strict=True):
        task_a, ann_a = from_record(orjson.loads(line_a))  # raises on a span off the tokens, an overlap
        task_b, ann_b = from_record(orjson.loads(line_b))
        assert task_a.text == task_b.text and task_a.input_hash == task_b.input_hash
        assert (ann_a.answer, ann_a.annotator, ann_b.annotator) == ("accept", "A", "B")
        hashes.add(task_a.input_hash)
        spans_b = {(s.start, s.end, s.label) for s in ann_b.spans}
        changed += sum((s.start, s.end, s.label) not in spans_b for s in ann_a.spans)
        total += len(ann_a.spans)
    assert len(hashes) == 400  # every text is its own task
    assert 20 <= summary.tokens / 400 <= 40
    assert 2.3 <= total / 400 <= 3.3
    assert 0.4 <= summary.relations / 400 <= 0.9
    assert 0.05 <= changed / total <= 0.15
