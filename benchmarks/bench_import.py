"""`annotator import` of N synthetic tasks against a bare SQLite insert of the same records.

    python benchmarks/bench_import.py N [--repeat 3]

Both run as child processes on the same JSONL file (synthetic gold-schema tasks, see synth.py);
each figure is the fastest of --repeat runs, with the peak resident memory of the process. The
baseline parses every line with orjson and inserts a task row and an annotation row in one
transaction (baseline.py insert). Also printed: the database's bytes per task against the JSONL's.
Goal (issue 11): at most 2x the baseline, memory flat in N, the database at most 2x the JSONL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import measure


def main() -> None:
    parser = measure.arguments(__doc__)
    args = parser.parse_args()
    folder, db = measure.prepare("import", args.n, with_db=False)
    source = folder / "a.jsonl"
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
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
        db_bytes = sum(Path(str(db) + s).stat().st_size for s in ("", "-wal") if Path(str(db) + s).exists())
        base = measure.repeat(measure.script("baseline.py", "insert", source, bare), args.repeat, fresh)
    jsonl = source.stat().st_size
    measure.figure("import (jsonl)", ours, base, "bare insert", "<= 2x, memory flat")
    print(
        f"database {db_bytes / args.n:,.0f} bytes a task, JSONL {jsonl / args.n:,.0f} bytes a task: "
        f"ratio {db_bytes / jsonl:.2f} (goal <= 2)"
    )
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
