"""The gold set is a role, not a name: the annotations of whoever reviewed a dataset (adjudicated
its annotators' work). A dataset may have several reviewers; the commands that read "the gold set"
take the one there is, or ask which."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotator.core.errors import AnnotatorError


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer of a dataset and the annotators they adjudicated (empty for a review recorded
    before the annotators were)."""

    reviewer: str
    annotators: tuple[str, ...]


def gold_reviewer(
    reviews: Sequence[Review], dataset: str, reviewer: str | None = None, choose: str = "--gold --reviewer"
) -> str:
    """Whose annotations are the dataset's gold set: the one reviewer, or the one ``reviewer``
    names. When there are several, the error asks which, naming them and the option (``choose``)
    that picks one; when there is none, it says how a gold set is made."""
    names = [r.reviewer for r in reviews]
    listing = "; ".join(
        r.reviewer + (f" (adjudicated {', '.join(r.annotators)})" if r.annotators else "") for r in reviews
    )
    if not reviews:
        raise AnnotatorError(
            f"dataset {dataset!r} has no gold set yet: adjudicate two annotators' work with "
            f"`annotator review --dataset {dataset} --annotators A,B`"
        )
    if reviewer is not None:
        if reviewer not in names:
            raise AnnotatorError(
                f"{reviewer!r} has not reviewed dataset {dataset!r}; its reviewers: {listing}"
            )
        return reviewer
    if len(names) > 1:
        raise AnnotatorError(
            f"dataset {dataset!r} has {len(names)} gold sets, by {listing}: which one? "
            f"give `{choose} {names[0]}` or another of them"
        )
    return names[0]
