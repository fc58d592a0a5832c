"""Matches counted between two annotators' items: true positives, false positives, false negatives,
and the ratios of them. Apart from the agreement figures (core/agreement.py) so that the store,
which keeps these counts current as tasks are accepted, does not load those on every start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        if self.tp + self.fp:
            return self.tp / (self.tp + self.fp)
        return 1.0 if self.fn == 0 else 0.0

    @property
    def recall(self) -> float:
        if self.tp + self.fn:
            return self.tp / (self.tp + self.fn)
        return 1.0 if self.fp == 0 else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 1.0

    def as_dict(self, defined: bool = True) -> dict[str, Any]:
        return {
            "precision": self.precision if defined else None,
            "recall": self.recall if defined else None,
            "f1": self.f1 if defined else None,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def multiset_counts(a: Iterable[Hashable], b: Iterable[Hashable]) -> Counts:
    return Counts(*match_counts(list(a), list(b)))


def match_counts(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[int, int, int]:
    """tp, fp, fn of ``b``'s items against ``a``'s (``multiset_counts``), as plain integers: the
    store adds them up for every task two annotators accepted, where a Counts made each time (a
    frozen dataclass sets each field through object.__setattr__) cost more than the matching."""
    if not a or not b:  # most tasks have no relation: no Counter to build
        return 0, len(b), len(a)
    if a == b:  # most of the rest agree, in the same order
        return len(a), 0, 0
    sa, sb = set(a), set(b)
    if len(sa) == len(a) and len(sb) == len(b):  # no item twice on either side: as sets
        tp = len(sa & sb)
    else:
        ca, cb = Counter(a), Counter(b)
        tp = sum((ca & cb).values())
    return tp, len(b) - tp, len(a) - tp
