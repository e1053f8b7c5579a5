"""What both scripted model endpoints share: a threaded 127.0.0.1 server and ordered rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Protocol, Self, TypeVar


class TurnRequest(Protocol):
    """What both endpoints' requests tell of the Claude Code turn they belong to."""

    @property
    def prompt(self) -> str: ...

    @property
    def turn_step(self) -> int: ...


Req = TypeVar("Req", bound=TurnRequest)


@dataclass
class Rule(Generic[Req]):
    match: Callable[[Req], bool]
    respond: Callable[[Req], Any]
    times: int | None = None  # None: unlimited
    used: int = 0


class ScriptedEndpoint(Generic[Req]):
    """A fake endpoint on a free 127.0.0.1 port; subclasses give the handler and the replies."""

    handler_class: type[BaseHTTPRequestHandler]
    thread_name = "fake-endpoint"

    def __init__(self) -> None:
        self.rules: list[Rule[Req]] = []
        self.requests: list[Req] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        handler = type("Handler", (self.handler_class,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("fake endpoint not started")
        return int(self._server.server_address[1])

    def add(
        self,
        match: Callable[[Req], bool],
        respond: Callable[[Req], Any],
        *,
        times: int | None = None,
        first: bool = False,
    ) -> Rule[Req]:
        rule: Rule[Req] = Rule(match, respond, times)
        with self._lock:
            if first:
                self.rules.insert(0, rule)
            else:
                self.rules.append(rule)
        return rule

    def _turn_rule(self, needle: str, replies: tuple[Any, ...]) -> Rule[Req]:
        """When a turn's prompt contains `needle`, its k-th model call gets replies[k]; then the default."""

        def respond(req: Req) -> Any:
            step = req.turn_step
            return replies[step] if step < len(replies) else None

        def match(req: Any) -> bool:
            return needle in req.prompt

        return self.add(match, respond)
