"""`annotator stats` on a database of N synthetic tasks by two annotators.

    python benchmarks/bench_stats.py N [--repeat 3]

The baseline is the command line's own floor, measured in the same run: `annotator --help` (the
interpreter, Typer and the annotator package starting). Every run is a child process; each figure
is the fastest of --repeat runs with the peak resident memory of the process.
Goal (issue 11): under 1 s at 1M tasks.
"""

from __future__ import annotations

import measure


def main() -> None:
    parser = measure.arguments(__doc__)
    args = parser.parse_args()
    _, db = measure.prepare("stats", args.n)
    base = measure.repeat(measure.annotator("--help"), args.repeat)
    ours = measure.repeat(measure.annotator("stats", "--db", db), args.repeat)
    measure.figure("stats", ours, base, "annotator --help", "< 1 s")
    ours = measure.repeat(measure.annotator("stats", "--dataset", "bench", "--db", db), args.repeat)
    measure.figure("stats --dataset bench", ours, base, "annotator --help", "< 1 s")
    print(ours.stdout.rstrip())
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
