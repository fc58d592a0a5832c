"""A parsed Doc to a task with suggested spans and relations; a stream of sources through nlp.pipe.

The per-document work after the pipeline is kept to what the task needs (one pass over the tokens,
one over the entities, the relation matcher), so a corpus runs at nearly the speed of bare
``nlp.pipe``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from annotator.core.errors import BadRecord
from annotator.core.hashing import input_hash as compute_input_hash
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.core.scheme import LabelScheme
from annotator.nlp.relations import RelationSuggester
from annotator.sources import SourceItem


def doc_tokens(doc: Doc) -> tuple[Token, ...]:
    return tuple(Token(t.text, t.idx, t.idx + len(t), t.i, bool(t.whitespace_)) for t in doc)


def suggest(
    doc: Doc,
    task: Task,
    scheme: LabelScheme,
    model_name: str,
    relation_suggester: RelationSuggester | None,
) -> Annotation:
    """The suggestions a parsed Doc of the task's tokens makes: its entities through the scheme's
    label map (those the scheme has no label for are dropped) and the relations between them."""
    tokens = task.tokens
    spans: list[Span] = []
    for ent in doc.ents:
        label = scheme.suggested_label(ent.label_)  # through the label map; None: not in the scheme
        if label is None:
            continue
        first, last = tokens[ent.start], tokens[ent.end - 1]
        spans.append(Span(first.start, last.end, ent.start, ent.end - 1, label, model_name, len(spans) + 1))
    relations: tuple[Relation, ...] = ()
    if relation_suggester is not None and len(spans) > 1:
        relations = tuple(relation_suggester(doc, spans))
    return Annotation(spans=tuple(spans), relations=relations)


def doc_to_task(
    doc: Doc,
    meta: Mapping[str, Any],
    scheme: LabelScheme,
    model_name: str,
    relation_suggester: RelationSuggester | None = None,
    *,
    input_hash: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Task, Annotation]:
    """The task (the Doc's text and tokens) and the model's suggestions for it: entity spans whose
    label, seen through the scheme's label map, is in the scheme (source = ``model_name``, sids
    1..n) and suggested relations."""
    text = doc.text
    ihash = input_hash if input_hash is not None else compute_input_hash(text, meta)
    task = Task(text, doc_tokens(doc), ihash, dict(meta), dict(extra or {}))
    return task, suggest(doc, task, scheme, model_name, relation_suggester)


def tokens_doc(nlp: Language, task: Task) -> Doc:
    """A Doc with exactly the task's tokens, for a pipeline to run on instead of its tokenizer."""
    return Doc(nlp.vocab, words=[t.text for t in task.tokens], spaces=[t.ws for t in task.tokens])


def _pipe_input(nlp: Language, item: SourceItem) -> str | Doc:
    kind = item.kind
    if kind == "text":
        return item.text
    if kind == "tokens" and item.task is not None:
        return tokens_doc(nlp, item.task)
    # Given annotations need no model; an empty text keeps them in order in the stream cheaply.
    return ""


def _finish(
    nlp: Language,
    doc: Doc,
    item: SourceItem,
    scheme: LabelScheme,
    model_name: str,
    relation_suggester: RelationSuggester | None,
) -> tuple[Task, Annotation]:
    kind = item.kind
    if kind == "text":
        return doc_to_task(
            doc,
            item.meta,
            scheme,
            model_name,
            relation_suggester,
            input_hash=item.input_hash,
            extra=item.extra,
        )
    if kind == "ready" and item.task is not None and item.annotation is not None:
        return item.task, item.annotation
    if kind == "tokens" and item.task is not None:
        if len(doc) != len(item.task.tokens):
            raise item.bad(
                f"the pipeline changed the given tokenization ({len(item.task.tokens)} tokens "
                f"became {len(doc)}); give the task without 'tokens' to use the model's"
            )
        return item.task, suggest(doc, item.task, scheme, model_name, relation_suggester)
    return item.with_tokens(doc_tokens(nlp.make_doc(item.text)))


def preannotate_stream(
    nlp: Language,
    items: Iterable[SourceItem],
    scheme: LabelScheme,
    batch_size: int | None = None,
    n_process: int = 1,
    *,
    model_name: str,
    relation_suggester: RelationSuggester | None = None,
    problems: list[BadRecord] | None = None,
) -> Iterator[tuple[Task, Annotation]]:
    """Every item as a task with its starting annotation, in input order, through ``nlp.pipe``.

    Items whose given spans do not fit the model's tokens go to ``problems`` (else raise)."""
    # The pipe carries a sequence number, not the item: with n_process > 1 contexts travel to the
    # worker processes and back, and the items (with their texts) need not.
    pending: dict[int, SourceItem] = {}
    counter = itertools.count()

    def inputs() -> Iterator[tuple[str | Doc, int]]:
        for item in items:
            n = next(counter)
            pending[n] = item
            yield _pipe_input(nlp, item), n

    for doc, n in nlp.pipe(inputs(), as_tuples=True, batch_size=batch_size, n_process=n_process):
        item = pending.pop(n)
        try:
            yield _finish(nlp, doc, item, scheme, model_name, relation_suggester)
        except BadRecord as exc:
            if problems is None:
                raise
            problems.append(exc)
