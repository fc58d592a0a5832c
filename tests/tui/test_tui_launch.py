"""Putting an annotate run together: source errors surface before the screen, and a feed that
fails in its thread is said on screen and in the exit status instead of leaving the screen waiting."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotator.cli import app as cli_app
from annotator.core.errors import AnnotatorError
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.records import to_record
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.app import AnnotatorApp
from annotator.tui.launch import run_annotate, summary
from tests.tui_support import QA_SCHEME


def test_a_folder_without_texts_is_refused_before_the_screen(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "notes.md").write_text("not a text to annotate", encoding="utf-8")
    with pytest.raises(AnnotatorError, match=r"no \.txt files"):
        run_annotate(AnnotateOptions(folder, "d", labels="PERSON", db=tmp_path / "a.db"), "a")
    result = CliRunner().invoke(
        cli_app, ["annotate", str(folder), "--dataset", "d", "--db", str(tmp_path / "b.db")]
    )
    assert result.exit_code == 1 and "no .txt files" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()


async def test_a_feed_that_fails_in_its_thread_is_reported(tmp_path: Path) -> None:
    def broken(notify: Callable[[object], None], should_stop: Callable[[], bool]) -> None:
        raise RuntimeError("disk on fire")

    session = AnnotationSession(Store(tmp_path / "a.db"), "d", "alice", QA_SCHEME)
    app = AnnotatorApp(session, "test model", broken)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 24)) as pilot:
        for _ in range(20):
            await pilot.pause(0.05)
            if session.finished:
                break
        assert session.finished
        assert "disk on fire" in str(app.annotate_screen.query_one("#message").render())
    text, code = summary(app)
    assert code == 1 and "disk on fire" in text


async def test_notes_about_the_scheme_are_shown_on_the_screen_too(tmp_path: Path) -> None:
    """The CLI prints them before the screen opens, where the screen then hides them."""
    corpus = tmp_path / "doc.txt"
    corpus.write_text("Ana ate paella in Valencia.", encoding="utf-8")
    app, notes = run_annotate(
        AnnotateOptions(corpus, "d", labels="PERSON,FOOD,GPE", relations="MET,EATS", db=tmp_path / "a.db"),
        "a",
    )
    assert any("FOOD" in note for note in notes)
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):  # the model loads in its thread
            await pilot.pause(0.05)
            if app.session.current is not None:
                break
        await pilot.pause()
        said = str(app.annotate_screen.query_one("#message").render())
        assert "FOOD" in said


def test_correction_memory_is_on_unless_no_memory(tmp_path: Path) -> None:
    text = tmp_path / "doc.txt"
    text.write_text("Gen Nakatani met Ahn Gyu Back in Seoul.", encoding="utf-8")
    app, _ = run_annotate(AnnotateOptions(text, "d", labels="PERSON", db=tmp_path / "a.db"), "alice")
    assert app.session.memory is not None and len(app.session.memory) == 0
    app, _ = run_annotate(
        AnnotateOptions(text, "d", labels="PERSON", db=tmp_path / "a.db", memory=False), "alice"
    )
    assert app.session.memory is None


async def test_the_first_annotate_routes_the_dataset(tmp_path: Path) -> None:
    """``annotate --annotators a,b,c --overlap 2`` on a new dataset routes it as ``assign`` would,
    also the tasks its source stores after the screen opened; ``a`` then sees only their own."""
    source = tmp_path / "tasks.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(6):
            text = f"Ana met Li in Lisbon on day {i} ."
            task = Task(text, provisional_tokens(text), input_hash(text))
            span = make_span(task, 0, 3, "PERSON")
            out.write(orjson.dumps(to_record(task, Annotation((span,)))).decode() + "\n")
    db = tmp_path / "a.db"
    with pytest.raises(
        AnnotatorError, match=re.escape("--overlap routes the dataset to --annotators A,B,...: name them too")
    ):
        run_annotate(AnnotateOptions(source, "d", labels="PERSON", db=db, overlap="2"), "a")
    app, notes = run_annotate(
        AnnotateOptions(source, "d", labels="PERSON", db=db, annotators="a,b,c", overlap="2"), "a"
    )
    assert "d: each task to 2 of a, b, c, as tasks are stored" in notes  # none stored yet
    async with app.run_test(size=(100, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.session.finished:
                break
        assert app.session.finished
        with Store(db) as store:
            assert store.task_count("d") == 6
            assert store.shared_tasks("d") == {("a", "b"): 2, ("a", "c"): 2, ("b", "c"): 2}
            assert app.session.queue() == store.queue("d", "a") and app.session.queue_size() == 4


async def test_the_source_is_counted_behind_the_first_screen(tmp_path: Path) -> None:
    """ "task 1 of 5": the source's documents are counted in the feed's thread, not before the
    screen opens (20-60 ms of the start for a JSONL source of tens of MB)."""
    source = tmp_path / "tasks.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(5):
            text = f"Ana met Li in Lisbon on day {i} ."
            task = Task(text, provisional_tokens(text), input_hash(text))
            out.write(
                orjson.dumps(to_record(task, Annotation((make_span(task, 0, 3, "PERSON"),)))).decode() + "\n"
            )
    app, _ = run_annotate(AnnotateOptions(source, "d", labels="PERSON", db=tmp_path / "a.db"), "a")
    assert app.session.total is None  # not counted yet
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.session.finished:
                break
        await pilot.pause()
        assert app.session.total == 5
        assert "task 1 of 5" in str(app.annotate_screen.query_one("#status").render())


async def test_the_first_screen_asks_the_store_for_the_counts_once(tmp_path: Path) -> None:
    from tests.tui_support import app_for, make_db, make_task

    app = app_for(make_db(tmp_path / "a.db", make_task("Ada Lovelace met Charles Babbage .", ())))
    asked: list[int] = []
    counts = app.session.counts

    def counting() -> dict[str, int]:
        asked.append(1)
        return counts()

    app.session.counts = counting  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # A query (on PostgreSQL a round trip) for the status line; the task opened has said it.
        assert len(asked) == 1
        assert "✓0" in str(app.annotate_screen.query_one("#status").render())


@pytest.mark.parametrize("tasks", [0, 1])
async def test_the_collector_is_on_again_once_the_first_frame_is_drawn(tmp_path: Path, tasks: int) -> None:
    import gc

    from annotator.tui import collector
    from tests.tui_support import make_db, make_task

    db = make_db(tmp_path / "a.db", *[make_task(f"Text number {i} .") for i in range(tasks)])
    app = AnnotatorApp(AnnotationSession(Store(db), "qa", "alice", QA_SCHEME), "test model")
    collector.starting()  # as `annotator annotate` does before its screen (cli.annotate)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            # On again with a task on screen (collector.editing) and without one (collector.started):
            # a screen left without the collector would keep every reference cycle the feed makes.
            assert gc.isenabled()
    finally:
        gc.enable()
