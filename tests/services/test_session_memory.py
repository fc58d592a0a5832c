"""Correction memory through the annotate session: learnt from accepted tasks, stored per dataset and
annotator, applied to the suggestions of tasks opened later (source "memory"), replayed after a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.language import Language

from annotator.core.edits import delete_span, relabel_span
from annotator.core.memory import MEMORY_SOURCE
from annotator.core.model import Annotation, Task
from annotator.core.records import to_record
from annotator.core.scheme import LabelScheme
from annotator.nlp.examples import task_doc
from annotator.nlp.preannotate import suggest
from annotator.session import AnnotationSession
from annotator.store import Store
from tests.conftest import REPO
from tests.gold_support import paragraph_tasks

SCHEME = LabelScheme(("PERSON", "ORG", "GPE", "NORP", "DATE"))


@pytest.fixture
def db(tmp_path: Path, nlp: Language) -> Path:
    """Paragraphs 2, 6 and 8 of the sample article (each says "Nakatani") with the real model's suggestions."""
    path = tmp_path / "memory.db"
    pairs: list[tuple[Task, Annotation]] = []
    for task, _ in [paragraph_tasks()[i] for i in (1, 5, 7)]:
        pairs.append((task, suggest(nlp(task_doc(nlp.vocab, task)), task, SCHEME, "model", None)))
    with Store(path) as store:
        store.add_tasks("news", pairs)
    return path


def session(store: Store, memory: bool = True) -> AnnotationSession:
    s = AnnotationSession(store, "news", "alice", SCHEME)
    if memory:
        s.use_memory()
    return s


def nakatani(s: AnnotationSession) -> list[tuple[str, str | None]]:
    cur = s.current
    assert cur is not None
    return [(x.label, x.source) for x in cur.annotation.spans if cur.task.text[x.start : x.end] == "Nakatani"]


def remember(store: Store, lesson: dict[tuple[str, ...], str | None]) -> None:
    """Alice's memory as an accept of the first task would leave it."""
    store.record_answer(store.task_ids("news")[0], "alice", "s", Annotation(answer="accept"), remember=lesson)


def test_a_relabel_in_an_accepted_task_follows_the_annotator(db: Path) -> None:
    with Store(db) as store:
        s = session(store)
        first = s.open_first_unanswered()
        assert first is not None and nakatani(s) == [("ORG", "model")]
        span = next(x for x in first.annotation.spans if first.task.text[x.start : x.end] == "Nakatani")
        s.apply(relabel_span(first.annotation, span.sid, "PERSON"))
        s.decide("accept")
        assert store.memory("news", "alice") == {("Nakatani",): "PERSON"}
        assert store.memory("news", "bob") == {}
        second = s.advance()
        assert second is not None and second.from_memory >= 1
        assert nakatani(s) and all(x == ("PERSON", MEMORY_SOURCE) for x in nakatani(s))
        # Accepted as shown: the memory's spans are stored, and exported, with source "memory".
        stored = s.decide("accept")
        record = to_record(second.task, stored)
        assert MEMORY_SOURCE in {x["source"] for x in record["spans"] if x["label"] == "PERSON"}
    with Store(db) as store:  # a restart reads the memory back
        assert session(store).memory is not None
        assert session(store).memory.entries == {("Nakatani",): "PERSON"}  # type: ignore[union-attr]
        assert session(store, memory=False).memory is None


def test_the_first_edit_stores_the_improved_suggestion_as_a_history_step(db: Path) -> None:
    with Store(db) as store:
        remember(store, {("Nakatani",): "PERSON"})
        s = session(store)
        cur = s.open(store.task_ids("news")[1])
        shown = cur.annotation
        assert nakatani(s) and cur.pending is not None
        assert store.annotation(cur.task_id, "alice") is None  # only looked at: nothing written
        victim = next(x for x in shown.spans if x.source == "model")
        s.apply(delete_span(shown, victim.sid))
    with Store(db) as store:
        s = session(store)
        cur = s.open(store.task_ids("news")[1])
        assert victim.key not in {x.key for x in cur.annotation.spans}
        assert s.undo() is not None
        assert cur.annotation.content() == shown.content()
        assert s.undo() is not None  # the memory's step itself: back to the model's suggestion
        assert {x.source for x in cur.annotation.spans} == {"model"}
        assert s.undo() is None


def test_rejected_and_ignored_tasks_teach_nothing_and_without_memory_nothing_changes(db: Path) -> None:
    with Store(db) as store:
        s = session(store)
        first = s.open_first_unanswered()
        assert first is not None
        span = next(x for x in first.annotation.spans if first.task.text[x.start : x.end] == "Nakatani")
        s.apply(relabel_span(first.annotation, span.sid, "PERSON"))
        s.decide("reject")
        assert store.memory("news", "alice") == {}
        plain = session(store, memory=False)
        plain.open(store.task_ids("news")[0])
        remember(store, {("Nakatani",): "PERSON"})
        plain.open(store.task_ids("news")[1])
        assert nakatani(plain) == [("ORG", "model")] * len(nakatani(plain))


CRASH_AFTER_ACCEPT = """
import os, sys
from annotator.core.edits import relabel_span
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession
from annotator.store import Store

store = Store(sys.argv[1])
decide = store.record_answer

def then_crash(*args, **kwargs):
    decide(*args, **kwargs)
    os._exit(9)  # the process dies the moment the decision is committed

store.record_answer = then_crash
s = AnnotationSession(store, "news", "alice", LabelScheme(("PERSON", "ORG", "GPE", "NORP", "DATE")))
s.use_memory()
cur = s.open_first_unanswered()
span = next(x for x in cur.annotation.spans if cur.task.text[x.start : x.end] == "Nakatani")
s.apply(relabel_span(cur.annotation, span.sid, "PERSON"))
s.decide("accept")
"""


def test_a_crash_right_after_an_accept_keeps_what_it_taught(db: Path) -> None:
    """The memory's entry is written with the decision, not after it: a process that dies as soon
    as the accept is committed has stored both."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_ACCEPT, str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    with Store(db) as store:
        first = store.task_ids("news")[0]
        stored = store.annotation(first, "alice")
        assert stored is not None and stored.answer == "accept"
        assert store.memory("news", "alice") == {("Nakatani",): "PERSON"}
