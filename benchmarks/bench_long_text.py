"""A long plain text (10 MB by default) annotated with the real model: peak resident memory of the
annotate app, from its start until every part is prepared and each was labelled and accepted, and
of `preannotate` on the same text; each beside the same run on the bundled article (3 kB).

    python benchmarks/bench_long_text.py [--mb 10]

The text is the bundled article repeated (paragraphs apart) to the size. `annotate` makes it
several tasks of at most 1,000,000 characters (its parts) and the model reads each in pieces of at
most 10,000 characters; the app runs through Textual's Pilot in its own process, presses `1` (a
label) and `a` (accept) on every part as it opens, and quits when the feed is done. Peak resident
memory is the process's own (``os.wait4``). Goal (issue 8): a 10 MB text annotatable in < 600 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import measure
import orjson

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "annotator" / "data" / "defense-ministers-seoul.txt"
LABELS = "PERSON,ORG,GPE,NORP,DATE"


def write_text(mb: float, path: Path) -> None:
    article = SAMPLE.read_text(encoding="utf-8").strip()
    copies = max(1, int(mb * 1_000_000 / (len(article.encode()) + 2)))
    path.write_text("\n\n".join([article] * copies) + "\n", encoding="utf-8")


async def _annotate(app: object) -> dict[str, float]:
    """Label and accept every part as it opens; the times to the first part and to the end."""
    from annotator.tui.app import AnnotatorApp

    assert isinstance(app, AnnotatorApp)
    t0 = time.perf_counter()
    first = 0.0
    done = 0
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            await pilot.pause(0.2)
            s = app.session
            if s.current is not None:
                first = first or time.perf_counter() - t0
                await pilot.press("1", "a")
                await pilot.pause()
                done += 1
            elif s.finished:
                break
        await pilot.press("q")
    return {"first": first, "all": time.perf_counter() - t0, "accepted": done}


def child(source: Path, db: Path) -> None:
    from annotator.tui.annotate_options import AnnotateOptions
    from annotator.tui.launch import run_annotate

    app, _ = run_annotate(AnnotateOptions(source, "long", labels=LABELS, db=db), "bench")
    out = asyncio.run(_annotate(app))
    if app.problems or app.feed_error:
        raise SystemExit(f"the feed reported: {app.feed_error or app.problems[0]}")
    # Counted one task at a time: holding every part's tokens at once (1.77 million of them for
    # 10 MB) took 340 MB of this process, which the peak below would have charged to the app.
    with app.session.store as store:
        ids = store.task_ids("long")
        tokens = sum(len(store.task(i).tokens) for i in ids)
    out.update(parts=len(ids), tokens=tokens)
    print(orjson.dumps(out).decode())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--no-preannotate", action="store_true", help="measure annotate only")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db)
        return
    print(f"# {measure.load()} at the start", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.txt"
        write_text(args.mb, big)
        print(f"# {big.stat().st_size:,} bytes of text", flush=True)
        for name, source in (("the article (baseline)", SAMPLE), (f"{args.mb:g} MB text", big)):
            run = measure.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(source),
                    "--db",
                    str(Path(tmp) / f"{source.stem}.db"),
                ]
            )
            got = orjson.loads(run.stdout.strip().splitlines()[-1])
            print(
                f"annotate {name:<24} {run.rss_mb:6.0f} MB peak | {got['parts']} task(s), {got['tokens']:,} tokens | "
                f"first task {got['first']:.1f} s, all prepared and accepted {got['all']:.0f} s",
                flush=True,
            )
            if args.no_preannotate:
                continue
            out = Path(tmp) / f"{source.stem}.jsonl"
            run = measure.run(measure.annotator("preannotate", source, "-o", out, "--labels", LABELS))
            print(f"preannotate {name:<21} {run.rss_mb:6.0f} MB peak | {run.seconds:.0f} s", flush=True)
    print("goal: a 10 MB text annotatable in < 600 MB resident")
    print(f"# {measure.load()} at the end")


if __name__ == "__main__":
    main()
