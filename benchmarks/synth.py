"""Synthetic gold-schema tasks from real English sentences, for the scale benchmarks.

    python benchmarks/synth.py N [--out DIR] [--seed 0]

Writes ``DIR/a.jsonl`` and ``DIR/b.jsonl`` (default DIR: ``$ANNOTATOR_BENCH_DIR/synth-N``, else
``/tmp/annotator-bench/synth-N``): N tasks each, in the same order, as two annotators' accepted
work in the gold schema (text, tokens, spans, relations, answer, ``_annotator_id``).

Each task is 1-3 consecutive sentences of real English text (about 31 tokens), with about 2.8
entity spans and 0.66 relations: the shape of the data that was profiled in
``shared/notes/scale-profile.md``. Spans sit on runs of capitalised words and on numbers, as an NER
model's would; relations link span pairs that the news scheme allows (PERSON MET PERSON, PERSON
VISITED GPE, ...). Annotator B's version perturbs 10% of A's spans: a different label, a boundary one
token off, or the span deleted (with its relations).

Sentences come from gensim's Lee corpus when gensim is installed (its files are read; gensim is
not imported), else from the bundled article and the public-domain novels in the test fixtures.
Texts are unique (a text repeated would be one task): a combination already used is drawn again.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from annotator.core.hashing import input_hash  # noqa: E402
from annotator.core.model import Annotation, Relation, Span, Task, Token  # noqa: E402
from annotator.core.records import to_record  # noqa: E402
from annotator.core.tokenize import provisional_tokens  # noqa: E402

SPANS_PER_TASK = 2.78
RELATIONS_PER_TASK = 0.66
PERTURBED = 0.10
SENTENCES_PER_TASK = (1, 2, 3)
# Short sentences (15 tokens on average in the Lee corpus), so that 1-3 of them make ~31 tokens.
MAX_WORDS = 16
ENTITY_LABELS = ("PERSON", "ORG", "GPE", "NORP")
NUMBER_LABELS = ("DATE", "CARDINAL")
# (head label, child label) -> relation label, as the news scheme allows them.
RELATION_FOR = {
    ("PERSON", "PERSON"): "MET",
    ("PERSON", "GPE"): "VISITED",
    ("PERSON", "ORG"): "AFFILIATED_WITH",
    ("PERSON", "NORP"): "AFFILIATED_WITH",
    ("ORG", "GPE"): "LOCATED_IN",
}
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’']))\s+(?=[\"“‘']?[A-Z])")
_WORD = re.compile(r"\w")


def default_dir(n: int) -> Path:
    base = Path(os.environ.get("ANNOTATOR_BENCH_DIR", "/tmp/annotator-bench"))
    return base / f"synth-{n}"


def _lee_files() -> list[Path]:
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:
        return []
    data = Path(spec.origin).parent / "test" / "test_data"
    return [p for p in (data / "lee_background.cor", data / "lee.cor") if p.is_file()]


def _fixture_texts() -> Iterator[str]:
    yield (ROOT / "annotator" / "data" / "defense-ministers-seoul.txt").read_text(encoding="utf-8")
    novels = ROOT / "tests" / "fixtures" / "agreement" / "novels" / "original_data"
    for path in sorted(novels.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            text = orjson.loads(line).get("text")
            if isinstance(text, str):
                yield text


def sentences() -> tuple[list[str], str]:
    """Real English sentences and where they came from."""
    files = _lee_files()
    if files:
        texts: Iterator[str] = (line for p in files for line in p.read_text(encoding="latin-1").splitlines())
        origin = "gensim's Lee corpus (" + ", ".join(p.name for p in files) + ")"
    else:
        texts = _fixture_texts()
        origin = "the bundled article and the novels of tests/fixtures (gensim is not installed)"
    out: list[str] = []
    for text in texts:
        for sentence in _SENTENCE_END.split(" ".join(text.split())):
            n_words = len(sentence.split())
            if 4 <= n_words <= MAX_WORDS:
                out.append(sentence)
    return out, origin


def _candidates(tokens: tuple[Token, ...]) -> list[tuple[int, int, bool]]:
    """Runs of capitalised words (not opening a sentence) and numbers: (first, last, is_number)."""
    out = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        first_of_sentence = i == 0 or tokens[i - 1].text in {".", "!", "?", '"', "“"}
        if tok.text[:1].isupper() and not first_of_sentence:
            j = i
            while j + 1 < len(tokens) and tokens[j + 1].text[:1].isupper() and j - i < 3:
                j += 1
            out.append((i, j, False))
            i = j + 1
        elif tok.text[:1].isdigit():
            out.append((i, i, True))
            i += 1
        else:
            i += 1
    return out


def _count(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth): spans and relations vary from task to task around their mean."""
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def annotate(rng: random.Random, tokens: tuple[Token, ...]) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
    """A's spans and relations for one task."""
    cands = _candidates(tokens)
    words = [i for i, t in enumerate(tokens) if _WORD.match(t.text)]
    want = _count(rng, SPANS_PER_TASK)
    picked = rng.sample(cands, min(want, len(cands)))
    taken = {k for first, last, _ in picked for k in range(first, last + 1)}
    spans_at: list[tuple[int, int, str]] = []
    for first, last, number in picked:
        spans_at.append((first, last, rng.choice(NUMBER_LABELS if number else ENTITY_LABELS)))
    rng.shuffle(words)
    for i in words:  # too few candidates: lower-case words stand in (as a model's misses do)
        if len(spans_at) >= want:
            break
        if i not in taken:
            taken.add(i)
            spans_at.append((i, i, rng.choice(ENTITY_LABELS)))
    spans_at.sort()
    spans = tuple(
        Span(tokens[a].start, tokens[b].end, a, b, label, None, sid)
        for sid, (a, b, label) in enumerate(spans_at, start=1)
    )
    pairs = [(h, c) for h in spans for c in spans if h is not c and (h.label, c.label) in RELATION_FOR]
    relations: list[Relation] = []
    # 0.66 a task overall, from the tasks that have a pair the scheme allows.
    want_rel = _count(rng, RELATIONS_PER_TASK * 2.4) if pairs else 0
    for head, child in rng.sample(pairs, min(want_rel, len(pairs))):
        relations.append(Relation(head.sid, child.sid, RELATION_FOR[(head.label, child.label)]))
    return spans, tuple(relations)


def perturb(
    rng: random.Random, tokens: tuple[Token, ...], spans: tuple[Span, ...], relations: tuple[Relation, ...]
) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
    """B's version: each span changed with probability PERTURBED (label, boundary or deleted)."""
    out: list[Span] = []
    occupied = {k for s in spans for k in range(s.token_start, s.token_end + 1)}
    dropped: set[int] = set()
    for s in spans:
        if rng.random() >= PERTURBED:
            out.append(s)
            continue
        kind = rng.random()
        if kind < 0.4:
            labels = NUMBER_LABELS if s.label in NUMBER_LABELS else ENTITY_LABELS
            out.append(
                Span(
                    s.start,
                    s.end,
                    s.token_start,
                    s.token_end,
                    rng.choice([x for x in labels if x != s.label]),
                    None,
                    s.sid,
                )
            )
        elif kind < 0.8:
            a, b = s.token_start, s.token_end
            if b > a and rng.random() < 0.5:
                b -= 1  # shrink at the end
            elif b + 1 < len(tokens) and b + 1 not in occupied and _WORD.match(tokens[b + 1].text):
                b += 1  # grow at the end
                occupied.add(b)
            elif a > 0 and a - 1 not in occupied and _WORD.match(tokens[a - 1].text):
                a -= 1
                occupied.add(a)
            else:
                dropped.add(s.sid)
                continue
            out.append(Span(tokens[a].start, tokens[b].end, a, b, s.label, None, s.sid))
        else:
            dropped.add(s.sid)
    kept = tuple(r for r in relations if r.head not in dropped and r.child not in dropped)
    return tuple(out), kept


@dataclass
class Summary:
    tasks: int = 0
    tokens: int = 0
    spans: int = 0
    relations: int = 0
    bytes_a: int = 0


def generate(n: int, out: Path, seed: int = 0) -> Summary:
    pool, origin = sentences()
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    seen: set[int] = set()
    summary = Summary()
    tmp_a, tmp_b = out / "a.jsonl.part", out / "b.jsonl.part"
    with open(tmp_a, "wb") as fa, open(tmp_b, "wb") as fb:
        for i in range(n):
            size = rng.choice(SENTENCES_PER_TASK)
            for attempt in range(50):
                text = " ".join(pool[k] for k in rng.sample(range(len(pool)), size))
                ihash = input_hash(text)
                if ihash not in seen:
                    break
                if attempt % 5 == 4:
                    size = min(size + 1, 3)  # the shorter combinations run out first at 1M
            else:
                text += f" ({i})"
                ihash = input_hash(text)
            seen.add(ihash)
            tokens = provisional_tokens(text)
            task = Task(text, tokens, ihash, {"source": "synthetic", "n": i})
            spans, relations = annotate(rng, tokens)
            b_spans, b_relations = perturb(rng, tokens, spans, relations)
            rec_a = to_record(task, Annotation(spans, relations, "accept", "A", "synth-A", 1764097200 + i))
            rec_b = to_record(
                task, Annotation(b_spans, b_relations, "accept", "B", "synth-B", 1764097200 + i)
            )
            line_a = orjson.dumps(rec_a, option=orjson.OPT_APPEND_NEWLINE)
            fa.write(line_a)
            fb.write(orjson.dumps(rec_b, option=orjson.OPT_APPEND_NEWLINE))
            summary.tasks += 1
            summary.tokens += len(tokens)
            summary.spans += len(spans)
            summary.relations += len(relations)
            summary.bytes_a += len(line_a)
    tmp_a.replace(out / "a.jsonl")
    tmp_b.replace(out / "b.jsonl")
    (out / "ORIGIN").write_text(
        f"{n} tasks, seed {seed}, sentences from {origin}; {summary.tokens / max(n, 1):.1f} tokens, "
        f"{summary.spans / max(n, 1):.2f} spans, {summary.relations / max(n, 1):.2f} relations, "
        f"{summary.bytes_a / max(n, 1) / 1000:.2f} KB of JSONL a task\n",
        encoding="utf-8",
    )
    return summary


def ensure(n: int, out: Path | None = None, seed: int = 0) -> Path:
    """The folder with a.jsonl and b.jsonl of n tasks, generated on first use."""
    folder = out if out is not None else default_dir(n)
    if not (folder / "a.jsonl").is_file() or not (folder / "b.jsonl").is_file():
        t0 = time.perf_counter()
        generate(n, folder, seed)
        print(
            f"generated {n:,} synthetic tasks in {time.perf_counter() - t0:.1f} s: {folder}", file=sys.stderr
        )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, help="number of tasks")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = args.out if args.out is not None else default_dir(args.n)
    t0 = time.perf_counter()
    generate(args.n, folder, args.seed)
    print(f"{folder}: {(folder / 'ORIGIN').read_text().strip()} ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
