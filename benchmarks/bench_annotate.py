"""`annotator annotate` restarted on a dataset of N tasks: start to the first task on screen, and
`]` / `[` to the next / previous task, in a real terminal (tmux), against a bare Textual app.

    python benchmarks/bench_annotate.py N [--keys 10] [--repeat 3]

The database holds the synthetic tasks (synth.py) imported as A and B. Annotator C opens the same
JSONL file as the source: a first run shows the first task and quits, then the restart is measured
(the feed goes through a source whose every task is already stored). Each key is timed from
send-keys until the next task's words are on screen. The baseline (baseline.py app) is a bare Textual
app that shows the same texts and moves with `]` / `[`. The two run in turns (ours, bare, ours, ...),
so that both see the same load; the start is given as the fastest and the median of the runs, and
the median of the differences of each pair. Peak resident memory of each process.
Goal (issue 11): start and every `]`/`[` under 100 ms at 1M tasks (over the bare app's floor).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import measure

LABELS = "PERSON,ORG,GPE,NORP,DATE,CARDINAL"


class Session(NamedTuple):
    start: float  # seconds from the start to the first task on screen
    forward: list[float]  # each `]`
    back: list[float]  # each `[`
    rss: float  # peak resident MB


def session(cmd: list[str], texts: list[str], keys: int) -> Session:
    term = measure.Terminal(cmd)
    try:
        start = term.wait_until(measure.showing(texts[0]))
        forward, back = [], []
        for k in range(1, keys + 1):
            forward.append(term.press("]", measure.showing(texts[k], texts[k - 1])))
            time.sleep(0.2)  # a person reads; the feed keeps running
        for k in range(keys - 1, max(keys - 6, -1), -1):
            back.append(term.press("[", measure.showing(texts[k], texts[k + 1])))
            time.sleep(0.2)
    finally:
        rss = term.quit()
    return Session(start, forward, back, rss)


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--keys", type=int, default=10)
    args = parser.parse_args()
    folder, db = measure.prepare("annotate restart", args.n)
    source = folder / "a.jsonl"
    texts = measure.texts(source, args.keys + 1)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = measure.copy_db(db, Path(tmp) / "annotate.db")
        cmd = measure.annotator(
            "annotate", source, "--dataset", "bench", "--annotator", "C", "--labels", LABELS, "--db", work
        )
        first = measure.Terminal(cmd)
        first.wait_until(measure.showing(texts[0]))
        first.quit()
        ours, bare = [], []
        for _ in range(args.repeat):  # in turns: a burst of load falls on both alike
            ours.append(session(cmd, texts, args.keys))
            bare.append(session(measure.script("baseline.py", "app", source), texts, args.keys))
    for name, runs in (("annotate (restart)", ours), ("bare Textual app", bare)):
        starts = [r.start for r in runs]
        forward = [t for r in runs for t in r.forward]
        back = [t for r in runs for t in r.back]
        print(
            f"{name:<20} start to first task: fastest {min(starts):6.3f} s, median "
            f"{statistics.median(starts):6.3f} s ({len(starts)} runs), {max(r.rss for r in runs):3.0f} MB"
        )
        print(f"{'':<20} ]  {measure.ms(forward)}")
        print(f"{'':<20} [  {measure.ms(back)}")
    pairs = list(zip(ours, bare, strict=True))
    print(
        f"start over the bare app: fastest {min(r.start for r in ours) - min(r.start for r in bare):+.3f} s, "
        f"median of the pairs {statistics.median(o.start - b.start for o, b in pairs):+.3f} s"
    )
    print("goal: start and ]/[ under 100 ms over the bare app at 1M tasks")
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
