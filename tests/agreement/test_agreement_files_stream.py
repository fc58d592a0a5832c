"""``agreement a.jsonl b.jsonl`` reads the files once, side by side: its report is the one computed
from the versions held in memory (``compare_all``), byte for byte, whatever the order of the files,
with tasks repeated, missing, only in one file, and versions too far apart to wait for each other;
and the memory it keeps does not grow with the files.

The versions are real: the bratiaa example project (four annotators, seven Spanish CoNLL documents
annotated in brat; see tests/fixtures/agreement/bratiaa/README.md), each document cut into its lines,
one task a line."""

from __future__ import annotations

import gc
import random
import subprocess
import sys
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest

from annotator.core.agreement import Version, compare_all
from annotator.core.errors import InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.core.records import to_record
from annotator.core.validate import make_span
from annotator.reports import agreement_files
from annotator.reports.agreement import to_json
from annotator.reports.agreement_files import compare_files
from tests.agreement.test_agreement_bratiaa import PROJECT, read_annotator
from tests.strategies import tokenize

Item = tuple[Task, Annotation]
NAMES = ("Lisa", "Maria", "Max", "Peter")


def lines_of(version: Version, suffix: str = "") -> list[Item]:
    """One task a non-blank line of the document, with the spans inside it."""
    text, out, at = version.task.text, [], 0
    for line in text.split("\n"):
        start, at = at, at + len(line) + 1
        if not line.strip():
            continue
        task = Task(line + suffix, tokenize(line + suffix), input_hash(line + suffix))
        inside = [s for s in version.annotation.spans if start <= s.start and s.end <= start + len(line)]
        spans: list[Span] = []
        for s in inside:
            try:
                spans.append(make_span(task, s.start - start, s.end - start, s.label, None, len(spans) + 1))
            except InvalidAnnotation:
                continue  # a span ending inside a word (there are a few): left out
        out.append((task, Annotation(tuple(spans), (), "accept")))
    return out


@pytest.fixture(scope="module")
def annotators() -> dict[str, list[Item]]:
    out = {}
    for name in NAMES:
        versions = sorted(read_annotator(PROJECT / name).values(), key=lambda v: v.task.meta["source"])
        out[name] = [item for v in versions for item in lines_of(v)]
    assert len({len(items) for items in out.values()}) == 1
    return out


def write(path: Path, items: Sequence[Item]) -> Path:
    path.write_bytes(
        b"".join(orjson.dumps(to_record(t, a), option=orjson.OPT_APPEND_NEWLINE) for t, a in items)
    )
    return path


def held(path: Path, items: Sequence[Item]) -> tuple[str, dict[int, Version]]:
    """What the file means, held in memory: each task under its input hash, where it first came,
    with the version of its last record."""
    side: dict[int, Version] = {}
    for line, (task, annotation) in enumerate(items, 1):
        side[task.input_hash] = Version(task, annotation, f"{path}:{line}")
    return str(path), side


def variants(items: list[Item], seed: int) -> dict[str, list[Item]]:
    rng = random.Random(seed)
    shuffled = items[:]
    rng.shuffle(shuffled)
    shifted = items[3:] + items[:3]
    dropped = [x for k, x in enumerate(items) if k % 7 != 3]
    extra = [
        (
            Task(f"Only here {k} .", tokenize(f"Only here {k} ."), input_hash(f"Only here {k} .")),
            Annotation(answer="accept"),
        )
        for k in range(3)
    ]
    repeated = [*items[:10], (items[4][0], Annotation(answer="reject")), *items[10:], items[4]]
    return {
        "in order": items,
        "shuffled": shuffled,
        "reversed": items[::-1],
        "shifted": shifted,
        "some missing, some only here": dropped[:20] + extra + dropped[20:],
        "a task repeated": repeated,
    }


@pytest.mark.parametrize("details", [True, False], ids=["details", "plain"])
@pytest.mark.parametrize("window", [1, 5, agreement_files.WINDOW])
@pytest.mark.parametrize(
    "kind", ["in order", "shuffled", "reversed", "shifted", "some missing, some only here", "a task repeated"]
)
def test_two_files_give_the_report_of_the_versions_held(
    tmp_path: Path,
    annotators: dict[str, list[Item]],
    kind: str,
    window: int,
    details: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``details`` every record is read whole; without, plainly (agreement_plain)."""
    monkeypatch.setattr(agreement_files, "WINDOW", window)
    a = write(tmp_path / "a.jsonl", annotators["Lisa"])
    b_items = variants(annotators["Maria"], 1)[kind]
    b = write(tmp_path / "b.jsonl", b_items)
    report, read = compare_files([a, b], details=details)
    expected = compare_all([held(a, annotators["Lisa"]), held(b, b_items)], details=details)
    assert to_json(report, details) == to_json(expected, details)
    pair = report.pairs[0]
    assert pair.tasks.compared > 100 and pair.exact.fp and pair.exact.fn  # real disagreements
    assert not read.bad
    # The documents repeat a few lines ("-"): each later one is said, in both files.
    repeats = [len(x) - len({t.input_hash for t, _ in x}) for x in (annotators["Lisa"], b_items)]
    assert len(read.warnings) == sum(repeats) and repeats[0] > 0
    assert all("this later one is used" in str(w) for w in read.warnings)


@pytest.mark.parametrize("details", [True, False], ids=["details", "plain"])
@pytest.mark.parametrize("window", [1, agreement_files.WINDOW])
def test_four_files_in_different_orders_give_the_report_of_the_versions_held(
    tmp_path: Path,
    annotators: dict[str, list[Item]],
    window: int,
    details: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fleiss' kappa sums a fraction a token, so with three files or more the tasks are added in
    the report's order whatever the files' orders."""
    monkeypatch.setattr(agreement_files, "WINDOW", window)
    kinds = ["in order", "shuffled", "in order", "some missing, some only here"]
    files, sides = [], []
    for n, (name, kind) in enumerate(zip(NAMES, kinds, strict=True)):
        items = variants(annotators[name], n)[kind]
        path = write(tmp_path / f"{name}.jsonl", items)
        files.append(path)
        sides.append(held(path, items))
    report, _ = compare_files(files, details=details)
    assert to_json(report, details) == to_json(compare_all(sides, details=details), details)
    assert report.fleiss is not None and report.fleiss.tasks > 100


@pytest.mark.parametrize("by_set", [True, False], ids=["set", "numpy"])
def test_tasks_both_files_repeat_in_step_are_settled_either_way(
    tmp_path: Path, annotators: dict[str, list[Item]], by_set: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files of the same tasks in the same order, each repeating a few lines ("-") at the same
    places: every record pairs as it is read, but a task compared twice is found (by a set of the
    keys, or by numpy past DISTINCT_BY_SET tasks) and its later records used, as held in memory."""
    if not by_set:
        monkeypatch.setattr(agreement_files, "DISTINCT_BY_SET", 0)
    a_items, b_items = annotators["Lisa"], annotators["Maria"]
    assert len({t.input_hash for t, _ in a_items}) < len(a_items)  # the repeats this is about
    a, b = write(tmp_path / "a.jsonl", a_items), write(tmp_path / "b.jsonl", b_items)
    report, read = compare_files([a, b])
    expected = compare_all([held(a, a_items), held(b, b_items)])
    assert to_json(report) == to_json(expected)
    assert read.warnings and all("this later one is used" in str(w) for w in read.warnings)


def test_two_files_in_step_load_neither_numpy_nor_the_store(
    tmp_path: Path, annotators: dict[str, list[Item]]
) -> None:
    """``annotator agreement a.jsonl b.jsonl`` of two files of the same tasks, each once, in the
    same order (the common case) loads neither numpy nor the store: loading them was a tenth of
    comparing two files of 10,000 tasks. A file repeating a task brings numpy in (the numbers of
    every record are sorted then)."""
    items = {name: list({t.input_hash: (t, a) for t, a in annotators[name]}.values()) for name in NAMES[:2]}
    a, b = (write(tmp_path / f"{name}.jsonl", items[name]) for name in NAMES[:2])
    repeated = write(tmp_path / "repeated.jsonl", [*items[NAMES[1]], items[NAMES[1]][0]])
    for second, numpy in ((b, False), (repeated, True)):
        run = subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                "-m",
                "annotator",
                "agreement",
                str(a),
                str(second),
                "--json",
            ],
            capture_output=True,
            check=True,
        )
        loaded = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.decode().splitlines() if "|" in line}
        assert orjson.loads(run.stdout)["tasks"]["compared"] > 100
        assert ("numpy" in loaded) == numpy and "annotator.store" not in loaded, sorted(loaded)


def test_four_files_paired_in_step_in_another_order_are_added_in_the_reports(
    tmp_path: Path, annotators: dict[str, list[Item]]
) -> None:
    """Four files of the same tasks, each once, the first with each two neighbours swapped:
    every record pairs while the files are read, as the later files give it, so not in the first
    file's order, and Fleiss' kappa (a sum of fractions) is exact only in that order: the tasks
    are added again in it."""
    items = {name: list({t.input_hash: (t, a) for t, a in annotators[name]}.values()) for name in NAMES}
    first = items[NAMES[0]]
    items[NAMES[0]] = [x for k in range(0, len(first) - 1, 2) for x in (first[k + 1], first[k])]
    items[NAMES[0]] += first[len(items[NAMES[0]]) :]
    paths = [write(tmp_path / f"{name}.jsonl", items[name]) for name in NAMES]
    report, read = compare_files(paths)
    expected = compare_all([held(path, items[name]) for path, name in zip(paths, NAMES, strict=True)])
    assert to_json(report) == to_json(expected) and not read.warnings
    assert report.fleiss is not None and report.fleiss.tasks > 100


def test_the_published_bratiaa_f1_from_files(tmp_path: Path) -> None:
    """The whole documents as one task each, four files: the mean pairwise exact F1 bratiaa
    publishes for its example project."""
    files = []
    for name in NAMES:
        versions = sorted(read_annotator(PROJECT / name).values(), key=lambda v: v.task.meta["source"])
        files.append(write(tmp_path / f"{name}.jsonl", [(v.task, v.annotation) for v in versions]))
    report, read = compare_files(files)
    f1s = [p.exact.f1 for p in report.pairs]
    assert len(f1s) == 6 and all(p.tasks.compared == 7 for p in report.pairs)
    assert sum(f1s) / 6 == pytest.approx(0.8903501, abs=1e-7)
    assert not read.bad and not read.warnings


def _peak(tmp_path: Path, items: list[Item], copies: int) -> tuple[int, int]:
    a_items = [(task, ann) for k in range(copies) for task, ann in _copy(items, k)]
    a = write(tmp_path / f"a{copies}.jsonl", a_items)
    b = write(tmp_path / f"b{copies}.jsonl", a_items[::-1])  # the other order: every task waits
    gc.collect()
    tracemalloc.start()
    try:
        report, _ = compare_files([a, b])
        return tracemalloc.get_traced_memory()[1], report.pairs[0].tasks.compared
    finally:
        tracemalloc.stop()


def _copy(items: list[Item], k: int) -> list[Item]:
    out = []
    for task, annotation in items:
        text = f"{task.text} {k}"
        out.append((Task(text, tokenize(text), input_hash(text)), annotation))
    return out


def test_memory_does_not_grow_with_the_files(
    tmp_path: Path, annotators: dict[str, list[Item]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in opposite orders (the worst case: nothing pairs while reading, every record is read
    again by its place), 3x the tasks take less than 350 bytes a task more at the peak: a few
    numbers a task and the arrays the plan sorts, where a task held takes some 5 KB (30 tokens of
    150 bytes). The tasks waiting for their other version are bounded by a window, made small
    here so that it is passed."""
    monkeypatch.setattr(agreement_files, "WINDOW", 5)
    items = annotators["Lisa"]
    _peak(tmp_path, items[:50], 1)  # what the first run allocates once (imports, caches)
    small, n_small = _peak(tmp_path, items, 1)
    large, n_large = _peak(tmp_path, items, 3)
    assert n_large == 3 * n_small
    assert large - small < 350 * (n_large - n_small), (small, large)
