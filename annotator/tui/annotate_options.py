"""What one ``annotator annotate`` run was given, built once by the command line (or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(frozen=True, eq=False, repr=False)
class AnnotateOptions:
    """The options of an annotate run: one object so that the steps that read them (checking the
    source, the scheme and the routing; building the screen) cannot be handed different lists."""

    source: Path
    dataset: str
    labels: str | None = None
    relations: str | None = None
    relation_rules: Path | None = None
    model: str | None = None
    config: Path | None = None
    db: str | Path | None = None
    label_map: str | None = None
    span_groups: str | None = None
    patterns: Path | None = None
    annotators: str | None = None
    overlap: str | None = None
    committee: str | None = None
    memory: bool = True
    learn: bool = False
    save_model: Path | None = None
    order: str = "source"
