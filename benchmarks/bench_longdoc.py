"""One long document of T tokens: start to the first screen in a real terminal (tmux), and label +
undo through Textual's Pilot, each against a bare Textual app.

    python benchmarks/bench_longdoc.py T [--keys 100] [--repeat 3]

The document is the bundled article repeated to T tokens, a span every nine tokens, given to
`annotator annotate` as a JSONL task with its tokens (so the model is not involved). First paint:
from the start of the process until the article's first words are on screen; the baseline
(baseline.py app) reads the same file and shows the start of the text. Editable: until the
message line no longer says the text is read-only (the start of a long document is drawn before the
whole is read, the whole before it is stored). Label + undo: `l l 1 u`
pressed through Pilot on the app `annotate` builds, each key timed (wall and CPU) until the app is
idle with the frame drawn; the floor is the same keys on a bare app whose handler repaints one line. Each part
runs as its own process, with its peak resident memory.
Goal (issue 11): first screen under 3 s at 500k tokens; label + undo within 16 ms of the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import measure
import orjson

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "annotator" / "data" / "defense-ministers-seoul.txt"
LABELS = ("PERSON", "ORG", "GPE", "NORP", "DATE")


def write_document(n_tokens: int, path: Path) -> None:
    from annotator.core.hashing import input_hash
    from annotator.core.model import Annotation, Span, Task
    from annotator.core.records import to_record
    from annotator.core.tokenize import provisional_tokens

    base = SAMPLE.read_text(encoding="utf-8")
    per_copy = len(provisional_tokens(base + "\n\n"))
    text = "\n\n".join([base] * max(1, -(-n_tokens // per_copy)))
    tokens = provisional_tokens(text)
    spans: list[Span] = []
    for i in range(0, len(tokens) - 2, 9):
        if tokens[i].text.isspace() or tokens[i + 1].text.isspace():
            continue
        sid = len(spans) + 1
        spans.append(Span(tokens[i].start, tokens[i + 1].end, i, i + 1, LABELS[sid % 5], "bench", sid))
    record = to_record(Task(text, tokens, input_hash(text)), Annotation(tuple(spans)))
    path.write_bytes(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


KEYS = ["l", "l", "1", "u"]


async def _time_keys(app: object, keys: list[str]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each key: on a shared machine the CPU time is the steadier figure."""
    out = []
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        session = getattr(app, "session", None)  # ours: keys are timed once the task is open
        while session is not None and (session.current is None or not session.finished):
            await pilot.pause(0.05)
        await pilot.pause()
        for key in keys:
            t0, c0 = time.perf_counter(), time.process_time()
            await pilot.press(key)
            await pilot.pause()
            out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out


def keys_child(which: str, document: Path, db: Path, n_keys: int) -> None:
    """Runs in its own process: prints the key timings (seconds) as JSON."""
    keys = (KEYS * n_keys)[:n_keys]
    if which == "bare":
        from textual.app import App, ComposeResult
        from textual.widgets import Static

        class Bare(App[None]):
            BINDINGS = [(k, "tick", "") for k in sorted(set(KEYS))]

            def compose(self) -> ComposeResult:
                yield Static("0", id="n")

            def action_tick(self) -> None:
                n = self.query_one("#n", Static)
                n.update(str(int(str(n.render())) + 1))

        app: object = Bare()
    else:
        from annotator.cli import tune_gc
        from annotator.tui.annotate_options import AnnotateOptions
        from annotator.tui.launch import run_annotate

        tune_gc()  # as `annotator annotate` runs it
        app, _ = run_annotate(AnnotateOptions(document, "long", labels=",".join(LABELS), db=db), "bench")
    print(orjson.dumps(asyncio.run(_time_keys(app, keys))).decode())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tokens", type=int, help="tokens in the document")
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keys-child", choices=("ours", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--document", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.keys_child:
        keys_child(args.keys_child, args.document, args.db, args.keys)
        return
    measure.compile_checkout()
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "long.jsonl"
        write_document(args.tokens, document)
        record = orjson.loads(document.read_bytes())
        print(
            f"# one document: {len(record['tokens']):,} tokens, {len(record['spans']):,} spans, "
            f"{len(record['text']):,} characters"
        )
        print(f"# {measure.load()} at the start")
        first = measure.first_words(record["text"], 16)
        paint: dict[str, list[tuple[float, float]]] = {"annotate": [], "bare Textual app": []}
        editable: list[float] = []  # until the message line no longer says the text is read-only
        for r in range(args.repeat):
            db = Path(tmp) / f"paint-{r}.db"
            commands = {
                "annotate": measure.annotator(
                    "annotate",
                    document,
                    "--dataset",
                    "long",
                    "--annotator",
                    "bench",
                    "--labels",
                    ",".join(LABELS),
                    "--db",
                    db,
                ),
                "bare Textual app": measure.script("baseline.py", "app", document),
            }
            for name, cmd in commands.items():
                term = measure.Terminal(cmd)
                try:
                    seconds = term.wait_until(lambda screen: first in measure._words(screen), timeout=900)
                    if name == "annotate":
                        editable.append(
                            term.wait_until(lambda screen: "read-only" not in screen, timeout=900)
                        )
                finally:
                    rss = term.quit()
                paint[name].append((seconds, rss))
        keys: dict[str, list[tuple[float, float]]] = {"annotate": [], "bare Textual app": []}
        rss_keys: dict[str, float] = {}
        for r in range(args.repeat):
            for name, which in (("annotate", "ours"), ("bare Textual app", "bare")):
                db = Path(tmp) / f"keys-{r}.db"
                done = measure.run(
                    [
                        sys.executable,
                        __file__,
                        str(args.tokens),
                        "--keys",
                        str(args.keys),
                        "--keys-child",
                        which,
                        "--document",
                        str(document),
                        "--db",
                        str(db),
                    ]
                )
                keys[name] += map(tuple, orjson.loads(done.stdout.strip().splitlines()[-1]))
                rss_keys[name] = max(rss_keys.get(name, 0.0), done.rss_mb)
    for name in paint:
        s = min(x for x, _ in paint[name])
        print(f"{name:<18} first screen {s:7.3f} s, {max(m for _, m in paint[name]):5.0f} MB")
    print(f"{'annotate':<18} editable     {min(editable):7.3f} s (its start is drawn read-only first)")
    floor = [statistics.median(t[i] for t in keys["bare Textual app"]) for i in (0, 1)]
    for name in keys:
        wall, cpu = (sorted(t[i] for t in keys[name]) for i in (0, 1))
        med, p95 = statistics.median(wall), wall[int(0.95 * (len(wall) - 1))]
        cpu_med = statistics.median(cpu)
        over = f" | over the floor {(med - floor[0]) * 1e3:+.1f} ms, CPU {(cpu_med - floor[1]) * 1e3:+.1f} ms"
        print(
            f"{name:<18} label + undo (l l 1 u) median {med * 1e3:6.1f} ms, p95 {p95 * 1e3:6.1f} ms, "
            f"CPU {cpu_med * 1e3:5.1f} ms, {rss_keys[name]:5.0f} MB" + (over if name == "annotate" else "")
        )
    print("goal: first screen < 3 s at 500k tokens; label + undo within 16 ms of the bare app")
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
