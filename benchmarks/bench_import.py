"""`annotator import` of N synthetic tasks against a bare SQLite insert of the same records.

    python benchmarks/bench_import.py N [--repeat 3] [--only-a] [--work FOLDER]

Both run as child processes on the same JSONL file (synthetic gold-schema tasks, see synth.py);
each figure is the fastest of --repeat runs, with the peak resident memory of the process. The
baseline parses every line with orjson and inserts a task row and an annotation row in one
transaction (baseline.py insert). Then the second annotator's file (B, 10% of A's spans perturbed)
is imported into the same database, once, against the baseline inserting it into its own: each
record is then a task the dataset holds, compared with the stored one. Also printed: the
database's bytes per task against the JSONL's, with one annotator and with two.
--only-a leaves out the second annotator's file (at 1M each import takes minutes); --work puts
the databases in FOLDER instead of beside the synthetic files.
Goal (issue 11): at most 2x the baseline, memory flat in N, the database at most 2x the JSONL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import measure


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--only-a", action="store_true", help="import the first annotator's file only")
    parser.add_argument("--work", type=Path, help="folder for the databases (default: beside the files)")
    args = parser.parse_args()
    folder, db = measure.prepare("import", args.n, with_db=False)
    source = folder / "a.jsonl"
    with tempfile.TemporaryDirectory(dir=args.work or folder) as tmp:
        db, bare = Path(tmp) / "import.db", Path(tmp) / "bare.db"

        def fresh() -> None:
            for path in (db, bare):
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)

        ours = measure.repeat(
            measure.annotator(
                "import", source, "--dataset", "bench", "--annotator", "A", "--format", "jsonl", "--db", db
            ),
            args.repeat,
            fresh,
        )
        one = size(db)
        base = measure.repeat(measure.script("baseline.py", "insert", source, bare), args.repeat, fresh)
        second = folder / "b.jsonl"
        if not args.only_a:
            ours_b = measure.run(
                measure.annotator(
                    "import",
                    second,
                    "--dataset",
                    "bench",
                    "--annotator",
                    "B",
                    "--format",
                    "jsonl",
                    "--db",
                    db,
                )
            )
            two = size(db)
            base_b = measure.run(measure.script("baseline.py", "insert", second, Path(tmp) / "bare-b.db"))
    jsonl = source.stat().st_size
    measure.figure("import (jsonl)", ours, base, "bare insert", "<= 2x, memory flat")
    print(
        f"database {one / args.n:,.0f} bytes a task, JSONL {jsonl / args.n:,.0f} bytes a task: "
        f"ratio {one / jsonl:.2f} (goal <= 2)"
    )
    if not args.only_a:
        jsonl_b = second.stat().st_size
        measure.figure("import B onto A's tasks (once)", ours_b, base_b, "bare insert", "<= 2x, memory flat")
        print(
            f"with B too: {two / args.n:,.0f} bytes a task against {(jsonl + jsonl_b) / args.n:,.0f} "
            f"of JSONL: ratio {two / (jsonl + jsonl_b):.2f}"
        )
    print(f"# {measure.load()} at the end")


def size(db: Path) -> int:
    """The database's bytes on disk: the file and its write-ahead log."""
    return sum(Path(str(db) + s).stat().st_size for s in ("", "-wal") if Path(str(db) + s).exists())


if __name__ == "__main__":
    main()
