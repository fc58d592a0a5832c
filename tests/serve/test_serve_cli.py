"""``annotator serve`` as a user starts it: what it refuses before listening, what it says when
it listens (a warning when the page is reachable from other machines without a token), and the
page as curl sees it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.serve import is_loopback
from annotator.store import Store
from tests.serve.serve_support import DATASET, get, make_dataset, running_server


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("annotation.example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def refusal(workdir: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    return line


def test_what_serve_refuses_before_listening(workdir: Path) -> None:
    assert refusal(workdir, "--dataset", DATASET, "--db", "none.db") == (
        "annotator: no database at none.db (give --db or set ANNOTATOR_DB)"
    )
    assert not (workdir / "none.db").exists()
    make_dataset(workdir / "a.db")
    with Store(workdir / "a.db") as store:
        scheme = store.scheme(DATASET)
        assert scheme is not None
        store.save_scheme("empty", scheme)  # a dataset with a scheme and no task
    db = ["--db", "a.db"]
    assert refusal(workdir, "--dataset", "other", *db) == (
        "annotator: no dataset 'other' in a.db (datasets: empty, team)"
    )
    assert refusal(workdir, "--dataset", "empty", *db) == (
        "annotator: dataset 'empty' has no tasks yet: annotate or import some first"
    )
    assert refusal(workdir, "--dataset", DATASET, "--annotators", "a,b", *db) == (
        "annotator: --annotators names the two annotators a --review compares: A,B"
    )
    assert refusal(workdir, "--dataset", DATASET, "--review", *db) == (
        "annotator: name the two annotators to review: --annotators A,B (dataset 'team' is not routed)"
    )
    assert refusal(workdir, "--dataset", DATASET, "--review", "--annotators", "a,b", *db) == (
        "annotator: 'a', 'b' annotated nothing in dataset 'team'"
    )
    assert refusal(workdir, "--dataset", DATASET, "--token", " ", *db) == "annotator: --token is empty"


def test_a_port_in_use_is_one_line(workdir: Path) -> None:
    make_dataset(workdir / "a.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refusal(workdir, "--dataset", DATASET, "--db", "a.db", "--port", str(port))
    assert line.startswith(f"annotator: cannot listen on 127.0.0.1:{port}: "), line


def test_another_host_is_said_to_have_no_authentication(workdir: Path) -> None:
    make_dataset(workdir / "a.db")
    args = ["--dataset", DATASET, "--db", "a.db", "--host", "0.0.0.0"]
    with running_server(args, workdir) as (port, said):
        status, page = get(f"http://127.0.0.1:{port}/?annotator=alice")
        assert status == 200 and "/ws/" in page
    here = socket.gethostname()  # listening on every address, the page is opened by this machine's name
    assert said[:2] == [
        f"serving the annotation of dataset 'team' (a.db) on http://{here}:{port}/",
        f"each browser tab is one session: http://{here}:{port}/?annotator=NAME",
    ]
    assert (
        f"annotator: warning: the page has no authentication: anyone who reaches 0.0.0.0:{port} can "
        "annotate under any name; give --token T (the address must then carry ?token=T)"
    ) in said
    with running_server([*args, "--token", "s3cret t"], workdir) as (port, said):
        pass
    assert f"each browser tab is one session: http://{here}:{port}/?annotator=NAME&token=s3cret%20t" in said
    assert not any("no authentication" in line for line in said)


def test_the_page_as_curl_sees_it(workdir: Path) -> None:
    """Each load of the page holds a new one-time websocket address, and no name or token."""
    make_dataset(workdir / "a.db")
    with running_server(["--dataset", DATASET, "--db", "a.db", "--token", "tok"], workdir) as (port, said):
        status, first = get(f"http://127.0.0.1:{port}/?annotator=alice&token=tok")
        _, second = get(f"http://127.0.0.1:{port}/?annotator=alice&token=tok")
    assert status == 200
    sockets = [
        line.split('"')[1]
        for page in (first, second)
        for line in page.splitlines()
        if "websocket-url" in line
    ]
    assert len(sockets) == 2 and sockets[0] != sockets[1]
    assert all(s.startswith(f"ws://127.0.0.1:{port}/ws/") for s in sockets)
    assert "alice" not in first and "tok" not in first.replace("textual", "")
    assert not any("token=tok" in line for line in said[3:])  # the access log does not write the query


def test_a_sessions_name_follows_the_rule(workdir: Path) -> None:
    """The page's name reaches the session process as one argument, checked again there."""
    make_dataset(workdir / "a.db")
    result = CliRunner().invoke(
        app, ["serve-session", "--dataset", DATASET, "--annotator=../x"], env={"ANNOTATOR_DB": "a.db"}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("annotator: --annotator '../x' holds a path separator: a name has")
