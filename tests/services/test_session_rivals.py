"""With --learn, a task opens with the learner's re-predicted suggestion only while the learner has
needed fewer corrections than the model on the recent accepted tasks (core/corrections.py): learning
never shows the annotator worse suggestions than memory alone would."""

from __future__ import annotations

from pathlib import Path

from annotator.core.doubts import Doubts
from annotator.core.edits import relabel_span
from annotator.core.model import Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.core.tokenize import provisional_tokens
from annotator.learn import model_note
from annotator.session import AnnotationSession
from annotator.store import Store

SCHEME = LabelScheme(("PERSON", "ORG"))


def task(i: int) -> Task:
    text = f"Minister Tanaka{i} met Kim today ."
    return Task(text, tuple(provisional_tokens(text)), i)


def spans(t: Task, *labels: str) -> Annotation:
    """Spans over the second and fourth tokens (the two names) with these labels."""
    out = []
    for sid, (i, label) in enumerate(zip((1, 3), labels, strict=False), start=1):
        tok = t.tokens[i]
        out.append(Span(tok.start, tok.end, i, i, label, "model", sid))
    return Annotation(spans=tuple(out))


def test_the_learner_s_suggestions_open_only_once_they_needed_fewer_corrections(tmp_path: Path) -> None:
    tasks = [task(i) for i in range(5)]
    with Store(tmp_path / "r.db") as store:
        ids = store.add_tasks("d", [(t, spans(t, "ORG", "PERSON")) for t in tasks])  # the model: Tanaka ORG
        s = AnnotationSession(store, "d", "alice", SCHEME)
        # The learner re-predicted tasks 2 and 3: both names PERSON, as the annotator has them.
        learnt = {ids[i]: spans(tasks[i], "PERSON", "PERSON") for i in (1, 2)}
        s.learned = lambda task_id: (learnt[task_id], Doubts(0.0)) if task_id in learnt else None

        def fix_and_accept() -> None:
            cur = s.current
            assert cur is not None
            for x in cur.annotation.spans:
                if x.label != "PERSON":
                    s.apply(relabel_span(cur.annotation, x.sid, "PERSON"))
            s.decide("accept")

        cur = s.open_first_unanswered()
        assert cur is not None and cur.rivals is None  # nothing re-predicted: the model's
        fix_and_accept()
        cur = s.advance()
        assert cur is not None and cur.rivals is not None
        # Not ahead yet: the model's suggestion opens, though the learner's is there.
        assert [x.label for x in cur.annotation.spans] == ["ORG", "PERSON"]
        assert model_note(1, s.rivals) == "model +1 updates, not shown yet"
        fix_and_accept()  # the model's needed 1 correction, the learner's 0
        assert s.rivals.totals == (1, 0) and s.rivals.learner_ahead
        cur = s.advance()
        assert cur is not None and [x.label for x in cur.annotation.spans] == ["PERSON", "PERSON"]
        assert model_note(2, s.rivals) == "model +2 updates"
        fix_and_accept()
        assert s.rivals.totals == (2, 0)
        # A learner that then gets worse is held back again: both names ORG in tasks 4 and 5.
        learnt.update({ids[i]: spans(tasks[i], "ORG", "ORG") for i in (3, 4)})
        cur = s.advance()
        assert cur is not None and [x.label for x in cur.annotation.spans] == ["ORG", "ORG"]
        fix_and_accept()
        assert s.rivals.totals == (3, 2) and s.rivals.learner_ahead
        cur = s.advance()
        assert cur is not None
        fix_and_accept()
        assert s.rivals.totals == (4, 4) and not s.rivals.learner_ahead
        assert model_note(4, s.rivals) == "model +4 updates, not shown (4 fixes vs 4)"
