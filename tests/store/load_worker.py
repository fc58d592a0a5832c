"""One annotator for the load test and benchmark, run as a process:

    python -m tests.store.load_worker DB ANNOTATOR SECONDS EDITS_PER_TASK GO OUT

Opens dataset "load" as ANNOTATOR (the guard on, as the annotate command runs), waits for the file
GO, then for SECONDS works as fast as it can: opens its next unanswered task, makes EDITS_PER_TASK
edits (a span with a label of its own on a free token), accepts the task, and so on. Writes to OUT
(JSON) every committed edit and decision, every error, and the time each commit took.

``run_load`` starts the annotators and ``check_load`` compares their reports with the database; the
test (tests/store/test_store_load.py) and the benchmark (benchmarks/bench_store.py) use both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotator.core.edits import set_span
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession
from annotator.store import Store

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> None:
    db, annotator, seconds, per_task, go, out = argv
    store = Store(db)
    session = AnnotationSession(store, "load", annotator, LabelScheme(("X",)))
    session.guard = True
    edits: list[tuple[int, int, str]] = []
    decisions: list[int] = []
    errors: list[str] = []
    latencies: dict[str, list[float]] = {"edit": [], "decision": []}
    while not Path(go).exists():
        time.sleep(0.001)
    deadline = time.monotonic() + float(seconds)
    k = 0
    finished = False
    while time.monotonic() < deadline:
        try:
            cur = session.open_first_unanswered() if session.current is None else session.current
            if cur is None:
                finished = True
                break
            for token in range(int(per_task)):
                label = f"{annotator}-{k}"
                k += 1
                edit = set_span(cur.task, cur.annotation, token, token, label)
                start = time.perf_counter()
                session.apply(edit)
                latencies["edit"].append(time.perf_counter() - start)
                edits.append((cur.task_id, token, label))
            start = time.perf_counter()
            session.decide("accept")
            latencies["decision"].append(time.perf_counter() - start)
            decisions.append(cur.task_id)
            session.advance()
        except Exception:
            errors.append(traceback.format_exc(limit=3))
            session.current = None  # start again from the store's state
    store.close()
    report = {
        "edits": edits,
        "decisions": decisions,
        "errors": errors,
        "latencies": latencies,
        "finished": finished,
    }
    Path(out).write_bytes(orjson.dumps(report))


def make_dataset(db: str, tasks: int, tokens: int = 12) -> None:
    from tests.strategies import tokenize

    items = []
    for i in range(tasks):
        text = " ".join(f"w{i}x{k}" for k in range(tokens))
        items.append((Task(text, tokenize(text), 10_000 + i), Annotation()))
    with Store(db) as store:
        store.add_tasks("load", items)


@dataclass
class LoadResult:
    reports: dict[str, dict[str, Any]]
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def edits(self) -> int:
        return sum(len(r["edits"]) for r in self.reports.values())

    @property
    def decisions(self) -> int:
        return sum(len(r["decisions"]) for r in self.reports.values())

    @property
    def errors(self) -> list[str]:
        return [e for r in self.reports.values() for e in r["errors"]]


def run_load(db: str, annotators: int, seconds: float, per_task: int, folder: Path) -> LoadResult:
    """Start the annotators, let them all go at once, collect their reports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    go = folder / "go"
    procs = []
    for n in range(annotators):
        who, out = f"annotator{n:02d}", folder / f"load-{n}.json"
        cmd = [
            sys.executable,
            "-m",
            "tests.store.load_worker",
            db,
            who,
            str(seconds),
            str(per_task),
            str(go),
            str(out),
        ]
        procs.append((who, out, subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)))
    time.sleep(1.0 + 0.15 * annotators)  # every annotator has started and opened the store
    go.touch()
    started = time.monotonic()
    reports = {}
    for who, out, proc in procs:
        _, err = proc.communicate(timeout=seconds * 10 + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"{who} failed: {err}")
        reports[who] = orjson.loads(out.read_bytes())
    result = LoadResult(reports, time.monotonic() - started)
    for kind in ("edit", "decision"):
        result.latencies[kind] = sorted(x for r in reports.values() for x in r["latencies"][kind])
    return result


def check_load(db: str, result: LoadResult) -> None:
    """Every committed edit and decision is stored exactly once, and nothing else is."""
    with Store(db) as store:
        ids = store.task_ids("load")
        for who, report in result.reports.items():
            committed = {tuple(e) for e in report["edits"]}
            assert len(committed) == len(report["edits"]), f"{who}: an edit reported twice"
            stored: set[tuple[int, int, str]] = set()
            for task_id in ids:
                annotation = store.annotation(task_id, who)
                if annotation is not None:
                    stored.update((task_id, s.token_start, s.label) for s in annotation.spans)
            assert stored == committed, (
                f"{who}: {len(committed - stored)} lost, {len(stored - committed)} unknown"
            )
            expected = {"do": len(report["edits"]), "answer": len(report["decisions"])}
            assert store.log_counts("load", who) == {k: v for k, v in expected.items() if v}, (
                f"{who}: the log does not hold one row per commit"
            )
            counts = store.answer_counts("load", who)
            assert counts["accept"] == len(set(report["decisions"])) == len(report["decisions"]), who


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


if __name__ == "__main__":
    main(sys.argv[1:])
