"""`annotator agreement --json` on N synthetic tasks by two annotators, against a minimal exact-span F1.

    python benchmarks/bench_agreement.py N [--repeat 3] [--files]

The database holds the synthetic tasks (synth.py) imported as A and B, B with 10% of A's spans
perturbed. The baseline (baseline.py f1) reads the two JSONL files the database was built from, in
step, and computes exact-span F1 over the same pairs: no overlap matching, tokens, kappa or
relations. --files also times ``annotator agreement a.jsonl b.jsonl``. Every run is a child
process; each figure is the fastest of --repeat runs with the peak resident memory of the process.
Goal (issue 11): at most 3x the baseline, under 300 MB at 1M tasks.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import measure
import orjson


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--files", action="store_true", help="also compare the two JSONL files")
    args = parser.parse_args()
    folder, shared = measure.prepare("agreement", args.n)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        # A copy, opened once first (untimed): a migration this checkout brings is neither timed
        # nor written into the file other checkouts read.
        db = measure.copy_db(shared, Path(tmp) / "bench.db")
        measure.run(measure.annotator("stats", "--db", db))
        timed(folder, db, args.repeat, args.files)


def timed(folder: Path, db: Path, repeat: int, files: bool) -> None:
    a, b = folder / "a.jsonl", folder / "b.jsonl"
    base = measure.repeat(measure.script("baseline.py", "f1", a, b), repeat)
    ours = measure.repeat(
        measure.annotator("agreement", "--dataset", "bench", "--annotators", "A,B", "--json", "--db", db),
        repeat,
    )
    report = orjson.loads(ours.stdout)
    expected = orjson.loads(base.stdout)
    exact = report["spans"]["exact"]
    assert (exact["tp"], exact["fp"], exact["fn"]) == (expected["tp"], expected["fp"], expected["fn"]), (
        exact,
        expected,
    )
    measure.figure("agreement --json (database)", ours, base, "minimal F1", "<= 3x, < 300 MB")
    if files:
        both = measure.repeat(measure.annotator("agreement", a, b, "--json"), repeat)
        measure.figure("agreement --json a.jsonl b.jsonl", both, base, "minimal F1", "<= 3x, < 300 MB")
    print(
        f"exact F1 {exact['f1']:.4f}, kappa {report['tokens']['cohen_kappa']:.4f}, "
        f"alpha {report['tokens']['krippendorff_alpha']:.4f}, {report['tasks']['compared']:,} tasks compared"
    )
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
