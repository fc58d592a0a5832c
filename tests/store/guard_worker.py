"""One annotator window for the same-annotator guard stress test, run as a process:

    python -m tests.store.guard_worker DB ANNOTATOR WINDOW EDITS SEED GO OUT

It opens the dataset "stress" as ANNOTATOR with the guard on, waits for the file GO, then makes
EDITS edits as fast as it can: each puts a span with a label of its own ("<window>-<k>") on a token
that is free in its copy, hopping between tasks at random, and decides the open task now and then.
Every attempt is written to OUT (JSON) as committed or refused: a refusal is the ConcurrentEdit the
annotate screen shows. The test compares that report with what the database holds.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import orjson

from annotator.core.edits import set_span
from annotator.core.scheme import LabelScheme
from annotator.session import AnnotationSession, ConcurrentEdit
from annotator.store import Store

HOP = 0.15  # chance of opening another task before an edit
DECIDE_EVERY = 40  # a decision (accept) after every 40th edit attempt


def main(argv: list[str]) -> None:
    db, annotator, window, edits, seed, go, out = argv
    rng = random.Random(int(seed))
    store = Store(db)
    session = AnnotationSession(store, "stress", annotator, LabelScheme(("X",)))
    session.guard = True
    ids = session.queue()
    session.open(rng.choice(ids))
    while not Path(go).exists():
        time.sleep(0.001)
    committed: list[tuple[int, int, str]] = []
    refused: list[tuple[int, int, str]] = []
    decisions = {"committed": 0, "refused": 0}
    for k in range(int(edits)):
        if rng.random() < HOP:
            session.open(rng.choice(ids))
        cur = session.current
        assert cur is not None
        taken = {s.token_start for s in cur.annotation.spans}
        free = [i for i in range(len(cur.task.tokens)) if i not in taken]
        token = rng.choice(free)
        label = f"{window}-{k}"
        attempt = (cur.task_id, token, label)
        try:
            session.apply(set_span(cur.task, cur.annotation, token, token, label))
        except ConcurrentEdit:
            refused.append(attempt)
        else:
            committed.append(attempt)
        if k % DECIDE_EVERY == DECIDE_EVERY - 1:
            try:
                session.decide("accept")
            except ConcurrentEdit:
                decisions["refused"] += 1
            else:
                decisions["committed"] += 1
    store.close()
    Path(out).write_bytes(orjson.dumps({"committed": committed, "refused": refused, "decisions": decisions}))


if __name__ == "__main__":
    main(sys.argv[1:])
