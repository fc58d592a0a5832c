"""`annotator stats` and `annotator progress` on a database of N synthetic tasks by two annotators.

    python benchmarks/bench_stats.py N [--repeat 3] [--routed]

The baseline is the command line's own floor, measured in the same run: `annotator --help` (the
interpreter, Typer and the annotator package starting). Every run is a child process; each figure
is the fastest of --repeat runs with the peak resident memory of the process. The commands run on a
copy of the shared database, opened once first (untimed), so that a migration this checkout brings
is neither timed nor written into the file other checkouts read. With --routed the copy is first
routed to A, B and C, each task to two of them (`annotator assign --overlap 2`, timed and printed),
so that `progress` reads the counts of a routed dataset (tasks assigned, shared by each pair, open).
Goal (issue 11): under 1 s at 1M tasks.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import measure


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--routed", action="store_true", help="route the tasks to A,B,C, two each, first")
    args = parser.parse_args()
    folder, shared = measure.prepare("stats", args.n)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        db = measure.copy_db(shared, Path(tmp) / "bench.db")
        opened = measure.run(measure.annotator("stats", "--db", db))
        print(f"# the copy opened once (migrations, if any) in {opened.seconds:.1f} s", flush=True)
        if args.routed:
            routed = measure.run(
                measure.annotator(
                    "assign", "--dataset", "bench", "--annotators", "A,B,C", "--overlap", "2", "--db", db
                )
            )
            print(f"# routed in {routed.seconds:.1f} s ({routed.cpu:.1f} s CPU): {routed.stdout.strip()}")
        timed(args.repeat, db)


def timed(repeat: int, db: Path) -> None:
    base = measure.repeat(measure.annotator("--help"), repeat)
    ours = measure.repeat(measure.annotator("stats", "--db", db), repeat)
    measure.figure("stats", ours, base, "annotator --help", "< 1 s")
    ours = measure.repeat(measure.annotator("stats", "--dataset", "bench", "--db", db), repeat)
    measure.figure("stats --dataset bench", ours, base, "annotator --help", "< 1 s")
    print(ours.stdout.rstrip())
    ours = measure.repeat(measure.annotator("progress", "--dataset", "bench", "--db", db), repeat)
    measure.figure("progress --dataset bench", ours, base, "annotator --help", "< 1 s")
    print(ours.stdout.rstrip())
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
