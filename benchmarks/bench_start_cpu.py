"""CPU seconds of `annotator annotate`, restarted on a dataset of N tasks, up to its first frame on
screen (the first full one Textual writes, which holds the task), beside the bare Textual app's
(baseline.py app), in turns, in a real terminal (tmux):

    python benchmarks/bench_start_cpu.py N [--repeat 8]

On a machine shared with other jobs the wall time to the first task (bench_annotate.py) says how long
the others held the cores; the CPU time the process spent by its first frame does not. Each program
runs under this script's ``child`` form, which wraps Textual's driver: at the first write of a full
frame it notes the process's CPU time and ends the process, before annotate's feed starts behind the
screen. Run under valgrind (``valgrind --tool=cachegrind --cache-sim=no python
benchmarks/bench_start_cpu.py child OUT annotate ...`` in a terminal) it counts the machine
instructions to the first frame.
The database is a copy of the synthetic one, opened once first as in bench_annotate.py.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import measure

LABELS = "PERSON,ORG,GPE,NORP,DATE,CARDINAL"
FRAME_BYTES = 2000  # a full frame of a 120x40 screen is several KB; the writes before it are escapes


def child(out: Path, program: list[str]) -> None:
    """Run ``program`` (``annotate ARGS`` or ``bare FILE``) to its first frame; write its CPU."""
    from textual.drivers.linux_driver import LinuxDriver

    write = LinuxDriver.write

    def noting(self: Any, data: str) -> None:
        if len(data) > FRAME_BYTES:
            out.write_text(f"{time.process_time():.4f}")
            # Ended here, not by asking the app to exit: what the app does after its first frame
            # (the collection of what the start made, the feed's thread starting) is no part of
            # the start, and under valgrind (machine instructions to the first frame) it counted.
            os._exit(0)
        write(self, data)

    LinuxDriver.write = noting  # type: ignore[method-assign]
    if program[0] == "bare":
        sys.argv = [str(measure.HERE / "baseline.py"), "app", *program[1:]]
        runpy.run_path(sys.argv[0], run_name="__main__")
        return
    from annotator.cli import main

    sys.argv = ["annotator", *program]
    with contextlib.suppress(SystemExit):  # annotate ends with typer.Exit
        main()


def first_frame_cpu(program: list[str], folder: Path) -> float:
    out = Path(tempfile.mkstemp(dir=folder, prefix="cpu-")[1])
    out.unlink()
    term = measure.Terminal([measure.PYTHON, __file__, "child", str(out), *program])
    try:
        deadline = time.perf_counter() + 600
        while not out.exists() and time.perf_counter() < deadline:
            time.sleep(0.05)
    finally:
        term.quit()
    # The tmux server ends with its last session; a new session asked for while it is ending fails.
    time.sleep(0.3)
    return float(out.read_text())


def main() -> None:
    args = measure.arguments(__doc__).parse_args()
    folder, db = measure.prepare("annotate restart: CPU to the first frame", args.n)
    source = folder / "a.jsonl"
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = measure.copy_db(db, Path(tmp) / "annotate.db")
        ours = ["annotate", str(source), "--dataset", "bench", "--annotator", "C", "--labels", LABELS]
        ours += ["--db", str(work)]
        first_frame_cpu(ours, Path(tmp))  # the first run stores the scheme; then the restarts
        runs: dict[str, list[float]] = {"annotate (restart)": [], "bare Textual app": []}
        for _ in range(args.repeat):  # in turns: a burst of load falls on both alike
            runs["annotate (restart)"].append(first_frame_cpu(ours, Path(tmp)))
            runs["bare Textual app"].append(first_frame_cpu(["bare", str(source)], Path(tmp)))
    for name, cpu in runs.items():
        print(
            f"{name:<20} CPU to the first frame: least {min(cpu):.3f} s, median {statistics.median(cpu):.3f} s"
        )
    ours_cpu, bare_cpu = runs.values()
    print(
        f"over the bare app: least {min(ours_cpu) - min(bare_cpu):+.3f} s, median of the pairs "
        f"{statistics.median(o - b for o, b in zip(ours_cpu, bare_cpu, strict=True)):+.3f} s"
    )
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(Path(sys.argv[2]), sys.argv[3:])
    else:
        main()
