"""Login, refresh rotation, logout, revocation, expired and forged tokens, throttling."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from jose import jwt

from autocode.core.security import JWT_ALGORITHM, Keys
from tests.conftest import ADMIN_PASSWORD, Account, login


def test_login_returns_short_lived_access_and_refresh_cookie(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert 60 <= body["expires_in"] <= 20 * 60
    assert body["user"] == {**body["user"], "username": "admin", "is_admin": True}
    cookie = r.headers["set-cookie"]
    assert "autocode_refresh=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert "Path=/api/auth" in cookie
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "admin"


def test_wrong_password_and_unknown_user_get_the_same_401(client: TestClient) -> None:
    a = client.post("/api/auth/login", json={"username": "admin", "password": "nope-nope"})
    b = client.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json() == {"detail": "Incorrect username or password"}


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient, admin: Account) -> None:
    r1 = client.post("/api/auth/refresh", json={"refresh_token": admin.refresh})
    assert r1.status_code == 200
    new_refresh = r1.json()["refresh_token"]
    assert new_refresh != admin.refresh
    # the old token is used up; presenting it again looks like theft: the family dies
    reuse = client.post("/api/auth/refresh", json={"refresh_token": admin.refresh})
    assert reuse.status_code == 401
    assert reuse.headers["www-authenticate"] == "Bearer"
    after = client.post("/api/auth/refresh", json={"refresh_token": new_refresh})
    assert after.status_code == 401


def test_refresh_through_the_cookie(client: TestClient) -> None:
    client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert client.cookies.get("autocode_refresh")
    r = client.post("/api/auth/refresh")
    assert r.status_code == 200, r.text
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).status_code == 200
    )


def test_logout_revokes_refresh_token(client: TestClient, admin: Account) -> None:
    r = client.post("/api/auth/logout", json={"refresh_token": admin.refresh})
    assert r.status_code == 204
    again = client.post("/api/auth/refresh", json={"refresh_token": admin.refresh})
    assert again.status_code == 401


def test_missing_expired_and_forged_tokens_are_401(client: TestClient, admin: Account) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    family = jwt.get_unverified_claims(admin.token)["fam"]
    expired = ctx.keys.access_token(user_id=admin.id, token_version=0, family=family, lifetime=timedelta(seconds=-5))
    other = Keys.from_master(b"another-server-secret")
    forged = other.access_token(user_id=admin.id, token_version=0, family=family, lifetime=timedelta(minutes=5))
    unsigned = jwt.encode({"sub": str(admin.id), "type": "access"}, "", algorithm=JWT_ALGORITHM)
    tampered = admin.token[:-3] + ("AAA" if not admin.token.endswith("AAA") else "BBB")
    assert client.get("/api/auth/me").status_code == 401
    for token in (expired, forged, unsigned, tampered, "not-a-jwt", ""):
        r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.headers["www-authenticate"] == "Bearer"
        assert "detail" in r.json()
    basic = client.get("/api/auth/me", headers={"Authorization": "Basic YWRtaW46eA=="})
    assert basic.status_code == 401


def test_failed_logins_are_throttled_per_username(client: TestClient) -> None:
    for _ in range(5):
        assert client.post("/api/auth/login", json={"username": "admin", "password": "wrong-pw"}).status_code == 401
    r = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert "Too many" in r.json()["detail"]


def test_failed_logins_are_throttled_per_client(client: TestClient) -> None:
    # One address may fail a few times more than one (username, address) pair.
    for i in range(20):
        client.post("/api/auth/login", json={"username": f"user{i}", "password": "wrong-pw"})
    r = client.post("/api/auth/login", json={"username": "someone", "password": "whatever1"})
    assert r.status_code == 429


def test_password_change_revokes_other_refresh_tokens(client: TestClient, admin: Account) -> None:
    other_device = login(client, "admin", ADMIN_PASSWORD)
    # this browser is the one whose cookie holds the admin's first refresh token
    client.cookies.clear()
    client.cookies.set("autocode_refresh", admin.refresh)
    bad = client.post(
        "/api/auth/password",
        json={"current_password": "wrong-one", "new_password": "new-password-9"},
        headers=admin.headers,
    )
    assert bad.status_code == 403  # a wrong answer, not a dead login: the app stays signed in
    short = client.post(
        "/api/auth/password",
        json={"current_password": ADMIN_PASSWORD, "new_password": "short"},
        headers=admin.headers,
    )
    assert short.status_code == 422
    r = client.post(
        "/api/auth/password",
        json={"current_password": ADMIN_PASSWORD, "new_password": "new-password-9"},
        headers=admin.headers,
    )
    assert r.status_code == 204
    assert client.post("/api/auth/refresh", json={"refresh_token": other_device.refresh}).status_code == 401
    assert client.post("/api/auth/refresh", json={"refresh_token": admin.refresh}).status_code == 200
    assert client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 401
    login(client, "admin", "new-password-9")


def test_ws_ticket_is_issued_to_logged_in_users(client: TestClient, admin: Account) -> None:
    assert client.post("/api/auth/ws-ticket").status_code == 401
    r = client.post("/api/auth/ws-ticket", headers=admin.headers)
    assert r.status_code == 200
    assert len(r.json()["ticket"]) >= 24 and r.json()["expires_in"] > 0
