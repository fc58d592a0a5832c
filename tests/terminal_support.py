"""A real terminal for tests: a tmux pane running one command, every byte the program writes to the
terminal copied to a file (``pipe-pane``), its screen read back with ``capture-pane``.

Each Terminal runs its own tmux server (``-S`` a socket in the test's folder), so tests never touch
a user's tmux and closing it kills everything it started. The command waits for the copy to be on
before it starts, so that the file holds every byte from the first.

The program's exit status is written to a file by the shell that ran it, not read from tmux's
``pane_dead_status``: tmux 3.3a holds a pane's death back while the pipe-pane copy has bytes of it
unread (``window_pane_destroy_ready``), and on a loaded machine a pane was seen still alive 90 s
after its program had printed its last line and ended."""

from __future__ import annotations

import fcntl
import os
import shlex
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self


class Terminal:
    def __init__(
        self,
        folder: Path,
        argv: Sequence[str],
        size: tuple[int, int] = (120, 36),
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.socket = folder / "tmux.sock"
        self.bytes_file = folder / "terminal.bytes"
        self.go = folder / "go"
        self.status_file = folder / "status"
        command = " ".join(shlex.quote(a) for a in argv)
        status, written = shlex.quote(str(self.status_file)), shlex.quote(f"{self.status_file}.tmp")
        script = (
            f"while [ ! -e {shlex.quote(str(self.go))} ]; do sleep 0.02; done; {command}; "
            f"echo $? > {written} && mv {written} {status}"  # $? is 128 + N after signal N
        )
        self.env = {**os.environ, **(env or {}), "TERM": "xterm-256color"}
        self._tmux("new-session", "-d", "-s", "t", "-x", str(size[0]), "-y", str(size[1]), "sh", "-c", script)
        self._tmux("set-option", "-t", "t", "remain-on-exit", "on")
        self._tmux("pipe-pane", "-o", "-t", "t", f"cat >> {shlex.quote(str(self.bytes_file))}")
        self._tty: int | None = None  # the pane's terminal, opened to see what is still unread
        self.go.touch()

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, env=self.env, check=True
        )
        return done.stdout

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        """Send keys as tmux names them (``Tab``, ``Escape``, ``C-p``, ``a``), each once the
        program has read the one before."""
        for key in keys:
            self._tmux("send-keys", "-t", "t", key)
            self._wait_read()
            # An escape followed at once by another key reads as one alt+key sequence.
            time.sleep(max(pause, 0.5) if key == "Escape" else pause)

    def type_text(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)
        self._wait_read()
        time.sleep(0.15)

    def _wait_read(self, timeout: float = 30.0) -> None:
        """Wait until the program has read what was typed (the terminal's input queue is empty):
        a program busy for longer than a key's pause (a loaded machine) would otherwise read an
        escape and the next key in one read, as alt+key, or keys before the screen they were for."""
        if self._tty is None:
            self._tty = os.open(
                self._tmux("display", "-p", "-t", "t", "#{pane_tty}").strip(),
                os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            (waiting,) = struct.unpack("i", fcntl.ioctl(self._tty, termios.FIONREAD, b"\0\0\0\0"))
            if waiting == 0:
                return
            time.sleep(0.02)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the screen:\n{shown}")
            time.sleep(0.1)

    def exit_status(self, timeout: float = 90.0) -> int:
        """The program's exit status once it ended (128 + N if killed by signal N)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status_file.exists():
                return int(self.status_file.read_text().strip())
            time.sleep(0.1)
        raise AssertionError(f"the program did not end:\n{self.screen()}")

    def written(self) -> bytes:
        """Every byte the program wrote to the terminal so far."""
        time.sleep(0.3)  # pipe-pane copies asynchronously
        return self.bytes_file.read_bytes() if self.bytes_file.exists() else b""

    def close(self) -> None:
        if self._tty is not None:
            os.close(self._tty)
            self._tty = None
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True, env=self.env)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
