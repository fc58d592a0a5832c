"""Corrections: the edits that turn a suggestion into what the annotator accepted, counted; and which
of two suggesters (the model as loaded, the learner) has needed fewer of them lately.

A correction is one relabel, deletion, addition or boundary change of an entity span, as a person
makes them with the keys. ``plan`` lists them in an order that keeps every state between them valid
(benchmarks/simulate_session.py replays them through the session); ``count`` is its length.

The learner (``--learn``) re-predicts the tasks nobody opened yet. Updated on a handful of tasks it
can get worse at what the annotator needs before it gets better (measured on the sample article:
boundary slips the original model did not make). ``Rivals`` keeps, for each accepted task that both
suggested, the corrections each suggestion would have needed, measured before the learner learnt
from that task (prequentially: every figure is on a task the learner had not seen), and a task opens
with the learner's suggestion only while the learner has needed fewer corrections over the recent
tasks. Both are measured with the correction memory applied, as the annotator would see them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field

from annotator.core.model import ENTS, Annotation, Span, SpanKey


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Step:
    """One correction: ``kind`` is delete, boundary, relabel or add; ``sid`` the shown span it
    changes (not for add); ``token_start``/``token_end`` the new edges (boundary, add); ``label``
    the new label (relabel, add)."""

    kind: str
    sid: int = -1
    token_start: int = -1
    token_end: int = -1
    label: str = ""


_ORDER = {"delete": 0, "boundary": 1, "relabel": 2, "add": 3}


def plan(shown: Annotation, accepted: Annotation, labels: Collection[str]) -> list[Step]:
    """The corrections that turn the entity spans of ``shown`` into those of ``accepted`` whose label
    is in ``labels``. A shown span matched by an accepted one on the same characters is relabelled if
    its label differs; one that overlaps exactly one unmatched accepted span has its boundary changed
    (and its label, if need be); any other is deleted; accepted spans left over are added. Deletions
    come first, so that boundary changes and additions never cut into a span still there."""
    want: dict[SpanKey, Span] = {s.key: s for s in accepted.spans if s.layer == ENTS and s.label in labels}
    steps: list[Step] = []
    leftovers: list[Span] = []
    for span in shown.spans:
        if span.layer != ENTS:
            continue
        target = want.pop(span.key, None)
        if target is None:
            leftovers.append(span)
        elif target.label != span.label:
            steps.append(Step("relabel", span.sid, label=target.label))
    for span in leftovers:
        overlapping = [g for g in want.values() if g.start < span.end and span.start < g.end]
        if len(overlapping) == 1:
            g = overlapping[0]
            del want[g.key]
            steps.append(Step("boundary", span.sid, g.token_start, g.token_end))
            if g.label != span.label:
                steps.append(Step("relabel", span.sid, label=g.label))
        else:
            steps.append(Step("delete", span.sid))
    for g in sorted(want.values(), key=lambda s: s.start):
        steps.append(Step("add", token_start=g.token_start, token_end=g.token_end, label=g.label))
    steps.sort(key=lambda step: _ORDER[step.kind])
    return steps


def count(shown: Annotation, accepted: Annotation, labels: Collection[str]) -> int:
    return len(plan(shown, accepted, labels))


RECENT = 20  # accepted tasks the comparison looks back over: a learner that got better (or worse) shows it


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class Rivals:
    """The corrections the model's own suggestions and the learner's needed on recent accepted tasks."""

    recent: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=RECENT))

    def record(self, model: int, learner: int) -> None:
        self.recent.append((model, learner))

    @property
    def totals(self) -> tuple[int, int]:
        return sum(m for m, _ in self.recent), sum(le for _, le in self.recent)

    @property
    def learner_ahead(self) -> bool:
        """Whether the learner's suggestions needed fewer corrections than the model's over the
        recent tasks; a tie keeps the model's (the learner has shown nothing yet)."""
        model, learner = self.totals
        return learner < model
