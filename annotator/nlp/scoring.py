"""Precision and recall of suggestions against a gold annotation of the same text.

Pure Python (no spaCy) but kept beside the suggesters it measures. Spans match on exact offsets
and label; relations on the offsets of both arguments and the relation label, ignoring the
direction of symmetric labels (MET).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from annotator.core.model import ENTS, Annotation
from annotator.core.model import SpanKey as ArgKey

SpanKey = tuple[int, int, str]
RelKey = tuple[ArgKey, ArgKey, str]


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (
            f"P {self.precision:.3f} ({self.tp}/{self.predicted})  "
            f"R {self.recall:.3f} ({self.tp}/{self.gold})  F1 {self.f1:.3f}"
        )


def _score(predicted: set[object], gold: set[object]) -> Score:
    return Score(len(predicted & gold), len(predicted), len(gold))


def span_keys(annotation: Annotation, labels: Collection[str] | None = None) -> set[SpanKey]:
    # The entity layer's: a model's NER is scored, and span groups are no entities.
    return {
        (s.start, s.end, s.label)
        for s in annotation.spans
        if s.layer == ENTS and (labels is None or s.label in labels)
    }


def relation_keys(annotation: Annotation, symmetric: Iterable[str] = ()) -> set[RelKey]:
    sym = set(symmetric)
    by_sid = {s.sid: s for s in annotation.spans}
    keys: set[RelKey] = set()
    for rel in annotation.relations:
        head, child = by_sid.get(rel.head), by_sid.get(rel.child)
        if head is None or child is None:
            continue
        h, c = head.key, child.key
        if rel.label in sym and c < h:
            h, c = c, h
        keys.add((h, c, rel.label))
    return keys


def score_spans(predicted: Annotation, gold: Annotation, labels: Collection[str] | None = None) -> Score:
    return _score(set(span_keys(predicted, labels)), set(span_keys(gold, labels)))


def score_relations(
    predicted: Annotation,
    gold: Annotation,
    symmetric: Iterable[str] = (),
    labels: Collection[str] | None = None,
) -> Score:
    sym = tuple(symmetric)
    p = {k for k in relation_keys(predicted, sym) if labels is None or k[2] in labels}
    g = {k for k in relation_keys(gold, sym) if labels is None or k[2] in labels}
    return _score(set(p), set(g))
