"""`annotator review` on a dataset of N tasks by two annotators: start to the first screen, in a real
terminal (tmux), against a bare Textual app.

    python benchmarks/bench_review.py N [--repeat 3]

The database holds the synthetic tasks (synth.py) imported as A and B (B with 10% of A's spans
perturbed, so most tasks agree and go to the gold set). Each run starts from a fresh copy of that
database, so every run is a first review. Timed from the start of the process until the first
disagreement's text is on screen. The baseline (baseline.py app) is a bare Textual app showing a
text. Peak resident memory of each process.
Goal (issue 11): the first screen in under 2 s at any size.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import measure
import orjson


def first_disagreement(folder: Path) -> str:
    with open(folder / "a.jsonl", "rb") as fa, open(folder / "b.jsonl", "rb") as fb:
        for line_a, line_b in zip(fa, fb, strict=True):
            a, b = orjson.loads(line_a), orjson.loads(line_b)
            if a["spans"] != b["spans"] or a["relations"] != b["relations"]:
                return str(a["text"])
    raise SystemExit("the two annotators agree on every task")


def main() -> None:
    parser = measure.arguments(__doc__)
    args = parser.parse_args()
    folder, db = measure.prepare("review", args.n)
    text = first_disagreement(folder)
    ours, bare = [], []
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        for _ in range(args.repeat):
            work = measure.copy_db(db, Path(tmp) / "review.db")
            term = measure.Terminal(
                measure.annotator("review", "--dataset", "bench", "--annotators", "A,B", "--db", work)
            )
            try:
                seconds = term.wait_until(measure.showing(text), timeout=900)
            finally:
                rss = term.quit()
            ours.append((seconds, rss))
        for _ in range(args.repeat):
            term = measure.Terminal(measure.script("baseline.py", "app", folder / "a.jsonl"))
            try:
                seconds = term.wait_until(measure.showing(measure.texts(folder / "a.jsonl", 1)[0]))
            finally:
                rss = term.quit()
            bare.append((seconds, rss))
    o, b = min(s for s, _ in ours), min(s for s, _ in bare)
    print(
        f"review: start to first screen {o:7.3f} s, {max(r for _, r in ours):5.0f} MB | bare Textual app "
        f"{b:.3f} s, {max(r for _, r in bare):.0f} MB | goal < 2 s"
    )
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
