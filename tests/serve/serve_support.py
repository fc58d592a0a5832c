"""A small dataset for ``annotator serve`` (tasks with tokens and a suggestion each, so that no model
is loaded), the server started as a user starts it, and a free port."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
from playwright.sync_api import Browser, Page, WebSocket, sync_playwright

from annotator.config import resolve_scheme
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.records import to_record
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.store import Store

DATASET = "team"
LABELS = "PERSON,ORG,GPE"
TEXTS = (
    "Gen Nakatani met Lee Jong-sup in Seoul on Monday.",
    "The ministers agreed to share intelligence about North Korea.",
    "Nakatani returned to Tokyo the next day.",
)
START_TIMEOUT_S = 60.0
KEY_INTERVAL_MS = 40


def suggested_tasks() -> list[tuple[Task, Annotation]]:
    """Three tasks, each with the model-like suggestion of its first word as PERSON."""
    items = []
    for text in TEXTS:
        task = Task(text, provisional_tokens(text), input_hash(text), {"source": "serve-test"})
        first = task.tokens[0]
        items.append((task, Annotation((make_span(task, first.start, first.end, "PERSON", "test-model"),))))
    return items


def make_dataset(db: str | Path, dataset: str = DATASET) -> list[int]:
    """The tasks stored with the scheme, as a first annotate stores them. Returns the task ids."""
    with Store(db) as store:
        ids = store.add_tasks(dataset, suggested_tasks())
        store.save_scheme(dataset, resolve_scheme(LABELS, None, None, []))
    return ids


def prepare_dataset(db: str, folder: Path) -> list[int]:
    """The same tasks stored as a team does it: a JSONL of them, ``annotator annotate FILE
    --prepare-only`` run as a command."""
    source = folder / "tasks.jsonl"
    source.write_text("".join(orjson.dumps(to_record(t, a)).decode() + "\n" for t, a in suggested_tasks()))
    argv = ["annotate", str(source), "-d", DATASET, "--labels", LABELS, "--prepare-only", "--db", db]
    done = subprocess.run(
        [sys.executable, "-m", "annotator", *argv], capture_output=True, text=True, cwd=folder
    )
    assert done.returncode == 0, done.stderr
    assert f"dataset {DATASET!r} holds 3 tasks (3 new)" in done.stdout, done.stdout
    with Store(db, create=False) as store:
        return store.task_ids(DATASET)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET (an error status too)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextlib.contextmanager
def running_server(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """``annotator serve ARGS --port P`` as a user runs it; yields the port and, after it stops,
    fills the list with what it printed. Stopped with SIGTERM (its Ctrl+C) and then killed, with its
    own process group so that no session process outlives it."""
    port = free_port()
    output: list[str] = []
    process = subprocess.Popen(
        [sys.executable, "-m", "annotator", "serve", *args, "--port", str(port)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"annotator serve exited with {process.returncode}: {process.stdout.read() if process.stdout else ''}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"annotator serve did not listen on {port} in {START_TIMEOUT_S} s")
            time.sleep(0.1)
        yield port, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any session process left behind
        if process.stdout is not None:
            output.extend(process.stdout.read().splitlines())


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it (never `playwright install`)
_ESCAPES = re.compile(
    rb"\x1b(?:\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])"
)


class Terminal:
    """The page of one browser tab: what the app drew (the terminal's bytes as the websocket
    carried them, escape sequences removed) and the keyboard."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.frames: list[bytes] = []
        self.refused: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, websocket: WebSocket) -> None:
        websocket.on(
            "framereceived", lambda frame: self.frames.append(frame) if isinstance(frame, bytes) else None
        )

    def open(self, url: str) -> None:
        response = self.page.goto(url, wait_until="domcontentloaded")
        assert response is not None and response.status == 200, (url, response and response.status)
        # textual.js marks the body when the app's first bytes arrive
        self.page.wait_for_selector("body.-first-byte", timeout=START_TIMEOUT_S * 1000)
        # The keys go to xterm's input box, as when a person clicks into the page (a click on the
        # text would move the app's cursor).
        self.page.locator(".xterm-helper-textarea").focus()

    def mark(self) -> int:
        """Where the page's bytes are now: ``wait_for(..., since=mark)`` looks only at what came after."""
        return len(self.frames)

    def text(self, since: int = 0) -> str:
        return _ESCAPES.sub(b"", b"".join(self.frames[since:])).decode("utf-8", "replace")

    def wait_for(self, wanted: str, since: int = 0, timeout: float = START_TIMEOUT_S) -> None:
        """Until the app has drawn ``wanted`` (since the page opened, or since ``since``)."""
        deadline = time.monotonic() + timeout
        while wanted not in self.text(since):
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never showed {wanted!r}; it showed: {self.text()[-2000:]!r}")
            self.page.wait_for_timeout(100)

    def press(self, *keys: str) -> None:
        """Keys at a fast typist's pace. Sent without a pause, a key bound to an action (backspace)
        can run after a letter sent behind it: Textual runs the binding's action later than an
        Input inserts a character, in a terminal too (backspace backspace c came out as deleting
        the c)."""
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(KEY_INTERVAL_MS)

    def type(self, text: str) -> None:
        self.press(*text)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright; closed whatever happens."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox refuses to run as root, which CI containers are
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def terminal(browser: Browser) -> Terminal:
    return Terminal(browser.new_page(viewport={"width": 1280, "height": 800}))
