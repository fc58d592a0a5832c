"""Once a task is on screen, the garbage collector's walks are short (tui/collector.py): what is alive
then is frozen out of them, and they come every EDITING new objects instead of the reading setting's
50,000 (40-110 ms walks on a key under load)."""

from __future__ import annotations

import gc
from pathlib import Path

from annotator.tui import collector
from tests.tui_support import SIZE, make_app


def assert_frozen(tokens: object) -> None:
    """The document's tokens are frozen: in no generation the walks go through. (Counting the
    frozen objects says less: some frozen with the first paint's drawing are freed by the next.)"""
    walked = {id(o) for generation in (0, 1, 2) for o in gc.get_objects(generation)}
    assert gc.is_tracked(tokens) and id(tokens) not in walked


async def test_a_task_on_screen_is_frozen_out_of_the_walks_and_walks_come_often(demo_db: Path) -> None:
    before = gc.get_threshold()
    gc.set_threshold(collector.READING, 20, 10)  # as the command line starts
    gc.unfreeze()
    try:
        app = make_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.session.current is not None
            assert gc.get_threshold()[0] == collector.EDITING
            assert gc.get_freeze_count() > 0
            assert_frozen(app.session.current.task.tokens)
            await pilot.press("]")  # the next task (none here) or the same: laid out again, frozen again
            await pilot.pause()
            assert app.session.current is not None
            assert gc.get_threshold()[0] == collector.EDITING
            assert_frozen(app.session.current.task.tokens)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
