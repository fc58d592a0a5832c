"""Helpers for tests that look inside a spaCy pipeline."""

from __future__ import annotations

from spacy.language import Language
from spacy.pipeline import TrainablePipe


def trainable(nlp: Language, name: str) -> TrainablePipe:
    """The pipeline's component ``name``, which must have weights (``.model``) and labels."""
    pipe = nlp.get_pipe(name)
    assert isinstance(pipe, TrainablePipe), f"{name} is not a trainable component"
    return pipe
