"""The cyclic garbage collector while a person edits: its walks kept short, so that none of them
lands on a keystroke as a pause.

``annotator`` starts with the collector set for reading large data (``cli.tune_gc``: a walk every
50,000 new container objects). While editing, every key makes a few hundred (Textual's segments and
styles), so a walk came every 150 keys or so and looked at 50,000 young objects: 40–110 ms on this
loaded 2-core machine, the 99th percentile of `bench_tui.py --learn`. Before that setting, the
oldest generation's walks went through the whole document (120–165 ms for 20,000 tokens). So once a
task is on screen: what is alive then (the document, its layout) is frozen out of every later walk,
and walks come every 5,000 new objects, each a few milliseconds. Opening the next task goes back to
the reading setting while it lays out. Objects are still freed by reference counting the moment
they are unused; only reference cycles made before a freeze stay until the process ends.
"""

from __future__ import annotations

import gc

READING = 50_000  # new container objects between walks while a task is read and laid out
EDITING = 5_000  # ... while it is edited


def reading() -> None:
    gc.set_threshold(READING, 20, 10)


def starting() -> None:
    """No walk at all until the screen's first frame: what the start makes (Textual's modules, the
    screen and its first task) stays alive, and a walk with the reading setting came once the start
    had made 50,000 objects, before the first frame (20 ms of CPU). The first frame turns the
    collector on again (``started``, or ``editing`` when it shows a task), so no thread behind the
    screen (the feed, which starts after it) reads without it."""
    gc.disable()


def started() -> None:
    gc.enable()


def editing() -> None:
    gc.collect(1)  # the young cycles of the task before (or of the start), not frozen with the new one
    gc.freeze()
    gc.set_threshold(EDITING, 20, 10)
    gc.enable()
