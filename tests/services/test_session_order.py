"""--order uncertain through the session on both backends: the least sure of the next ten
unanswered tasks opens next, every fifth in source order, no task is dropped, a routed annotator's
window holds their own tasks only, and the scores kept with the tasks come back."""

from __future__ import annotations

from annotator import routing
from annotator.core.doubts import SOURCE_EVERY, WINDOW, Doubt, Doubts
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession
from annotator.store import Store
from tests.store.test_store_routing import tasks

SCHEME = LabelScheme(("PERSON", "GPE"))


def scored(store: Store, n: int) -> tuple[list[int], dict[int, float]]:
    ids = store.add_tasks("d", tasks(n))
    scores = {task_id: float((k * 7) % 13) for k, task_id in enumerate(ids)}
    store.set_doubts(
        (task_id, Doubts(score, (Doubt(0, 0, "PERSON", 0.2),), "m")) for task_id, score in scores.items()
    )
    return ids, scores


def test_scores_and_places_are_kept_and_replaced(store: Store) -> None:
    ids, scores = scored(store, 3)
    assert store.doubt_scores([*ids, 99_999]) == scores
    assert store.doubts(ids[0]) == Doubts(scores[ids[0]], (Doubt(0, 0, "PERSON", 0.2),), "m")
    store.set_doubts([(ids[0], Doubts(1.5))])
    assert store.doubts(ids[0]) == Doubts(1.5)
    assert store.doubts(99_999) is None
    assert store.unanswered("d", "alice", 2) == ids[:2]
    assert store.unanswered("d", "alice", 5, after=ids[0]) == ids[1:]


def test_the_least_sure_of_the_window_opens_next_and_every_fifth_in_source_order(store: Store) -> None:
    ids, scores = scored(store, 23)
    s = AnnotationSession(store, "d", "alice", SCHEME)
    s.order = "uncertain"
    served: list[int] = []
    cur = s.open_first_unanswered()
    while cur is not None:
        left = [task_id for task_id in ids if task_id not in served]
        window = left[:WINDOW]
        if (len(served) + 1) % SOURCE_EVERY == 0:
            assert cur.task_id == window[0] and "source order" in cur.why
        else:
            best = max(scores[t] for t in window)
            assert cur.task_id == next(t for t in window if scores[t] == best)
            assert cur.why == f"the least sure of the next {len(window)} (uncertainty {best:.1f})"
        served.append(cur.task_id)
        s.decide("accept")
        cur = s.advance()
    assert sorted(served) == ids  # none dropped, none twice
    assert served != ids  # and not the source order


def test_a_routed_annotator_picks_from_their_own_tasks(store: Store) -> None:
    ids, _ = scored(store, 30)
    routing.assign(store, "d", ["a", "b", "c"], 1)
    mine = store.queue("d", "a")
    s = AnnotationSession(store, "d", "a", SCHEME)
    s.order = "uncertain"
    served = []
    cur = s.open_first_unanswered()
    while cur is not None:
        served.append(cur.task_id)
        s.decide("ignore")
        cur = s.advance()
    assert sorted(served) == mine and set(mine) < set(ids)


def test_the_learner_s_fresh_scores_replace_the_stored_ones(store: Store) -> None:
    ids, scores = scored(store, 6)
    s = AnnotationSession(store, "d", "alice", SCHEME)
    s.order = "uncertain"
    stored_pick = max(ids, key=lambda t: (scores[t], -ids.index(t)))
    fresh = {ids[0]: 99.0}
    s.fresh_scores = lambda task_ids: {t: v for t, v in fresh.items() if t in task_ids}
    cur = s.open_first_unanswered()
    assert cur is not None and cur.task_id == ids[0] != stored_pick
    assert cur.why == "the least sure of the next 6 (uncertainty 99.0)"
