"""Which layer a span of a file goes to when the file does not say (brat, doccano, Label Studio,
CoNLL): the readers keep spans on the entity layer where they fit and put the ones that overlap
an entity span in the span group ``sc``; a dataset's scheme then knows better, label by label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from annotator.core.errors import InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.core.validate import validate_annotation


def homes(scheme: LabelScheme) -> dict[str, str]:
    """label -> its layer, for each label the scheme puts in exactly one layer."""
    where: dict[str, list[str]] = {}
    for layer in scheme.layers:
        for label in scheme.layer_labels(layer):
            where.setdefault(label, []).append(layer)
    return {label: layers[0] for label, layers in where.items() if len(layers) == 1}


def place(task: Task, annotation: Annotation, home: Mapping[str, str]) -> Annotation:
    """The annotation with each span on the layer ``home`` gives its label: a group's label goes to
    its group; an entity label's span comes back from a group to the entity layer where it
    overlaps no entity span. Relations follow their spans (by id). The annotation as it was when
    the result would not be valid (two spans of one place and label in one group)."""
    if not home:
        return annotation
    ents = sorted(
        (s for s in annotation.spans if s.layer == ENTS and home.get(s.label, ENTS) == ENTS),
        key=lambda s: s.start,
    )
    spans: list[Span] = []
    moved = False
    for s in annotation.spans:
        target = home.get(s.label, s.layer)
        if target == s.layer:
            spans.append(s)
        elif target != ENTS:
            spans.append(replace(s, layer=target))
            moved = True
        elif not any(e.overlaps(s) for e in ents):
            new = replace(s, layer=ENTS)
            ents.append(new)
            spans.append(new)
            moved = True
        else:
            spans.append(s)
    if not moved:
        return annotation
    out = replace(annotation, spans=tuple(spans))
    try:
        validate_annotation(task, out)
    except InvalidAnnotation:
        return annotation
    return out
