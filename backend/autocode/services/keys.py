"""API keys and tokens, stored encrypted; only the provider and last four characters show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from autocode.core.security import Keys
from autocode.models import ApiKey, ApiKeyCreate, User
from autocode.services.errors import NotFound


@dataclass(frozen=True)
class Credential:
    provider: str
    secret: str
    base_url: str | None


def list_keys(session: Session, *, owner: User) -> list[ApiKey]:
    return list(
        session.exec(select(ApiKey).where(ApiKey.user_id == owner.id).order_by(col(ApiKey.id))).all()
    )


def add_key(session: Session, *, keys: Keys, owner: User, data: ApiKeyCreate) -> ApiKey:
    assert owner.id is not None
    row = ApiKey(
        user_id=owner.id,
        provider=data.provider,
        encrypted_key=keys.encrypt(data.key),
        last4=data.key[-4:],
        base_url=data.base_url,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def get_key(session: Session, *, owner: User, key_id: int) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None or row.user_id != owner.id:
        raise NotFound("Key not found")
    return row


def delete_key(session: Session, *, owner: User, key_id: int) -> None:
    session.delete(get_key(session, owner=owner, key_id=key_id))
    session.commit()


def credential(session: Session, *, keys: Keys, user_id: int, provider: str) -> Credential | None:
    """The newest decrypted credential of a provider, for handing to a process's environment."""
    row = session.exec(
        select(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.provider == provider)
        .order_by(col(ApiKey.id).desc())
    ).first()
    if row is None:
        return None
    return Credential(provider=row.provider, secret=keys.decrypt(row.encrypted_key), base_url=row.base_url)
