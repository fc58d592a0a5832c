"""A parsed Doc to a task with suggested spans and relations; a stream of sources through nlp.pipe.

The per-document work after the pipeline is kept to what the task needs (one pass over the tokens,
one over the entities, the relation matcher), so a corpus runs at nearly the speed of bare
``nlp.pipe``.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from annotator.core.errors import BadRecord
from annotator.core.hashing import input_hash as compute_input_hash
from annotator.core.layers import homes
from annotator.core.model import ENTS, Annotation, Relation, Span, Task, Token
from annotator.core.pieces import PIECE_CHARS, cut_points, pieces
from annotator.core.scheme import LabelScheme
from annotator.nlp.patterns import PATTERNS_KEY, PATTERNS_SOURCE
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
    spans += group_suggestions(doc, task, scheme, model_name, len(spans) + 1)
    spans += pattern_suggestions(doc, task, scheme, spans)
    return Annotation(spans=tuple(spans), relations=relations)


def pattern_suggestions(doc: Doc, task: Task, scheme: LabelScheme, taken: list[Span]) -> list[Span]:
    """The patterns file's matches (``--patterns``), each on the layer the scheme gives its label:
    in a span group each place and label once; on the entity layer where it overlaps no entity
    suggested already (the model's, or a longer match)."""
    matches = doc.spans.get(PATTERNS_KEY)
    if not matches:
        return []
    tokens = task.tokens
    home = homes(scheme)
    out: list[Span] = []
    places = {(s.start, s.end, s.layer, s.label) for s in taken}
    ents = [s for s in taken if s.layer == ENTS]
    first_sid = max((s.sid for s in taken), default=0) + 1
    for match in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
        label = scheme.label_map.get(match.label_, match.label_)
        layer = home.get(label)
        if layer is None:
            continue
        first, last = tokens[match.start], tokens[match.end - 1]
        span = Span(
            first.start,
            last.end,
            match.start,
            match.end - 1,
            label,
            PATTERNS_SOURCE,
            first_sid + len(out),
            layer,
        )
        if (span.start, span.end, layer, label) in places:
            continue
        if layer == ENTS:
            if any(e.overlaps(span) for e in ents):
                continue
            ents.append(span)
        places.add((span.start, span.end, layer, label))
        out.append(span)
    return out


# A span a spancat component scores below this is not suggested (spancat's own default threshold).
SPANCAT_THRESHOLD = 0.5


def group_suggestions(
    doc: Doc, task: Task, scheme: LabelScheme, model_name: str, first_sid: int
) -> list[Span]:
    """The spans a pipeline's ``spancat`` / ``spancat_singlelabel`` put in ``doc.spans[key]`` for
    each span group of the scheme: those scored at least SPANCAT_THRESHOLD (a group without scores,
    such as a SpanRuler's, is taken whole), their labels through the label map, each place and
    label once."""
    out: list[Span] = []
    seen: set[tuple[int, int, str, str]] = set()
    tokens = task.tokens
    for key in scheme.span_groups:
        group = doc.spans.get(key)
        if group is None:
            continue
        scores = group.attrs.get("scores")
        for k, span in enumerate(group):
            if scores is not None and k < len(scores) and float(scores[k]) < SPANCAT_THRESHOLD:
                continue
            label = scheme.suggested_label(span.label_, key)
            if label is None or (span.start_char, span.end_char, key, label) in seen:
                continue
            seen.add((span.start_char, span.end_char, key, label))
            first, last = tokens[span.start], tokens[span.end - 1]
            out.append(
                Span(
                    first.start,
                    last.end,
                    span.start,
                    span.end - 1,
                    label,
                    model_name,
                    first_sid + len(out),
                    key,
                )
            )
    return out


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
    parsed: Callable[[Doc, Task], None] | None = None,
) -> Iterator[tuple[Task, Annotation]]:
    """Every item as a task with its starting annotation, in input order, through ``nlp.pipe``.
    ``parsed`` is told each Doc the model parsed whole with its task (to measure how sure the
    model was; a text read in pieces is not told).

    A text longer than ``PIECE_CHARS`` is read by the model piece by piece (``core.pieces``) into
    one task, so memory does not grow with the length of a text. Items whose given spans do not
    fit the model's tokens, and texts the model fails on, go to ``problems`` (else raise): one bad
    text never stops the others (with ``n_process`` > 1, a model failure stops the batch)."""
    run = _Run(nlp, scheme, model_name, relation_suggester, problems, parsed)
    limit = min(PIECE_CHARS, nlp.max_length)
    source = iter(items)
    held: list[SourceItem] = []  # the long item that ended the last run of short ones
    more = True

    def shorts() -> Iterator[SourceItem]:
        nonlocal more
        for item in source:
            if item.kind != "ready" and len(item.text) > limit:
                held.append(item)
                return
            yield item
        more = False

    while more:
        if n_process == 1:
            yield from run.pipe_recovering(shorts(), batch_size or nlp.batch_size)
        else:
            yield from run.pipe(shorts(), batch_size, n_process)
        while held:
            item = held.pop()
            done = run.guarded(item, run.in_pieces, item, limit)
            if done is not None:
                yield done


PIECE_BATCH = 2  # pieces the model reads at once: ~2 x 30 MB of the parser's memory


@dataclass(frozen=True)
class _Run:
    """What one pre-annotation run suggests with, and where its bad records go."""

    nlp: Language
    scheme: LabelScheme
    model_name: str
    suggester: RelationSuggester | None
    problems: list[BadRecord] | None
    parsed: Callable[[Doc, Task], None] | None = None

    def finish(self, doc: Doc, item: SourceItem) -> tuple[Task, Annotation]:
        task, annotation = _finish(self.nlp, doc, item, self.scheme, self.model_name, self.suggester)
        if self.parsed is not None and item.kind in ("text", "tokens"):
            self.parsed(doc, task)
        return task, annotation

    def guarded(
        self, item: SourceItem, make: Callable[..., tuple[Task, Annotation]], *args: Any
    ) -> tuple[Task, Annotation] | None:
        """``make(*args)``, or None with the item reported when it is bad or the model fails on it."""
        try:
            return make(*args)
        except BadRecord as exc:
            if self.problems is None:
                raise
            self.problems.append(exc)
        except Exception as exc:  # the model's own failure on one text must not stop the rest
            if self.problems is None:
                raise
            self.problems.append(item.bad(f"the model failed on this text: {type(exc).__name__}: {exc}"))
        return None

    def alone(self, item: SourceItem) -> tuple[Task, Annotation]:
        return self.finish(self.nlp(_pipe_input(self.nlp, item)), item)

    def pipe(
        self, items: Iterator[SourceItem], batch_size: int | None, n_process: int
    ) -> Iterator[tuple[Task, Annotation]]:
        # The pipe carries a sequence number, not the item: with n_process > 1 contexts travel to
        # the worker processes and back, and the items (with their texts) need not.
        pending: dict[int, SourceItem] = {}
        counter = itertools.count()

        def inputs() -> Iterator[tuple[str | Doc, int]]:
            for item in items:
                n = next(counter)
                pending[n] = item
                yield _pipe_input(self.nlp, item), n

        docs = self.nlp.pipe(inputs(), as_tuples=True, batch_size=batch_size, n_process=n_process)
        for doc, n in docs:
            item = pending.pop(n)
            done = self.guarded(item, self.finish, doc, item)
            if done is not None:
                yield done

    def pipe_recovering(
        self, items: Iterator[SourceItem], batch_size: int
    ) -> Iterator[tuple[Task, Annotation]]:
        """``pipe`` in one process, batch by batch: when the model fails inside a batch, its items
        are read again one by one, so that only the text it fails on is reported."""
        while batch := list(itertools.islice(items, batch_size)):
            try:
                docs = list(self.nlp.pipe((_pipe_input(self.nlp, i) for i in batch), batch_size=batch_size))
            except Exception:
                if self.problems is None:
                    raise
                for item in batch:
                    done = self.guarded(item, self.alone, item)
                    if done is not None:
                        yield done
                continue
            for doc, item in zip(docs, batch, strict=True):
                done = self.guarded(item, self.finish, doc, item)
                if done is not None:
                    yield done

    def in_pieces(self, item: SourceItem, limit: int) -> tuple[Task, Annotation]:
        """A long item as one task, the model reading it ``limit`` characters at a time: a plain
        text is cut at paragraph, then sentence boundaries; given tokens are cut at the token
        nearest such a boundary; given spans wait for tokens made piece by piece."""
        nlp = self.nlp
        if item.kind == "spans":
            tokens: list[Token] = []
            for offset, piece in pieces(item.text, limit):
                tokens.extend(_shifted(doc_tokens(nlp.make_doc(piece)), offset, len(tokens)))
            return item.with_tokens(tokens)
        merged = _Merged()
        if item.kind == "tokens" and item.task is not None:
            given = item.task.tokens
            starts = [t.start for t in given]
            bounds = sorted(
                {bisect.bisect_left(starts, c) for c in cut_points(item.text, limit)} | {0, len(given)}
            )
            ranges = list(itertools.pairwise(bounds))
            docs = nlp.pipe(
                (
                    Doc(nlp.vocab, words=[t.text for t in given[a:b]], spaces=[t.ws for t in given[a:b]])
                    for a, b in ranges
                ),
                batch_size=PIECE_BATCH,
            )
            for (a, b), doc in zip(ranges, docs, strict=True):
                local = Task(item.text, given[a:b], 0)
                merged.add((), suggest(doc, local, self.scheme, self.model_name, self.suggester), 0, a)
            return item.task, merged.annotation()
        cut = list(pieces(item.text, limit))
        docs = nlp.pipe((piece for _, piece in cut), batch_size=PIECE_BATCH)
        for (offset, _), doc in zip(cut, docs, strict=True):
            local = Task(doc.text, doc_tokens(doc), 0)
            annotation = suggest(doc, local, self.scheme, self.model_name, self.suggester)
            merged.add(local.tokens, annotation, offset, len(merged.tokens))
        task = Task(item.text, tuple(merged.tokens), item.input_hash, dict(item.meta), dict(item.extra))
        return task, merged.annotation()


def _shifted(tokens: Iterable[Token], offset: int, first: int) -> Iterator[Token]:
    return (Token(t.text, t.start + offset, t.end + offset, t.id + first, t.ws) for t in tokens)


@dataclass
class _Merged:
    """Tokens and suggestions of consecutive pieces of one text, renumbered as one task's."""

    tokens: list[Token] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def add(self, tokens: Sequence[Token], annotation: Annotation, offset: int, first: int) -> None:
        """One piece's tokens (if the task has none of its own) and suggestions, whose characters
        start at ``offset`` and whose first token is the task's token ``first``."""
        self.tokens.extend(_shifted(tokens, offset, first))
        sid = len(self.spans)
        self.spans.extend(
            replace(
                s,
                start=s.start + offset,
                end=s.end + offset,
                token_start=s.token_start + first,
                token_end=s.token_end + first,
                sid=s.sid + sid,
            )
            for s in annotation.spans
        )
        self.relations.extend(
            replace(r, head=r.head + sid, child=r.child + sid) for r in annotation.relations
        )

    def annotation(self) -> Annotation:
        return Annotation(spans=tuple(self.spans), relations=tuple(self.relations))
