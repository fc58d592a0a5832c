"""Throughput of `preannotate` against bare `nlp.pipe`, same model, same batch size, same run.

    python benchmarks/bench_preannotate.py [--docs 300] [--batch-size 64] [--rounds 3] [--model M]

The corpus is the sample article cut into documents of 2 to 6 paragraphs (rotating, so lengths
and texts vary; each starts with its number, so no two are the same), written as a JSONL of
{"text": ...} records. "bare" is `for doc in nlp.pipe(texts, batch_size=B, n_process=N): pass` over
the same texts already in memory. "preannotate" is what `annotator preannotate` runs: read the
JSONL, pipe it, turn every Doc into a task with suggested spans and rule-suggested relations, and
write gold-schema JSONL to a temporary file renamed into place. Both run with --n-process 1 and 2,
interleaved round by round; the best round of each is reported (the machine is shared, so the best
is the least disturbed), with the median beside it. With one process the CPU time of this process
is measured too: it does not count time the machine gave to other processes, so its ratio is the
steadiest figure on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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


def timed(run: Callable[[], int]) -> tuple[float, float, int]:
    """Wall-clock seconds, CPU seconds of this process, tokens."""
    start, cpu = time.perf_counter(), time.process_time()
    tokens = run()
    return time.perf_counter() - start, time.process_time() - cpu, tokens


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

        def pre(n_process: int) -> Callable[[], int]:
            def run() -> int:
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
                assert result.tasks == n_docs and not result.problems
                return result.tokens

            return run

        list(nlp.pipe(texts[:8], batch_size=args.batch_size))  # warm up
        times: dict[tuple[str, int], list[float]] = {}
        cpu_times: dict[str, list[float]] = {}
        tokens = 0
        for r in range(args.rounds):
            for n_process in args.n_process:
                # alternate which goes first, so that neither always gets the warmer cache
                order = [("bare", bare(n_process)), ("preannotate", pre(n_process))]
                for kind, run in order if r % 2 == 0 else order[::-1]:
                    seconds, cpu, tokens = timed(run)
                    times.setdefault((kind, n_process), []).append(seconds)
                    if n_process == 1:
                        cpu_times.setdefault(kind, []).append(cpu)
        spans = sum(1 for _ in out.read_bytes().splitlines())
        assert spans == n_docs

    print(
        f"model {display_name(nlp)}, spaCy {spacy.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(
        f"{n_docs} docs, {tokens} tokens, batch size {args.batch_size}, {args.rounds} rounds (best / median)"
    )
    for n_process in args.n_process:
        rows = {}
        for kind in ("bare", "preannotate"):
            best, median = min(times[(kind, n_process)]), statistics.median(times[(kind, n_process)])
            rows[kind] = (best, median)
            print(
                f"  n_process={n_process} {kind:<12} {n_docs / best:7.1f} docs/s {tokens / best:9.0f} tokens/s"
                f"   (median {n_docs / median:6.1f} docs/s)"
            )
        ratio_best = rows["bare"][0] / rows["preannotate"][0]
        ratio_median = rows["bare"][1] / rows["preannotate"][1]
        print(f"  n_process={n_process} preannotate / bare: {ratio_best:.3f} (median {ratio_median:.3f})")
        if n_process == 1:
            for kind in ("bare", "preannotate"):
                best = min(cpu_times[kind])
                print(
                    f"  n_process=1 {kind:<12} {n_docs / best:7.1f} docs/s {tokens / best:9.0f} tokens/s of CPU time"
                )
            cpu_ratio = min(cpu_times["bare"]) / min(cpu_times["preannotate"])
            cpu_median = statistics.median(cpu_times["bare"]) / statistics.median(cpu_times["preannotate"])
            print(f"  n_process=1 preannotate / bare, CPU time: {cpu_ratio:.3f} (median {cpu_median:.3f})")
    if 1 in args.n_process:
        for n_process in args.n_process:
            if n_process == 1:
                continue
            for kind in ("bare", "preannotate"):
                scale = min(times[(kind, 1)]) / min(times[(kind, n_process)])
                print(f"  scaling {kind:<12} n_process={n_process} vs 1: x{scale:.2f}")


if __name__ == "__main__":
    main()
