"""The cyclic garbage collector held off while one large record is read.

Reading a document of 500,000 tokens makes half a million tuples (its tokens) at once. Every 50,000
new container objects the collector walked the young ones, and every twentieth time the older ones
too: a quarter of a second of reading such a document, spent finding nothing (a record read is a
tree of new objects, without cycles), and one more walk over all of them when the screen opened it.
So the collector is off while such a record is read, and what is alive after it is frozen (left out
of later walks, as the screen does once a task is open: tui/collector.py) before it is on again.
Objects are still freed by reference counting the moment they are unused; a reference cycle alive
at that moment is never collected (a record's objects hold none).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

LARGE = 50_000  # tokens a record holds from which the collector waits while it is read


@contextmanager
def reading(items: int) -> Iterator[None]:
    """The collector off for the block when ``items`` is LARGE or more and it was on. (A thread
    that finds it off, another reading, leaves it as it is: it is never left off for good.)"""
    if items < LARGE or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
