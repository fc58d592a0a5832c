"""Once a task is on screen, the garbage collector's walks are short (tui/collector.py): what is alive
then is frozen out of them, and they come every EDITING new objects instead of the reading setting's
50,000 (40-110 ms walks on a key under load)."""

from __future__ import annotations

import gc
from pathlib import Path

from annotator.tui import collector
from tests.tui_support import SIZE, make_app


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
            frozen = gc.get_freeze_count()
            assert frozen > 0
            # The document's tokens are frozen: in no generation the walks go through.
            walked = {id(o) for generation in (0, 1, 2) for o in gc.get_objects(generation)}
            tokens = app.session.current.task.tokens
            assert gc.is_tracked(tokens) and id(tokens) not in walked
            await pilot.press("]")  # the next task (none here) or the same: laid out again, frozen again
            await pilot.pause()
            assert gc.get_threshold()[0] == collector.EDITING and gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
