"""The learner: a process of its own that owns a copy of the pipeline and updates its entity
recognizer on every accepted task while the annotator works.

It receives batches (the tasks accepted since the last batch, and the next few tasks nobody has
opened), makes one ``nlp.update`` per accepted task, re-predicts the upcoming tasks and sends back
their suggestions: spans, never weights (applying 6 MB of weights inside the UI's event loop
stalls it for 25-150 ms). What it learns from, and how it is kept from forgetting:

- the reference of an accepted task is the annotator's spans in the scheme's labels, plus the
  model's own entities the scheme has no label for (never taught as "not an entity");
- each update is mixed with pseudo-rehearsal: 4 sentences of the user's own texts labelled by the
  original model (measured: agreement with the original stays at 0.90-0.93 over 200 updates);
- a canary every 25 updates: agreement with the original model on 50 held-out sentences below
  0.90, or any drop of F1 on the gold the dataset holds, rolls the weights back to the last state
  that passed, and says so.

Only the ``ner`` component changes: the tagger and parser (and so the relation rules) do not.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.training import Example
from spacy.util import fix_random_seed  # type: ignore[attr-defined]  # thinc's, re-exported

from annotator.core.doubts import Doubts
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.nlp.examples import task_doc, training_example
from annotator.nlp.learner_protocol import (
    Batch,
    BatchDone,
    Canary,
    Failed,
    LearnerSetup,
    Ready,
    Save,
    Saved,
    Stop,
)
from annotator.nlp.model import load_model, model_name
from annotator.nlp.preannotate import suggest
from annotator.nlp.relations import RelationSuggester
from annotator.nlp.scoring import Score, score_spans
from annotator.nlp.uncertainty import DoubtFinder


def _agreement(
    predicted: Iterable[Doc], original: Sequence[set[tuple[int, int, str]]], scheme: LabelScheme
) -> float:
    """F1 between the model's entities and the original's, both seen through the label map (the
    learner learns in the scheme's labels: PER where the original said PERSON is agreement)."""
    tp = pred = gold = 0
    for doc, ref in zip(predicted, original, strict=True):
        mine = {(e.start, e.end, scheme.suggested_label(e.label_) or e.label_) for e in doc.ents}
        tp, pred, gold = tp + len(mine & ref), pred + len(mine), gold + len(ref)
    return 2 * tp / (pred + gold) if pred + gold else 1.0


@dataclass
class Learner:
    """The model side (runs in the learner process; usable directly in tests and benchmarks)."""

    setup: LearnerSetup
    nlp: Language = field(init=False)
    ner: Any = field(init=False)  # the pipeline's "ner" component, the only one that changes
    updates: int = 0

    def __post_init__(self) -> None:
        setup = self.setup
        fix_random_seed(setup.seed)  # dropout and initialisation: the same session learns the same
        self.nlp = load_model(setup.model)
        self.model_name = model_name(self.nlp)
        self.suggester = (
            RelationSuggester.from_file(
                self.nlp.vocab, setup.scheme, setup.relation_rules, model_source=self.model_name
            )
            if setup.scheme.relations
            else None
        )
        self.ner = self.nlp.get_pipe("ner")
        # The scheme's labels the model lacks (PER under a label map) are added now, not by the first
        # update that uses them: a roll-back restores weights of the same shape.
        for label in setup.scheme.labels:
            self.ner.add_label(label)
        self.rng = random.Random(setup.seed)
        self._sentences(setup.texts)
        self.optimizer = self.nlp.resume_training()
        self.snapshot = (self.ner.model.to_bytes(), 0)
        self.doubts = DoubtFinder(self.nlp, setup.scheme, self.model_name)
        self.gold_f1 = self._gold_f1()

    # -- the original model's view of the user's texts -------------------------------------------

    def _ner_docs(self, docs: Iterable[Doc]) -> list[Doc]:
        with self.nlp.select_pipes(enable=["ner"]):
            return list(self.nlp.pipe(docs))

    def _sentences(self, texts: Sequence[str]) -> None:
        """Cut the texts into sentences (the parser's) and label them with the original model: the
        canary is held out from the end of the texts (the tasks reached last, if at all, so that it
        measures drift away from what is being corrected), the rehearsal pool is the rest."""
        sentences: list[Doc] = []
        with self.nlp.select_pipes(enable=["tok2vec", "parser"]):
            for doc in self.nlp.pipe(list(texts)):
                for sent in doc.sents:
                    if sum(not t.is_space for t in sent) >= 3:
                        sentences.append(sent.as_doc())
        labelled = self._ner_docs(Doc(self.nlp.vocab, *task_words(d)) for d in sentences)
        n_canary = min(self.setup.canary_size, len(labelled) // 2)
        canary, pool = labelled[len(labelled) - n_canary :], labelled[: len(labelled) - n_canary] or labelled
        self.rng.shuffle(pool)
        self.canary_words = [task_words(d) for d in canary]
        scheme = self.setup.scheme
        self.canary_ents = [
            {(e.start, e.end, scheme.suggested_label(e.label_) or e.label_) for e in d.ents} for d in canary
        ]
        self.pool = [self._rehearsal_example(d) for d in pool]

    def _rehearsal_example(self, labelled: Doc) -> Example:
        """A sentence as the original model labelled it, in the scheme's labels where the label map
        puts one there (so that the model learns one label for one kind of entity)."""
        words = task_words(labelled)
        reference = Doc(self.nlp.vocab, *words)
        scheme = self.setup.scheme
        reference.ents = [
            SpacySpan(reference, e.start, e.end, label=scheme.suggested_label(e.label_) or e.label_)
            for e in labelled.ents
        ]
        return Example(Doc(self.nlp.vocab, *words), reference)

    def agreement(self) -> float:
        """F1 of the model's entities against the original model's on the canary sentences."""
        docs = self._ner_docs(Doc(self.nlp.vocab, *words) for words in self.canary_words)
        return _agreement(docs, self.canary_ents, self.setup.scheme)

    def _gold_f1(self) -> float | None:
        if not self.setup.gold:
            return None
        total = Score(0, 0, 0)
        docs = self._ner_docs(task_doc(self.nlp.vocab, task) for task, _ in self.setup.gold)
        for (task, annotation), doc in zip(self.setup.gold, docs, strict=True):
            s = score_spans(
                suggest(doc, task, self.setup.scheme, self.model_name, None),
                annotation,
                self.setup.scheme.labels,
            )
            total = Score(total.tp + s.tp, total.predicted + s.predicted, total.gold + s.gold)
        return total.f1

    # -- learning --------------------------------------------------------------------------------

    def update(self, task: Task, annotation: Annotation) -> float:
        """One update on an accepted task, mixed with rehearsal sentences; returns the NER loss."""
        (predicted,) = self._ner_docs([task_doc(self.nlp.vocab, task)])
        examples = [training_example(self.nlp.vocab, task, annotation, self.setup.scheme, predicted)]
        if self.pool:
            examples += self.rng.sample(self.pool, min(self.setup.rehearsal, len(self.pool)))
        losses: dict[str, float] = {}
        with self.nlp.select_pipes(enable=["ner"]):
            self.nlp.update(examples, sgd=self.optimizer, drop=self.setup.drop, losses=losses)
        self.updates += 1
        return float(losses.get("ner", 0.0))

    def canary(self) -> Canary:
        """Check drift; roll back to the last state that passed when it is too far gone."""
        agreement = self.agreement()
        gold_f1 = self._gold_f1()
        dropped = gold_f1 is not None and self.gold_f1 is not None and gold_f1 < self.gold_f1 - 1e-9
        if agreement < self.setup.threshold or dropped:
            weights, kept = self.snapshot
            self.ner.model.from_bytes(weights)
            self.optimizer = self.nlp.resume_training()
            self.updates = kept
            return Canary(agreement, gold_f1, True, kept)
        self.snapshot = (self.ner.model.to_bytes(), self.updates)
        if gold_f1 is not None:
            self.gold_f1 = gold_f1
        return Canary(agreement, gold_f1, False, self.updates)

    def predict(self, tasks: Sequence[tuple[int, Task]]) -> tuple[dict[int, Annotation], dict[int, Doubts]]:
        """The suggestions of the model as it is now for these tasks, and how sure it is of them."""
        docs = list(self.nlp.pipe(task_doc(self.nlp.vocab, task) for _, task in tasks))
        doubts = self.doubts(docs, [task for _, task in tasks])
        suggestions = {
            task_id: suggest(doc, task, self.setup.scheme, self.model_name, self.suggester)
            for (task_id, task), doc in zip(tasks, docs, strict=True)
        }
        return suggestions, {task_id: d for (task_id, _), d in zip(tasks, doubts, strict=True)}

    def batch(self, batch: Batch) -> BatchDone:
        start = time.perf_counter()
        canaries: list[Canary] = []
        errors: list[str] = []
        for task, annotation in batch.accepted:
            try:
                self.update(task, annotation)
            except ValueError as exc:  # spaCy's refusal of one example (E-codes) costs that example
                errors.append(f"could not learn from {task.text[:40]!r}: {exc}")
                continue
            if self.updates % self.setup.canary_every == 0:
                canaries.append(self.canary())
        predictions, doubts = self.predict(batch.upcoming)
        return BatchDone(
            self.updates, predictions, tuple(canaries), time.perf_counter() - start, tuple(errors), doubts
        )

    def save(self, path: Path) -> None:
        self.nlp.meta["name"] = f"{self.nlp.meta.get('name', 'pipeline')}_learned"
        self.nlp.to_disk(path)


def task_words(doc: Doc) -> tuple[list[str], list[bool]]:
    return [t.text for t in doc], [bool(t.whitespace_) for t in doc]


def serve(conn: Connection, setup: LearnerSetup) -> None:
    """The learner process's loop: one reply a request, until Stop or the other end closes."""
    try:
        learner = Learner(setup)
    except Exception as exc:  # a model that does not load: said, not a dead process
        conn.send(Failed(f"the learner could not start: {exc}"))
        return
    conn.send(Ready(learner.model_name, len(learner.pool), len(learner.canary_ents)))
    while True:
        try:
            request: Any = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if isinstance(request, Stop):
                return
            if isinstance(request, Save):
                learner.save(request.path)
                conn.send(Saved(request.path))
            elif isinstance(request, Batch):
                conn.send(learner.batch(request))
        except (EOFError, OSError, BrokenPipeError):
            return
        except Exception as exc:  # one bad batch must not end learning for the session
            try:
                conn.send(Failed(f"the learner failed: {exc!r}"))
            except (OSError, BrokenPipeError):
                return
