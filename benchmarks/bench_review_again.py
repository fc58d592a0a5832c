"""A review started again on a reviewed dataset of N tasks: the check that the reviewer has no rows
of their own (of another session than the review's), which a restart makes before its first screen.

    python benchmarks/bench_review_again.py N [--repeat 3]

A copy of the database is given a reviewer R whose rows are all the review's (as a finished review
of A and B leaves them: one row a task, session ``bench-review-R``, written here in one SQL
statement, untimed), then opened once with this checkout (migrations, untimed). Timed in this
process, each the fastest of --repeat: ``Store.rows_not_of`` as the review calls it, beside the
count over the dataset's rows that it replaced (the baseline: the same answer, 0). Goal (issue 11):
the review's first screen under 2 s at any size, so this check must not grow with N.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import measure

from annotator.store import Store

COUNTED = """SELECT COUNT(*) FROM annotations a JOIN tasks t ON t.id = a.task_id
             WHERE t.dataset_id = ? AND a.annotator = ? AND (a.session IS NULL OR a.session <> ?)"""
SESSION = "bench-review-R"


def fastest(repeat: int, call: Callable[[], Any]) -> tuple[float, float, int]:
    """The fastest of ``repeat`` calls: wall seconds, CPU seconds, the answer."""
    best = (float("inf"), float("inf"), -1)
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        answer = call()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu, int(answer)))
    return best


def main() -> None:
    args = measure.arguments(__doc__).parse_args()
    folder, shared = measure.prepare("review started again", args.n)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        db = measure.copy_db(shared, Path(tmp) / "bench.db")
        raw = sqlite3.connect(db, isolation_level=None)
        raw.execute(
            """INSERT INTO annotations (task_id, annotator, answer, session, timestamp, data)
               SELECT task_id, 'R', answer, ?, timestamp, data FROM annotations WHERE annotator = 'A'""",
            (SESSION,),
        )
        raw.close()
        started = time.perf_counter()
        with Store(db) as store:
            print(f"# the copy opened once (migrations, if any) in {time.perf_counter() - started:.1f} s")
            now = fastest(args.repeat, lambda: store.rows_not_of("bench", "R", SESSION))
        raw = sqlite3.connect(db)
        (dataset_id,) = raw.execute("SELECT id FROM datasets WHERE name = 'bench'").fetchone()
        before = fastest(args.repeat, lambda: raw.execute(COUNTED, (dataset_id, "R", SESSION)).fetchone()[0])
        raw.close()
    print(
        f"reviewer's own rows (index ranges): {now[0]:.4f} s, {now[1]:.4f} s CPU, answer {now[2]} | "
        f"counted over the dataset (before): {before[0]:.4f} s, {before[1]:.4f} s CPU, answer {before[2]}"
    )
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
