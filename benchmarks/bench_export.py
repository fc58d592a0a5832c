"""Export throughput: `annotator export` (jsonl) of N tasks from a real SQLite store, against a raw
orjson dump of the same records, measured in the same run.

    python benchmarks/bench_export.py [--tasks 20000] [--repeat 3]

The raw dump is the floor: the exported records already built as dicts in memory, orjson-encoded
and written to a file. The export reads them from the database, rebuilds tasks and annotations,
turns them into records (hashes included) and writes them atomically (temp file, fsync, rename).
Also printed: how much of the export is reading the store alone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.core.records import to_record
from annotator.store import Store
from annotator.transfer.exporting import export_dataset

WORDS = tuple(
    [
        "the",
        "minister",
        "met",
        "his",
        "counterpart",
        "in",
        "Seoul",
        "on",
        "Tuesday",
        "to",
        "discuss",
        "North",
        "Korea",
        "and",
        "trade",
    ]
)
LABELS = ("PERSON", "ORG", "GPE", "DATE", "NORP")
RELATIONS = ("MET", "LOCATED_IN", "AFFILIATED_WITH")


def synthetic(n: int, seed: int = 0) -> list[tuple[Task, Annotation]]:
    """n tasks of about 40 tokens, ~5 spans and ~2 relations each."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(30, 50))] + [str(i), "."]
        tokens, pos = [], 0
        for k, w in enumerate(words):
            last = k == len(words) - 1
            tokens.append(Token(w, pos, pos + len(w), k, not last))
            pos += len(w) + (0 if last else 1)
        text = " ".join(words)
        spans, k, sid = [], 0, 1
        while k < len(tokens) - 3:
            k += rng.randint(2, 10)
            if k >= len(tokens) - 2:
                break
            end = k + rng.randint(0, 2)
            spans.append(Span(tokens[k].start, tokens[end].end, k, end, rng.choice(LABELS), None, sid))
            sid += 1
            k = end + 1
        rels = []
        for _ in range(2):
            if len(spans) >= 2:
                a, b = rng.sample(spans, 2)
                rel = Relation(a.sid, b.sid, rng.choice(RELATIONS))
                if rel.key not in {r.key for r in rels}:
                    rels.append(rel)
        out.append(
            (
                Task(text, tuple(tokens), input_hash(text), {"source": f"doc-{i}"}),
                Annotation(tuple(spans), tuple(rels), "accept"),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    items = synthetic(args.tasks)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        with Store(root / "bench.db") as store:
            ids = store.add_tasks("bench", items)
            for task_id, (_, annotation) in zip(ids, items, strict=True):
                store.save_annotation(task_id, "alice", annotation, session="bench")
        setup = time.perf_counter() - t0

        export_times, raw_times, read_times = [], [], []
        with Store(root / "bench.db") as store:
            for r in range(args.repeat):
                t0 = time.perf_counter()
                n_read = sum(1 for _ in store.annotations("bench", "alice"))
                read_times.append(time.perf_counter() - t0)

                t0 = time.perf_counter()
                report = export_dataset(store, "bench", output=root / f"export-{r}.jsonl")
                export_times.append(time.perf_counter() - t0)

                records = [to_record(t, a) for _, t, a in store.annotations("bench", "alice")]
                t0 = time.perf_counter()
                with open(root / f"raw-{r}.jsonl", "wb") as handle:
                    for rec in records:
                        handle.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
                raw_times.append(time.perf_counter() - t0)
                assert report.counts.tasks == n_read == args.tasks
                assert (root / f"raw-{r}.jsonl").read_bytes() == (root / f"export-{r}.jsonl").read_bytes()
        size = (root / "export-0.jsonl").stat().st_size

    export_s, raw_s, read_s = (statistics.median(x) for x in (export_times, raw_times, read_times))
    c = report.counts
    print(f"tasks {c.tasks}, spans {c.spans}, relations {c.relations}, file {size / 1e6:.1f} MB")
    print(f"store setup (add_tasks + save_annotation): {setup:.2f} s")
    print(f"export jsonl (median of {args.repeat}): {export_s:.3f} s = {c.tasks / export_s:,.0f} tasks/s")
    print(f"  of which reading the store: {read_s:.3f} s")
    print(f"raw orjson dump of the same records: {raw_s:.3f} s = {c.tasks / raw_s:,.0f} tasks/s")
    print(
        f"ratio export / raw dump: {export_s / raw_s:.1f}x (raw dump / export throughput: {raw_s / export_s:.2f})"
    )


if __name__ == "__main__":
    main()
