"""Where the spans of the annotation on screen are: the span at each token, each span by its sid,
and the tag drawn after each span's last token (its label, and ▶/◀ when it heads or is the child of
a relation). Kept up to date edit by edit, so a keystroke on a long document touches only the
spans it changed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

from annotator.core.model import ENTS, Annotation, Span
from annotator.tui.components.group_lines import GroupIndex
from annotator.tui.display import cells


class SpanIndex:
    def __init__(self) -> None:
        self.annotation = Annotation()
        self.span_at: dict[int, Span] = {}  # token -> span
        self.by_sid: dict[int, Span] = {}
        self.tag_after: dict[int, str] = {}  # a span's last token -> its tag
        self._heads: set[int] = set()  # sids that head some relation
        self._children: set[int] = set()
        # (first token, last token, label) of entity suggestions the model was unsure of: drawn
        # with "?" after the label until the span is changed
        self.doubted: frozenset[tuple[int, int, str]] = frozenset()
        # Span-group spans are drawn on underline rows, not in the text: indexed apart.
        self.groups = GroupIndex()

    def rebuild(self, annotation: Annotation) -> set[int]:
        """Index ``annotation`` anew; returns the tokens whose tag changed."""
        old_tags = self.tag_after
        self.annotation = annotation
        self._heads = {r.head for r in annotation.relations}
        self._children = {r.child for r in annotation.relations}
        self.span_at = {}
        self.tag_after = {}
        self.groups.rebuild(annotation)
        ents = [s for s in annotation.spans if s.layer == ENTS]
        self.by_sid = {s.sid: s for s in ents}
        for span in ents:
            for i in range(span.token_start, span.token_end + 1):
                self.span_at[i] = span
            self.tag_after[span.token_end] = self._tag(span)
        return {
            i for i in old_tags.keys() | self.tag_after.keys() if old_tags.get(i) != self.tag_after.get(i)
        }

    def update(self, annotation: Annotation, removed: Sequence[Span], added: Sequence[Span]) -> set[int]:
        """What one edit removed and added, and the tags of spans whose relation markers changed;
        returns the tokens whose tag changed."""
        self.annotation = annotation
        self.groups.remove(s for s in removed if s.layer != ENTS)
        self.groups.add(s for s in added if s.layer != ENTS)
        removed = [s for s in removed if s.layer == ENTS]
        added = [s for s in added if s.layer == ENTS]
        heads = {r.head for r in annotation.relations}
        children = {r.child for r in annotation.relations}
        markers = (heads ^ self._heads) | (children ^ self._children)
        self._heads, self._children = heads, children
        before: dict[int, str | None] = {}
        for span in removed:
            before.setdefault(span.token_end, self.tag_after.get(span.token_end))
            self.by_sid.pop(span.sid, None)
            for i in range(span.token_start, span.token_end + 1):
                if (at := self.span_at.get(i)) is not None and at.sid == span.sid:
                    del self.span_at[i]
            self.tag_after.pop(span.token_end, None)
        for span in added:
            before.setdefault(span.token_end, self.tag_after.get(span.token_end))
            self.by_sid[span.sid] = span
            for i in range(span.token_start, span.token_end + 1):
                self.span_at[i] = span
            self.tag_after[span.token_end] = self._tag(span)
        for sid in markers:
            if (marked := self.by_sid.get(sid)) is not None:
                before.setdefault(marked.token_end, self.tag_after.get(marked.token_end))
                self.tag_after[marked.token_end] = self._tag(marked)
        return {i for i, tag in before.items() if self.tag_after.get(i) != tag}

    def _tag(self, span: Span) -> str:
        markers = ("▶" if span.sid in self._heads else "") + ("◀" if span.sid in self._children else "")
        doubted = span.layer == ENTS and (span.token_start, span.token_end, span.label) in self.doubted
        return f" {cells(span.label)}{'?' if doubted else ''}{markers}"

    def tag_width(self, i: int) -> int:
        """The cells drawn after token ``i`` besides the token: its span's tag, if it ends there."""
        tag = self.tag_after.get(i)
        return cell_len(tag) if tag else 0

    def tokens_of(self, *sids: int | None) -> set[int]:
        tokens: set[int] = set()
        for sid in sids:
            span = (self.by_sid.get(sid) or self.groups.by_sid.get(sid)) if sid is not None else None
            if span is not None:
                tokens.update(range(span.token_start, span.token_end + 1))
        return tokens
