"""A relabel through the session brings the relations the rules read in the parse for the changed span
(core/links.py), in the same undoable step; a relation the annotator removed stays removed."""

from __future__ import annotations

from pathlib import Path

from annotator.core.edits import delete_relation, relabel_span
from annotator.session import AnnotationSession
from annotator.store import Store
from tests.tui_support import demo_scheme, prepare_demo_db


def test_a_relabel_brings_the_relations_the_rules_see_and_undo_takes_them_back(tmp_path: Path) -> None:
    with Store(prepare_demo_db(tmp_path / "demo.db")) as store:
        s = AnnotationSession(store, "demo", "alice", demo_scheme())
        cur = s.open_first_unanswered()
        assert cur is not None and cur.doubts is not None and cur.doubts.links
        text = cur.task.text
        # "Nakatani, the first Japanese defense minister to visit South Korea ... affirmed with Ahn":
        # the model calls him ORG, so no PERSON relation was suggested.
        nakatani = next(x for x in cur.annotation.spans if text[x.start : x.end] == "Nakatani")
        assert not [r for r in cur.annotation.relations if nakatani.sid in (r.head, r.child)]
        before = cur.annotation
        s.apply(relabel_span(cur.annotation, nakatani.sid, "PERSON"))
        step = cur.history.done[-1]
        found = {
            (r.label, text[cur.annotation.span(r.child).start : cur.annotation.span(r.child).end])  # type: ignore[union-attr]
            for r in cur.annotation.relations
            if r.head == nakatani.sid
        }
        assert found == {("AFFILIATED_WITH", "Japanese"), ("VISITED", "South Korea"), ("MET", "Ahn")}
        assert "the rules suggest 3 relations" in step.note
        assert {r.source for r in step.added_relations} <= {f"rule:{n}" for n in _rule_names()}
        s.undo()
        assert cur.annotation.content() == before.content()
        # Removed by hand, a relation is not suggested again by a later change of its spans.
        s.redo()
        met = next(r for r in cur.annotation.relations if r.head == nakatani.sid and r.label == "MET")
        s.apply(delete_relation(cur.annotation, met))
        s.apply(relabel_span(cur.annotation, nakatani.sid, "ORG"))
        s.apply(relabel_span(cur.annotation, nakatani.sid, "PERSON"))
        assert met.key not in {r.key for r in cur.annotation.relations}
        assert {r.label for r in cur.annotation.relations if r.head == nakatani.sid} == {
            "AFFILIATED_WITH",
            "VISITED",
        }


def _rule_names() -> list[str]:
    from annotator.nlp.relations import load_rules

    return [rule.name for rule in load_rules().rules]
