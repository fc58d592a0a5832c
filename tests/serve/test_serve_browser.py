"""``annotator serve`` in a real headless browser (Debian's Chromium through Playwright): the page
opens the app, keys pressed in the page reach it, and what the person decided is in the database,
under the name the page gave (or the first screen asked for)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.model import Annotation
from annotator.core.validate import make_span
from annotator.store import Store
from tests.pg_server import raw_sql
from tests.serve.serve_support import (
    DATASET,
    chromium,
    get,
    make_dataset,
    prepare_dataset,
    running_server,
    terminal,
)


def spans_of(db: str | Path, task_id: int, who: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The answer and the (text, label) spans of ``who``'s annotation of a task."""
    with Store(db, create=False) as store:
        annotation = store.annotation(task_id, who)
        assert annotation is not None, f"{who} has no annotation of task {task_id}"
        text = store.task(task_id).text
    return annotation.answer, sorted((text[s.start : s.end], s.label) for s in annotation.spans)


def log_events(db: str, who: str) -> list[str]:
    rows = raw_sql(db, f"SELECT event FROM edit_log WHERE annotator = '{who}' ORDER BY id")
    return [str(row[0]) for row in rows]


def annotate_in_two_tabs(db: str, tmp_path: Path, ids: list[int]) -> None:
    """Alice and bob at once, each in a tab of their own: alice labels a token and accepts, bob
    rejects; each tab is its own session."""
    with running_server(["--dataset", DATASET, "--db", db], tmp_path) as (port, _), chromium() as browser:
        alice, bob = terminal(browser), terminal(browser)
        alice.open(f"http://127.0.0.1:{port}/?annotator=alice")
        bob.open(f"http://127.0.0.1:{port}/?annotator=bob")
        for tab, name in ((alice, "alice"), (bob, "bob")):
            tab.wait_for(f"{name} · task 1 of 3")  # the status line: this tab's annotator
            tab.wait_for("Nakatani met Lee")
        # l: the cursor to "Nakatani"; 1: a PERSON span there; a: accept (the screen goes on)
        alice.press("l", "1", "a")
        alice.wait_for("task 2 of 3")
        bob.press("x")
        bob.wait_for("task 2 of 3")
    assert spans_of(db, ids[0], "alice") == ("accept", [("Gen", "PERSON"), ("Nakatani", "PERSON")])
    assert spans_of(db, ids[0], "bob") == ("reject", [("Gen", "PERSON")])
    assert log_events(db, "alice") == ["do", "answer"]  # the edit, then the decision, each committed
    assert log_events(db, "bob") == ["answer"]


def test_each_tab_is_an_annotators_session_sqlite(tmp_path: Path) -> None:
    db = str(tmp_path / "team.db")
    annotate_in_two_tabs(db, tmp_path, make_dataset(db))


def test_each_tab_is_an_annotators_session_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The dataset prepared as a team prepares it, with annotate --prepare-only."""
    annotate_in_two_tabs(pg_url, tmp_path, prepare_dataset(pg_url, tmp_path))


def test_the_first_screen_asks_the_name(tmp_path: Path) -> None:
    db = str(tmp_path / "team.db")
    ids = make_dataset(db)
    with running_server(["--dataset", DATASET, "--db", db], tmp_path) as (port, _), chromium() as browser:
        tab = terminal(browser)
        tab.open(f"http://127.0.0.1:{port}/")
        tab.wait_for("Your name, as the annotator of dataset team")
        tab.type("a/b")
        tab.press("Enter")
        tab.wait_for("'a/b' holds a path separator")
        tab.press("Backspace", "Backspace", "Backspace")
        tab.type("carol")
        tab.press("Enter")
        tab.wait_for("carol · task 1 of 3")
        tab.press("x")
        tab.wait_for("task 2 of 3")
    assert spans_of(db, ids[0], "carol") == ("reject", [("Gen", "PERSON")])
    with Store(db, create=False) as store:
        assert store.annotators(DATASET) == ["carol"]  # the refused name wrote nothing


def test_a_token_guards_the_page_and_the_sessions(tmp_path: Path) -> None:
    db = str(tmp_path / "team.db")
    ids = make_dataset(db)
    args = ["--dataset", DATASET, "--db", db, "--token", "s3cret t"]
    with running_server(args, tmp_path) as (port, _), chromium() as browser:
        base = f"http://127.0.0.1:{port}"
        for refused in ("/?annotator=dave", "/?annotator=dave&token=s3cret", "/?token=s3cret%20T"):
            status, body = get(base + refused)
            assert (status, body) == (
                403,
                "annotator: this page needs the server's token: add token=... to the address\n",
            )
        status, body = get(base + "/?annotator=a/b&token=s3cret%20t")
        assert status == 403 and "holds a path separator" in body
        # A session without a ticket from the page (textual-serve's own /ws, or a made-up one) is refused.
        for path in ("/ws", "/ws/made-up"):
            status, body = get(base + path)
            assert status == 403 and "ticket" in body, (path, status, body)
        tab = terminal(browser)
        refused_page = tab.page.goto(base + "/?annotator=dave")
        assert refused_page is not None and refused_page.status == 403
        tab.open(base + "/?annotator=dave&token=s3cret%20t")
        tab.wait_for("dave · task 1 of 3")
        tab.press("x")
        tab.wait_for("task 2 of 3")
    assert spans_of(db, ids[0], "dave") == ("reject", [("Gen", "PERSON")])


def test_the_review_screen_for_the_reviewer_the_page_names(tmp_path: Path) -> None:
    db = str(tmp_path / "team.db")
    ids = make_dataset(db)
    with Store(db) as store:
        task = store.task(ids[0])
        gen = task.tokens[0]
        for who, label in (("alice", "PERSON"), ("bob", "ORG")):
            span = make_span(task, gen.start, gen.end, label, who)
            store.save_annotation(ids[0], who, Annotation((span,), answer="accept"), session=f"{who}-s")
    args = ["--dataset", DATASET, "--db", db, "--review", "--annotators", "alice,bob"]
    with running_server(args, tmp_path) as (port, _), chromium() as browser:
        tab = terminal(browser)
        tab.open(f"http://127.0.0.1:{port}/")
        tab.wait_for("Your name, as the reviewer of dataset team")
        tab.type("alice")  # an annotator of the dataset cannot review it
        tab.press("Enter")
        tab.wait_for("must be three names")
        tab.press(*["Backspace"] * 5)
        tab.type("judge")
        tab.press("Enter")
        tab.wait_for("PERSON≠ORG")  # the disagreement, drawn
        before = tab.mark()
        tab.press("2", "a")  # take bob's version, accept into the gold set
        tab.wait_for("every task is reviewed", since=before)
    assert spans_of(db, ids[0], "judge") == ("accept", [("Gen", "ORG")])
