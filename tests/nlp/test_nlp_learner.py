"""The learner: updates on accepted tasks with pseudo-rehearsal, keeps what the scheme does not hold,
re-predicts upcoming tasks as spans, rolls back on drift; and its process behind the client."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from annotator.core.model import Annotation
from annotator.core.scheme import LabelScheme
from annotator.learn import LearnerClient
from annotator.nlp.examples import task_doc
from annotator.nlp.learner import Learner
from annotator.nlp.learner_protocol import Batch, LearnerSetup
from annotator.nlp.model import load_model
from tests.gold_support import paragraph_tasks
from tests.nlp_support import trainable

pytestmark = pytest.mark.slow
SCHEME = LabelScheme(("PERSON", "ORG", "GPE"))  # DATE, NORP, ... are outside it
PAIRS = paragraph_tasks()
TEXTS = [t.text for t, _ in PAIRS]
HELD = (9, 10, 13)  # paragraphs that say "Nakatani", never learnt from


def nakatani(annotation: Annotation, index: int) -> list[str]:
    text = PAIRS[index][0].text
    return [s.label for s in annotation.spans if text[s.start : s.end] == "Nakatani"]


def test_updates_fix_the_corrected_mistake_and_keep_what_the_scheme_lacks(tmp_path: Path) -> None:
    learner = Learner(LearnerSetup(None, SCHEME, TEXTS, canary_every=1000))
    before, doubts = learner.predict([(i, PAIRS[i][0]) for i in HELD])
    assert set(doubts) == set(HELD) and all(d.score > 0 for d in doubts.values())
    assert all(nakatani(before[i], i) == ["ORG"] for i in HELD)
    tagger = trainable(learner.nlp, "tagger").model.to_bytes()
    for i in (0, 1, 2, 3, 4, 5, 6, 7, 8):
        done = learner.batch(Batch([PAIRS[i]], [(h, PAIRS[h][0]) for h in HELD]))
    assert done.updates == 9
    assert {s.label for a in done.predictions.values() for s in a.spans} <= set(SCHEME.labels)
    fixed = [i for i in HELD if nakatani(done.predictions[i], i) == ["PERSON"]]
    assert len(fixed) >= 2, {i: nakatani(done.predictions[i], i) for i in HELD}
    # DATE is not in the scheme: never taught as "not an entity", the model still finds dates.
    dates = [
        e.text
        for i in HELD
        for e in learner.nlp(task_doc(learner.nlp.vocab, PAIRS[i][0])).ents
        if e.label_ == "DATE"
    ]
    assert dates, "the model forgot DATE"
    assert learner.agreement() > 0.8
    assert trainable(learner.nlp, "tagger").model.to_bytes() == tagger
    learner.save(tmp_path / "learned")
    saved = load_model(str(tmp_path / "learned"))
    assert trainable(saved, "ner").model.to_bytes() == learner.ner.model.to_bytes()
    assert saved.meta["name"].endswith("_learned")


def test_the_canary_rolls_back_on_drift_and_on_a_gold_drop() -> None:
    learner = Learner(LearnerSetup(None, SCHEME, TEXTS, canary_every=2, threshold=1.01, gold=PAIRS[12:]))
    start = learner.ner.model.to_bytes()
    done = learner.batch(Batch(PAIRS[:2], []))
    assert [c.rolled_back for c in done.canaries] == [True] and done.updates == 0
    assert learner.ner.model.to_bytes() == start
    learner.setup = replace(learner.setup, threshold=0.0)  # agreement alone would pass
    learner.update(*PAIRS[0])
    assert learner.gold_f1 is not None
    learner.gold_f1 += 0.5  # the gold F1 the last good state had: any drop below it rolls back
    canary = learner.canary()
    assert canary.rolled_back and canary.kept == 0 and learner.ner.model.to_bytes() == start


def test_a_roll_back_after_learning_new_labels_of_a_label_map() -> None:
    scheme = LabelScheme(("PER", "LOC"), label_map={"PERSON": "PER", "GPE": "LOC"})
    pairs = [
        (
            t,
            replace(
                a,
                spans=tuple(
                    replace(s, label={"PERSON": "PER", "GPE": "LOC"}[s.label])
                    for s in a.spans
                    if s.label in ("PERSON", "GPE")
                ),
            ),
        )
        for t, a in PAIRS[:2]
    ]
    learner = Learner(LearnerSetup(None, scheme, TEXTS, canary_every=2, threshold=1.01))
    assert {"PER", "LOC"} <= set(learner.ner.labels)
    start = learner.ner.model.to_bytes()
    done = learner.batch(Batch(pairs, [(7, PAIRS[7][0])]))
    assert done.errors == () and [c.rolled_back for c in done.canaries] == [True]
    assert learner.ner.model.to_bytes() == start
    assert {s.label for s in done.predictions[7].spans} <= {"PER", "LOC"}


def test_the_client_sends_batches_to_a_process_and_gets_spans_back(tmp_path: Path) -> None:
    events: list[object] = []
    client = LearnerClient(LearnerSetup(None, SCHEME, TEXTS), on_event=events.append)
    client.start()
    try:
        client.accepted(*PAIRS[0], upcoming=[(101, PAIRS[9][0])])
        client.accepted(*PAIRS[1], upcoming=[(102, PAIRS[10][0])])  # queued while the first is learnt
        assert client.wait_idle(300), client.failed
        assert client.failed is None and client.updates == 2
        predicted = client.predicted(102)
        assert predicted is not None and isinstance(predicted[0], Annotation) and predicted[0].spans
        assert predicted[1] is not None and client.scores([102, 999]).keys() == {102}
        assert client.predicted(999) is None
        assert client.save(tmp_path / "saved")
        assert (tmp_path / "saved" / "ner").is_dir()
    finally:
        client.stop()
    assert client._process is not None and not client._process.is_alive()
    assert any(type(e).__name__ == "Ready" for e in events) and any(
        type(e).__name__ == "BatchDone" for e in events
    )
