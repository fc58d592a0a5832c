"""Links: what the relation rules read in a task's dependency parse, kept with the task so that a span
the annotator changes gets the relations the rules see for it, without the model.

A rule match on the parse (nlp/relations.py) names a relation label and the tokens that can stand for
its head and its child (the matched token and those coordinated with or apposed to it: "Nakatani and
Ahn met"). It becomes a relation when a span holds one of the head tokens and another span one of the
child tokens, and the scheme allows the label between their labels. The parse does not change when the
annotator relabels "Nakatani" from ORG to PERSON, so the rules' "X met Y" still holds there: the
relations it allows now are suggested with the relabel, in the same undoable step.

Pure logic: the model side finds the links when it prepares the text (every token may be an argument,
so spans made later are covered); the suggester and the session both turn them into relations here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.model import ENTS, Annotation, Relation, Span
from annotator.core.scheme import LabelScheme
from annotator.core.wording import counted


@dataclass(frozen=True, slots=True)
class Link:
    heads: tuple[int, ...]  # token indices a head span may hold
    children: tuple[int, ...]
    label: str
    source: str  # "rule:<name>"
    symmetric: bool = False  # MET: the head is the span that comes first

    def to_json(self) -> list[Any]:
        return [list(self.heads), list(self.children), self.label, self.source, self.symmetric]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Link:
        heads, children, label, source, symmetric = data
        return cls(
            tuple(int(i) for i in heads),
            tuple(int(i) for i in children),
            str(label),
            str(source),
            bool(symmetric),
        )


def relations(spans: Sequence[Span], links: Iterable[Link], scheme: LabelScheme) -> Iterable[Relation]:
    """The relations ``links`` make between ``spans`` that the scheme allows (each span stands for the
    tokens it holds)."""
    by_token: dict[int, Span] = {}
    for span in spans:
        for i in range(span.token_start, span.token_end + 1):
            by_token[i] = span
    for link in links:
        heads = {by_token[i] for i in link.heads if i in by_token}
        children = {by_token[i] for i in link.children if i in by_token}
        for head in sorted(heads, key=lambda s: s.start):
            for child in sorted(children, key=lambda s: s.start):
                h, c = (child, head) if link.symmetric and child.start < head.start else (head, child)
                if h.sid != c.sid and scheme.relation_error(link.label, h.label, c.label) is None:
                    yield Relation(h.sid, c.sid, link.label, link.source)


def relink(
    after: Annotation,
    changed: Collection[int],
    links: Sequence[Link],
    scheme: LabelScheme,
    refused: Collection[tuple[int, int, str]] = (),
) -> tuple[Relation, ...]:
    """The relations the links make for the entity spans ``changed`` (sids) in ``after`` that it
    does not hold yet, leaving out those the annotator removed (``refused``)."""
    if not links or not changed or not scheme.relations:
        return ()
    have = {r.key for r in after.relations}
    out: dict[tuple[int, int, str], Relation] = {}
    ents = [s for s in after.spans if s.layer == ENTS]
    for rel in relations(ents, links, scheme):
        if (rel.head in changed or rel.child in changed) and rel.key not in have and rel.key not in refused:
            out.setdefault(rel.key, rel)
    return tuple(out.values())


def noted(note: str, added: int) -> str:
    """An edit's note, with the relations it suggested said."""
    if not added:
        return note
    said = f"the rules suggest {counted(added, 'relation')} for it"
    return f"{note} · {said}" if note else said
