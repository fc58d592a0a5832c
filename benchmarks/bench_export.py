"""`annotator export` of N synthetic tasks, in every format, against a raw dump of the same records.

    python benchmarks/bench_export.py N [--format jsonl,doccano,brat,conll,spacy] [--repeat 3] [--db DB]

The database holds the synthetic tasks (synth.py) imported as annotators A and B; A's are exported.
The baseline reads the same records back from a bare SQLite table (baseline.py insert builds it,
untimed) and writes them as JSONL with orjson (baseline.py dump); the start of `annotator` and
the import of spaCy are shown beside it, since every export pays them whatever its size. brat, a
file a task, is also shown beside the floor of that: the same records written as a .txt and a
.ann each with nothing else (baseline.py files), since making 2N files costs the file system more
than the dump's one file.
Every run is a child process, with this checkout's modules compiled beforehand (as an installed
annotator's are); each figure is the fastest of --repeat runs with the peak resident memory of the
process. Goal (issue 11): every format at most 3x the raw dump, memory flat in N.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import measure

FORMATS = ("jsonl", "doccano", "brat", "conll", "spacy")
SUFFIX = {"jsonl": ".jsonl", "doccano": ".jsonl", "brat": "", "conll": ".conll", "spacy": ".spacy"}


# A child's peak resident memory as the kernel reports it is at least its parent's at the time it
# was started (exec keeps the larger of the two), so this process must stay small: removing or
# sizing a folder of 2N files in it took it to 178 MB at 100k tasks, and every later figure with it.
def remove(path: Path) -> None:
    subprocess.run(["rm", "-rf", "--", str(path)], check=True)


def megabytes(path: Path) -> float:
    """The bytes of the file, or of the files in the folder (as measure.file_mb), counted by find."""
    script = 'find "$1" -type f -printf "%s\\n" | awk "{s += \\$1} END {print s + 0}"'
    found = subprocess.run(["sh", "-c", script, "sh", str(path)], check=True, capture_output=True, text=True)
    return float(found.stdout) / 1e6  # awk writes large sums as 2.69662e+09


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--format", default=",".join(FORMATS), help="comma-separated formats")
    parser.add_argument("--db", type=Path, help="another database holding dataset bench (only read)")
    args = parser.parse_args()
    folder, db = measure.prepare("export", args.n, with_db=args.db is None)
    db = args.db or db
    # The checkout's modules compiled first, as an installed annotator's are: with
    # PYTHONDONTWRITEBYTECODE set (as here), every run compiled them again, a tenth of a second
    # of every start that no user pays.
    measure.run([measure.PYTHON, "-m", "compileall", "-q", str(measure.ROOT / "annotator")])
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        bare = Path(tmp) / "bare.db"
        measure.run(measure.script("baseline.py", "insert", folder / "a.jsonl", bare))
        raw = Path(tmp) / "raw.jsonl"
        base = measure.repeat(measure.script("baseline.py", "dump", bare, raw), args.repeat)
        measure.figure("raw dump (baseline)", base, None, "")
        # What every export pays whatever the size (the start of the command; spaCy's import for
        # the spacy format), beside the dump: at 10,000 tasks it is most of a 3x budget.
        start = measure.repeat(measure.annotator("--help"), args.repeat)
        measure.figure("  annotator --help (start)", start, base, "raw dump")
        if "spacy" in args.format.split(","):
            spacy = measure.repeat([measure.PYTHON, "-c", "import spacy.tokens"], args.repeat)
            measure.figure("  import spacy.tokens", spacy, base, "raw dump")
        floor = None
        if "brat" in args.format.split(","):
            files = Path(tmp) / "files"
            floor = measure.repeat(
                measure.script("baseline.py", "files", bare, files),
                args.repeat,
                lambda: remove(files),
            )
            measure.figure("a .txt and .ann a task (floor)", floor, base, "raw dump")
            remove(files)
        for fmt in args.format.split(","):
            out = Path(tmp) / f"export{SUFFIX[fmt]}"

            def clear(out: Path = out) -> None:
                remove(out)

            ours = measure.repeat(
                measure.annotator(
                    "export", "--dataset", "bench", "--annotator", "A", "--format", fmt, "-o", out, "--db", db
                ),
                args.repeat,
                clear,
            )
            measure.figure(
                f"export --format {fmt} ({megabytes(out):,.0f} MB)",
                ours,
                base,
                "raw dump",
                "<= 3x, memory flat",
            )
            if fmt == "brat" and floor is not None:
                measure.figure("  the same beside the floor", ours, floor, "files floor")
            clear()
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
