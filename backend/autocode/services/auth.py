"""Login, refresh-token rotation, logout, password changes, login throttling, WS tickets."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select, update

from autocode.core.config import Settings
from autocode.core.security import (
    AccessClaims,
    Keys,
    TokenError,
    burn_password_check,
    hash_opaque_token,
    hash_password,
    new_opaque_token,
    verify_password,
)
from autocode.models import RefreshToken, User, pk, utcnow
from autocode.services import tokens
from autocode.services.errors import Forbidden, Throttled, Unauthorized
from autocode.services.live import LiveSockets


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


class LoginThrottle:
    """Counts failures per key in a sliding window, in a map of bounded size.

    Callers pick keys that never lock a name out for everyone: (username, client) and client,
    never the username alone, so a stranger's bad tries cannot keep its owner out. The map
    holds at most `max_keys` keys; the least recently touched go first once it is full.
    """

    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        q = self._failures.get(key)
        if q is None:
            return None
        while q and q[0] <= now - self._window:
            q.popleft()
        if not q:
            del self._failures[key]
            return None
        return q

    def check(self, *limits: tuple[str, int]) -> None:
        """Raise Throttled when any (key, allowed failures) pair is used up."""
        now = self._clock()
        with self._lock:
            for key, allowed in limits:
                q = self._recent(key, now)
                if q is not None and len(q) >= allowed:
                    retry = max(1, int(q[0] + self._window - now) + 1)
                    raise Throttled("Too many failed attempts; try again later", retry)

    def fail(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if q is None:
                    self._make_room(now)
                    q = self._failures[key] = deque(maxlen=max(self._max * 8, 64))
                q.append(now)
                self._failures.move_to_end(key)

    def succeed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _make_room(self, now: float) -> None:
        if len(self._failures) < self._max_keys:
            return
        for key in list(self._failures)[: max(1, self._max_keys // 10)]:
            self._recent(key, now)  # drops keys whose failures all expired
        while len(self._failures) >= self._max_keys:
            self._failures.popitem(last=False)

    @property
    def max_failures(self) -> int:
        return self._max


# One client (an address) may fail this many times more than one (username, client) pair:
# a household behind one address should not be locked out by one member's typos.
CLIENT_FACTOR = 4


def login_limits(throttle: LoginThrottle, *, username: str, client: str) -> tuple[tuple[str, int], ...]:
    """The throttle keys of a login attempt: (username, client) and client, never username alone."""
    return (
        (f"login:{username.lower()}|{client}", throttle.max_failures),
        (f"client:{client}", throttle.max_failures * CLIENT_FACTOR),
    )


def password_limits(throttle: LoginThrottle, *, user_id: int, client: str) -> tuple[tuple[str, int], ...]:
    """The throttle keys of a password change (its caller is signed in: the user is the key)."""
    return (
        (f"password:{user_id}", throttle.max_failures),
        (f"client:{client}", throttle.max_failures * CLIENT_FACTOR),
    )


@dataclass(frozen=True)
class Principal:
    """Who a request or socket speaks for: a user, through one login (refresh family) or
    one personal API token (`token_id`; its family is empty)."""

    user: User
    family: str
    token_id: int | None = None

    @property
    def is_token(self) -> bool:
        return self.token_id is not None


@dataclass
class TicketStore:
    """One-time, short-lived tickets that authenticate a WebSocket (browsers can't set headers)."""

    lifetime_seconds: int
    _tickets: dict[str, tuple[AccessClaims, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, principal: Principal) -> str:
        claims = AccessClaims(
            user_id=pk(principal.user),
            token_version=principal.user.token_version,
            family=principal.family,
        )
        ticket = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (_, exp) in self._tickets.items() if exp < now]:
                del self._tickets[key]
            self._tickets[ticket] = (claims, now + self.lifetime_seconds)
        return ticket

    def redeem(self, ticket: str) -> AccessClaims:
        """The claims of a valid ticket, which is then used up (check them like a token's)."""
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] < time.monotonic():
            raise Unauthorized("Invalid or expired ticket")
        return entry[0]


def _issue(session: Session, *, settings: Settings, keys: Keys, user: User, family: str) -> IssuedTokens:
    refresh = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=pk(user),
            token_hash=hash_opaque_token(refresh),
            family=family,
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    session.commit()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    return IssuedTokens(
        access_token=keys.access_token(
            user_id=pk(user), token_version=user.token_version, family=family, lifetime=lifetime
        ),
        refresh_token=refresh,
        expires_in=int(lifetime.total_seconds()),
        user=user,
    )


def login(
    session: Session,
    *,
    settings: Settings,
    keys: Keys,
    throttle: LoginThrottle,
    username: str,
    password: str,
    client: str,
) -> IssuedTokens:
    """Check credentials (throttled per (username, client) and per client); issue a token pair."""
    limits = login_limits(throttle, username=username, client=client)
    throttle.check(*limits)
    user = session.exec(select(User).where(User.username == username.lower())).first()
    if user is None:
        burn_password_check(password)
        ok = False
    else:
        ok = verify_password(password, user.password_hash)
    if user is None or not ok:
        throttle.fail(*(key for key, _ in limits))
        raise Unauthorized("Incorrect username or password")
    throttle.succeed(limits[0][0])
    if user.disabled:  # said only to someone who knows the password
        raise Unauthorized("This account is disabled; ask an admin")
    return _issue(session, settings=settings, keys=keys, user=user, family=secrets.token_hex(16))


def refresh(session: Session, *, settings: Settings, keys: Keys, sockets: LiveSockets, token: str) -> IssuedTokens:
    """Rotate a refresh token; reusing a rotated token revokes its whole family."""
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(token))).first()
    if row is None:
        raise Unauthorized("Invalid refresh token")
    now = utcnow()
    if row.revoked_at is not None:
        _revoke_family(session, row.family)
        sockets.end_family(row.family)
        raise Unauthorized("Refresh token was already used or revoked")
    if row.expires_at <= now:
        raise Unauthorized("Refresh token expired")
    user = session.get(User, row.user_id)
    if user is None:
        raise Unauthorized("Invalid refresh token")
    if user.disabled:
        raise Unauthorized("This account is disabled")
    row.revoked_at = now
    session.add(row)
    return _issue(session, settings=settings, keys=keys, user=user, family=row.family)


def logout(session: Session, *, sockets: LiveSockets, token: str) -> None:
    """End one login: its refresh family, the access tokens and sockets of that family."""
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(token))).first()
    if row is not None:
        _revoke_family(session, row.family)
        sockets.end_family(row.family)


def logout_all(session: Session, *, sockets: LiveSockets, user: User) -> None:
    """End every login of the user: bump the token version and revoke every refresh token."""
    _end_sessions(session, user=user, keep_family=None, bump=True)
    sockets.end_user(pk(user))


def change_password(
    session: Session,
    *,
    throttle: LoginThrottle,
    sockets: LiveSockets,
    principal: Principal,
    client: str,
    current_password: str,
    new_password: str,
) -> None:
    """Change a password (throttled like login), end every other login of that user and
    delete their personal API tokens (one made by whoever had the old password must not outlive it).

    The caller's own login (its refresh family) lives on, so the app stays signed in here.
    """
    user = principal.user
    limits = password_limits(throttle, user_id=pk(user), client=client)
    throttle.check(*limits)
    if not verify_password(current_password, user.password_hash):
        throttle.fail(*(key for key, _ in limits))
        # 403, not 401: the login is fine, only the answer is wrong (a 401 signs the app out).
        raise Forbidden("Current password is incorrect")
    throttle.succeed(limits[0][0])
    user.password_hash = hash_password(new_password)
    session.add(user)
    _end_sessions(session, user=user, keep_family=principal.family, bump=False)
    tokens.revoke_all(session, user_id=pk(user))
    sockets.end_user(pk(user), keep_family=principal.family)


def authenticate(session: Session, claims: AccessClaims) -> Principal:
    """The principal of verified claims, if the user, their token version and login still live."""
    user = session.get(User, claims.user_id)
    if user is None or user.token_version != claims.token_version or user.disabled:
        raise Unauthorized("Invalid or expired token")
    alive = session.exec(
        select(RefreshToken.id)
        .where(RefreshToken.family == claims.family)
        .where(RefreshToken.user_id == user.id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .limit(1)
    ).first()
    if alive is None:
        raise Unauthorized("Session ended")
    return Principal(user=user, family=claims.family)


def principal_from_access_token(session: Session, *, keys: Keys, token: str) -> Principal:
    """Who a bearer credential speaks for: a personal API token (`ac_pat_...`) or an access token."""
    if tokens.looks_like_token(token):
        user, row = tokens.authenticate(session, token)
        return Principal(user=user, family="", token_id=row.id)
    try:
        claims = keys.verify_access_token(token)
    except TokenError as exc:
        raise Unauthorized("Invalid or expired token") from exc
    return authenticate(session, claims)


def _end_sessions(session: Session, *, user: User, keep_family: str | None, bump: bool) -> None:
    stmt = (
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user.id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_family is not None:
        stmt = stmt.where(col(RefreshToken.family) != keep_family)
    session.exec(stmt)
    if bump:
        user.token_version += 1
        session.add(user)
    session.commit()


def _revoke_family(session: Session, family: str) -> None:
    stmt = (
        update(RefreshToken)
        .where(col(RefreshToken.family) == family)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.exec(stmt)
    session.commit()
