"""The gold version under review (core/gold.py): a choice applied as an edit that composes with the
reviewer's free edits, the choices read back from the history (also from edits logged before
choices were typed), and what the review screen draws."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from annotator.core.adjudication import Adjudication, adjudicate
from annotator.core.choices import Choice, ReviewChoice
from annotator.core.edits import Edit, History, set_span
from annotator.core.errors import InvalidAnnotation
from annotator.core.gold import STAND_IN_SID, Focus, choice_edit, choices_in, focus, marks, reviewers_own
from annotator.core.model import Annotation
from tests.core.test_adjudication_core import TASK, TEXT, A, B, content


def start() -> tuple[Adjudication, History]:
    adj = adjudicate(TASK, A, B, "alice", "bob")
    return adj, History(current=adj.agreed)


def choose(adj: Adjudication, gold: History, index: int, choice: Choice) -> Edit:
    """What the review service does: the change between the results without and with the choice."""
    before = choices_in(adj, gold)
    after = before.take(index, choice)
    edit = choice_edit(gold.current, before.result(), after.result(), ReviewChoice(index, choice))
    gold.do(edit)
    return edit


def drawn(adj: Adjudication, gold: History) -> list[tuple[str, str, str, int | None]]:
    """What is drawn, in text order."""
    shown = sorted(marks(choices_in(adj, gold), gold.current), key=lambda m: m.span.start)
    return [(TEXT[m.span.start : m.span.end], m.span.label, m.state, m.disagreement) for m in shown]


def test_open_disagreements_are_drawn_as_stand_ins_over_the_agreed_base() -> None:
    adj, gold = start()
    assert drawn(adj, gold) == [
        ("Lloyd Austin", "A:PER B:PER", "boundary", 0),
        ("Lee Jong-sup", "PER", "agreed", None),
        ("Seoul", "GPE≠LOC", "label", 1),
        ("Friday", "A:DATE B:—", "a_only", 2),
        ("Busan", "A:— B:GPE", "b_only", 3),
    ]
    assert {m.span.sid for m in marks(choices_in(adj, gold), gold.current) if m.disagreement is not None} == {
        STAND_IN_SID + i for i in range(4)
    }


def test_taken_spans_are_drawn_with_their_origin_and_the_reviewers_own_as_edited() -> None:
    adj, gold = start()
    choose(adj, gold, 0, Choice.A)
    choose(adj, gold, 1, Choice.B)
    # the reviewer draws "visited" (edited) and, under the open "Friday" disagreement, "Friday"
    visited = TEXT.index("visited")
    tok = TASK.token_index_at_char(visited)
    friday = TASK.token_index_at_char(TEXT.index("Friday"))
    assert tok is not None and friday is not None
    gold.do(set_span(TASK, gold.current, tok, tok, "EVENT", source="gold"))
    gold.do(set_span(TASK, gold.current, friday, friday, "DATE", source="gold"))
    assert drawn(adj, gold) == [
        ("Lloyd Austin", "PER", "a", None),
        ("Lee Jong-sup", "PER", "agreed", None),
        ("Seoul", "LOC", "b", None),
        ("Friday", "A:DATE B:—", "a_only", 2),  # the reviewer's "Friday" is under the stand-in
        ("visited", "EVENT", "edited", None),
        ("Busan", "A:— B:GPE", "b_only", 3),
    ]


def test_focus_points_at_the_stand_in_the_taken_tokens_or_the_relation() -> None:
    adj, gold = start()
    res = choices_in(adj, gold)
    first = TASK.token_index_at_char(TEXT.index("Lloyd"))
    assert focus(res, marks(res, gold.current), 0) == Focus(cursor=first or 0, stand_in=STAND_IN_SID)
    choose(adj, gold, 0, Choice.A)
    res = choices_in(adj, gold)
    austin = TASK.token_index_at_char(TEXT.index("Austin"))
    assert focus(res, marks(res, gold.current), 0) == Focus(
        cursor=first or 0, tokens=(first or 0, austin or 0)
    )
    # relation 4 is A's MET (Lloyd Austin -> Lee Jong-sup): both arguments are drawn now
    at = focus(res, marks(res, gold.current), 4)
    head, child = gold.current.span(at.head or -1), gold.current.span(at.child or -1)
    assert head is not None and child is not None
    assert (TEXT[head.start : head.end], TEXT[child.start : child.end]) == ("Lloyd Austin", "Lee Jong-sup")
    none = adjudicate(TASK, A, A, "alice", "bob")
    assert focus(none.start(), (), 0) == Focus()


def test_a_choice_composes_with_free_edits_and_refuses_to_overlap_them() -> None:
    adj, gold = start()
    # the reviewer relabels the agreed "Lee Jong-sup" first; taking A's MET keeps that relabel
    lee = gold.current.spans[0]
    gold.do(
        set_span(
            TASK, gold.current, lee.token_start, lee.token_end, "PERSON", source="gold", keep_sid=lee.sid
        )
    )
    choose(adj, gold, 0, Choice.A)
    choose(adj, gold, 4, Choice.A)
    assert ("rel", "Lloyd Austin", "MET", "Lee Jong-sup", "alice") in content(gold.current)
    assert ("span", "Lee Jong-sup", "PERSON", "gold") in content(gold.current)
    # taking B's "Busan" where the reviewer already put a span that overlaps it is refused
    busan = TASK.token_index_at_char(TEXT.index("Busan"))
    assert busan is not None
    gold.do(set_span(TASK, gold.current, busan - 1, busan, "LOC", source="gold"))
    with pytest.raises(InvalidAnnotation, match="the gold already has"):
        choose(adj, gold, 3, Choice.B)


def test_choices_are_read_back_from_the_history_undo_included() -> None:
    adj, gold = start()
    choose(adj, gold, 0, Choice.B)
    choose(adj, gold, 2, Choice.NEITHER)  # changes nothing, but is a step of the history
    choose(adj, gold, 0, Choice.A)  # changed mind: the latest choice wins
    assert choices_in(adj, gold).choices[:3] == (Choice.A, None, Choice.NEITHER)
    gold.undo()
    assert choices_in(adj, gold).choices[:3] == (Choice.B, None, Choice.NEITHER)
    # a history that starts from the gold's content (a gold stored before the review, a log that
    # could not be replayed): the choices are read from that content (open ones show as neither)
    fresh = History(current=gold.current)
    assert choices_in(adj, fresh).choices[:4] == (Choice.B, Choice.NEITHER, Choice.NEITHER, Choice.NEITHER)


def test_a_review_edit_stores_its_choice_and_reads_back_the_old_note_form() -> None:
    adj, gold = start()
    edit = choose(adj, gold, 1, Choice.B)
    stored = orjson.loads(orjson.dumps(edit.to_json()))
    assert stored["choice"] == [1, "b"] and stored["note"] == ""
    assert Edit.from_json(stored) == edit
    # before choices were typed, the edit log held the choice in the note, and no "choice" key
    old = {**stored, "note": "review:1=b"}
    del old["choice"]
    assert Edit.from_json(old) == edit
    for note in ("review:x=b", "review:1=maybe", "reviewed 1=b"):
        assert Edit.from_json({**old, "note": note}).choice is None
    assert "choice" not in Edit("add", note="review-like but not a review edit").to_json()
    with pytest.raises(ValueError):
        Edit.from_json({**stored, "choice": [1, "maybe"]})


def test_the_reviewers_own_spans_and_relations_are_marked_as_theirs() -> None:
    adj, gold = start()
    choose(adj, gold, 0, Choice.A)
    assert reviewers_own(adj, gold.current, "carol") is None  # everything is as its source says
    lloyd = next(s for s in gold.current.spans if s.source == "alice")
    relabelled = replace(
        gold.current, spans=tuple(replace(s, label="ORG") if s is lloyd else s for s in gold.current.spans)
    )
    own = reviewers_own(adj, relabelled, "carol")
    assert own is not None
    assert [(s.label, s.source) for s in own.added_spans] == [("ORG", "carol")]
    assert own.removed_spans == (replace(lloyd, label="ORG"),)
    assert reviewers_own(adj, Annotation(), "carol") is None
