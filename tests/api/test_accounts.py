"""Admins reset passwords and disable accounts; the user's logins end either way."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import ADMIN_PASSWORD, AUTOCODE_BIN, Account, login


def me(client: TestClient, token: str) -> int:
    return client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def refresh(client: TestClient, account: Account) -> int:
    return client.post("/api/auth/refresh", json={"refresh_token": account.refresh}).status_code


def test_reset_password_ends_every_login(client: TestClient, admin: Account, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    other = login(client, "alice", "user-password-1")
    assert me(client, alice.token) == 200
    r = client.post(f"/api/users/{alice.id}/password", json={"password": "brand-new-pass"}, headers=admin.headers)
    assert r.status_code == 204, r.text
    for account in (alice, other):
        assert me(client, account.token) == 401
        assert refresh(client, account) == 401
    bad = client.post("/api/auth/login", json={"username": "alice", "password": "user-password-1"})
    assert bad.status_code == 401
    assert me(client, login(client, "alice", "brand-new-pass").token) == 200


def test_reset_password_is_for_admins_and_checks_length(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    r = client.post(f"/api/users/{alice.id}/password", json={"password": "bob-sets-it"}, headers=bob.headers)
    assert r.status_code == 403
    r = client.post(f"/api/users/{alice.id}/password", json={"password": "short"}, headers=admin.headers)
    assert r.status_code == 422
    r = client.post("/api/users/9999/password", json={"password": "long-enough"}, headers=admin.headers)
    assert r.status_code == 404
    # an admin's own password changes in Settings, where the current one is asked
    r = client.post(f"/api/users/{admin.id}/password", json={"password": "long-enough"}, headers=admin.headers)
    assert r.status_code == 403 and r.json()["detail"] == "Change your own password in Settings"


def test_disabled_account_cannot_log_in_until_enabled(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    r = client.patch(f"/api/users/{alice.id}", json={"disabled": True}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert me(client, alice.token) == 401
    assert refresh(client, alice) == 401
    r = client.post("/api/auth/login", json={"username": "alice", "password": "user-password-1"})
    assert r.status_code == 401 and r.json()["detail"] == "This account is disabled; ask an admin"
    # a wrong password says nothing about the account
    r = client.post("/api/auth/login", json={"username": "alice", "password": "wrong-password"})
    assert r.json()["detail"] == "Incorrect username or password"
    listed = {u["username"]: u["disabled"] for u in client.get("/api/users", headers=admin.headers).json()}
    assert listed == {"admin": False, "alice": True}
    r = client.patch(f"/api/users/{alice.id}", json={"disabled": False}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["disabled"] is False
    assert me(client, login(client, "alice", "user-password-1").token) == 200


def test_admins_cannot_disable_themselves_or_the_last_admin(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    r = client.patch(f"/api/users/{admin.id}", json={"disabled": True}, headers=admin.headers)
    assert r.status_code == 403 and r.json()["detail"] == "You cannot disable your own account"
    second = make_user("root2", is_admin=True)
    r = client.patch(f"/api/users/{admin.id}", json={"disabled": True}, headers=second.headers)
    assert r.status_code == 200
    r = client.patch(f"/api/users/{second.id}", json={"disabled": True}, headers=second.headers)
    assert r.status_code == 403
    r = client.patch(f"/api/users/{second.id}", json={"bogus": 1}, headers=second.headers)
    assert r.status_code == 422


def test_cli_reset_password(tmp_path: Path, settings: Settings, client: TestClient, admin: Account) -> None:
    """A locked-out admin runs `autocode reset-password admin` on the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    env["AUTOCODE_DATA_DIR"] = str(settings.data_path)
    out = subprocess.run(
        [str(AUTOCODE_BIN), "reset-password", "admin"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "password reset: admin; every login of this account has ended" in out.stdout
    generated = [ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("password: ")]
    assert len(generated) == 1 and "(shown once)" in out.stdout
    assert me(client, admin.token) == 401
    assert client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 401
    assert me(client, login(client, "admin", generated[0]).token) == 200

    env["AUTOCODE_ADMIN_PASSWORD"] = "chosen-by-env-1"
    out = subprocess.run(
        [str(AUTOCODE_BIN), "reset-password", "admin"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0 and "shown once" not in out.stdout
    assert me(client, login(client, "admin", "chosen-by-env-1").token) == 200

    out = subprocess.run(
        [str(AUTOCODE_BIN), "reset-password", "nobody"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1 and "no user 'nobody'" in out.stderr
