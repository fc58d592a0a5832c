"""``annotator serve``: the annotate (or review) screen in a browser, through textual-serve.

textual-serve runs one process per browser connection and streams its terminal to the page. Each
process here is ``annotator serve-session``: one annotator's session against the shared store, so
the browser sees exactly the app the terminal runs.

What textual-serve does not do, and this module adds by subclassing its ``Server`` and
``AppService`` as little as it can:

- The page's query never reaches the app: the page opens a websocket at a URL the server put in
  the page, to which textual.js appends ``?width=..&height=..``, and every process runs the same
  shell command. So the page handler checks the query (the token, the annotator's name), and hands
  the page a one-time ticket in the websocket's *path* (``/ws/<ticket>``); the websocket handler
  takes the name from the ticket. A websocket without a valid ticket is refused, so the token
  guards the processes too, not only the page.
- The process is started from an argument list (``create_subprocess_exec``), never a shell
  command: a name from a URL is data, and passes as one argument, after the name rule.
- The database goes to the processes in ``ANNOTATOR_DB``, so a PostgreSQL password in its URL is not
  on their command lines.
- The websocket URL is built from the request's Host header rather than from ``--host``: bound to
  0.0.0.0, textual-serve would send browsers to ws://0.0.0.0:PORT.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from annotator.core.names import NAME_RULE, name_problem

log = logging.getLogger("annotator.serve")

TICKET_LIFETIME_S = 300.0  # a page opens its websocket at once; an unused ticket expires
NAME_PARAMETER = "annotator"
TOKEN_PARAMETER = "token"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def session_command(dataset: str, review: bool, annotators: str | None) -> list[str]:
    """The command each connection runs, as an argument list (the name is added per connection)."""
    argv = [sys.executable, "-m", "annotator", "serve-session", f"--dataset={dataset}"]
    if review:
        argv.append("--review")
    if annotators is not None:
        argv.append(f"--annotators={annotators}")
    return argv


@dataclass(frozen=True)
class _Ticket:
    name: str | None  # None: the app asks for it
    expires: float


class _ArgvAppService(AppService):
    """textual-serve's process manager, starting the app from an argument list with an environment
    of its own instead of through a shell."""

    def __init__(self, argv: list[str], environment: dict[str, str], **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)  # the string is only textual-serve's label for it
        self._argv = argv
        self._environment = environment

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment.update(self._environment)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width, height),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process


class TeamServer(Server):
    """textual-serve's server with a token, a name from the page's URL, and one process per
    connection started from an argument list."""

    def __init__(
        self,
        argv: list[str],
        environment: dict[str, str],
        *,
        host: str,
        port: int,
        token: str | None,
        title: str,
    ) -> None:
        super().__init__(" ".join(argv), host=host, port=port, title=title)
        self.argv = argv
        self.environment = environment
        self.token = token
        self.tickets: dict[str, _Ticket] = {}

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        # The websocket's path carries the ticket; textual-serve's own /ws (no ticket) is refused.
        app.router.add_get("/ws/{ticket}", self.handle_websocket, name="session")
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Instead of textual-serve's banner: ``serve`` has said where to go."""

    def initialize_logging(self) -> None:
        super().initialize_logging()
        # aiohttp's access log writes every request line, the token in its query too: sessions are
        # logged below instead.
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    def _refusal(self, request: web.Request) -> str | None:
        """Why the page is refused, or None."""
        if self.token is not None:
            given = request.query.get(TOKEN_PARAMETER, "")
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return f"this page needs the server's token: add {TOKEN_PARAMETER}=... to the address"
        name = request.query.get(NAME_PARAMETER)
        if name is not None:
            problem = name_problem(name)
            if problem is not None:
                return f"the annotator's name {problem}: {NAME_RULE}"
        return None

    def _new_ticket(self, name: str | None) -> str:
        now = time.monotonic()
        for key in [k for k, t in self.tickets.items() if t.expires < now]:
            del self.tickets[key]
        ticket = secrets.token_urlsafe(24)
        self.tickets[ticket] = _Ticket(name, now + TICKET_LIFETIME_S)
        return ticket

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            raise web.HTTPForbidden(text=f"annotator: {refusal}\n")
        ticket = self._new_ticket(request.query.get(NAME_PARAMETER))
        websocket = "wss" if request.secure else "ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{websocket}://{request.host}/ws/{ticket}",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"  # the ticket is for this load only
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        ticket = self.tickets.pop(request.match_info.get("ticket", ""), None)
        if ticket is None or ticket.expires < time.monotonic():
            raise web.HTTPForbidden(
                text="annotator: open the page first (this session's ticket is not valid)\n"
            )
        argv = [*self.argv, f"--annotator={ticket.name}"] if ticket.name is not None else self.argv
        who = repr(ticket.name) if ticket.name is not None else "a name asked on the page"
        log.info("session of %s from %s started", who, request.remote)
        # From here on as textual-serve's own handler, with the service above.
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: _ArgvAppService | None = None
        try:
            await websocket.prepare(request)
            service = _ArgvAppService(
                argv,
                self.environment,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # one connection's failure must not stop the server
            log.exception(error)
        finally:
            if service is not None:
                await service.stop()
            log.info("session of %s from %s ended", who, request.remote)
        return websocket
