"""Login, refresh-token rotation, logout, password changes, login throttling, WS tickets."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select, update

from autocode.core.config import Settings
from autocode.core.security import (
    Keys,
    TokenError,
    burn_password_check,
    hash_opaque_token,
    hash_password,
    new_opaque_token,
    verify_password,
)
from autocode.models import RefreshToken, User, utcnow
from autocode.services.errors import Throttled, Unauthorized


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


class LoginThrottle:
    """Counts failed logins per username and per client in a sliding window."""

    def __init__(self, *, max_failures: int, window_seconds: int) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self._window:
            q.popleft()
        return q

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self._max:
                    retry = max(1, int(q[0] + self._window - now) + 1)
                    raise Throttled("Too many failed logins; try again later", retry)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeed(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass
class TicketStore:
    """One-time, short-lived tickets that authenticate a WebSocket (browsers can't set headers)."""

    lifetime_seconds: int
    _tickets: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, user_id: int) -> str:
        ticket = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (_, exp) in self._tickets.items() if exp < now]:
                del self._tickets[key]
            self._tickets[ticket] = (user_id, now + self.lifetime_seconds)
        return ticket

    def redeem(self, ticket: str) -> int:
        """The user id of a valid ticket, which is then used up."""
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] < time.monotonic():
            raise Unauthorized("Invalid or expired ticket")
        return entry[0]


def _issue(session: Session, *, settings: Settings, keys: Keys, user: User, family: str) -> IssuedTokens:
    assert user.id is not None
    refresh = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=hash_opaque_token(refresh),
            family=family,
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    session.commit()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    return IssuedTokens(
        access_token=keys.access_token(user_id=user.id, lifetime=lifetime),
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
    """Check credentials (throttled per username and per client) and issue a token pair."""
    user_key, client_key = f"user:{username.lower()}", f"client:{client}"
    throttle.check(user_key, client_key)
    user = session.exec(select(User).where(User.username == username.lower())).first()
    if user is None:
        burn_password_check(password)
        ok = False
    else:
        ok = verify_password(password, user.password_hash)
    if user is None or not ok:
        throttle.fail(user_key, client_key)
        raise Unauthorized("Incorrect username or password")
    throttle.succeed(user_key)
    return _issue(session, settings=settings, keys=keys, user=user, family=secrets.token_hex(8))


def refresh(session: Session, *, settings: Settings, keys: Keys, token: str) -> IssuedTokens:
    """Rotate a refresh token; reusing a rotated token revokes its whole family."""
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(token))
    ).first()
    if row is None:
        raise Unauthorized("Invalid refresh token")
    now = utcnow()
    if row.revoked_at is not None:
        _revoke_family(session, row.family)
        raise Unauthorized("Refresh token was already used or revoked")
    if row.expires_at <= now:
        raise Unauthorized("Refresh token expired")
    user = session.get(User, row.user_id)
    if user is None:
        raise Unauthorized("Invalid refresh token")
    row.revoked_at = now
    session.add(row)
    return _issue(session, settings=settings, keys=keys, user=user, family=row.family)


def logout(session: Session, *, token: str) -> None:
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(token))
    ).first()
    if row is not None:
        _revoke_family(session, row.family)


def change_password(
    session: Session, *, user: User, current_password: str, new_password: str, keep_token: str | None
) -> None:
    """Change a password and revoke every other refresh token of that user."""
    if not verify_password(current_password, user.password_hash):
        raise Unauthorized("Current password is incorrect")
    user.password_hash = hash_password(new_password)
    session.add(user)
    keep_hash = hash_opaque_token(keep_token) if keep_token else None
    stmt = (
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user.id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_hash is not None:
        stmt = stmt.where(col(RefreshToken.token_hash) != keep_hash)
    session.exec(stmt)
    session.commit()


def user_from_access_token(engine: Engine, *, keys: Keys, token: str) -> User:
    try:
        user_id = keys.verify_access_token(token)
    except TokenError as exc:
        raise Unauthorized("Invalid or expired token") from exc
    with Session(engine) as session:
        user = session.get(User, user_id)
    if user is None:
        raise Unauthorized("Invalid or expired token")
    return user


def _revoke_family(session: Session, family: str) -> None:
    session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.family) == family)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()

