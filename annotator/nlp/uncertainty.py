"""How sure the model is of its suggestions: a step-wise decode of the entity recognizer, and a
committee of two models.

spaCy's recognizer is a transition system: at each token it scores its actions (begin, inside, last,
unit of each label, outside) and the greedy parse takes the best valid one. Decoding step by step
from Python, with the same scores and the same choice, reproduces that parse (checked by the tests)
and gives for every token the margin between the probabilities (a softmax over the valid actions)
of the best and the second-best action. A suggested span is as sure as its least sure step; where
the model chose "outside" by a small margin and its runner-up would have opened an entity, that
entity is followed greedily to its end: a near miss ("the following day" nearly a DATE).

Measured (shared notes, 600 WNUT tweets): documents ordered by the summed margin put 38% of the
errors in the top fifth (length alone 28%), a committee of two models 45%. The beam's parse of this
greedy-trained model is not used: its top parse is far worse than greedy (article F 0.024).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.language import Language
from spacy.tokens import Doc

from annotator.core.doubts import UNSURE, Doubt, Doubts
from annotator.core.model import Task
from annotator.core.scheme import LabelScheme
from annotator.nlp.examples import task_doc

MAX_NEAR_MISS = 12  # tokens a near miss is followed for before it is given up


@dataclass(frozen=True)
class Decoded:
    """The step-wise parse of one Doc: entities (start, end exclusive, label) as the greedy parse
    has them, each token's margin, and the near misses (start, end exclusive, label)."""

    ents: tuple[tuple[int, int, str], ...]
    margins: tuple[float, ...]
    near: tuple[tuple[int, int, str, float], ...]


class StepDecoder:
    """The pipeline's entity recognizer, decoded one step at a time."""

    def __init__(self, nlp: Language, component: str = "ner") -> None:
        ner: Any = nlp.get_pipe(component)
        self.ner = ner
        self.moves: Any = ner.moves
        self.names: list[str] = [self.moves.get_class_name(i) for i in range(self.moves.n_moves)]
        self._masks: dict[tuple[str | None, bool, bool, bool], numpy.ndarray[Any, Any]] = {}

    def _valid(self, state: Any, doc: Doc, open_label: str | None) -> numpy.ndarray[Any, Any]:
        """Which actions are valid in ``state``. Asking spaCy action by action costs 74 calls a
        token; without preset entities validity depends only on the entity open (and its label),
        whether this is the last token, whether the next one starts a sentence and whether this one
        is whitespace, so each such case is asked once."""
        b0 = state.B(0)
        last = state.B(1) == -1
        key = (open_label, last, not last and doc[b0 + 1].is_sent_start is True, doc[b0].is_space)
        mask = self._masks.get(key)
        if mask is None:
            mask = numpy.fromiter(
                (self.moves.is_valid(state, n) for n in self.names), dtype=bool, count=len(self.names)
            )
            self._masks[key] = mask
        return mask

    @staticmethod
    def opened(name: str, open_label: str | None) -> str | None:
        """The entity open after action ``name``."""
        if name.startswith("B-"):
            return name[2:]
        return open_label if name.startswith("I-") else None

    @staticmethod
    def _ranked(
        row: numpy.ndarray[Any, Any], valid: numpy.ndarray[Any, Any]
    ) -> tuple[int, int | None, float]:
        """The best valid action, the runner-up (None if there is none) and their margin."""
        scores = numpy.where(valid, row, -numpy.inf)
        order = numpy.argsort(-scores, kind="stable")
        best = int(order[0])
        if valid.sum() < 2:
            return best, None, 1.0
        second = int(order[1])
        probs = numpy.exp(scores[valid] - scores[best])
        probs /= probs.sum()
        top = numpy.sort(probs)[::-1]
        return best, second, float(top[0] - top[1])

    def __call__(self, docs: Sequence[Doc]) -> list[Decoded]:
        """Decode ``docs``: Docs the pipeline ran on (their sentence starts bound entities as in the
        pipeline, and a recognizer that listens to a shared token-to-vector layer reads its
        output), copied without their entities."""
        if not docs:
            return []
        moves = self.moves
        fresh = [self._unlabelled(doc) for doc in docs]
        states = moves.init_batch(fresh)
        step_model = self.ner.model.predict(fresh)
        margins = [[1.0] * len(doc) for doc in docs]
        opened: list[str | None] = [None] * len(docs)
        # Where "outside" won by a small margin over opening an entity: (doc, token, the state
        # before, the runner-up action, the entity open, margin).
        hesitations: list[tuple[int, int, Any, int, float]] = []
        todo = [(i, s) for i, s in enumerate(states) if not s.is_final()]
        try:
            while todo:
                scores = step_model.predict([s for _, s in todo])
                for row, (i, state) in zip(scores, todo, strict=True):
                    best, second, margin = self._ranked(row, self._valid(state, fresh[i], opened[i]))
                    token = state.B(0)
                    margins[i][token] = min(margins[i][token], margin)
                    if (
                        margin < UNSURE
                        and second is not None
                        and self.names[best] == "O"
                        and self.names[second][:2] in ("B-", "U-")
                    ):
                        hesitations.append((i, token, state.copy(), second, margin))
                    moves.apply_transition(state, self.names[best])
                    opened[i] = self.opened(self.names[best], opened[i])
                todo = [(i, s) for i, s in todo if not s.is_final()]
            near: list[list[tuple[int, int, str, float]]] = [[] for _ in docs]
            for i, token, state, second, margin in hesitations:
                found = self._follow(step_model, state, fresh[i], second, token)
                if found is not None:
                    near[i].append((*found, margin))
        finally:
            step_model.clear_memory()
        out = []
        for parsed, state, doc_margins, doc_near in zip(fresh, states, margins, near, strict=True):
            moves.set_annotations(state, parsed)
            ents = tuple((e.start, e.end, e.label_) for e in parsed.ents)
            out.append(Decoded(ents, tuple(doc_margins), tuple(doc_near)))
        return out

    @staticmethod
    def _unlabelled(doc: Doc) -> Doc:
        """A copy of the Doc (its tokens, sentence starts, tensor) with no entity set, so that no
        entity is preset for the recognizer (ents set to "outside" would force every action)."""
        fresh = doc.copy()
        fresh.set_ents([], default="missing")
        return fresh

    def _follow(
        self, step_model: Any, state: Any, doc: Doc, action: int, token: int
    ) -> tuple[int, int, str] | None:
        """The entity the runner-up ``action`` would have opened at ``token``: followed greedily
        until it closes."""
        name = self.names[action]
        label = name[2:]
        self.moves.apply_transition(state, name)
        if name.startswith("U-"):
            return token, token + 1, label
        for _ in range(MAX_NEAR_MISS):
            if state.is_final():
                return None
            row = step_model.predict([state])[0]
            best, _, _ = self._ranked(row, self._valid(state, doc, label))
            here = state.B(0)
            self.moves.apply_transition(state, self.names[best])
            if self.names[best] == f"L-{label}":
                return token, here + 1, label
        return None


def _in_scheme(ents: Sequence[tuple[int, int, str]], scheme: LabelScheme) -> dict[tuple[int, int], str]:
    out: dict[tuple[int, int], str] = {}
    for start, end, label in ents:
        mapped = scheme.suggested_label(label)
        if mapped is not None:
            out[(start, end)] = mapped
    return out


def margin_doubts(doc: Doc, decoded: Decoded, scheme: LabelScheme, model: str) -> Doubts:
    """The doubts of one Doc's suggestions (its entities, through the label map) from its decode:
    spans under ``UNSURE`` and the near misses; the score is the summed ``1 - margin``."""
    places: list[Doubt] = []
    for e in doc.ents:
        label = scheme.suggested_label(e.label_)
        if label is None:
            continue
        margin = min(decoded.margins[e.start : e.end], default=1.0)
        if margin < UNSURE:
            places.append(Doubt(e.start, e.end - 1, label, round(margin, 3)))
    for start, end, raw, margin in decoded.near:
        label = scheme.suggested_label(raw)
        if label is not None:
            places.append(Doubt(start, end - 1, label, round(margin, 3), missed=True))
    score = float(sum(1.0 - m for m in decoded.margins))
    return Doubts(round(score, 3), tuple(places), model)


def committee_doubts(doc: Doc, other: Doc, scheme: LabelScheme, model: str) -> Doubts:
    """Where two models disagree (both through the label map): a span only ``doc``'s model suggests
    is unsure, one only the other model makes is a near miss; the score counts the disagreements."""
    mine = _in_scheme([(e.start, e.end, e.label_) for e in doc.ents], scheme)
    theirs = _in_scheme([(e.start, e.end, e.label_) for e in other.ents], scheme)
    places = [
        Doubt(start, end - 1, label, None)
        for (start, end), label in mine.items()
        if theirs.get((start, end)) != label
    ]
    places += [
        Doubt(start, end - 1, label, None, missed=True)
        for (start, end), label in theirs.items()
        if mine.get((start, end)) != label
    ]
    return Doubts(float(len(places)), tuple(sorted(places, key=lambda d: d.token_start)), model)


def merged(first: Doubts, second: Doubts) -> Doubts:
    """The committee's score, and the places of both (a span both doubt once)."""
    seen = {(d.token_start, d.token_end, d.label, d.missed) for d in second.places}
    places = [
        *second.places,
        *(d for d in first.places if (d.token_start, d.token_end, d.label, d.missed) not in seen),
    ]
    return Doubts(
        second.score, tuple(sorted(places, key=lambda d: (d.token_start, d.token_end))), second.model
    )


class DoubtFinder:
    """The doubts of parsed Docs: the pipeline's margins, and with a committee model its
    disagreements (the committee runs on the task's own tokens)."""

    def __init__(
        self, nlp: Language, scheme: LabelScheme, model: str, committee: Language | None = None
    ) -> None:
        self.decoder = StepDecoder(nlp)
        self.scheme = scheme
        self.model = model
        self.committee = committee

    def __call__(self, docs: Sequence[Doc], tasks: Sequence[Task]) -> list[Doubts]:
        decoded = self.decoder(docs)
        out = [margin_doubts(doc, d, self.scheme, self.model) for doc, d in zip(docs, decoded, strict=True)]
        if self.committee is None:
            return out
        others = list(self.committee.pipe(task_doc(self.committee.vocab, task) for task in tasks))
        return [
            merged(mine, committee_doubts(doc, other, self.scheme, f"{self.model}+committee"))
            for mine, doc, other in zip(out, docs, others, strict=True)
        ]
