"""``annotator serve`` in a browser: from opening a tab to the annotate screen drawn, and from a key
pressed in the page to the redrawn screen arriving in the page.

    python benchmarks/bench_serve.py [--tabs 5] [--keys 40]

Debian's Chromium (headless, through Playwright) opens tabs on ``annotator serve`` over an SQLite
dataset of three tasks; each key (``]`` / ``[``, the next and the previous task) is timed until the
page has received the new "task i of 3". The baseline, in the same run: textual-serve's own server
(no token, no name, a shell command) serving a bare Textual app whose ``]`` / ``[`` keys rewrite one
line the same way; the difference is what the annotate screen and its session add.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.serve.serve_support import (
    DATASET,
    Terminal,
    chromium,
    free_port,
    make_dataset,
    running_server,
    terminal,
)

BARE_APP = """
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    BINDINGS = [("right_square_bracket", "move(1)"), ("left_square_bracket", "move(-1)")]

    def __init__(self) -> None:
        super().__init__()
        self.at = 1

    def compose(self) -> ComposeResult:
        yield Static("bare · task 1 of 3", id="status")

    def action_move(self, step: int) -> None:
        self.at = min(3, max(1, self.at + step))
        self.query_one(Static).update(f"bare · task {self.at} of 3")


Bare().run()
"""

BARE_SERVER = """
import sys
from textual_serve.server import Server

Server(f"{sys.executable} bare_app.py", host="127.0.0.1", port=int(sys.argv[1])).serve()
"""


@contextlib.contextmanager
def bare_server(folder: Path) -> Iterator[int]:
    (folder / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    (folder / "bare_server.py").write_text(BARE_SERVER, encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "bare_server.py", str(port)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the bare textual-serve server did not start")
            time.sleep(0.1)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def until(tab: Terminal, wanted: str, since: int) -> None:
    """Poll every 2 ms: the figures are tens of milliseconds."""
    deadline = time.monotonic() + 30
    while wanted not in tab.text(since):
        if time.monotonic() > deadline:
            raise SystemExit(f"the page never showed {wanted!r}")
        tab.page.wait_for_timeout(2)


def measure(
    open_tab: Callable[[int], Terminal], who: Callable[[int], str], tabs: int, keys: int
) -> tuple[list[float], list[float]]:
    opened: list[float] = []
    pressed: list[float] = []
    for n in range(tabs):
        t0 = time.monotonic()
        tab = open_tab(n)
        until(tab, f"{who(n)} · task 1 of 3", 0)
        opened.append(time.monotonic() - t0)
        for k in range(keys // tabs):
            mark = tab.mark()
            t0 = time.monotonic()
            tab.page.keyboard.press("]" if k % 2 == 0 else "[")
            until(tab, f"task {2 if k % 2 == 0 else 1} of 3", mark)
            pressed.append(time.monotonic() - t0)
        tab.page.close()
    return opened, pressed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tabs", type=int, default=5)
    parser.add_argument("--keys", type=int, default=40, help="keys in all, spread over the tabs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        folder = Path(tmp)
        db = str(folder / "bench.db")
        make_dataset(db)

        def opener(base: str, query: Callable[[int], str]) -> Callable[[int], Terminal]:
            def open_tab(n: int) -> Terminal:
                tab = terminal(browser)
                tab.open(base + query(n))
                return tab

            return open_tab

        with running_server(["--dataset", DATASET, "--db", db], folder) as (port, _):
            ours = measure(
                opener(f"http://127.0.0.1:{port}/", lambda n: f"?annotator=a{n}"),
                lambda n: f"a{n}",
                args.tabs,
                args.keys,
            )
        with bare_server(folder) as port:
            bare = measure(
                opener(f"http://127.0.0.1:{port}/", lambda n: ""), lambda n: "bare", args.tabs, args.keys
            )
    ms = 1000
    print(
        f"annotator serve, {args.tabs} tabs one after another, {args.keys} keys (Chromium headless, loopback)"
    )
    for name, (opened, pressed) in (("annotator serve", ours), ("bare Textual app, textual-serve", bare)):
        print(
            f"  {name:32s} tab to screen: median {statistics.median(opened):.2f} s   "
            f"key to redraw in the page: median {statistics.median(pressed) * ms:.0f} ms, p95 {p95(pressed) * ms:.0f} ms"
        )
    print(
        f"  added by the annotate screen: tab {statistics.median(ours[0]) - statistics.median(bare[0]):+.2f} s, "
        f"key {(statistics.median(ours[1]) - statistics.median(bare[1])) * ms:+.0f} ms at the median"
    )


if __name__ == "__main__":
    main()
