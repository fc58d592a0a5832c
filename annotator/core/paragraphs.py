"""Cutting a task into one task a paragraph (a line of its text), with its annotation: for
simulations and tests that need many short texts from one long annotated one."""

from __future__ import annotations

from dataclasses import replace

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task, Token


def paragraphs(task: Task, annotation: Annotation) -> list[tuple[Task, Annotation]]:
    """One (task, annotation) a non-blank line of the text, offsets and token ids rebased; spans
    and relations that lie inside a line go with it (a span across a line break is dropped)."""
    out: list[tuple[Task, Annotation]] = []
    start = 0
    for line in task.text.split("\n"):
        end = start + len(line)
        toks = [t for t in task.tokens if start <= t.start and t.end <= end]
        if toks and line.strip():
            first = toks[0].id
            tokens = tuple(
                Token(t.text, t.start - start, t.end - start, t.id - first, t.ws and i < len(toks) - 1)
                for i, t in enumerate(toks)
            )
            spans = tuple(
                replace(
                    s,
                    start=s.start - start,
                    end=s.end - start,
                    token_start=s.token_start - first,
                    token_end=s.token_end - first,
                )
                for s in annotation.spans
                if start <= s.start and s.end <= end
            )
            sids = {s.sid for s in spans}
            rels = tuple(r for r in annotation.relations if r.head in sids and r.child in sids)
            meta = {**task.meta, "paragraph": len(out) + 1}
            out.append(
                (Task(line, tokens, input_hash(line), meta), replace(annotation, spans=spans, relations=rels))
            )
        start = end + 1
    return out
