"""Search in a task (token runs matching typed text) and repeat-on-all (the last span edit made on
every other mention, as one undoable edit, refusing what it cannot do)."""

from __future__ import annotations

from annotator.core import edits
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.core.repeat import repeat_on_all, what_to_repeat
from annotator.core.scheme import LabelScheme, RelationType
from annotator.core.search import matches, next_match

SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE"), relations=(RelationType("MET", frozenset({"PERSON"}), frozenset({"PERSON"})),)
)


def task(words: list[str], glued: set[int] = frozenset()) -> Task:  # type: ignore[assignment]
    """Tokens separated by one space, except after the indices in ``glued``."""
    tokens: list[Token] = []
    text = ""
    for i, w in enumerate(words):
        ws = i not in glued and i < len(words) - 1
        tokens.append(Token(w, len(text), len(text) + len(w), i, ws))
        text += w + (" " if ws else "")
    return Task(text, tuple(tokens), 0)


def span(t: Task, a: int, b: int, label: str, sid: int) -> Span:
    return Span(t.tokens[a].start, t.tokens[b].end, a, b, label, "model", sid)


def test_search_matches_whole_tokens_ignoring_case_and_spacing_and_wraps() -> None:
    t = task(
        ["Gen", "Nakatani", "met", "NAKATANI", "’s", "aide", "in", "North", "Korea", "’s", "capital"],
        glued={3, 8},
    )
    assert matches(t, "nakatani") == [(1, 1), (3, 3)]
    assert matches(t, "north   korea") == [(7, 8)]
    assert matches(t, "Korea’s") == [(8, 9)]  # written together in the text
    assert matches(t, "Nakata") == []  # not a whole token
    assert matches(t, "  ") == []
    found = matches(t, "nakatani")
    assert next_match(found, 1) == (3, 3)
    assert next_match(found, 3) == (1, 1)  # wraps
    assert next_match(found, 3, forward=False) == (1, 1)
    assert next_match(found, 1, forward=False) == (3, 3)  # wraps backwards
    assert next_match([], 0) is None


def test_relabel_repeats_on_the_other_mentions_in_one_undoable_edit() -> None:
    t = task(["Nakatani", "met", "Ahn", ";", "Nakatani", "left", ",", "Nakatani", "said"])
    ann = Annotation(
        (
            span(t, 0, 0, "ORG", 1),
            span(t, 2, 2, "PERSON", 2),
            span(t, 4, 4, "ORG", 3),
            span(t, 7, 7, "ORG", 4),
        ),
        (Relation(3, 2, "MET"),),  # ORG -> PERSON: not allowed by the scheme, kept as imported
    )
    first = edits.relabel_span(ann, 1, "PERSON", SCHEME)
    ann = first.apply(ann)
    what = what_to_repeat(t, first)
    assert what is not None and what.kind == "relabel" and what.form == ("Nakatani",)
    done = repeat_on_all(t, ann, what, SCHEME)
    assert done.changed == 2 and done.refused == []
    after = done.edit.apply(ann)
    assert [s.label for s in sorted(after.spans, key=lambda s: s.start)] == ["PERSON"] * 4
    assert done.edit.inverse().apply(after).content() == ann.content()


def test_add_and_delete_repeat_and_overlaps_and_constraints_are_refused() -> None:
    t = task(["Ahn", "Gyu", "Back", "and", "Ahn", "Gyu", "Back", "and", "Ahn", "Gyu", "Back"])
    ann = Annotation((span(t, 4, 5, "ORG", 1),))  # covers part of the second mention
    add = edits.set_span(t, ann, 0, 2, "PERSON", scheme=SCHEME)
    ann = add.apply(ann)
    what = what_to_repeat(t, add)
    assert what is not None and what.kind == "add"
    done = repeat_on_all(t, ann, what, SCHEME)
    assert done.changed == 1 and len(done.refused) == 1 and "overlaps" in done.refused[0]
    ann = done.edit.apply(ann)
    delete = edits.delete_span(ann, next(s.sid for s in ann.spans if s.token_start == 0))
    ann = delete.apply(ann)
    gone = repeat_on_all(t, ann, what_to_repeat(t, delete), SCHEME)  # type: ignore[arg-type]
    assert gone.changed == 1 and {s.token_start for s in gone.edit.apply(ann).spans} == {4}
    # A relabel that would break a constrained relation is refused, the others made.
    t2 = task(["Lee", "met", "Lee", "and", "Lee"])
    ann2 = Annotation(
        (span(t2, 0, 0, "PERSON", 1), span(t2, 2, 2, "PERSON", 2), span(t2, 4, 4, "PERSON", 3)),
        (Relation(2, 3, "MET"),),
    )
    relabel = edits.relabel_span(Annotation(ann2.spans), 1, "ORG", SCHEME)
    ann2 = relabel.apply(ann2)
    done2 = repeat_on_all(t2, ann2, what_to_repeat(t2, relabel), SCHEME)  # type: ignore[arg-type]
    assert done2.changed == 0 and len(done2.refused) == 2
    assert what_to_repeat(t2, edits.toggle_relation(ann2, 2, 3, "MET")) is None


def test_a_boundary_change_repeats_on_spans_of_the_same_words_and_label() -> None:
    t = task(
        [
            "North",
            "Korea",
            "’s",
            "missile",
            ";",
            "North",
            "Korea",
            "’s",
            "leader",
            ";",
            "North",
            "Korea",
            "’s",
            "x",
        ],
    )
    ann = Annotation(
        (
            span(t, 0, 2, "GPE", 1),
            span(t, 5, 7, "GPE", 2),
            span(t, 10, 12, "ORG", 3),  # another label: left alone
        )
    )
    shrink = edits.resize_span(t, ann, 1, 0, 1, SCHEME)
    ann = shrink.apply(ann)
    what = what_to_repeat(t, shrink)
    assert what is not None and what.kind == "resize" and what.shift == (0, -1)
    assert what.form == ("North", "Korea", "’s") and what.label == "GPE"
    done = repeat_on_all(t, ann, what, SCHEME)
    assert done.changed == 1 and done.refused == []
    after = done.edit.apply(ann)
    assert sorted((s.token_start, s.token_end, s.label) for s in after.spans) == [
        (0, 1, "GPE"),
        (5, 6, "GPE"),
        (10, 12, "ORG"),
    ]
    assert done.edit.inverse().apply(after).content() == ann.content()
    # Growing into another span is refused, not forced.
    t2 = task(["Seoul", "Dialogue", ";", "Seoul", "Dialogue"])
    ann2 = Annotation((span(t2, 0, 0, "GPE", 1), span(t2, 3, 3, "GPE", 2), span(t2, 4, 4, "ORG", 3)))
    grow = edits.resize_span(t2, ann2, 1, 0, 1, SCHEME)
    done2 = repeat_on_all(t2, grow.apply(ann2), what_to_repeat(t2, grow), SCHEME)  # type: ignore[arg-type]
    assert done2.changed == 0 and "overlap" in done2.refused[0]
