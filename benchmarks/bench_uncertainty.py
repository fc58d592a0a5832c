"""How well the model's doubts find its mistakes, and what they cost, on a gold file.

    python benchmarks/bench_uncertainty.py GOLD [--labels L1,L2] [--label-map M=S,...] [--model M]
        [--committee M] [--format F] [--paragraphs] [--limit N] [--json]

GOLD is read as benchmarks/simulate_session.py reads it. The model's suggestions for each task are
compared with the gold (exact spans and labels, in the scheme's labels); a task's errors are its
wrong suggestions plus the gold spans it missed. Printed, each beside its baseline from the same run:

- ordering: Spearman correlation of each task's uncertainty score with its errors, and the share of
  all errors in the fifth of the tasks with the highest scores: the summed margin, the committee's
  disagreements (--committee), against the task's length in tokens (the baseline: long tasks have
  more errors) and a random order;
- unsure marks: of the suggested spans marked unsure (margin < 0.5), the share that is wrong, against
  the share of all suggestions that is wrong; the share of wrong suggestions that are marked; AUROC of
  the span margin for telling wrong from right;
- near misses: the share that is a gold span (exact, or overlapping one), and the share of the
  missed gold spans they name;
- the places the `;` key visits (unsure spans, near misses, the suggestions' own contradictions): the
  share that needs a change, and the share of the needed changes that are among them;
- cost: CPU milliseconds per task of the greedy entity recognizer alone (the baseline), the whole
  pipeline, the step-wise decode and the committee's pipeline.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulate_session import gold_parser, read_gold  # noqa: E402  (this folder is on the path of a script)

from annotator.config import order_model_labels, resolve_scheme  # noqa: E402
from annotator.core.doubts import UNSURE, Doubts, looks  # noqa: E402
from annotator.core.model import Annotation, Task  # noqa: E402
from annotator.nlp.examples import task_doc  # noqa: E402
from annotator.nlp.model import entity_labels, load_model, model_name  # noqa: E402
from annotator.nlp.preannotate import suggest  # noqa: E402
from annotator.nlp.uncertainty import StepDecoder, committee_doubts, margin_doubts  # noqa: E402

Key = tuple[int, int, str]  # token start, token end (inclusive), label


def ranks(values: list[float]) -> list[float]:
    """Ranks from 1, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


def top_fifth_share(scores: list[float], errors: list[int]) -> float:
    """The share of all errors in the fifth of the tasks with the highest scores (ties broken by
    source order, as the uncertain order breaks them)."""
    k = max(1, round(len(scores) / 5))
    top = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    total = sum(errors)
    return sum(errors[i] for i in top) / total if total else 0.0


def auroc(wrong: list[float], right: list[float]) -> float:
    """The chance that a wrong span's margin is below a right one's (ties count half)."""
    if not wrong or not right:
        return float("nan")
    below = sum((w < r) + 0.5 * (w == r) for w in wrong for r in right)
    return below / (len(wrong) * len(right))


def keys(annotation: Annotation, labels: tuple[str, ...]) -> set[Key]:
    return {(s.token_start, s.token_end, s.label) for s in annotation.spans if s.label in labels}


def cpu_ms(run: Any, n: int) -> float:
    start = time.process_time()
    run()
    return 1000 * (time.process_time() - start) / n


def measure(
    pairs: list[tuple[Task, Annotation]],
    model: str | None,
    committee: str | None,
    labels: str | None,
    label_map: str | None,
) -> dict[str, Any]:
    nlp = load_model(model)
    if labels is None:
        labels = ",".join(order_model_labels(sorted({s.label for _, a in pairs for s in a.spans})))
    scheme = resolve_scheme(labels, None, None, entity_labels(nlp), [], label_map)
    name = model_name(nlp)
    tasks = [t for t, _ in pairs]
    n = len(tasks)

    cost: dict[str, float] = {}
    with nlp.select_pipes(enable=["ner"]):
        cost["greedy entity recognizer (baseline)"] = cpu_ms(
            lambda: list(nlp.pipe(task_doc(nlp.vocab, t) for t in tasks)), n
        )
    docs: list[Any] = []
    cost["whole pipeline"] = cpu_ms(lambda: docs.extend(nlp.pipe(task_doc(nlp.vocab, t) for t in tasks)), n)
    decoder = StepDecoder(nlp)
    decoded: list[Any] = []
    cost["step-wise decode"] = cpu_ms(lambda: decoded.extend(decoder(docs)), n)
    margins = [margin_doubts(doc, d, scheme, name) for doc, d in zip(docs, decoded, strict=True)]
    by_committee: list[Doubts] | None = None
    if committee:
        other = load_model(committee)
        others: list[Any] = []
        cost["committee's pipeline"] = cpu_ms(
            lambda: others.extend(other.pipe(task_doc(other.vocab, t) for t in tasks)), n
        )
        by_committee = [committee_doubts(d, o, scheme, name) for d, o in zip(docs, others, strict=True)]

    suggestions = [suggest(doc, t, scheme, name, None) for doc, t in zip(docs, tasks, strict=True)]
    errors: list[int] = []
    unsure_wrong = unsure_all = wrong_all = all_spans = wrong_marked = 0
    wrong_margins: list[float] = []
    right_margins: list[float] = []
    near_exact = near_overlap = near_all = missed_all = missed_named = 0
    look_all = look_useful = changes_all = changes_found = 0
    for (task, gold), sugg, d, dec in zip(pairs, suggestions, margins, decoded, strict=True):
        want, got = keys(gold, scheme.labels), keys(sugg, scheme.labels)
        errors.append(len(got - want) + len(want - got))
        unsure = {(p.token_start, p.token_end, p.label) for p in d.places if not p.missed}
        for k in got:
            margin = min(dec.margins[k[0] : k[1] + 1])
            wrong = k not in want
            all_spans += 1
            wrong_all += wrong
            unsure_all += k in unsure
            unsure_wrong += wrong and k in unsure
            wrong_marked += wrong and k in unsure
            (wrong_margins if wrong else right_margins).append(margin)
        missed = want - got
        missed_all += len(missed)
        for p in (p for p in d.places if p.missed):
            near_all += 1
            near_exact += (p.token_start, p.token_end, p.label) in want
            near_overlap += any(a <= p.token_end and p.token_start <= b for a, b, _ in want)
        missed_named += sum(
            any(p.missed and p.token_start <= b and a <= p.token_end for p in d.places) for a, b, _ in missed
        )
        places = looks(task, sugg, d)
        wrong_keys = got - want
        by_sid = {s.sid: (s.token_start, s.token_end, s.label) for s in sugg.spans}
        looked_at = {by_sid[look.sid] for look in places if look.sid is not None}
        gaps = [(look.token_start, look.token_end) for look in places if look.sid is None]
        look_all += len(places)
        look_useful += len(looked_at & wrong_keys)
        look_useful += sum(any(a <= e and s <= b for a, b, _ in missed) for s, e in gaps)
        changes_all += len(wrong_keys) + len(missed)
        changes_found += len(looked_at & wrong_keys)
        changes_found += sum(any(s <= b and a <= e for s, e in gaps) for a, b, _ in missed)

    lengths = [float(len(t.tokens)) for t in tasks]
    rng = random.Random(0)
    shuffled = [rng.random() for _ in tasks]
    orders: dict[str, list[float]] = {
        "random (baseline)": shuffled,
        "length in tokens (baseline)": lengths,
        "summed margin": [d.score for d in margins],
    }
    if by_committee is not None:
        orders["committee disagreements"] = [d.score for d in by_committee]
    return {
        "tasks": n,
        "tokens": int(sum(lengths)),
        "errors": sum(errors),
        "ordering": {
            k: {
                "spearman": round(spearman(v, [float(e) for e in errors]), 3),
                "top_fifth_share": round(top_fifth_share(v, errors), 3),
            }
            for k, v in orders.items()
        },
        "unsure": {
            "threshold": UNSURE,
            "suggestions": all_spans,
            "wrong_share_all (baseline)": round(wrong_all / all_spans, 3) if all_spans else None,
            "marked": unsure_all,
            "wrong_share_marked": round(unsure_wrong / unsure_all, 3) if unsure_all else None,
            "wrong_marked_share": round(wrong_marked / wrong_all, 3) if wrong_all else None,
            "margin_auroc": round(auroc(wrong_margins, right_margins), 3),
        },
        "near_misses": {
            "count": near_all,
            "exact_gold_share": round(near_exact / near_all, 3) if near_all else None,
            "overlap_gold_share": round(near_overlap / near_all, 3) if near_all else None,
            "missed_gold": missed_all,
            "missed_gold_named_share": round(missed_named / missed_all, 3) if missed_all else None,
        },
        "looks": {
            "count": look_all,
            "need_a_change_share": round(look_useful / look_all, 3) if look_all else None,
            "changes": changes_all,
            "changes_found_share": round(changes_found / changes_all, 3) if changes_all else None,
        },
        "cpu_ms_per_task": {k: round(v, 2) for k, v in cost.items()},
    }


def main() -> None:
    args = gold_parser(__doc__).parse_args()
    pairs = read_gold(args.gold, args.format, args.paragraphs)
    if args.limit:
        pairs = pairs[: args.limit]
    out = measure(pairs, args.model, args.committee, args.labels, args.label_map)
    if args.json:
        print(orjson.dumps(out).decode())
        return
    print(f"{args.gold}: {out['tasks']} tasks, {out['tokens']} tokens, {out['errors']} errors of the model")
    print("ordering tasks by            Spearman with errors   share of errors in the top fifth")
    for k, v in out["ordering"].items():
        print(f"  {k:<28} {v['spearman']:>8.3f}               {v['top_fifth_share']:>6.1%}")
    u = out["unsure"]
    print(
        f"unsure marks (margin < {u['threshold']}): {u['marked']} of {u['suggestions']} suggestions; wrong among them "
        f"{u['wrong_share_marked']}, among all suggestions {u['wrong_share_all (baseline)']} (baseline); "
        f"{u['wrong_marked_share']} of the wrong ones marked; margin AUROC {u['margin_auroc']}"
    )
    m = out["near_misses"]
    print(
        f"near misses: {m['count']}; a gold span exactly {m['exact_gold_share']}, overlapping one {m['overlap_gold_share']}; "
        f"they name {m['missed_gold_named_share']} of the {m['missed_gold']} gold spans the model missed"
    )
    lk = out["looks"]
    print(
        f"places the ; key visits: {lk['count']}, of which {lk['need_a_change_share']} need a change; "
        f"they hold {lk['changes_found_share']} of the {lk['changes']} changes the gold needs"
    )
    print("CPU ms per task: " + ", ".join(f"{k} {v}" for k, v in out["cpu_ms_per_task"].items()))


if __name__ == "__main__":
    main()
