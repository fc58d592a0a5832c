"""Splitting a token where a span must begin or end inside it (the annotate screen's ``s``), its
undo (merging the two halves back), and moving annotations onto a task's new tokens.

Tokens belong to the task, so a split is seen by every annotator of the dataset. Spans are kept by
their character offsets, which a split never changes: every span fits the new tokens, and only its
token indices move (as an import that splits tokens moves the stored annotations)."""

from __future__ import annotations

from dataclasses import replace

from annotator.core.edits import Edit, History
from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Span, Task, Token
from annotator.core.validate import align


def split_token(task: Task, at: int) -> Task:
    """``task`` with the token holding character ``at`` cut in two there (``at`` strictly inside it)."""
    index = task.token_index_at_char(at)
    if index is None:
        raise AnnotatorError(f"character {at} is not in a token")
    tok = task.tokens[index]
    if not tok.start < at < tok.end:
        raise AnnotatorError(f"{tok.text!r} cannot be split at its edge; move to a character inside it")
    left = Token(task.text[tok.start : at], tok.start, at, index, False)
    right = Token(task.text[at : tok.end], at, tok.end, index + 1, tok.ws)
    after = tuple(t._replace(id=t.id + 1) for t in task.tokens[index + 1 :])
    return replace(task, tokens=(*task.tokens[:index], left, right, *after))


def merge_tokens(task: Task, at: int) -> Task:
    """``task`` with the two tokens that meet at character ``at`` (no space between) made one again."""
    index = task.token_index_at_char(at)
    if index is None or index == 0 or task.tokens[index].start != at or task.tokens[index - 1].end != at:
        raise AnnotatorError(f"no two tokens meet at character {at}")
    left, right = task.tokens[index - 1], task.tokens[index]
    whole = Token(left.text + right.text, left.start, right.end, left.id, right.ws)
    after = tuple(t._replace(id=t.id - 1) for t in task.tokens[index + 1 :])
    return replace(task, tokens=(*task.tokens[: index - 1], whole, *after))


def edge_users(annotation: Annotation, at: int) -> list[Span]:
    """The spans that begin or end at character ``at`` (a merge there would cut them)."""
    return [s for s in annotation.spans if at in (s.start, s.end) and not (s.start < at < s.end)]


def _moved(task: Task, span: Span) -> Span:
    # A span that still fits its own token indices (as every span does until a token is split) is
    # found without a search: a history is realigned whenever a task opens.
    found = align(task.tokens, span.start, span.end, (span.token_start, span.token_end))
    if found is None or found == (span.token_start, span.token_end):
        return span  # kept as it is: it fits other tokens (an undone step, after a merge)
    return replace(span, token_start=found[0], token_end=found[1])


def realign(task: Task, annotation: Annotation) -> Annotation:
    """The annotation's spans on ``task``'s tokens (by their offsets)."""
    spans = tuple(_moved(task, s) for s in annotation.spans)
    return annotation if spans == annotation.spans else replace(annotation, spans=spans)


def _realign_edit(task: Task, edit: Edit) -> Edit:
    removed = tuple(_moved(task, s) for s in edit.removed_spans)
    added = tuple(_moved(task, s) for s in edit.added_spans)
    if removed == edit.removed_spans and added == edit.added_spans:
        return edit
    return replace(edit, removed_spans=removed, added_spans=added)


def realign_history(task: Task, history: History) -> History:
    """The history with every span of its current state and of its steps on ``task``'s tokens: an
    edit log written before a split replays onto the split tokens (offsets never change)."""
    return History(
        realign(task, history.current),
        [_realign_edit(task, e) for e in history.done],
        [_realign_edit(task, e) for e in history.undone],
    )
