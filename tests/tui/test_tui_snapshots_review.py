"""Snapshots of the review screen, one for each kind of disagreement selected (boundary, label
conflict, only A, only B, relation), one after choices (spans from A, from B and agreed, each in
its colour) and one of a task both annotators agreed on. Regenerate after a deliberate change with
``pytest tests/tui/test_tui_snapshots_review.py --snapshot-update`` and look at the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.review import ReviewSession
from annotator.store import Store
from annotator.tui.review_app import ReviewApp
from tests.tui.test_tui_review import build

SIZE = (120, 24)


@pytest.fixture
def review_app(tmp_path: Path) -> Callable[..., ReviewApp]:
    db = tmp_path / "r.db"
    build(db)

    def make(include_agreed: bool = False) -> ReviewApp:
        return ReviewApp(ReviewSession(Store(db), "news", "alice", "bob", include_agreed=include_agreed))

    return make


@pytest.mark.parametrize(
    ("kind", "press"),
    [
        ("boundary", []),  # selected when the task opens
        ("label", ["n"]),
        ("a_only", ["n", "n"]),
        ("b_only", ["n", "n", "n"]),
        ("relation", ["n", "n", "n", "n"]),
    ],
)
def test_each_kind_of_disagreement(
    snap_compare: Callable[..., bool], review_app: Callable[..., ReviewApp], kind: str, press: list[str]
) -> None:
    app = review_app()

    async def check_kind(pilot: object) -> None:
        adj = app.review.adjudication
        assert adj is not None and adj.disagreements[len(press)].kind == kind

    assert snap_compare(app, press=press, run_before=check_kind, terminal_size=SIZE)


def test_after_choices(snap_compare: Callable[..., bool], review_app: Callable[..., ReviewApp]) -> None:
    """A's boundary, B's label, neither on "Monday", both on "Japan": the gold's spans drawn by
    where they came from (agreed, A, B), the relation disagreements still open."""
    assert snap_compare(review_app(), press=["1", "2", "0", "b"], terminal_size=SIZE)


def test_a_task_both_agree_on(
    snap_compare: Callable[..., bool], review_app: Callable[..., ReviewApp]
) -> None:
    """With --include-agreed the agreed task is walked too: every span and relation agreed."""
    assert snap_compare(review_app(include_agreed=True), press=["right_square_bracket"], terminal_size=SIZE)
