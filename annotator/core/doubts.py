"""Where a task is worth a second look: the model's doubts about its entity suggestions, and places
where the entities contradict each other (span groups, which may overlap, are left out).

The model side (nlp/uncertainty.py) measures, for every token, the margin between the probabilities
of the best and the second-best transition of a step-wise decode that reproduces the greedy parse.
A suggested span whose least sure step has a margin under ``UNSURE`` is *unsure*; a run of tokens the
model nearly made a span of (its runner-up action there opened one) is a *near miss*. With a second
model (a committee), a span one model suggests and the other does not is unsure too, and a span only
the other model makes is a near miss. A task's uncertainty score orders the queue (``--order
uncertain``): the summed ``1 - margin`` over its tokens, or the number of spans the two models
disagree on.

Pure logic: what a doubt is, which doubts still apply to the spans as they are now (a span relabelled,
resized or deleted is no longer the one the model doubted), the annotation's own contradictions
("Nakatani" an ORG where "Gen Nakatani" is a PERSON), and the order of a window of tasks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.links import Link
from annotator.core.model import ENTS, Annotation, Span, Task

# A margin under this is unsure: the runner-up had at least a third of the best action's probability
# mass left over after it (p1 - p2 < 0.5).
UNSURE = 0.5
SOURCE_EVERY = 5  # with --order uncertain, every 5th task still comes in source order
WINDOW = 10  # the upcoming tasks the uncertain order chooses from


@dataclass(frozen=True, slots=True)
class Doubt:
    """A span the model suggested and doubts, or one it nearly made (``missed``)."""

    token_start: int
    token_end: int  # inclusive
    label: str  # the suggested span's label; for a near miss, the label it nearly gave
    margin: float | None  # p(best) - p(second best) at its least sure step; None: from the committee
    missed: bool = False

    def why(self) -> str:
        """How the doubt reads in a message."""
        if self.margin is None:
            return "the other model has no such span" if not self.missed else "the other model has it"
        return f"margin {self.margin:.2f}"


@dataclass(frozen=True, slots=True)
class Doubts:
    """One task's doubts by one model, and its uncertainty score (higher: less sure). What else the
    model read in the text beyond its suggestion rides along: the relation rules' matches on the
    parse (``links``, core/links.py), which a span the annotator changes takes its relations from."""

    score: float
    places: tuple[Doubt, ...] = ()
    model: str = ""
    links: tuple[Link, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "score": self.score,
            "model": self.model,
            "places": [[d.token_start, d.token_end, d.label, d.margin, d.missed] for d in self.places],
        }
        if self.links:
            data["links"] = [link.to_json() for link in self.links]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Doubts:
        return cls(
            float(data["score"]),
            tuple(
                Doubt(int(a), int(b), str(c), None if m is None else float(m), bool(x))
                for a, b, c, m, x in data["places"]
            ),
            str(data.get("model", "")),
            tuple(Link.from_json(link) for link in data.get("links", ())),
        )


@dataclass(frozen=True, slots=True)
class Look:
    """A place the ``;`` key goes to: a span of the current annotation (``sid``) or tokens no span
    covers, and why it is worth a look."""

    token_start: int
    token_end: int
    sid: int | None
    label: str | None  # for tokens without a span: the label the model nearly gave them
    why: str


def open_misses(annotation: Annotation, doubts: Doubts | None) -> list[Doubt]:
    """Near misses no span of the annotation covers any token of."""
    if doubts is None:
        return []
    taken = [(s.token_start, s.token_end) for s in annotation.spans if s.layer == ENTS]
    return [
        d
        for d in doubts.places
        if d.missed and not any(a <= d.token_end and d.token_start <= b for a, b in taken)
    ]


def _form(task: Task, span: Span) -> tuple[str, ...]:
    return tuple(t.text.casefold() for t in task.tokens[span.token_start : span.token_end + 1])


POSSESSIVE = frozenset({"'s", "’s", "'", "’"})


def contradictions(task: Task, annotation: Annotation) -> dict[int, str]:
    """Spans the annotation itself speaks against, with why (sid -> reason):

    - the same words labelled two ways ("Washington" a PERSON and a GPE): each of them, except a
      span the annotator labelled (source None) against the model's ("Nakatani" made a PERSON: the
      other mentions the model calls ORG are the places to look);
    - a span whose words begin or end a longer span of another label ("Nakatani" an ORG where
      "Gen Nakatani" is a PERSON): the shorter one, the partial mention;
    - a span ending in a possessive ("North Korea ’s"): names stop before it.
    """
    spans = sorted((s for s in annotation.spans if s.layer == ENTS), key=lambda s: s.start)
    forms = {s.sid: _form(task, s) for s in spans}
    labels_of: dict[tuple[str, ...], set[str]] = {}
    decided: dict[tuple[str, ...], set[str]] = {}  # the labels the annotator gave each form here
    for s in spans:
        labels_of.setdefault(forms[s.sid], set()).add(s.label)
        if s.source is None:
            decided.setdefault(forms[s.sid], set()).add(s.label)
    # The first and last words of every span of two or more, by form: where a shorter form is a
    # partial mention of a longer one.
    edges: dict[tuple[str, ...], dict[str, str]] = {}
    for s in spans:
        form = forms[s.sid]
        for k in range(1, len(form)):
            for part in (form[:k], form[-k:]):
                edges.setdefault(part, {}).setdefault(s.label, task.text[s.start : s.end])
    out: dict[int, str] = {}
    for s in spans:
        form = forms[s.sid]
        # A span the annotator labelled is their decision: only another of their own speaks against
        # it (the model's spans of the same words are the ones to look at).
        others = (decided if s.source is None else labels_of).get(form, set()) - {s.label}
        if others:
            out[s.sid] = f"the same words are {' and '.join(sorted(others))} elsewhere"
            continue
        longer = {label: text for label, text in edges.get(form, {}).items() if label != s.label}
        if longer:
            label, text = sorted(longer.items())[0]
            out[s.sid] = f"part of {label} {text!r} elsewhere"
            continue
        if len(form) > 1 and form[-1] in POSSESSIVE:
            out[s.sid] = "ends in a possessive"
    return out


def looks(task: Task, annotation: Annotation, doubts: Doubts | None) -> list[Look]:
    """Every place worth a look in the task as it is now, in text order: unsure spans (unless the
    same words carry the same label elsewhere in the task without a doubt), near misses and the
    annotation's contradictions."""
    found: dict[tuple[int, int, int | None], Look] = {}
    against = contradictions(task, annotation)
    doubted = {(d.token_start, d.token_end, d.label): d for d in doubts.places} if doubts else {}
    ents = [s for s in annotation.spans if s.layer == ENTS]
    # Forms (and labels) the annotation holds somewhere without a doubt: a doubt about another
    # mention of the same words with the same label is settled ("Japan" a GPE, sure in ten places).
    sure = {(_form(task, s), s.label) for s in ents if (s.token_start, s.token_end, s.label) not in doubted}
    for s in ents:
        reasons = []
        d = doubted.get((s.token_start, s.token_end, s.label))
        if d is not None and not d.missed and (_form(task, s), s.label) not in sure:
            reasons.append(f"unsure ({d.why()})")
        if s.sid in against:
            reasons.append(against[s.sid])
        if reasons:
            found[(s.token_start, s.token_end, s.sid)] = Look(
                s.token_start, s.token_end, s.sid, s.label, "; ".join(reasons)
            )
    for d in open_misses(annotation, doubts):
        key = (d.token_start, d.token_end, None)
        if key not in found:
            found[key] = Look(d.token_start, d.token_end, None, d.label, f"nearly {d.label} ({d.why()})")
    return sorted(found.values(), key=lambda look: (look.token_start, look.token_end))


def next_look(places: Sequence[Look], cursor: int, current: Look | None, forward: bool = True) -> Look | None:
    """The place after the current one (or after the cursor), before it going back; wraps."""
    if not places:
        return None
    if current is not None and current in places:
        return places[(places.index(current) + (1 if forward else -1)) % len(places)]
    if forward:
        return next((p for p in places if p.token_end >= cursor), places[0])
    return next((p for p in reversed(places) if p.token_start < cursor), places[-1])


def uncertain_order(window: Sequence[int], scores: Mapping[int, float], decided: int) -> int:
    """Which task of ``window`` (the next unanswered ones, in source order) opens next, after
    ``decided`` decisions: every ``SOURCE_EVERY``-th the first in source order (so that a fifth of
    the gold is a sample in source order, usable for evaluation, and no task waits long), else the
    least sure (highest score; tasks without a score count as 0; ties in source order)."""
    if (decided + 1) % SOURCE_EVERY == 0:
        return window[0]
    best = max(range(len(window)), key=lambda i: (scores.get(window[i], 0.0), -i))
    return window[best]
