"""annotate --learn and the correction memory on the real screen: the status line says where the
suggestions came from ("N from memory", "model +N updates"), the task on screen never changes under
the annotator, and --save-model keeps the updated pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.edits import relabel_span
from annotator.nlp.model import load_model
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.launch import finish_learning, run_annotate
from tests.gold_support import paragraph_tasks

pytestmark = pytest.mark.slow


def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "article"
    folder.mkdir()
    for i in (1, 5, 7, 9):  # paragraphs that say "Nakatani" (which the model calls ORG)
        (folder / f"p{i:02d}.txt").write_text(paragraph_tasks()[i][0].text, encoding="utf-8")
    return folder


async def test_learning_and_memory_on_the_screen(tmp_path: Path) -> None:
    out = tmp_path / "learned"
    app, _ = run_annotate(
        AnnotateOptions(
            corpus(tmp_path), "d", labels="PERSON,ORG,GPE", db=tmp_path / "a.db", learn=True, save_model=out
        ),
        "alice",
    )
    s = app.session
    async with app.run_test(size=(160, 30)) as pilot:
        for _ in range(400):  # the model loads in the feed's thread
            await pilot.pause(0.05)
            if s.finished and s.current is not None:
                break
        cur = s.current
        assert cur is not None
        span = next(x for x in cur.annotation.spans if cur.task.text[x.start : x.end] == "Nakatani")
        s.apply(relabel_span(cur.annotation, span.sid, "PERSON"))
        await pilot.press("a")
        await pilot.pause()
        opened = s.current
        assert opened is not None and opened.from_memory >= 1
        shown = opened.annotation
        status = str(app.annotate_screen.query_one("#status").render())
        assert f"{opened.from_memory} from memory" in status
        assert app.learner is not None
        for _ in range(1200):  # the learner process starts at the first accept and learns
            await pilot.pause(0.1)
            if app.learner.updates >= 1:
                break
        await pilot.pause(0.2)
        assert app.learner.updates == 1, app.learner.failed
        assert s.current is opened and s.current.annotation == shown  # never changed under the annotator
        assert "model +1 updates" in str(app.annotate_screen.query_one("#status").render())
        # The learner re-predicted the task after the one on screen: it opens from its suggestion.
        upcoming = s.upcoming(1)
        assert upcoming and app.learner.predicted(upcoming[0][0]) is not None
        await pilot.press("q")
    lines = finish_learning(app, out)
    assert any("saved the model (+1 updates)" in line for line in lines), lines
    assert load_model(str(out)).meta["name"].endswith("_learned")
    assert app.learner._process is not None and not app.learner._process.is_alive()


def test_save_model_needs_learn_and_a_folder_it_may_write(tmp_path: Path) -> None:
    from annotator.core.errors import AnnotatorError

    source = corpus(tmp_path)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    for learn, folder, said in ((False, "m", "--learn"), (True, "busy", "not a spaCy pipeline")):
        with pytest.raises(AnnotatorError, match=said):
            options = AnnotateOptions(
                source, "d", labels="PERSON", db=tmp_path / "a.db", learn=learn, save_model=tmp_path / folder
            )
            run_annotate(options, "a")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"
