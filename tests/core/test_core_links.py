"""Links (core/links.py): the relation rules' matches kept with a task become relations when the spans
they need are there with labels the scheme allows."""

from __future__ import annotations

from dataclasses import replace

from annotator.core.doubts import Doubts
from annotator.core.links import Link, relations, relink
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.scheme import LabelScheme, RelationType
from annotator.core.tokenize import provisional_tokens

TEXT = "Nakatani and Ahn met in Seoul ."
TASK = Task(TEXT, tuple(provisional_tokens(TEXT)), 0)
SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE"),
    relations=(
        RelationType("MET", frozenset({"PERSON"}), frozenset({"PERSON"})),
        RelationType("LOCATED_IN", frozenset({"PERSON"}), frozenset({"GPE"})),
    ),
)
# "X and Y met": heads are Nakatani (0) and, by conjunction, Ahn (2); "met in Seoul".
LINKS = (
    Link((0, 2), (0, 2), "MET", "rule:met", symmetric=True),
    Link((0, 2), (5,), "LOCATED_IN", "rule:in"),
)


def span(i: int, label: str, sid: int) -> Span:
    tok = TASK.tokens[i]
    return Span(tok.start, tok.end, i, i, label, "model", sid)


def test_links_make_only_the_relations_the_scheme_allows() -> None:
    spans = [span(0, "ORG", 1), span(2, "PERSON", 2), span(5, "GPE", 3)]
    assert set(relations(spans, LINKS, SCHEME)) == {Relation(2, 3, "LOCATED_IN", "rule:in")}
    spans[0] = replace(spans[0], label="PERSON")
    # MET is symmetric: the head is the span that comes first.
    assert set(relations(spans, LINKS, SCHEME)) == {
        Relation(1, 2, "MET", "rule:met"),
        Relation(1, 3, "LOCATED_IN", "rule:in"),
        Relation(2, 3, "LOCATED_IN", "rule:in"),
    }


def test_relink_adds_what_a_changed_span_now_allows_and_never_what_was_removed() -> None:
    after = Annotation(
        spans=(span(0, "PERSON", 1), span(2, "PERSON", 2), span(5, "GPE", 3)),
        relations=(Relation(2, 3, "LOCATED_IN", "rule:in"),),
    )
    assert set(relink(after, {1}, LINKS, SCHEME)) == {
        Relation(1, 2, "MET", "rule:met"),
        Relation(1, 3, "LOCATED_IN", "rule:in"),
    }
    assert relink(after, {1}, LINKS, SCHEME, refused={(1, 2, "MET")}) == (
        Relation(1, 3, "LOCATED_IN", "rule:in"),
    )
    # Seoul changed: its relation with Nakatani is new, the one with Ahn is there already.
    assert relink(after, {3}, LINKS, SCHEME) == (Relation(1, 3, "LOCATED_IN", "rule:in"),)
    assert relink(after, set(), LINKS, SCHEME) == ()


def test_links_are_kept_with_the_doubts_and_read_back() -> None:
    doubts = Doubts(1.5, links=LINKS)
    assert Doubts.from_dict(doubts.to_dict()) == doubts
    assert "links" not in Doubts(1.5).to_dict()  # rows written before links read as before
