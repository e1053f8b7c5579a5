"""Personal API tokens: made and revoked by their user, a script's bearer credential, and never
a way to do what only a signed-in person may (more tokens, the password, accounts, keys)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable

from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import ADMIN_PASSWORD, Account, login


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _make_token(client: TestClient, account: Account, name: str = "ci") -> dict[str, object]:
    r = client.post("/api/tokens", json={"name": name}, headers=account.headers)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    body: dict[str, object] = r.json()
    return body


def test_create_list_use_and_revoke(client: TestClient, settings: Settings, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    made = _make_token(client, alice, "deploy script")
    token = str(made["token"])
    assert token.startswith("ac_pat_") and len(token) > 40
    assert made["name"] == "deploy script"

    # Stored as a SHA-256, never as the secret.
    db = sqlite3.connect(settings.data_path / "autocode.db")
    try:
        rows = db.execute("SELECT token_hash, name FROM personal_tokens").fetchall()
    finally:
        db.close()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "deploy script")]

    listed = client.get("/api/tokens", headers=alice.headers).json()
    assert [t["name"] for t in listed] == ["deploy script"]
    assert listed[0]["last_used_at"] is None
    assert token not in client.get("/api/tokens", headers=alice.headers).text

    # The token speaks for alice (no cookie, no access token).
    me = client.get("/api/auth/me", headers=_bearer(token))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    assert client.get("/api/projects", headers=_bearer(token)).status_code == 200
    listed = client.get("/api/tokens", headers=alice.headers).json()
    assert listed[0]["last_used_at"] is not None

    # A near-miss is not accepted.
    assert (
        client.get("/api/auth/me", headers=_bearer(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 401
    )
    assert client.get("/api/auth/me", headers=_bearer("ac_pat_")).status_code == 401

    r = client.delete(f"/api/tokens/{made['id']}", headers=alice.headers)
    assert r.status_code == 204
    assert client.get("/api/tokens", headers=alice.headers).json() == []
    r = client.get("/api/auth/me", headers=_bearer(token))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_tokens_are_scoped_to_their_user(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    alices = _make_token(client, alice)
    assert client.get("/api/tokens", headers=bob.headers).json() == []
    assert client.delete(f"/api/tokens/{alices['id']}", headers=bob.headers).status_code == 404
    assert client.delete("/api/tokens/999999", headers=bob.headers).status_code == 404
    # Alice's token still works: bob's attempt changed nothing.
    assert client.get("/api/auth/me", headers=_bearer(str(alices["token"]))).json()["username"] == "alice"


def test_a_token_cannot_do_what_needs_a_signed_in_person(client: TestClient, admin: Account) -> None:
    token = str(_make_token(client, admin)["token"])
    as_token = _bearer(token)
    refused = [
        client.post("/api/tokens", json={"name": "another"}, headers=as_token),
        client.get("/api/tokens", headers=as_token),
        client.delete("/api/tokens/1", headers=as_token),
        client.post(
            "/api/auth/password",
            json={"current_password": ADMIN_PASSWORD, "new_password": "a-new-password-1"},
            headers=as_token,
        ),
        client.post("/api/auth/logout-all", headers=as_token),
        client.post("/api/auth/ws-ticket", headers=as_token),
        # An admin's token is not an admin: accounts are managed signed in.
        client.get("/api/users", headers=as_token),
        client.post("/api/users", json={"username": "mallory", "password": "mallory-pass-1"}, headers=as_token),
        client.get("/api/keys", headers=as_token),
        client.post("/api/keys", json={"provider": "anthropic", "key": "sk-ant-xxxxxxxx"}, headers=as_token),
    ]
    for r in refused:
        assert r.status_code == 403, (r.request.method, r.request.url, r.status_code, r.text)
        assert "personal API token" in r.json()["detail"]
    # Nothing happened: still one token, no new user, the password unchanged.
    assert len(client.get("/api/tokens", headers=admin.headers).json()) == 1
    assert all(u["username"] != "mallory" for u in client.get("/api/users", headers=admin.headers).json())
    login(client, "admin", ADMIN_PASSWORD)


def test_tokens_end_with_logout_all_password_change_and_disabling(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    t1 = str(_make_token(client, alice, "one")["token"])
    assert client.post("/api/auth/logout-all", headers=alice.headers).status_code == 204
    assert client.get("/api/auth/me", headers=_bearer(t1)).status_code == 401

    alice = login(client, "alice", alice.password)
    assert client.get("/api/tokens", headers=alice.headers).json() == []  # the ended one is gone
    t2 = str(_make_token(client, alice, "two")["token"])
    r = client.post(
        "/api/auth/password",
        headers=alice.headers,
        json={"current_password": alice.password, "new_password": "alice-new-pass-2"},
    )
    assert r.status_code == 204
    assert client.get("/api/auth/me", headers=_bearer(t2)).status_code == 401
    assert client.get("/api/tokens", headers=alice.headers).json() == []

    t3 = str(_make_token(client, alice, "three")["token"])
    assert client.get("/api/auth/me", headers=_bearer(t3)).status_code == 200
    r = client.patch(f"/api/users/{alice.id}", json={"disabled": True}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/auth/me", headers=_bearer(t3)).status_code == 401
    # Enabling the account again does not bring the token back.
    client.patch(f"/api/users/{alice.id}", json={"disabled": False}, headers=admin.headers)
    assert client.get("/api/auth/me", headers=_bearer(t3)).status_code == 401


def test_a_deleted_users_token_ends(client: TestClient, admin: Account, make_user: Callable[..., Account]) -> None:
    bob = make_user("bob")
    token = str(_make_token(client, bob)["token"])
    assert client.delete(f"/api/users/{bob.id}", headers=admin.headers).status_code == 204
    assert client.get("/api/auth/me", headers=_bearer(token)).status_code == 401


def test_bad_token_input_is_a_4xx(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "ok", "extra": 1}):
        r = client.post("/api/tokens", json=body, headers=alice.headers)
        assert r.status_code == 422, (body, r.text)
    assert client.delete("/api/tokens/0", headers=alice.headers).status_code == 422
