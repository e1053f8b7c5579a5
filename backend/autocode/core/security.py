"""Key material, password hashing, JWTs and encryption of stored API keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jose import JWTError, jwt
from passlib.context import CryptContext

from autocode.core import files
from autocode.core.config import Settings
from autocode.core.layout import Layout

JWT_ALGORITHM = "HS256"
_pwd = CryptContext(schemes=["argon2"], deprecated="auto")


class TokenError(Exception):
    """A token is missing, malformed, forged or expired."""


def load_master_secret(settings: Settings) -> bytes:
    """The master secret: from settings, or data/secret.key (made 0600 on first start)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = Layout(settings.data_path).secret_key
    files.protect(path)
    if not path.exists():
        files.write_own(path, secrets.token_urlsafe(48), replace=False)  # or another process's
    os.chmod(path, 0o600)
    return path.read_text().strip().encode()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@dataclass(frozen=True)
class Keys:
    """Keys derived from the master secret, one per purpose."""

    jwt_key: str
    fernet: Fernet

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        jwt_key = base64.urlsafe_b64encode(_derive(master, b"autocode-jwt")).decode()
        fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"autocode-fernet")))
        return cls(jwt_key=jwt_key, fernet=fernet)

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self.fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise TokenError("stored secret cannot be decrypted with this key") from exc

    def access_token(self, *, user_id: int, token_version: int, family: str, lifetime: timedelta) -> str:
        """A signed access token naming the user, their token version and the login's family."""
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "type": "access",
            "tv": token_version,
            "fam": family,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return str(jwt.encode(claims, self.jwt_key, algorithm=JWT_ALGORITHM))

    def verify_access_token(self, token: str) -> AccessClaims:
        """The claims of a valid access token (signature, expiry and shape checked)."""
        try:
            claims = jwt.decode(token, self.jwt_key, algorithms=[JWT_ALGORITHM])
        except JWTError as exc:
            raise TokenError(str(exc)) from exc
        if claims.get("type") != "access":
            raise TokenError("not an access token")
        sub, tv, fam = claims.get("sub"), claims.get("tv"), claims.get("fam")
        if not isinstance(sub, str) or not sub.isdigit() or len(sub) > 19:
            raise TokenError("bad subject")
        # Tokens from before token versions existed carry neither claim: they are refused.
        if not isinstance(tv, int) or isinstance(tv, bool) or not isinstance(fam, str) or not fam:
            raise TokenError("token without a version or family")
        exp = claims.get("exp")
        expires_at = float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else 0.0
        return AccessClaims(user_id=int(sub), token_version=tv, family=fam, expires_at=expires_at)


@dataclass(frozen=True)
class AccessClaims:
    """Who an access token speaks for: the user, the token version, the refresh family."""

    user_id: int
    token_version: int
    family: str
    expires_at: float = 0.0  # the token's `exp` (Unix time); 0 when unknown


def hash_password(password: str) -> str:
    return _pwd.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bool(_pwd.verify(password, password_hash))
    except (ValueError, TypeError):
        return False


# A precomputed hash so that unknown usernames cost the same time as wrong passwords.
_DUMMY_HASH = _pwd.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    _pwd.verify(password, _DUMMY_HASH)


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    """Refresh tokens are high-entropy, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def generate_password() -> str:
    return secrets.token_urlsafe(18)
