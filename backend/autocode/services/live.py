"""Open WebSockets (events and terminals), so they close when their session or project dies.

Services run in worker threads; a socket's handler waits on its `ended` future on the event
loop. Ending a socket is thread-safe: the future is resolved on the socket's own loop, and the
handler closes the WebSocket with the code it was given.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from autocode.services.errors import Throttled
from autocode.ws_protocol import CloseCode

# More than any person keeps open (a terminal and an events feed per tab); each socket holds a
# subscription queue, so the count is bounded per account.
DEFAULT_PER_USER = 32


@dataclass(frozen=True)
class Ending:
    code: CloseCode
    reason: str


@dataclass(eq=False)
class LiveSocket:
    """One open WebSocket: whose session it belongs to, which project it shows."""

    user_id: int
    family: str
    project_id: int
    loop: asyncio.AbstractEventLoop
    ended: asyncio.Future[Ending] = field(init=False)

    def __post_init__(self) -> None:
        self.ended = self.loop.create_future()

    def _end(self, ending: Ending) -> None:
        if not self.ended.done():
            self.ended.set_result(ending)

    def end(self, ending: Ending) -> None:
        """Ask the socket's handler to close it (callable from any thread)."""
        try:
            self.loop.call_soon_threadsafe(self._end, ending)
        except RuntimeError:  # the loop is closed: the socket is gone with it
            pass


class LiveSockets:
    """Every open WebSocket of the server, looked up by user, refresh family and project."""

    def __init__(self, per_user: int = DEFAULT_PER_USER) -> None:
        self.per_user = per_user
        self._sockets: set[LiveSocket] = set()
        self._lock = threading.Lock()

    def register(self, *, user_id: int, family: str, project_id: int) -> LiveSocket:
        """Called by a socket's handler on the event loop once the socket is authorised;
        Throttled when the account already has `per_user` sockets open."""
        sock = LiveSocket(user_id=user_id, family=family, project_id=project_id, loop=asyncio.get_running_loop())
        with self._lock:
            if sum(1 for s in self._sockets if s.user_id == user_id) >= self.per_user:
                raise Throttled(f"at most {self.per_user} live connections per user", retry_after=5)
            self._sockets.add(sock)
        return sock

    def unregister(self, sock: LiveSocket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def count(self) -> int:
        with self._lock:
            return len(self._sockets)

    def _end_where(self, ending: Ending, match: Callable[[LiveSocket], bool]) -> int:
        with self._lock:
            chosen = [s for s in self._sockets if match(s)]
        for sock in chosen:
            sock.end(ending)
        return len(chosen)

    def end_user(self, user_id: int, *, keep_family: str | None = None) -> int:
        """The user's session ended everywhere (logout-all, password change, deletion)."""
        return self._end_where(
            Ending(CloseCode.AUTH_ENDED, "session ended"),
            lambda s: s.user_id == user_id and (keep_family is None or s.family != keep_family),
        )

    def end_family(self, family: str) -> int:
        """One login ended (logout, or a refresh token reused)."""
        return self._end_where(Ending(CloseCode.AUTH_ENDED, "session ended"), lambda s: s.family == family)

    def end_project(self, project_id: int) -> int:
        """The project was deleted."""
        return self._end_where(Ending(CloseCode.PROJECT_GONE, "project deleted"), lambda s: s.project_id == project_id)
