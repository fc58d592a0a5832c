"""Correction memory: decisions about surface forms from accepted tasks, applied to later suggestions."""

from __future__ import annotations

from annotator.core.memory import MEMORY_SOURCE, Form, Memory, decisions
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.core.scheme import LabelScheme, RelationType

SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE"), relations=(RelationType("VISITED", frozenset({"PERSON"}), frozenset({"GPE"})),)
)


def task(text: str) -> Task:
    tokens: list[Token] = []
    pos = 0
    for i, word in enumerate(text.split(" ")):
        tokens.append(Token(word, pos, pos + len(word), i, True))
        pos += len(word) + 1
    return Task(text, tuple(tokens), 0)


def span(t: Task, first: int, last: int, label: str, sid: int, source: str | None = "model") -> Span:
    return Span(t.tokens[first].start, t.tokens[last].end, first, last, label, source, sid)


def labels(t: Task, a: Annotation) -> list[tuple[str, str, str | None]]:
    return sorted((t.text[s.start : s.end], s.label, s.source) for s in a.spans)


def test_relabel_delete_add_and_boundary_changes_are_remembered() -> None:
    t = task("Gen Nakatani met Ahn Gyu Back in North Korea ’s capital")
    shown = Annotation(
        (
            span(t, 1, 1, "ORG", 1),
            span(t, 3, 3, "PERSON", 2),
            span(t, 7, 9, "GPE", 3),
            span(t, 10, 10, "ORG", 4),
        )
    )
    accepted = Annotation(
        (span(t, 1, 1, "PERSON", 1, None), span(t, 3, 5, "PERSON", 2, None), span(t, 7, 8, "GPE", 3, None))
    )
    assert decisions(t, shown, accepted, {}) == {
        ("Nakatani",): "PERSON",  # relabelled
        ("Ahn", "Gyu", "Back"): "PERSON",  # grown: the new form has a label...
        ("Ahn",): None,  # ...and the old one is not an entity
        ("North", "Korea"): "GPE",
        ("North", "Korea", "’s"): None,
        ("capital",): None,  # deleted
    }


def test_nothing_changed_teaches_nothing_and_ambiguity_is_not_remembered() -> None:
    t = task("Washington said Washington would go to Washington")
    shown = Annotation((span(t, 0, 0, "GPE", 1), span(t, 2, 2, "GPE", 2), span(t, 6, 6, "GPE", 3)))
    assert decisions(t, shown, shown, {}) == {}
    relabelled_one = Annotation(
        (span(t, 0, 0, "PERSON", 1), span(t, 2, 2, "GPE", 2), span(t, 6, 6, "GPE", 3))
    )
    assert decisions(t, shown, relabelled_one, {}) == {}
    deleted_one = Annotation((span(t, 0, 0, "GPE", 1), span(t, 6, 6, "GPE", 3)))
    assert decisions(t, shown, deleted_one, {}) == {}


def learn(memory: Memory, t: Task, shown: Annotation, accepted: Annotation) -> dict[Form, str | None]:
    """What the session does on an accept: the lesson (stored with the decision), then taken in."""
    lesson = memory.lesson(t, shown, accepted)
    memory.update(lesson)
    return lesson


def test_apply_relabels_drops_and_adds_with_source_memory() -> None:
    memory = Memory()
    first = task("Gen Nakatani met Ahn Gyu Back in North Korea ’s capital")
    shown = Annotation((span(first, 1, 1, "ORG", 1), span(first, 7, 9, "GPE", 2)))
    accepted = Annotation(
        (
            span(first, 1, 1, "PERSON", 1, None),
            span(first, 3, 5, "PERSON", 3, None),
            span(first, 7, 8, "GPE", 2, None),
        )
    )
    assert len(learn(memory, first, shown, accepted)) == 4
    later = task("Nakatani and Ahn Gyu Back talked about North Korea ’s missiles and Nakatani left")
    suggestion = Annotation(
        (span(later, 0, 0, "ORG", 1), span(later, 7, 9, "GPE", 2), span(later, 12, 12, "ORG", 3)),
        (Relation(1, 2, "VISITED", "rule:x"),),
    )
    applied, changed = memory.apply(later, suggestion, SCHEME)
    assert labels(later, applied) == [
        ("Ahn Gyu Back", "PERSON", MEMORY_SOURCE),
        ("Nakatani", "PERSON", MEMORY_SOURCE),
        ("Nakatani", "PERSON", MEMORY_SOURCE),
        ("North Korea", "GPE", MEMORY_SOURCE),
    ]
    assert changed == 5  # two relabels, one drop, two added mentions
    assert applied.relations == ()  # its child span was dropped
    assert len({s.sid for s in applied.spans}) == len(applied.spans)


def test_a_later_contrary_decision_wins_and_labels_outside_the_scheme_are_not_applied() -> None:
    memory = Memory()
    t = task("Nakatani spoke")
    learn(memory, t, Annotation((span(t, 0, 0, "ORG", 1),)), Annotation((span(t, 0, 0, "PERSON", 1),)))
    assert memory.entries == {("Nakatani",): "PERSON"}
    # Shown as PERSON (the memory's doing), accepted as ORG: the later decision replaces it.
    learn(memory, t, Annotation((span(t, 0, 0, "PERSON", 1),)), Annotation((span(t, 0, 0, "ORG", 1),)))
    assert memory.entries == {("Nakatani",): "ORG"}
    # Shown and accepted as the memory says: nothing new.
    assert (
        learn(memory, t, Annotation((span(t, 0, 0, "ORG", 1),)), Annotation((span(t, 0, 0, "ORG", 1),))) == {}
    )
    # A memory entry whose label this scheme lacks leaves the suggestion alone.
    memory.update({("spoke",): "EVENT"})
    applied, changed = memory.apply(t, Annotation(), LabelScheme(("ORG",)))
    assert labels(t, applied) == [("Nakatani", "ORG", MEMORY_SOURCE)] and changed == 1


def test_a_relabel_keeps_relations_the_scheme_still_allows() -> None:
    memory = Memory({("Nakatani",): "PERSON", ("Seoul",): "ORG"})
    t = task("Nakatani visited Seoul")
    suggestion = Annotation(
        (span(t, 0, 0, "ORG", 1), span(t, 2, 2, "GPE", 2)), (Relation(1, 2, "VISITED", "rule:v"),)
    )
    applied, _ = memory.apply(t, suggestion, SCHEME)
    # PERSON -> ORG is not a VISITED the scheme allows (child must be GPE): dropped.
    assert applied.relations == ()
    memory = Memory({("Nakatani",): "PERSON"})
    applied, _ = memory.apply(t, suggestion, SCHEME)
    assert applied.relations == (Relation(1, 2, "VISITED", "rule:v"),)
