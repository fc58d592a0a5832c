"""The model behind the annotate screen, loaded on first use in the feed's thread.

spaCy is imported here only when a text needs it, so the UI starts (and a store whose tasks are
all prepared opens) without paying for the import.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.doubts import Doubts
from annotator.core.errors import BadRecord
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.sources import SourceItem

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from annotator.nlp.relations import RelationSuggester
    from annotator.nlp.uncertainty import DoubtFinder


class LazyPreannotator:
    """Pre-annotates the feed's batches, and measures how sure the model was of each text's
    suggestions (``take_doubts``): the step-wise margins, and the committee's disagreement when a
    second model is given."""

    def __init__(
        self,
        model: str | None,
        scheme: LabelScheme,
        relation_rules: Path | None = None,
        patterns: Path | None = None,
        committee: str | None = None,
    ) -> None:
        self.model = model
        self.patterns = patterns
        self.scheme = scheme
        self.relation_rules = relation_rules
        self.committee = committee
        self.nlp: Any = None
        self.model_name = ""
        self.display = ""
        self.suggester: RelationSuggester | None = None
        self.finder: DoubtFinder | None = None
        self.notes: list[str] = []
        self._doubts: dict[int, Doubts] = {}  # by input hash, until the feed takes them

    def load(self) -> str:
        if self.nlp is None:
            from annotator.nlp.model import display_name, load_model, model_name
            from annotator.nlp.relations import RelationSuggester
            from annotator.nlp.uncertainty import DoubtFinder

            self.nlp = load_model(self.model, self.notes)
            self.model_name = model_name(self.nlp)
            self.display = display_name(self.nlp)
            if self.patterns is not None:
                from annotator.nlp.patterns import add_patterns

                add_patterns(self.nlp, self.patterns)
            if self.scheme.relations:
                self.suggester = RelationSuggester.from_file(
                    self.nlp.vocab, self.scheme, self.relation_rules, model_source=self.model_name
                )
            other = load_model(self.committee, self.notes) if self.committee else None
            self.finder = DoubtFinder(self.nlp, self.scheme, self.model_name, other)
        return self.display

    def _parsed(self, doc: Doc, task: Task) -> None:
        assert self.finder is not None
        (doubts,) = self.finder([doc], [task])
        if self.suggester is not None:
            doubts = replace(doubts, links=self.suggester.links(doc))
        self._doubts[task.input_hash] = doubts

    def take_doubts(self) -> dict[int, Doubts]:
        """The doubts measured since the last call, by the task's input hash."""
        taken, self._doubts = self._doubts, {}
        return taken

    def __call__(self, items: list[SourceItem], problems: list[BadRecord]) -> list[tuple[Task, Annotation]]:
        from annotator.nlp.preannotate import preannotate_stream

        self.load()
        return list(
            preannotate_stream(
                self.nlp,
                items,
                self.scheme,
                batch_size=len(items),
                model_name=self.model_name,
                relation_suggester=self.suggester,
                problems=problems,
                parsed=self._parsed,
            )
        )
