"""Doubts: which of the model's doubts still apply to the spans as they are, the annotation's own
contradictions, the places the ``;`` key goes through, and the uncertain order of a window."""

from __future__ import annotations

from dataclasses import replace

from annotator.core.doubts import (
    SOURCE_EVERY,
    Doubt,
    Doubts,
    contradictions,
    looks,
    next_look,
    open_misses,
    uncertain_order,
)
from annotator.core.model import Annotation
from tests.core.test_core_memory import span, task

T = task("Gen Nakatani met Ahn in North Korea ’s capital and Nakatani left the following day")


def test_a_doubt_applies_while_the_span_is_the_one_doubted_and_a_miss_while_nothing_covers_it() -> None:
    doubts = Doubts(3.2, (Doubt(10, 10, "ORG", 0.2), Doubt(12, 14, "DATE", 0.4, missed=True)))
    shown = Annotation((span(T, 0, 1, "PERSON", 1), span(T, 10, 10, "ORG", 2)))
    assert [(p.sid, p.why) for p in looks(T, shown, doubts)] == [
        (2, "unsure (margin 0.20); part of PERSON 'Gen Nakatani' elsewhere"),
        (None, "nearly DATE (margin 0.40)"),
    ]
    assert [d.token_start for d in open_misses(shown, doubts)] == [12]
    relabelled = Annotation((span(T, 0, 1, "PERSON", 1), span(T, 10, 10, "PERSON", 2)))
    assert [p.sid for p in looks(T, relabelled, doubts)] == [None]
    covered = Annotation((span(T, 13, 14, "DATE", 3),))
    assert open_misses(covered, doubts) == []
    assert [p.sid for p in looks(T, shown, None)] == [2] and open_misses(shown, None) == []
    assert Doubts.from_dict(doubts.to_dict()) == doubts


def test_contradictions_name_the_partial_mention_the_two_way_form_and_the_possessive() -> None:
    ann = Annotation(
        (
            span(T, 0, 1, "PERSON", 1),  # Gen Nakatani
            span(T, 3, 3, "PERSON", 2),  # Ahn
            span(T, 5, 7, "GPE", 3),  # North Korea ’s
            span(T, 10, 10, "ORG", 4),  # Nakatani
        )
    )
    found = contradictions(T, ann)
    assert set(found) == {3, 4}
    assert found[4] == "part of PERSON 'Gen Nakatani' elsewhere"
    assert found[3] == "ends in a possessive"
    two_ways = Annotation((span(T, 1, 1, "PERSON", 1), span(T, 10, 10, "ORG", 2)))
    assert set(contradictions(T, two_ways)) == {1, 2}
    # the same label for a part and the whole says nothing against either
    agreeing = Annotation((span(T, 0, 1, "PERSON", 1), span(T, 10, 10, "PERSON", 2)))
    assert contradictions(T, agreeing) == {}


def test_looks_are_in_text_order_and_next_look_goes_round() -> None:
    doubts = Doubts(1.0, (Doubt(3, 3, "PERSON", 0.3), Doubt(12, 14, "DATE", 0.39, missed=True)))
    ann = Annotation((span(T, 0, 1, "PERSON", 1), span(T, 3, 3, "PERSON", 2), span(T, 10, 10, "ORG", 4)))
    places = looks(T, ann, doubts)
    assert [(p.token_start, p.sid, p.label) for p in places] == [
        (3, 2, "PERSON"),
        (10, 4, "ORG"),
        (12, None, "DATE"),
    ]
    assert places[0].why == "unsure (margin 0.30)"
    assert places[2].why == "nearly DATE (margin 0.39)"
    assert next_look(places, 0, None) == places[0]
    assert next_look(places, 4, None) == places[1]  # the first at or after the cursor
    assert next_look(places, 4, places[1]) == places[2]
    assert next_look(places, 4, places[2]) == places[0]  # round
    assert next_look(places, 11, None, forward=False) == places[1]
    assert next_look(places, 0, places[0], forward=False) == places[2]
    assert next_look([], 0, None) is None


def test_the_uncertain_order_takes_the_least_sure_and_every_fifth_in_source_order() -> None:
    window = [10, 11, 12, 13]
    scores = {10: 1.0, 11: 7.5, 12: 7.5, 13: 2.0}
    assert uncertain_order(window, scores, 0) == 11  # the first of a tie in source order
    assert uncertain_order(window, scores, SOURCE_EVERY - 1) == 10
    assert uncertain_order(window, {}, 2) == 10  # no scores: source order
    # Never dropped: served one by one, every task of a pool is reached.
    pool = list(range(40))
    pool_scores = {i: float((i * 7) % 11) for i in pool}
    served: list[int] = []
    while pool:
        pick = uncertain_order(pool[:10], pool_scores, len(served))
        served.append(pick)
        pool.remove(pick)
    assert sorted(served) == list(range(40))
    assert served[SOURCE_EVERY - 1] == min(set(range(40)) - set(served[: SOURCE_EVERY - 1]))


def test_an_unsure_span_is_settled_by_a_sure_mention_of_the_same_words_and_label() -> None:
    # "Nakatani" twice as ORG: the first doubted, the second not.
    doubts = Doubts(1.0, (Doubt(1, 1, "ORG", 0.3),))
    ann = Annotation((span(T, 1, 1, "ORG", 1), span(T, 10, 10, "ORG", 2)))
    assert looks(T, ann, doubts) == []
    # Labelled otherwise elsewhere, the doubt stands (and the two ways contradict each other).
    other = Annotation((span(T, 1, 1, "ORG", 1), span(T, 10, 10, "PERSON", 2)))
    assert next(p.why for p in looks(T, other, doubts)).startswith("unsure (margin 0.30)")


def test_the_annotator_s_own_label_is_a_decision_not_a_contradiction() -> None:
    # The annotator relabelled the first "Nakatani" (source None); the model's second is to look at.
    decided = Annotation((span(T, 1, 1, "PERSON", 1, source=None), span(T, 10, 10, "ORG", 2)))
    assert contradictions(T, decided) == {2: "the same words are PERSON elsewhere"}
    both = Annotation(tuple(replace(s, source=None) for s in decided.spans))
    assert set(contradictions(T, both)) == {1, 2}  # two decisions of the annotator's disagree
