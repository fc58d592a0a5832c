"""Review messages name what they did ("took B (bob) for disagreement 2 of 3: 'Germany' GPE"), and
the status line says where the gold set goes consistently: with --reviewer judge every part says
"→ judge" (it said "1 agreed → gold" while the agreed task was stored under judge)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.review import ReviewSession
from annotator.store import Store
from annotator.tui.components.side_panels import MessageLine
from annotator.tui.review_app import ReviewApp
from tests.tui_support import drawn

TEXT = "Scholz met Macron in Germany on Monday ."
AGREED = "Both agree on Paris ."


def task(text: str) -> Task:
    return Task(text, provisional_tokens(text), input_hash(text))


def version(t: Task, *spans: tuple[str, str]) -> Annotation:
    made = []
    for sid, (phrase, label) in enumerate(spans, 1):
        start = t.text.index(phrase)
        made.append(make_span(t, start, start + len(phrase), label, sid=sid))
    return Annotation(tuple(made), answer="accept")


def build(db: Path) -> None:
    """Three disagreements: Macron (A only), Germany (LOC or GPE), Monday (B only); one agreed task."""
    t, agreed = task(TEXT), task(AGREED)
    with Store(db) as store:
        ids = store.add_tasks("news", [(t, Annotation()), (agreed, Annotation())])
        store.save_annotation(
            ids[0], "alice", version(t, ("Scholz", "PERSON"), ("Macron", "PERSON"), ("Germany", "LOC"))
        )
        store.save_annotation(
            ids[0], "bob", version(t, ("Scholz", "PERSON"), ("Germany", "GPE"), ("Monday", "DATE"))
        )
        store.save_annotation(ids[1], "alice", version(agreed, ("Paris", "GPE")))
        store.save_annotation(ids[1], "bob", version(agreed, ("Paris", "GPE")))


def judged(tmp_path: Path) -> ReviewApp:
    build(tmp_path / "r.db")
    return ReviewApp(ReviewSession(Store(tmp_path / "r.db"), "news", "alice", "bob", reviewer="judge"))


def status(app: ReviewApp) -> str:
    return drawn(app.screen.query_one("#status"))


def message(app: ReviewApp) -> str:
    return drawn(app.screen.query_one(MessageLine)).strip()


async def test_a_choice_says_what_it_took_and_the_status_names_the_reviewer(tmp_path: Path) -> None:
    app = judged(tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        assert "alice vs bob → judge" in status(app) and "1 agreed → judge" in status(app)
        assert "→ gold" not in status(app)
        await pilot.press("n", "2")  # the second disagreement: Germany
        assert message(app) == "took B (bob) for disagreement 2 of 3: 'Germany' GPE"
        await pilot.press("p", "p", "1")  # the selection had moved on to the next open one
        assert message(app) == "took A (alice) for disagreement 1 of 3: 'Macron' PERSON"
        await pilot.press("0")  # and on to the last open one
        assert message(app) == (
            "took neither for disagreement 3 of 3: no span, left out 'Monday' DATE; "
            "every disagreement is resolved: a accepts the result"
        )
        await pilot.press("a")
        assert message(app) == "every task is reviewed: annotator export --dataset news --gold"
        assert app.said.entries[-2][0] == "accepted into the gold set → judge"  # kept for m
        assert "accepted → judge" in status(app)


async def test_taking_a_side_that_had_nothing_says_what_went(tmp_path: Path) -> None:
    app = judged(tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        await pilot.press("2")  # Macron: only A marked it
        assert message(app) == "took B (bob) for disagreement 1 of 3: no span, left out 'Macron' PERSON"
        await pilot.press("u")  # back on the disagreement the undone choice was for
        assert message(app) == "undone: B (bob) for disagreement 1"
        await pilot.press("0")
        assert message(app) == "took neither for disagreement 1 of 3: no span, left out 'Macron' PERSON"


async def test_a_narrow_status_line_keeps_the_position_first(tmp_path: Path) -> None:
    app = judged(tmp_path)
    async with app.run_test(size=(60, 24)) as pilot:
        await pilot.pause()
        shown = status(app)
        assert "task 1/1" in shown and "3 open here" in shown and len(shown.rstrip()) <= 60
