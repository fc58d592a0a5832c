"""Several processes on one database (an SQLite file, a PostgreSQL database), and a process killed in
the middle of a session."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from annotator.core.model import Annotation, Task
from annotator.store import Store
from tests.conftest import REPO

# Both writers add the same 40 tasks (so they race on creating the file, the schema, the dataset
# and each task) and then edit and decide each one, as two annotators would.
WRITER = """
import sys, time
from pathlib import Path
from annotator.core.edits import set_span
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.store import Store
from tests.strategies import tokenize

db, who, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
texts = [f"Writer text {i} about Alice and Bob ." for i in range(40)]
with Store(db) as store:
    tasks = [Task(t, tokenize(t), input_hash(t)) for t in texts]
    ids = store.add_tasks("shared", [(t, Annotation()) for t in tasks])
    for task_id, task in zip(ids, tasks):
        current = store.history(task_id, who).current
        for first in (4, 6, 0):
            edit = set_span(task, current, first, first, "PERSON")
            current = edit.apply(current)
            store.record_edit(task_id, who, who + "-session", "do", edit, current)
        store.record_answer(task_id, who, who + "-session", Annotation(current.spans, answer="accept"))
print("done", len(ids))
"""

# Adds one span per committed edit (token k on edit k) and says so on stdout after each commit.
EDITOR = """
import sys
from annotator.core.edits import set_span
from annotator.store import Store

db, task_id = sys.argv[1], int(sys.argv[2])
store = Store(db)
task = store.task(task_id)
history = store.history(task_id, "alice")
for k in range(len(task.tokens)):
    edit = set_span(task, history.current, k, k, "PERSON")
    history.do(edit)
    store.record_edit(task_id, "alice", "doomed", "do", edit, history.current)
    print(k + 1, flush=True)
print("finished", flush=True)
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def integrity(target: str) -> str:
    """SQLite's own check of the file; PostgreSQL checks its pages itself."""
    if target.startswith("postgresql://"):
        return "ok"
    raw = sqlite3.connect(target)
    try:
        return str(raw.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        raw.close()


def test_two_processes_write_one_new_database(db_target: str, tmp_path: Path) -> None:
    db, go = db_target, tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db, who, str(go)],
            cwd=REPO,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alice", "bob")
    ]
    time.sleep(0.5)  # both are importing and waiting
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "done 40"

    assert integrity(db) == "ok"
    with Store(db) as store:
        assert store.task_count("shared") == 40  # the same tasks were not added twice
        for who in ("alice", "bob"):
            assert store.answer_counts("shared", who) == {"accept": 40, "reject": 0, "ignore": 0, "draft": 0}
            for task_id, task, annotation in store.annotations("shared", who):
                texts = [task.text[s.start : s.end] for s in annotation.sorted().spans]
                assert texts == ["Writer", "Alice", "Bob"], task_id
        for who in ("alice", "bob"):
            assert store.log_counts("shared", who) == {"answer": 40, "do": 120}


def test_sigkill_in_the_middle_of_a_session_loses_nothing_committed(db_target: str) -> None:
    db = db_target
    words = " ".join(f"w{i}" for i in range(5000))
    from tests.strategies import tokenize

    task = Task(words, tokenize(words), 1)
    with Store(db) as store:
        [task_id] = store.add_tasks("d", [(task, Annotation())])

    child = subprocess.Popen(
        [sys.executable, "-c", EDITOR, db, str(task_id)],
        cwd=REPO,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported = 0
    while reported < 300:
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else "child ended"
        reported = int(line)
    child.send_signal(signal.SIGKILL)  # while it is writing the next edits
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert integrity(db) == "ok"
    with Store(db) as store:  # opens cleanly (and recovers the WAL of the dead process)
        stored = store.annotation(task_id, "alice")
        assert stored is not None
        n = len(stored.spans)
        # Everything it reported as committed is there, and nothing half-written: the draft is
        # exactly the first n edits, and the log holds exactly those n edits.
        assert reported <= n < len(task.tokens)
        assert sorted(s.token_start for s in stored.spans) == list(range(n))
        history = store.history(task_id, "alice")
        assert len(history.done) == n
        assert history.current == stored
        # The store is usable after the crash: the session goes on where it stopped.
        store.record_answer(task_id, "alice", "next", Annotation(stored.spans, answer="accept"))
        assert store.next_unanswered("d", "alice") is None
    assert integrity(db) == "ok"
