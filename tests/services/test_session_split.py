"""Splitting a token (issue 14 part 3, the annotate screen's ``s``) through the session on both
databases: the split is the task's (every annotator and the suggestion move onto the new tokens),
a span can then end inside what was one token, undo merges the halves back unless a span needs the
edge, redo splits again, a restart replays it, and the exports carry the split tokens."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.core.edits import set_span
from annotator.core.errors import AnnotatorError
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task
from annotator.core.retokenize import merge_tokens, split_token
from annotator.core.scheme import LabelScheme
from annotator.core.validate import validate_annotation
from annotator.formats import conll, docbin, jsonl
from annotator.formats.problems import Problems
from annotator.formats.tokens import tokenize
from annotator.session import AnnotationSession
from annotator.store import Store

TEXT = "The Korea-U.S.-Japan summit met in Seoul ."
SCHEME = LabelScheme(("GPE", "EVENT"))


def task() -> Task:
    # spaCy's own tokenizer: 'Korea' '-' 'U.S.-Japan', so "U.S." and "Japan" cannot be tagged.
    return Task(TEXT, tokenize(TEXT, "en"), input_hash(TEXT))


def token_texts(t: Task) -> list[str]:
    return [tok.text for tok in t.tokens]


def test_split_and_merge_are_each_others_inverse_and_keep_ids_in_order() -> None:
    t = task()
    assert token_texts(t)[1:4] == ["Korea", "-", "U.S.-Japan"]
    at = TEXT.index("-Japan")
    once = split_token(t, at)
    assert token_texts(once)[3:5] == ["U.S.", "-Japan"]
    assert [tok.id for tok in once.tokens] == list(range(len(once.tokens)))
    assert not once.tokens[3].ws and once.tokens[4].ws
    assert merge_tokens(once, at) == t
    with pytest.raises(AnnotatorError, match="cannot be split at its edge"):
        split_token(t, TEXT.index("Korea"))


def open_session(store: Store, who: str) -> AnnotationSession:
    s = AnnotationSession(store, "d", who, SCHEME)
    s.open(store.task_ids("d")[0])
    return s


def test_a_split_is_the_tasks_undoable_and_survives_a_restart(db_target: str, tmp_path: Path) -> None:
    seoul = Span(TEXT.index("Seoul"), TEXT.index("Seoul") + 5, 7, 7, "GPE", "model", 1)
    with Store(db_target) as store:
        store.add_tasks("d", [(task(), Annotation((seoul,)))])
        bob = open_session(store, "bob")
        bob.apply(set_span(bob.current.task, bob.current.annotation, 4, 4, "EVENT"))  # type: ignore[union-attr]
        alice = open_session(store, "alice")
        japan = TEXT.index("Japan")
        alice.split_token(japan - 1)
        alice.split_token(japan)  # U.S. | - | Japan
        cur = alice.current
        assert cur is not None
        assert token_texts(cur.task)[3:6] == ["U.S.", "-", "Japan"]
        first = cur.task.token_index_at_char(TEXT.index("U.S."))
        assert first is not None
        alice.apply(set_span(cur.task, cur.annotation, first, first, "GPE"))
        validate_annotation(cur.task, cur.annotation)
        # Everyone sees the split tokens: the stored task, the suggestion, bob's row (moved on).
        stored = store.task(cur.task_id)
        assert stored.tokens == cur.task.tokens
        validate_annotation(stored, store.suggestion(cur.task_id))
        bobs = store.annotation(cur.task_id, "bob")
        assert bobs is not None
        validate_annotation(stored, bobs)
        # Undo: the span, then each split; redo brings them back.
        alice.undo()
        alice.undo()
        assert token_texts(store.task(cur.task_id))[3:5] == ["U.S.", "-Japan"]
        alice.undo()
        assert token_texts(store.task(cur.task_id))[3] == "U.S.-Japan"
        alice.redo()
        alice.redo()
        assert token_texts(store.task(cur.task_id))[3:6] == ["U.S.", "-", "Japan"]
        alice.redo()  # the span again
        # Undo the span; the split after U.S. cannot be undone while bob's span ends there.
        alice.undo()
        bob = open_session(store, "bob")
        bob_cur = bob.current
        assert bob_cur is not None
        bob.apply(set_span(bob_cur.task, bob_cur.annotation, first, first, "GPE"))
        alice.undo()  # the split before Japan: no span needs it
        with pytest.raises(
            AnnotatorError, match=f"cannot undo the split at character {japan - 1}: bob has a span"
        ):
            alice.undo()
        assert token_texts(store.task(cur.task_id))[3:5] == ["U.S.", "-Japan"]  # nothing changed
    # A restart: the history replays onto the split tokens.
    with Store(db_target) as store:
        again = open_session(store, "alice")
        assert again.current is not None
        validate_annotation(again.current.task, again.current.annotation)
        assert "U.S." in token_texts(again.current.task)


def test_exports_carry_the_split_tokens(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        store.add_tasks("d", [(task(), Annotation())])
        s = open_session(store, "alice")
        s.split_token(TEXT.index("-Japan"))
        cur = s.current
        assert cur is not None
        i = cur.task.token_index_at_char(TEXT.index("U.S."))
        assert i is not None
        s.apply(set_span(cur.task, cur.annotation, i, i, "GPE"))
        s.decide("accept")
        items = [(t, a) for _, t, a in store.annotations("d")]
    jsonl.write(tmp_path / "out.jsonl", items)
    record = orjson.loads((tmp_path / "out.jsonl").read_bytes())
    assert [t["text"] for t in record["tokens"]][2:5] == ["-", "U.S.", "-Japan"]
    assert record["spans"][0]["token_start"] == 3
    conll.write(tmp_path / "out.conll", items)
    assert "U.S. B-GPE" in (tmp_path / "out.conll").read_text(encoding="utf-8")
    docbin.write(tmp_path / "out.spacy", items)
    [(back, ann)] = list(docbin.read(tmp_path / "out.spacy", Problems()))
    assert [t.text for t in back.tokens][3:5] == ["U.S.", "-Japan"] and ann.spans[0].label == "GPE"


def test_a_task_handed_over_is_read_from_the_store_once_the_annotator_touched_it(db_target: str) -> None:
    # The feed hands the screen a task with its suggestion as it stored them; one this annotator
    # has edited since (here: split in another window) opens as stored, not as handed over.
    seoul = Span(TEXT.index("Seoul"), TEXT.index("Seoul") + 5, 7, 7, "GPE", "model", 1)
    handed = (task(), Annotation((seoul,)))
    with Store(db_target) as store:
        [task_id] = store.add_tasks("d", [handed])
        fresh = AnnotationSession(store, "d", "alice", SCHEME).open(task_id, handed)
        assert fresh.task is handed[0] and fresh.annotation.spans == (seoul,) and fresh.seen is None
        other = open_session(store, "alice")
        other.split_token(TEXT.index("Japan") - 1)
        cur = AnnotationSession(store, "d", "alice", SCHEME).open(task_id, handed)
        assert cur.task == store.task(task_id) != handed[0]
        assert cur.annotation.spans[0].token_start == 8  # Seoul realigned onto the split tokens
        assert cur.seen == store.last_log_id(task_id, "alice") is not None
