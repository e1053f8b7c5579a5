"""Key material on disk, password hashing and the production guard."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from autocode.core.config import Settings
from autocode.core.security import Keys, TokenError, hash_password, load_master_secret, verify_password


def test_secret_key_file_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    first = load_master_secret(settings)
    path = tmp_path / "d" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_secret(settings) == first and len(first) >= 32


def test_passwords_use_argon2(tmp_path: Path) -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2")
    assert verify_password("correct horse", h) and not verify_password("wrong", h)
    assert not verify_password("x", "not-a-hash")


def test_fernet_round_trip_and_wrong_key() -> None:
    a, b = Keys.from_master(b"one" * 12), Keys.from_master(b"two" * 12)
    token = a.encrypt("sk-secret")
    assert "sk-secret" not in token and a.decrypt(token) == "sk-secret"
    with pytest.raises(TokenError):
        b.decrypt(token)


def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="AUTOCODE_SECRET_KEY"):
        Settings(environment="production", data_dir=tmp_path)
    with pytest.raises(ValidationError):
        Settings(environment="production", data_dir=tmp_path, secret_key="short")
    ok = Settings(environment="production", data_dir=tmp_path, secret_key="x" * 40)
    assert ok.secure_cookies


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOCODE_DATA_DIR", str(tmp_path / "env-data"))
    monkeypatch.setenv("AUTOCODE_PORT", "9123")
    monkeypatch.setenv("AUTOCODE_ACCESS_TOKEN_MINUTES", "5")
    s = Settings()
    assert s.data_path == (tmp_path / "env-data").resolve() and s.port == 9123
    assert s.access_token_minutes == 5
