"""Access to live previews: one-time tokens, the preview origin's cookies, and the port check.

A token is made for a user, a project and a port (`POST /api/projects/{id}/ports/{port}/preview`),
redeemed once by the preview origin for a cookie of its own; every request with that cookie is
checked again (the user, the project, the port still listening in the project's session).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.models import Project, User, pk
from autocode.runtime import Runtime, RuntimeErrorBase
from autocode.services import preview_rules, processes
from autocode.services.errors import DomainError, NotFound

MAX_ENTRIES = 10_000
PORT_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Grant:
    """Who may see which preview, and until when (monotonic seconds)."""

    user_id: int
    token_version: int
    project_id: int
    port: int
    expires: float


@dataclass
class GrantStore:
    """Short-lived secrets mapped to grants, in memory (a restart asks for a new preview URL)."""

    _items: dict[str, Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, grant: Grant) -> str:
        secret = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            for key in [k for k, g in self._items.items() if g.expires < now]:
                del self._items[key]
            while len(self._items) >= MAX_ENTRIES:  # oldest first: dicts keep insertion order
                del self._items[next(iter(self._items))]
            self._items[secret] = grant
        return secret

    def covers(self, project_id: int, port: int) -> bool:
        """Whether a live grant exists for that preview."""
        now = time.monotonic()
        with self._lock:
            return any((g.project_id, g.port) == (project_id, port) and g.expires >= now for g in self._items.values())

    def get(self, secret: str, *, consume: bool = False) -> Grant | None:
        with self._lock:
            grant = self._items.pop(secret, None) if consume else self._items.get(secret)
        if grant is None or grant.expires < time.monotonic():
            return None
        return grant


@dataclass(frozen=True)
class Target:
    """Where one preview request goes: the owner's runtime user, a loopback address, a port."""

    username: str
    address: str
    port: int


class PreviewAccess:
    """Tokens, cookies and the checks behind every preview request."""

    def __init__(self, *, settings: Settings, engine: Engine, runtime: Runtime) -> None:
        self.settings = settings
        self.engine = engine
        self.runtime = runtime
        self.tokens = GrantStore()
        self.cookies = GrantStore()
        self._ports: dict[tuple[int, int], tuple[float, str | None]] = {}
        self._ports_lock = threading.Lock()

    # -- the app's side --------------------------------------------------------------------

    def issue_url(self, *, user: User, project: Project, port: int) -> str:
        """An absolute URL on the preview origin carrying a one-time token (blocking)."""
        if self._address(user, project, port, fresh=True) is None:
            raise NotFound("No such listening port in this project's session")
        token = self.tokens.put(
            Grant(
                pk(user), user.token_version, pk(project), port, time.monotonic() + self.settings.preview_token_seconds
            )
        )
        base = preview_rules.origin(self.settings.preview_template, pk(project), port)
        return f"{base}/?{preview_rules.TOKEN_PARAM}={token}"

    def public_url(self, project_id: int, port: int) -> str:
        """The preview's clean URL (useful only with the cookie a token URL gives)."""
        return preview_rules.origin(self.settings.preview_template, project_id, port) + "/"

    # -- the preview origin's side ----------------------------------------------------------

    def redeem(self, token: str, *, project_id: int, port: int) -> str | None:
        """Exchange a one-time token for a cookie value, when it was made for this preview."""
        grant = self.tokens.get(token, consume=True)
        if grant is None or (grant.project_id, grant.port) != (project_id, port):
            return None
        lifetime = self.settings.preview_cookie_minutes * 60
        return self.cookies.put(
            Grant(grant.user_id, grant.token_version, project_id, port, time.monotonic() + lifetime)
        )

    def asked_for(self, host: str) -> bool:
        """Whether `host` is a preview someone was given a link to (Caddy's on-demand TLS asks
        before it gets a certificate for a name: never for names nobody uses)."""
        found = preview_rules.parse_host(host)
        return found is not None and (self.tokens.covers(*found) or self.cookies.covers(*found))

    def authorize(self, cookie: str | None, *, project_id: int, port: int) -> Target | None:
        """Where a request holding this cookie for this preview goes, or None (blocking)."""
        if not cookie:
            return None
        grant = self.cookies.get(cookie)
        if grant is None or (grant.project_id, grant.port) != (project_id, port):
            return None
        with Session(self.engine, expire_on_commit=False) as session:
            user = session.get(User, grant.user_id)
            project = session.get(Project, project_id)
            if (
                user is None
                or user.disabled
                or user.token_version != grant.token_version
                or project is None
                or project.user_id != user.id
            ):
                return None
        address = self._address(user, project, port, fresh=False)
        return None if address is None else Target(user.username, address, port)

    def _address(self, user: User, project: Project, port: int, *, fresh: bool) -> str | None:
        """The loopback address a port of the project's session listens on (cached briefly)."""
        key = (pk(project), port)
        now = time.monotonic()
        with self._ports_lock:
            cached = self._ports.get(key)
        if cached is not None and not fresh and now - cached[0] < PORT_CHECK_SECONDS:
            return cached[1]
        addresses = listening_addresses(self.runtime, settings=self.settings, user=user, project=project, port=port)
        address = preview_rules.dial_address(addresses)
        with self._ports_lock:
            if len(self._ports) > MAX_ENTRIES:
                self._ports.clear()
            self._ports[key] = (now, address)
        return address


def listening_addresses(runtime: Runtime, *, settings: Settings, user: User, project: Project, port: int) -> list[str]:
    """The addresses `port` listens on in the project's session (empty: not one of its ports)."""
    try:
        found = processes.listening_ports(runtime, settings=settings, user=user, project=project)
    except (DomainError, RuntimeErrorBase):
        return []  # not allowed to run there, or nothing runs: no port
    return [p.address for p in found if p.port == port]
