"""How well a pipeline's suggestions match stored annotations: entities by spaCy's own ``Scorer``,
relations (the rules and any relation component, on the model's entities) by exact argument
offsets and label."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Example

from annotator.core.display import visible
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.nlp.examples import entity_doc, task_doc
from annotator.nlp.preannotate import suggest
from annotator.nlp.relations import RelationSuggester
from annotator.nlp.scoring import Score, score_relations


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float

    def to_json(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class EvalReport:
    model: str
    tasks: int
    ents: PRF
    per_label: dict[str, PRF]
    relations: PRF
    relation_counts: Score

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tasks": self.tasks,
            "ents": {**self.ents.to_json(), "per_label": {k: v.to_json() for k, v in self.per_label.items()}},
            "relations": self.relations.to_json(),
        }


def _prf(scores: dict[str, Any], prefix: str = "") -> PRF:
    return PRF(
        float(scores.get(f"{prefix}p") or 0.0),
        float(scores.get(f"{prefix}r") or 0.0),
        float(scores.get(f"{prefix}f") or 0.0),
    )


def evaluate(
    nlp: Language,
    gold: Iterable[tuple[Task, Annotation]],
    scheme: LabelScheme,
    *,
    model: str,
    model_source: str,
    relation_suggester: RelationSuggester | None = None,
    batch_size: int = 32,
) -> EvalReport:
    """Run the pipeline on each task's own tokens and score its suggestions (seen through the
    scheme's label map, restricted to the scheme's labels) against the annotations. Gold spans
    whose label is not in the scheme are left out of both sides."""
    pairs = list(gold)
    examples: list[Example] = []
    rel = Score(0, 0, 0)
    symmetric = relation_suggester.ruleset.symmetric if relation_suggester is not None else frozenset()
    docs = nlp.pipe((task_doc(nlp.vocab, task) for task, _ in pairs), batch_size=batch_size)
    for (task, annotation), doc in zip(pairs, docs, strict=True):
        predicted = suggest(doc, task, scheme, model_source, relation_suggester)
        examples.append(
            Example(
                entity_doc(nlp.vocab, task, predicted),
                entity_doc(nlp.vocab, task, annotation, scheme.labels),
            )
        )
        one = score_relations(predicted, annotation, symmetric, scheme.relation_labels)
        rel = Score(rel.tp + one.tp, rel.predicted + one.predicted, rel.gold + one.gold)
    scores = Scorer.score_spans(examples, "ents")
    per_type = scores.get("ents_per_type") or {}
    return EvalReport(
        model=model,
        tasks=len(pairs),
        ents=_prf(scores, "ents_"),
        per_label={label: _prf(per_type[label]) for label in scheme.labels if label in per_type},
        relations=PRF(rel.precision, rel.recall, rel.f1),
        relation_counts=rel,
    )


def render(report: EvalReport) -> str:
    """The report as a table for the terminal."""
    # The model's name (its meta.json) and the labels (the stored annotations') are data: their
    # control characters are drawn as stand-ins, a newline too (it would forge a row).
    lines = [
        f"{visible(report.model)} on {report.tasks} task(s)",
        f"{'':<16}{'precision':>10}{'recall':>10}{'f1':>10}",
        f"{'entities':<16}{report.ents.precision:>10.3f}{report.ents.recall:>10.3f}{report.ents.f1:>10.3f}",
    ]
    for label, prf in report.per_label.items():
        lines.append(f"  {visible(label):<14}{prf.precision:>10.3f}{prf.recall:>10.3f}{prf.f1:>10.3f}")
    r, c = report.relations, report.relation_counts
    lines.append(
        f"{'relations':<16}{r.precision:>10.3f}{r.recall:>10.3f}{r.f1:>10.3f}"
        f"   ({c.tp} right of {c.predicted} suggested, {c.gold} annotated)"
    )
    return "\n".join(lines)
