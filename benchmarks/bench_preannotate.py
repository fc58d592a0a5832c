"""Throughput of `preannotate` against bare `nlp.pipe`, same model, same batch size, same run.

    python benchmarks/bench_preannotate.py [--docs 300] [--batch-size 64] [--rounds 3] [--model M]

The corpus is the sample article cut into documents of 2 to 6 paragraphs (rotating, so lengths
and texts vary; each starts with its number, so no two are the same), written as a JSONL of
{"text": ...} records. "bare" is `for doc in nlp.pipe(texts, batch_size=B, n_process=N): pass` over
the same texts already in memory. "preannotate" is what `annotator preannotate` runs: read the
JSONL, pipe it, turn every Doc into a task with suggested spans and rule-suggested relations, and
write gold-schema JSONL to a temporary file renamed into place. Both run with --n-process 1 and 2,
interleaved round by round (which goes first alternates). On a shared machine the speed drifts
from minute to minute, so the ratio is taken within each round, between two runs made seconds apart,
and the median of those ratios is the figure to read; the best round of each kind is shown too.
With one process, the preannotate runs also clock the time spent inside nlp.pipe itself (minus the
time it spends pulling records from the reader): the pipeline's share of the whole run is the same
ratio measured within one run, untouched by the machine's drift, and the steadiest figure here.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import spacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.config import resolve_scheme  # noqa: E402
from annotator.nlp.batch import preannotate_file  # noqa: E402
from annotator.nlp.model import display_name, entity_labels, load_model, model_name  # noqa: E402
from annotator.nlp.relations import RelationSuggester  # noqa: E402

SAMPLE = ROOT / "annotator" / "data" / "defense-ministers-seoul.txt"


def corpus(n: int) -> list[str]:
    paragraphs = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n") if p.strip()]
    texts = []
    for i in range(n):
        length = 2 + i % 5
        picked = [paragraphs[(i + k) % len(paragraphs)] for k in range(length)]
        texts.append(f"({i + 1}) " + "\n".join(picked))
    return texts


class PipeClock:
    """Stands in for nlp.pipe and adds up the time spent inside it, not counting its input."""

    def __init__(self, pipe: Callable[..., Iterator[Any]]) -> None:
        self.pipe = pipe
        self.inside = 0.0
        self.active = False

    def __call__(self, texts: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
        if self.active:  # Language.pipe(as_tuples=True) calls self.pipe again inside: time it once
            yield from self.pipe(texts, **kwargs)
            return
        self.active = True
        feeding = 0.0

        def feed() -> Iterator[Any]:
            nonlocal feeding
            it = iter(texts)
            while True:
                start = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    feeding += time.perf_counter() - start
                    return
                feeding += time.perf_counter() - start
                yield item

        docs = self.pipe(feed(), **kwargs)
        while True:
            start = time.perf_counter()
            try:
                doc = next(docs)
            except StopIteration:
                self.inside += time.perf_counter() - start
                break
            self.inside += time.perf_counter() - start
            yield doc
        self.inside -= feeding
        self.active = False


def timed(run: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    tokens = run()
    return time.perf_counter() - start, tokens


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=None)
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    nlp = load_model(args.model)
    name = model_name(nlp)
    scheme = resolve_scheme(None, None, None, entity_labels(nlp))
    suggester = RelationSuggester(nlp.vocab, scheme, model_source=name)
    texts = corpus(args.docs)
    n_docs = len(texts)

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "corpus.jsonl"
        source.write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in texts))
        out = Path(tmp) / "out.jsonl"

        def bare(n_process: int) -> Callable[[], int]:
            def run() -> int:
                return sum(
                    len(doc) for doc in nlp.pipe(texts, batch_size=args.batch_size, n_process=n_process)
                )

            return run

        shares: list[float] = []

        def pre(n_process: int) -> Callable[[], int]:
            def run() -> int:
                clock = PipeClock(nlp.pipe)
                if n_process == 1:
                    nlp.pipe = clock  # type: ignore[method-assign]
                start = time.perf_counter()
                try:
                    result = preannotate_file(
                        source,
                        out,
                        nlp,
                        scheme,
                        model_name=name,
                        relation_suggester=suggester,
                        batch_size=args.batch_size,
                        n_process=n_process,
                    )
                finally:
                    if n_process == 1:
                        del nlp.pipe  # back to the class's method
                if n_process == 1:
                    shares.append(clock.inside / (time.perf_counter() - start))
                assert result.tasks == n_docs and not result.problems
                return result.tokens

            return run

        list(nlp.pipe(texts[:8], batch_size=args.batch_size))  # warm up
        times: dict[tuple[str, int], list[float]] = {}
        tokens = 0
        for r in range(args.rounds):
            for n_process in args.n_process:
                # alternate which goes first, so that neither always gets the warmer cache
                order = [("bare", bare(n_process)), ("preannotate", pre(n_process))]
                for kind, run in order if r % 2 == 0 else order[::-1]:
                    seconds, tokens = timed(run)
                    times.setdefault((kind, n_process), []).append(seconds)
        assert len(out.read_bytes().splitlines()) == n_docs

    print(
        f"model {display_name(nlp)}, spaCy {spacy.about.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(
        f"{n_docs} docs, {tokens} tokens, batch size {args.batch_size}, {args.rounds} rounds (best / median)"
    )
    for n_process in args.n_process:
        for kind in ("bare", "preannotate"):
            best, median = min(times[(kind, n_process)]), statistics.median(times[(kind, n_process)])
            print(
                f"  n_process={n_process} {kind:<12} {n_docs / best:7.1f} docs/s {tokens / best:9.0f} tokens/s"
                f"   (median {n_docs / median:6.1f} docs/s)"
            )
        paired = sorted(
            b / p for b, p in zip(times[("bare", n_process)], times[("preannotate", n_process)], strict=True)
        )
        print(
            f"  n_process={n_process} preannotate / bare, per round: median {statistics.median(paired):.3f} "
            f"(rounds: {', '.join(f'{r:.3f}' for r in paired)})"
        )
        if n_process == 1 and shares:
            print(
                f"  n_process=1 time inside nlp.pipe / whole preannotate run: median "
                f"{statistics.median(shares):.3f} (rounds: {', '.join(f'{x:.3f}' for x in sorted(shares))})"
            )
    if 1 in args.n_process:
        for n_process in args.n_process:
            if n_process == 1:
                continue
            for kind in ("bare", "preannotate"):
                scale = min(times[(kind, 1)]) / min(times[(kind, n_process)])
                print(f"  scaling {kind:<12} n_process={n_process} vs 1: x{scale:.2f}")


if __name__ == "__main__":
    main()
