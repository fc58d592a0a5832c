"""Precision/recall of the default suggestions against the hand-made gold of the sample article.

    python benchmarks/eval_suggestions.py [--model M] [--relation-rules F] [--details]

Entities: the model's spans in the default scheme (every label the model predicts) against
tests/data/sample_gold.jsonl, exact offsets and label. Relations: the default rules, (a) end to end,
on the model's own entity spans, as an annotator first sees them, and (b) on the gold entity spans,
which measures the rules apart from the entity errors. A relation matches on both arguments' offsets
and its label; MET is undirected.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.config import resolve_scheme  # noqa: E402
from annotator.core.model import Annotation, Task  # noqa: E402
from annotator.core.records import from_record  # noqa: E402
from annotator.nlp.model import entity_labels, load_model, model_name  # noqa: E402
from annotator.nlp.preannotate import doc_to_task  # noqa: E402
from annotator.nlp.relations import RelationSuggester  # noqa: E402
from annotator.nlp.scoring import RelKey, relation_keys, score_relations, score_spans, span_keys  # noqa: E402

GOLD = ROOT / "tests" / "data" / "sample_gold.jsonl"
CORE_LABELS = ("PERSON", "ORG", "GPE", "NORP", "DATE")


def load_gold(path: Path = GOLD) -> tuple[Task, Annotation]:
    return from_record(orjson.loads(path.read_bytes().splitlines()[0]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None)
    parser.add_argument("--relation-rules", type=Path, default=None)
    parser.add_argument("--details", action="store_true", help="list every miss and false suggestion")
    args = parser.parse_args()

    nlp = load_model(args.model)
    name = model_name(nlp)
    gold_task, gold = load_gold()
    scheme = resolve_scheme(None, None, None, entity_labels(nlp))
    suggester = RelationSuggester.from_file(nlp.vocab, scheme, args.relation_rules, model_source=name)
    symmetric = suggester.ruleset.symmetric
    doc = nlp(gold_task.text)
    task, predicted = doc_to_task(doc, gold_task.meta, scheme, name, suggester)
    if task.tokens != gold_task.tokens:
        raise SystemExit(
            "the model's tokens differ from the gold's; rebuild it with tests/data/make_sample_gold.py"
        )
    on_gold = Annotation(gold.spans, tuple(suggester(doc, gold.spans)))

    print(
        f"model {name}; gold {GOLD.relative_to(ROOT)}: {len(gold.spans)} spans, {len(gold.relations)} relations"
    )
    print(f"entities, all labels             {score_spans(predicted, gold)}")
    print(f"entities, {'/'.join(CORE_LABELS):<22} {score_spans(predicted, gold, CORE_LABELS)}")
    for label in sorted({s.label for s in gold.spans} | {s.label for s in predicted.spans}):
        print(f"  {label:<12}{score_spans(predicted, gold, {label})}")
    print(f"relations, on model entities     {score_relations(predicted, gold, symmetric)}")
    print(f"relations, on gold entities      {score_relations(on_gold, gold, symmetric)}")
    for label in scheme.relation_labels:
        print(
            f"  {label:<16}model ents {score_relations(predicted, gold, symmetric, {label})}\n"
            f"  {'':<16}gold ents  {score_relations(on_gold, gold, symmetric, {label})}"
        )
    if args.details:
        text = gold_task.text

        def show(key: tuple[int, int, str]) -> str:
            return f"{text[key[0] : key[1]]!r} {key[2]} @{key[0]}"

        g_spans, p_spans = span_keys(gold), span_keys(predicted)
        print("\nentity misses:", *(show(k) for k in sorted(g_spans - p_spans)), sep="\n  ")
        print("entity false suggestions:", *(show(k) for k in sorted(p_spans - g_spans)), sep="\n  ")
        for what, ann in (("model entities", predicted), ("gold entities", on_gold)):
            g_rels, p_rels = relation_keys(gold, symmetric), relation_keys(ann, symmetric)

            def rel(k: RelKey) -> str:
                return f"{text[k[0][0] : k[0][1]]!r} {k[2]} {text[k[1][0] : k[1][1]]!r} @{k[0][0]}"

            print(f"relation misses ({what}):", *(rel(k) for k in sorted(g_rels - p_rels)), sep="\n  ")
            print(
                f"relation false suggestions ({what}):",
                *(rel(k) for k in sorted(p_rels - g_rels)),
                sep="\n  ",
            )


if __name__ == "__main__":
    main()
