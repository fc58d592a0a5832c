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

import sqlite3
import tempfile
from collections.abc import Callable
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

        def fresh(path: Path) -> Callable[[], None]:
            """Before each run: ``path`` gone (only it: the baseline's runs once deleted ours, and B
            was then imported into an empty database rather than onto A's tasks)."""

            def remove() -> None:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)

            return remove

        ours = measure.repeat(
            measure.annotator(
                "import", source, "--dataset", "bench", "--annotator", "A", "--format", "jsonl", "--db", db
            ),
            args.repeat,
            fresh(db),
        )
        one = size(db)
        base = measure.repeat(measure.script("baseline.py", "insert", source, bare), args.repeat, fresh(bare))
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
            held = tasks_in(db)
            if held != args.n:  # B's records are A's texts: they pair with A's tasks, adding none
                raise SystemExit(f"after B the database holds {held:,} tasks, not A's {args.n:,}")
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
    """The database's bytes once everything is in the file: its write-ahead log checkpointed into it
    and emptied first. (The file and the log summed counted pages twice or not at all, depending on
    whether the last import's checkpoint had run: with B too the figure came out below A's alone.)"""
    conn = sqlite3.connect(db)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    if busy:
        raise SystemExit(f"{db}: the write-ahead log could not be checkpointed (another process holds it)")
    return db.stat().st_size


def tasks_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
    finally:
        conn.close()


if __name__ == "__main__":
    main()
