"""Personal API tokens: made, listed and revoked by their user; a script's bearer credential.

A token is `ac_pat_` + 32 random bytes (url-safe base64); only its SHA-256 is stored. It speaks
for its user while the user exists, is enabled and keeps the token version the token was made
under (logout-all, an admin's reset and disabling bump it); a password change deletes them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from autocode.core.security import constant_time_equal
from autocode.models import PersonalToken, User, pk, utcnow
from autocode.services.errors import Conflict, NotFound, Unauthorized

PREFIX = "ac_pat_"
MAX_TOKENS_PER_USER = 50
# last_used_at is written at most this often per token, so a busy script does not write on
# every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    row: PersonalToken
    secret: str  # shown once


def looks_like_token(credential: str) -> bool:
    return credential.startswith(PREFIX)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _live(session: Session, owner: User) -> list[PersonalToken]:
    rows = session.exec(
        select(PersonalToken).where(PersonalToken.user_id == owner.id).order_by(col(PersonalToken.id))
    ).all()
    return [r for r in rows if r.token_version == owner.token_version]


def list_tokens(session: Session, *, owner: User) -> list[PersonalToken]:
    """The user's live tokens (ones ended by a version bump are gone from the list)."""
    return _live(session, owner)


def create_token(session: Session, *, owner: User, name: str) -> NewToken:
    _drop_stale(session, owner)
    if len(_live(session, owner)) >= MAX_TOKENS_PER_USER:
        raise Conflict(f"You have {MAX_TOKENS_PER_USER} tokens already; revoke one first")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = PersonalToken(
        user_id=pk(owner),
        name=name.strip() or "token",
        token_hash=_hash(secret),
        token_version=owner.token_version,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return NewToken(row=row, secret=secret)


def revoke_token(session: Session, *, owner: User, token_id: int) -> None:
    """Delete one of the user's tokens; anyone else's is simply not found."""
    row = session.get(PersonalToken, token_id)
    if row is None or row.user_id != owner.id:
        raise NotFound("Token not found")
    session.delete(row)
    session.commit()


def revoke_all(session: Session, *, user_id: int) -> None:
    """Delete every token of a user (their password changed)."""
    session.exec(delete(PersonalToken).where(col(PersonalToken.user_id) == user_id))
    session.commit()


def authenticate(session: Session, credential: str) -> tuple[User, PersonalToken]:
    """The user and token a bearer `ac_pat_...` credential speaks for, or Unauthorized."""
    digest = _hash(credential)
    row = session.exec(select(PersonalToken).where(PersonalToken.token_hash == digest)).first()
    # The lookup is by digest (an index); the compare below keeps the check constant-time too.
    if row is None or not constant_time_equal(row.token_hash, digest):
        raise Unauthorized("Invalid token")
    user = session.get(User, row.user_id)
    if user is None or user.disabled or user.token_version != row.token_version:
        raise Unauthorized("Invalid token")
    now = utcnow()
    last = row.last_used_at
    if last is None or now - (last if last.tzinfo else last.replace(tzinfo=now.tzinfo)) > LAST_USED_GRANULARITY:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return user, row


def _drop_stale(session: Session, owner: User) -> None:
    session.exec(
        delete(PersonalToken)
        .where(col(PersonalToken.user_id) == owner.id)
        .where(col(PersonalToken.token_version) != owner.token_version)
    )
