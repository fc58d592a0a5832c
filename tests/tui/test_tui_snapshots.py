"""Snapshots of what a person sees: the annotate screen in its modes, on tasks written by Prodigy
(no model involved, so the pictures are stable). Regenerate after a deliberate change with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from annotator.core.records import from_record
from annotator.core.scheme import LabelScheme, RelationType
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from tests.tui_support import FIXTURES_PRODIGY

SCHEME = LabelScheme(
    ("GGP", "PERSON"),
    relations=(
        RelationType("Pos-Reg"),
        RelationType("Neg-Reg"),
        RelationType("Binds"),
        RelationType("No-rel"),
    ),
)


@pytest.fixture
def bio_app(tmp_path: Path) -> Callable[[], AnnotatorApp]:
    db = tmp_path / "snap.db"
    with Store(db) as store:
        lines = FIXTURES_PRODIGY.read_bytes().splitlines()[:3]
        store.add_tasks("bio", [from_record(orjson.loads(line)) for line in lines])

    def make() -> AnnotatorApp:
        return AnnotatorApp(AnnotationSession(Store(db), "bio", "alice", SCHEME), "en_core_web_sm 3.8.0")

    return make


def test_annotate_screen(snap_compare: Callable[..., bool], bio_app: Callable[[], AnnotatorApp]) -> None:
    assert snap_compare(bio_app(), terminal_size=(110, 24))


def test_selected_span_and_selection(
    snap_compare: Callable[..., bool], bio_app: Callable[[], AnnotatorApp]
) -> None:
    assert snap_compare(bio_app(), press=["tab", "tab", "l", "L", "L"], terminal_size=(110, 24))


def test_relation_mode(snap_compare: Callable[..., bool], bio_app: Callable[[], AnnotatorApp]) -> None:
    assert snap_compare(bio_app(), press=["tab", "r", "tab"], terminal_size=(110, 24))


def test_relations_list(snap_compare: Callable[..., bool], bio_app: Callable[[], AnnotatorApp]) -> None:
    assert snap_compare(bio_app(), press=["R", "j"], terminal_size=(110, 24))


def test_help_screen(snap_compare: Callable[..., bool], bio_app: Callable[[], AnnotatorApp]) -> None:
    assert snap_compare(bio_app(), press=["question_mark"], terminal_size=(110, 40))


@pytest.fixture
def nested_app(tmp_path: Path) -> Callable[[], AnnotatorApp]:
    """A task with entity spans and nested span-group spans (issue 14)."""
    from annotator.core.model import Annotation
    from annotator.core.validate import make_span
    from tests.tui_support import make_task

    text = "The Bank of America hired Ana Lopez as a senior Python developer in New York today ."
    task, ann = make_task(text, (("Bank of America", "ORG"), ("Ana Lopez", "PERSON")))
    groups = (
        ("Bank of America", "INSTITUTION"),
        ("America", "PLACE"),
        ("senior Python developer", "SKILL"),
        ("Python", "SKILL"),
        ("New York", "PLACE"),
    )
    spans = [
        make_span(task, text.index(p), text.index(p) + len(p), label, None, 3 + k, layer="sc")
        for k, (p, label) in enumerate(groups)
    ]
    db = tmp_path / "nested.db"
    with Store(db) as store:
        store.add_tasks("nested", [(task, Annotation(ann.spans + tuple(spans)))])
    scheme = LabelScheme(("ORG", "GPE", "PERSON"), span_groups={"sc": ("INSTITUTION", "PLACE", "SKILL")})

    def make() -> AnnotatorApp:
        return AnnotatorApp(AnnotationSession(Store(db), "nested", "alice", scheme), "en_core_web_sm 3.8.0")

    return make


def test_nested_span_groups_drawn_under_the_text(
    snap_compare: Callable[..., bool], nested_app: Callable[[], AnnotatorApp]
) -> None:
    """Issue 14: the group layer active (g), its second span selected (tab tab)."""
    assert snap_compare(nested_app(), press=["g", "tab", "tab"], terminal_size=(110, 24))
