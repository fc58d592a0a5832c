"""An annotator's queue read a few ids at a time (the annotate screen never holds every task id):
its size, a task's place in it, and the ids after or before a task agree with the whole queue, on
both backends, routed or not; the session walks it with [ and ] and knows where it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from annotator import routing
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession
from annotator.store import Store
from tests.strategies import tokenize


def tasks(n: int) -> list[tuple[Task, Annotation]]:
    out = []
    for i in range(n):
        text = f"Alice met Bob on day {i} ."
        out.append((Task(text, tokenize(text), 7000 + i), Annotation()))
    return out


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    s = Store(db_target)
    yield s
    s.close()


@pytest.mark.parametrize("routed", [False, True])
def test_a_queue_read_a_page_at_a_time_is_the_whole_queue(store: Store, routed: bool) -> None:
    store.add_tasks("other", tasks(3))  # ids of another dataset in between are not in it
    store.add_tasks("d", tasks(20))
    if routed:
        routing.assign(store, "d", ["a", "b", "c"], 2)
    for who in ("a", "b", "c"):
        whole = store.queue("d", who)
        assert store.queue_size("d", who) == len(whole) > 0
        assert [store.queue_rank("d", who, t) for t in whole] == list(range(len(whole)))
        assert store.queue_ids("d", who, None, 1000) == whole
        assert store.queue_ids("d", who, None, 1000, backwards=True) == whole[::-1]
        for k, task_id in enumerate(whole):
            assert store.queue_ids("d", who, task_id, 3) == whole[k + 1 : k + 4]
            assert store.queue_ids("d", who, task_id, 3, backwards=True) == whole[max(k - 3, 0) : k][::-1]
        # Counted from another task whose place is known, before or after it: the same places.
        for k, near in enumerate(whole):
            assert [store.queue_rank("d", who, t, (near, k)) for t in whole] == list(range(len(whole)))
        others = set(store.task_ids("d")) - set(whole)
        assert all(store.queue_rank("d", who, t) is None for t in others)
        assert all(store.queue_rank("d", who, t, (whole[0], 0)) is None for t in others)
        assert (others == set()) is not routed
    assert store.queue_size("nothing", "a") == 0 and store.queue_ids("nothing", "a", None, 5) == []


def test_the_session_steps_through_the_queue_and_knows_its_place(store: Store) -> None:
    store.add_tasks("d", tasks(12))
    routing.assign(store, "d", ["a", "b"], 1)
    s = AnnotationSession(store, "d", "a", LabelScheme(("PERSON",)))
    whole = s.queue()
    assert s.queue_size() == len(whole) == 6 and s.last_task() == whole[-1]
    s.open(whole[0])
    assert s.index == 0 and s.step(-1) is None
    for k in range(1, len(whole)):
        opened = s.step(1)
        assert opened is not None and opened.task_id == whole[k] and s.index == k
    assert s.step(1) is None and s.index == len(whole) - 1
    opened = s.step(-2)
    assert opened is not None and opened.task_id == whole[-3] and s.index == len(whole) - 3
    s.decide("accept")
    assert [t for t, _ in s.upcoming(2)] == whole[-2:]
    # Opened by a decision, or out of order: the place counted from the task open before.
    assert s.advance() is not None and s.index == len(whole) - 2
    for k in (0, 4, 1, 5):
        s.open(whole[k])
        assert s.index == k
