"""A reviewer's choice for one disagreement (core/adjudication.py), as a gold version's edit log
stores it (core/edits.py). Apart from the adjudication itself so that the edit log, which every
annotate run loads, does not load the review's dataclasses with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Choice(StrEnum):
    """What a reviewer takes of one disagreement. The values are what the edit log stores."""

    A = "a"
    B = "b"
    BOTH = "both"
    NEITHER = "neither"


@dataclass(frozen=True, slots=True)
class ReviewChoice:
    """``choice`` taken for the disagreement whose index is ``disagreement``: what one edit of a
    gold version records, so that the choices are read back from its history."""

    disagreement: int
    choice: Choice

    def to_json(self) -> list[Any]:
        return [self.disagreement, self.choice.value]

    @classmethod
    def from_json(cls, data: list[Any]) -> ReviewChoice:
        index, choice = data
        if not isinstance(index, int) or index < 0:
            raise ValueError(f"a review choice's disagreement must be an index, not {index!r}")
        return cls(index, Choice(choice))
