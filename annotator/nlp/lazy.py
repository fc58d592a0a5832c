"""The model behind the annotate screen, loaded on first use in the feed's thread.

spaCy is imported here only when a text needs it, so the UI starts (and a store whose tasks are
all prepared opens) without paying for the import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import BadRecord
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.sources import SourceItem

if TYPE_CHECKING:
    from annotator.nlp.relations import RelationSuggester


class LazyPreannotator:
    def __init__(
        self,
        model: str | None,
        scheme: LabelScheme,
        relation_rules: Path | None = None,
        patterns: Path | None = None,
    ) -> None:
        self.model = model
        self.patterns = patterns
        self.scheme = scheme
        self.relation_rules = relation_rules
        self.nlp: Any = None
        self.model_name = ""
        self.display = ""
        self.suggester: RelationSuggester | None = None
        self.notes: list[str] = []

    def load(self) -> str:
        if self.nlp is None:
            from annotator.nlp.model import display_name, load_model, model_name
            from annotator.nlp.relations import RelationSuggester

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
        return self.display

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
            )
        )
