"""Tasks and annotations as spaCy Docs and Examples, for evaluation, training and the learner.

A reference Doc says what the model should learn. Entities whose label the scheme does not hold
(DATE under a PER/LOC/ORG scheme) were never shown to the annotator, so their absence from an
accepted task says nothing: teaching them as ``O`` erases them (measured: agreement with the
original model fell to 0.03 after 200 updates). The reference therefore keeps the model's own
out-of-scheme entities where they do not overlap the annotator's spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.training import Example
from spacy.vocab import Vocab

from annotator.core.model import ENTS, Annotation, Task
from annotator.core.scheme import LabelScheme


def task_doc(vocab: Vocab, task: Task) -> Doc:
    """A Doc with exactly the task's tokens and no annotation."""
    return Doc(vocab, words=[t.text for t in task.tokens], spaces=[t.ws for t in task.tokens])


def entity_doc(vocab: Vocab, task: Task, annotation: Annotation, labels: Iterable[str] | None = None) -> Doc:
    """The task's Doc with the annotation's entity spans (those with a label in ``labels``) as
    ``doc.ents``; every other token is outside (``O``). Span-group spans are no entities."""
    doc = task_doc(vocab, task)
    keep = None if labels is None else set(labels)
    doc.ents = [
        SpacySpan(doc, s.token_start, s.token_end + 1, label=s.label)
        for s in sorted(annotation.spans, key=lambda s: s.start)
        if s.layer == ENTS and (keep is None or s.label in keep)
    ]
    return doc


def out_of_scheme(predicted: Doc, scheme: LabelScheme) -> list[tuple[int, int, str]]:
    """(token start, token end exclusive, label) of the model's entities the scheme has no label for."""
    return [(e.start, e.end, e.label_) for e in predicted.ents if scheme.suggested_label(e.label_) is None]


def reference_doc(
    vocab: Vocab,
    task: Task,
    annotation: Annotation,
    scheme: LabelScheme,
    keep: Sequence[tuple[int, int, str]],
) -> Doc:
    """What an accepted task teaches: the annotator's spans in the scheme's labels, plus ``keep``
    (the model's out-of-scheme entities, see ``out_of_scheme``) where no annotated span overlaps
    them; every other token outside."""
    doc = task_doc(vocab, task)
    ents = [
        SpacySpan(doc, s.token_start, s.token_end + 1, label=s.label)
        for s in annotation.spans
        if s.layer == ENTS and s.label in scheme.labels
    ]
    taken = [False] * len(doc)
    for e in ents:
        for i in range(e.start, e.end):
            taken[i] = True
    for start, end, label in keep:
        if not any(taken[start:end]):
            ents.append(SpacySpan(doc, start, end, label=label))
            for i in range(start, end):
                taken[i] = True
    doc.ents = sorted(ents, key=lambda e: e.start)
    return doc


def training_example(
    vocab: Vocab, task: Task, annotation: Annotation, scheme: LabelScheme, predicted: Doc
) -> Example:
    """An Example for one accepted task; ``predicted`` is the (frozen) model's parse of its tokens."""
    reference = reference_doc(vocab, task, annotation, scheme, out_of_scheme(predicted, scheme))
    return Example(task_doc(vocab, task), reference)
