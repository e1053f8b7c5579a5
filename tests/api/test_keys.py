"""Stored API keys are encrypted at rest and never come back out of the API."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import Account

SECRET = "sk-ant-api03-THIS-IS-SECRET-abcd"


def test_keys_are_encrypted_masked_and_never_returned(
    client: TestClient, settings: Settings, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    r = client.post(
        "/api/keys",
        json={"provider": "anthropic", "key": SECRET, "base_url": "https://gateway.example/v1"},
        headers=alice.headers,
    )
    assert r.status_code == 201
    assert SECRET not in r.text
    assert r.json()["last4"] == "abcd" and r.json()["provider"] == "anthropic"
    listed = client.get("/api/keys", headers=alice.headers)
    assert SECRET not in listed.text
    assert listed.json()[0]["base_url"] == "https://gateway.example/v1"
    assert set(listed.json()[0]) == {"id", "provider", "base_url", "last4", "created_at"}

    raw = sqlite3.connect(settings.data_path / "autocode.db")
    try:
        rows = raw.execute("SELECT * FROM api_keys").fetchall()
        dump = "\n".join(raw.iterdump())
    finally:
        raw.close()
    assert len(rows) == 1
    assert SECRET not in str(rows) and "THIS-IS-SECRET" not in dump

    # the server can still decrypt it for the processes it starts
    from sqlmodel import Session

    from autocode.services.keys import credential

    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as session:
        cred = credential(session, keys=ctx.keys, user_id=alice.id, provider="anthropic")
    assert cred is not None and cred.secret == SECRET

    key_id = r.json()["id"]
    assert client.delete(f"/api/keys/{key_id}", headers=alice.headers).status_code == 204
    assert client.get("/api/keys", headers=alice.headers).json() == []
    assert client.delete(f"/api/keys/{key_id}", headers=alice.headers).status_code == 404


def test_key_input_is_validated(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    for body in (
        {"provider": "anthropic"},
        {"provider": "Anthropic!", "key": "abcdefghij"},
        {"provider": "anthropic", "key": "short"},
        {"provider": "anthropic", "key": "has spaces inside"},
        {"provider": "anthropic", "key": "abcdefghij", "base_url": "ftp://x"},
    ):
        r = client.post("/api/keys", json=body, headers=alice.headers)
        assert r.status_code == 422, body
    ok = client.post(
        "/api/keys", json={"provider": "claude-code-oauth", "key": "sk-ant-oat01-xyz1234"}, headers=alice.headers
    )
    assert ok.status_code == 201 and ok.json()["last4"] == "1234"
