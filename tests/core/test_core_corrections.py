"""Counting corrections (core/corrections.py), and which suggester is ahead."""

from __future__ import annotations

from annotator.core.corrections import RECENT, Rivals, count, plan
from annotator.core.model import Annotation, Span, Task
from annotator.core.tokenize import provisional_tokens

TEXT = "Gen Nakatani met Ahn in Seoul on Monday ."
TASK = Task(TEXT, tuple(provisional_tokens(TEXT)), 0)


def span(first: int, last: int, label: str, sid: int) -> Span:
    a, b = TASK.tokens[first], TASK.tokens[last]
    return Span(a.start, b.end, first, last, label, "model", sid)


GOLD = Annotation(spans=(span(0, 1, "PERSON", 1), span(3, 3, "PERSON", 2), span(5, 5, "GPE", 3)))


def test_each_kind_of_correction_counts_once() -> None:
    shown = Annotation(
        spans=(
            span(1, 1, "ORG", 1),  # boundary and label: 2
            span(3, 3, "ORG", 2),  # relabel: 1
            span(7, 7, "DATE", 4),  # not in the gold: delete, 1
        )
    )
    steps = plan(shown, GOLD, ("PERSON", "GPE", "DATE", "ORG"))
    assert [s.kind for s in steps] == ["delete", "boundary", "relabel", "relabel", "add"]
    assert count(shown, GOLD, ("PERSON", "GPE", "DATE", "ORG")) == 5
    assert count(GOLD, GOLD, ("PERSON", "GPE")) == 0
    # Gold spans of labels outside the scheme are not asked for.
    assert count(Annotation(), GOLD, ("PERSON",)) == 2


def test_the_learner_is_ahead_only_after_needing_fewer_corrections_lately() -> None:
    rivals = Rivals()
    assert not rivals.learner_ahead  # nothing measured: the model's suggestions
    rivals.record(3, 3)
    assert not rivals.learner_ahead  # a tie keeps the model's
    rivals.record(2, 1)
    assert rivals.learner_ahead and rivals.totals == (5, 4)
    rivals.record(0, 2)
    assert not rivals.learner_ahead
    for _ in range(RECENT):  # only the recent tasks count: a learner that improved gets its turn
        rivals.record(1, 0)
    assert rivals.learner_ahead and rivals.totals == (RECENT, 0)
