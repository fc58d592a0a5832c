"""What the learner process and its client say to each other: plain values, no spaCy, so that the
client (and the UI that imports it) starts without importing spaCy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.doubts import Doubts
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme


@dataclass(frozen=True)
class LearnerSetup:
    model: str | None
    scheme: LabelScheme
    # Raw texts of the user's source, in source order: rehearsal sentences, and canary sentences
    # from the last of them.
    texts: Sequence[str]
    relation_rules: Path | None = None
    gold: Sequence[tuple[Task, Annotation]] = ()  # the dataset's gold, checked by the canary
    rehearsal: int = 4
    canary_every: int = 25
    canary_size: int = 50
    threshold: float = 0.90
    seed: int = 0
    drop: float = 0.1


@dataclass(frozen=True)
class Batch:
    accepted: Sequence[tuple[Task, Annotation]]
    upcoming: Sequence[tuple[int, Task]]


@dataclass(frozen=True)
class Save:
    path: Path


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Ready:
    model: str  # display name
    sentences: int  # rehearsal pool size
    canary: int


@dataclass(frozen=True)
class Canary:
    agreement: float
    gold_f1: float | None
    rolled_back: bool
    kept: int  # updates in effect after it


@dataclass(frozen=True)
class BatchDone:
    updates: int  # updates in effect (after any roll-back)
    predictions: dict[int, Annotation]
    canaries: tuple[Canary, ...] = ()
    seconds: float = 0.0
    errors: tuple[str, ...] = ()  # accepted tasks it could not learn from, and why
    doubts: dict[int, Doubts] = field(default_factory=dict)  # how sure it was of ``predictions``


@dataclass(frozen=True)
class Saved:
    path: Path


@dataclass(frozen=True)
class Failed:
    message: str


Request = Batch | Save | Stop
Reply = Ready | BatchDone | Saved | Failed
