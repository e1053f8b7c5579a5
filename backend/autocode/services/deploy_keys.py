"""Each user's deploy key: an Ed25519 ssh key the server makes on first use, for cloning
private repositories. The private half is stored encrypted (like API keys) and handed only to
a clone running in that user's environment; the public half is shown to be added to a host."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from autocode.core.security import Keys
from autocode.models import DeployKey, User, pk


def _generate(comment: str) -> tuple[str, str, str]:
    """(public key line, private key in OpenSSH PEM, SHA256 fingerprint) of a new key."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public = (
        private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    )
    blob = base64.b64decode(public.split()[1])
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"{public} {comment}", pem, fingerprint


def get_or_create(session: Session, *, keys: Keys, owner: User) -> DeployKey:
    """The user's deploy key, made on first use."""
    found = session.exec(select(DeployKey).where(DeployKey.user_id == owner.id)).first()
    if found is not None:
        return found
    public, private, fingerprint = _generate(f"autocode-{owner.username}")
    row = DeployKey(
        user_id=pk(owner), public_key=public, encrypted_private_key=keys.encrypt(private), fingerprint=fingerprint
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # a second request made it a moment ago
        session.rollback()
        found = session.exec(select(DeployKey).where(DeployKey.user_id == pk(owner))).first()
        assert found is not None
        return found
    session.refresh(row)
    return row


def private_key(session: Session, *, keys: Keys, user_id: int) -> str | None:
    """The user's private key (OpenSSH format), decrypted, when they have one."""
    found = session.exec(select(DeployKey).where(DeployKey.user_id == user_id)).first()
    return None if found is None else keys.decrypt(found.encrypted_private_key)
