"""What the scale benchmarks share: running a command as a child process (wall time and peak
resident memory), a real terminal through tmux, the synthetic dataset in a database, and printing a
figure beside its baseline.

    python benchmarks/measure.py rss OUT -- COMMAND...   (run COMMAND, write its peak RSS in kB to OUT)

The second form is how a program inside tmux is measured: tmux starts the wrapper, the wrapper is
the program's parent, and ``os.wait4`` gives the program's own peak resident set.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
if str(ROOT) not in sys.path:  # this checkout's annotator, not another one installed
    sys.path.insert(0, str(ROOT))


def env() -> dict[str, str]:
    """The environment for children: this checkout's annotator first on the path."""
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + (os.pathsep + out["PYTHONPATH"] if out.get("PYTHONPATH") else "")
    return out


def annotator(*args: object) -> list[str]:
    return [PYTHON, "-m", "annotator", *map(str, args)]


def script(name: str, *args: object) -> list[str]:
    return [PYTHON, str(HERE / name), *map(str, args)]


@dataclass
class Run:
    seconds: float
    rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    # CPU seconds (user + system) of the process and the children it waited for: on a machine shared
    # with other jobs the wall time says how long the others held the cores, the CPU time does not.
    cpu: float = float("nan")
    user: float = float("nan")  # of which in the process's own code (the rest in the kernel's)


def run(cmd: Sequence[str], *, check: bool = True, cwd: Path | None = None) -> Run:
    """Run a command to its end; its wall time and its peak resident set (the largest of it and
    any child it waited for)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env(), cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(
            seconds,
            usage.ru_maxrss / 1024,
            proc.returncode,
            out.read().decode(),
            err.read().decode(),
            usage.ru_utime + usage.ru_stime,
            usage.ru_utime,
        )
    if check and result.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def best(runs: Sequence[Run]) -> Run:
    """The fastest run, with the largest resident memory of all runs (memory does not get noisy
    the way time does on a shared machine) and the least CPU time."""
    fastest = min(runs, key=lambda r: r.seconds)
    return Run(
        fastest.seconds,
        max(r.rss_mb for r in runs),
        fastest.returncode,
        fastest.stdout,
        fastest.stderr,
        min(r.cpu for r in runs),
        min(r.user for r in runs),
    )


def repeat(cmd: Sequence[str], times: int, before: Callable[[], None] | None = None) -> Run:
    runs = []
    for _ in range(times):
        if before is not None:
            before()
        runs.append(run(cmd))
    return best(runs)


def arguments(doc: str | None, size: str = "number of tasks") -> argparse.ArgumentParser:
    """The options every scale benchmark takes: the size, and how many runs to take the best of."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help=size)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest is shown")
    return parser


def prepare(what: str, n: int, with_db: bool = True) -> tuple[Path, Path]:
    """The synthetic files of n tasks (generated on first use) and, unless ``with_db`` is False, the
    database built from them; prints the header."""
    import synth

    compile_checkout()
    folder = synth.ensure(n)
    db = dataset_db(n, folder) if with_db else folder / "a.jsonl"
    header(what, n, folder)
    return folder, db


def compile_checkout() -> None:
    """This checkout's modules compiled, as an installed annotator's are: with
    PYTHONDONTWRITEBYTECODE set (as on this machine), a module changed since its last compile was
    compiled again by every run, a tenth of a second of every start that no user pays."""
    run([PYTHON, "-m", "compileall", "-q", str(ROOT / "annotator")])


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def header(what: str, n: int, folder: Path) -> None:
    origin = (folder / "ORIGIN").read_text(encoding="utf-8").strip() if (folder / "ORIGIN").exists() else ""
    print(f"# {what}, {n:,} tasks ({origin})")
    print(f"# {load()} at the start")


def figure(name: str, ours: Run | float, base: Run | float | None, base_name: str, goal: str = "") -> None:
    """One line: our figure, the baseline's, the ratio, the peak resident memory of each; for two
    processes, their CPU times and that ratio too (the steadier one on a loaded machine)."""
    o = ours.seconds if isinstance(ours, Run) else ours
    line = f"{name:<34} {o:9.3f} s"
    if isinstance(ours, Run):
        line += f" ({ours.cpu:.2f} s CPU) {ours.rss_mb:6.0f} MB"
    if base is not None:
        b = base.seconds if isinstance(base, Run) else base
        line += f" | {base_name} {b:.3f} s"
        if isinstance(base, Run):
            line += f" ({base.cpu:.2f} s CPU), {base.rss_mb:.0f} MB"
        line += f" | ratio {o / b:.2f}" if b > 0 else ""
        if isinstance(ours, Run) and isinstance(base, Run) and base.cpu > 0:
            line += f", CPU {ours.cpu / base.cpu:.2f}"
    if goal:
        line += f" | goal {goal}"
    print(line, flush=True)


# -- the synthetic dataset in a database ----------------------------------------------------------


def dataset_db(n: int, folder: Path) -> Path:
    """A database holding the synthetic tasks as dataset "bench", annotated by A and B (imported
    with this checkout's ``annotator import``), built once per size: a later checkout opens it
    through the store's numbered migrations, as it would a user's database."""
    db = folder / "bench.db"
    if not db.exists():
        partial = folder / "building.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        t0 = time.perf_counter()
        for who in ("A", "B"):
            run(
                annotator(
                    "import", folder / f"{who.lower()}.jsonl", "--dataset", "bench", "--annotator", who,
                    "--format", "jsonl", "--db", partial,
                )
            )  # fmt: skip
        print(f"# built {db.name} with annotator import in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for suffix in ("-wal", "-shm", ""):
            if Path(str(partial) + suffix).exists():
                Path(str(partial) + suffix).rename(str(db) + suffix)
    return db


def copy_db(db: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
        if Path(str(db) + suffix).exists():
            shutil.copyfile(str(db) + suffix, str(target) + suffix)
    return target


def file_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6


# -- a real terminal ------------------------------------------------------------------------------


_terminals = itertools.count()


class Terminal:
    """A program in a detached tmux session; the screen is read with capture-pane."""

    def __init__(self, cmd: Sequence[str], size: tuple[int, int] = (120, 40)) -> None:
        if shutil.which("tmux") is None:
            raise SystemExit("tmux is needed for this benchmark")
        # A name of this process's own: two benchmarks run at once must not stop each other's screen.
        name = f"annotator-bench-{os.getpid()}-{next(_terminals)}"
        self.name = name
        self.rss_file = Path(tempfile.mkstemp(prefix="rss-")[1])
        wrapped = [PYTHON, str(Path(__file__).resolve()), "rss", str(self.rss_file), "--", *cmd]
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        env_args = [f"PYTHONPATH={env()['PYTHONPATH']}"]
        self.started = time.perf_counter()
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                str(size[0]),
                "-y",
                str(size[1]),
                "env",
                *env_args,
                *wrapped,
            ],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        ).stdout

    def wait_until(
        self, shown: Callable[[str], bool], timeout: float = 600.0, since: float | None = None
    ) -> float:
        """Seconds from ``since`` (default: the start) until ``shown(screen)`` is true."""
        t0 = self.started if since is None else since
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if shown(self.screen()):
                return time.perf_counter() - t0
            time.sleep(0.005)
        raise TimeoutError(f"not on screen after {timeout:.0f} s:\n{self.screen()}")

    def wait_for(self, text: str, timeout: float = 600.0) -> float:
        return self.wait_until(lambda screen: text in screen, timeout)

    def press(self, key: str, shown: Callable[[str], bool], timeout: float = 600.0) -> float:
        """Seconds from sending ``key`` until ``shown(screen)``."""
        t0 = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
        return self.wait_until(shown, timeout, since=t0)

    def quit(self, key: str = "q", timeout: float = 60.0) -> float:
        """Send ``key``, wait for the program to end; its peak resident memory in MB."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, key], capture_output=True)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and not self.rss_file.read_text().strip():
            time.sleep(0.05)
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        text = self.rss_file.read_text().strip()
        self.rss_file.unlink(missing_ok=True)
        return int(text) / 1024 if text else float("nan")


def first_words(text: str, width: int = 24) -> str:
    """The start of a text as the document view shows it on its first row: whole words, up to
    ``width`` characters (a row is wider than that)."""
    words = text.split()
    out = words[0]
    for w in words[1:]:
        if len(out) + 1 + len(w) > width:
            break
        out += " " + w
    return out[:width]


# What the document view draws beside the text: a span's label after its last token, relation marks.
DRAWN_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "DATE", "CARDINAL", "LOC", "FAC", "EVENT"})


def _words(screen: str) -> str:
    """The screen's words without the labels and marks drawn beside spans, so that a text's first
    words are found whatever spans it holds."""
    kept = [w.strip("▶◀│|") for w in screen.split()]
    return " ".join(w for w in kept if w and w not in DRAWN_LABELS)


def showing(text: str, previous: str | None = None) -> Callable[[str], bool]:
    """A test that the screen shows ``text``'s first words (and no longer ``previous``'s, when the
    new text does not contain them itself)."""
    new = first_words(text)
    old = first_words(previous) if previous is not None and first_words(previous) not in text else None
    return lambda screen: new in (words := _words(screen)) and (old is None or old not in words)


def texts(path: Path, count: int) -> list[str]:
    import orjson

    out = []
    with open(path, "rb") as handle:
        for line in handle:
            out.append(orjson.loads(line)["text"])
            if len(out) >= count:
                break
    return out


def ms(values: Sequence[float]) -> str:
    ordered = sorted(values)
    return (
        f"median {statistics.median(ordered) * 1e3:7.1f} ms, max {ordered[-1] * 1e3:7.1f} ms "
        f"({len(ordered)} keys)"
    )


def _rss_wrapper(argv: list[str]) -> int:
    out, rest = Path(argv[0]), argv[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    proc = subprocess.Popen(rest)
    _, status, usage = os.wait4(proc.pid, 0)
    out.write_text(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "rss":
        raise SystemExit(_rss_wrapper(sys.argv[2:]))
    raise SystemExit(__doc__)
