"""`annotator export` of N synthetic tasks, in every format, against a raw dump of the same records.

    python benchmarks/bench_export.py N [--format jsonl,doccano,brat,conll,spacy] [--repeat 3] [--db DB]
        [--out FOLDER] [--remove-each]

The database holds the synthetic tasks (synth.py) imported as annotators A and B; A's are exported.
The baseline reads the same records back from a bare SQLite table (baseline.py insert builds it,
untimed) and writes them as JSONL with orjson (baseline.py dump); the start of `annotator` and
the import of spaCy are shown beside it, since every export pays them whatever its size. brat, a
file a task, is also shown beside the floor of that: the same records written as a .txt and a
.ann each with nothing else (baseline.py files), since making 2N files costs the file system more
than the dump's one file.
Every run is a child process, with this checkout's modules compiled beforehand (as an installed
annotator's are); the dump, the floor and the formats run one after the other, --repeat rounds of
them, and each figure is the fastest of its runs with the peak resident memory of the process. For
brat and its floor, the CPU spent in the kernel (creating files) is shown apart from the code's own.
Goal (issue 11): every format at most 3x the raw dump, memory flat in N.

What a file costs the kernel depends on what was deleted nearby: on ext4 without a journal (this
machine's disk) a new file's inode is not taken from those freed in the last minute (five while
their inode table block is not yet written), and each of those is looked at in turn, for every file
made. So the outputs are kept until the end (a user exporting once deletes nothing just before), and
every brat and floor run is listed, not only the fastest: other processes' deletes on the same disk
still reach them. --remove-each removes each output right after its run, as this script did before:
each brat run and floor then makes its 2N files beside the 2N inodes the run before freed. --out puts
the outputs in another folder (a tmpfs such as /dev/shm shows the cost without a disk's file system).
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
    parser.add_argument("--out", type=Path, help="the folder for the outputs (default: beside the data)")
    parser.add_argument(
        "--remove-each", action="store_true", help="remove each output right after its run (see above)"
    )
    args = parser.parse_args()
    formats = args.format.split(",")
    folder, db = measure.prepare("export", args.n, with_db=args.db is None)
    db = args.db or db
    with (
        tempfile.TemporaryDirectory(dir=folder) as tmp,
        tempfile.TemporaryDirectory(dir=args.out or folder) as outs,
    ):
        bare = Path(tmp) / "bare.db"
        measure.run(measure.script("baseline.py", "insert", folder / "a.jsonl", bare))
        # What every export pays whatever the size (the start of the command; spaCy's import, which
        # a spacy export avoids unless a task must go through a Doc), once: at 10,000 tasks it is
        # most of a 3x budget.
        start = measure.repeat(measure.annotator("--help"), args.repeat)
        spacy = None
        if "spacy" in formats:
            spacy = measure.repeat([measure.PYTHON, "-c", "import spacy.tokens"], args.repeat)
        # The dump, the floor and every format one after the other, round after round, so that each
        # figure and its baseline see the same minutes of a shared machine.
        commands: dict[str, list[str]] = {
            "dump": measure.script("baseline.py", "dump", bare, Path(outs) / "raw.jsonl")
        }
        if "brat" in formats:
            commands["floor"] = []  # a new folder each round (below)
        for fmt in formats:
            commands[fmt] = []
        runs: dict[str, list[measure.Run]] = {name: [] for name in commands}
        sizes: dict[str, float] = {}
        folders: list[Path] = []
        for r in range(args.repeat):
            for name, cmd in commands.items():
                out = Path(outs) / f"{name}-{r}{SUFFIX.get(name, '')}"
                if name == "floor":
                    cmd = measure.script("baseline.py", "files", bare, out)
                elif name != "dump":
                    cmd = measure.annotator(
                        "export", "--dataset", "bench", "--annotator", "A", "--format", name, "-o", out, "--db", db
                    )  # fmt: skip
                runs[name].append(measure.run(cmd))
                if name not in ("dump", "floor"):
                    sizes[name] = megabytes(out)
                # A folder of 2N files is removed at the end, not here, unless --remove-each (above).
                if name in ("floor", "brat") and not args.remove_each:
                    folders.append(out)
                else:
                    remove(out)
        base = measure.best(runs["dump"])
        measure.figure("raw dump (baseline)", base, None, "")
        measure.figure("  annotator --help (start)", start, base, "raw dump")
        if spacy is not None:
            measure.figure("  import spacy.tokens", spacy, base, "raw dump")
        if "floor" in runs:
            floor = measure.best(runs["floor"])
            measure.figure("a .txt and .ann a task (floor)", floor, base, "raw dump")
            _kernel("  of which", floor)
            _each("  each run", runs["floor"])
        for fmt in formats:
            ours = measure.best(runs[fmt])
            measure.figure(
                f"export --format {fmt} ({sizes[fmt]:,.0f} MB)", ours, base, "raw dump", "<= 3x, memory flat"
            )
            if fmt == "brat":
                floor = measure.best(runs["floor"])
                _kernel("  of which", ours)
                _each("  each run", runs["brat"])
                measure.figure("  the same beside the floor", ours, floor, "files floor")
                print(f"  user CPU beside the floor's: {ours.user / floor.user:.2f}x", flush=True)
        for out in folders:
            remove(out)
    print(f"# {measure.load()} at the end")


def _kernel(name: str, run: measure.Run) -> None:
    """User and kernel CPU of a run that makes many files: the kernel's part is the file system's."""
    print(f"{name:<34} {run.user:.2f} s user CPU, {run.cpu - run.user:.2f} s in the kernel", flush=True)


def _each(name: str, runs: list[measure.Run]) -> None:
    """Every run in order, wall seconds and kernel CPU: how far the file system's cost moves."""
    listed = ", ".join(f"{r.seconds:.2f} s ({r.cpu - r.user:.2f} s kernel)" for r in runs)
    print(f"{name:<34} {listed}", flush=True)


if __name__ == "__main__":
    main()
