"""`GET /api/projects` is answered from the read cache while the database is unchanged; every
change, by this server or by another process (a supervisor), and every revoked login is seen by
the very next request."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from fastapi.testclient import TestClient

from autocode.wiring import AppContext
from tests.conftest import Account, make_agent, make_project


def _names(client: TestClient, account: Account) -> list[str]:
    r = client.get("/api/projects", headers=account.headers)
    assert r.status_code == 200, r.text
    return sorted(p["name"] for p in r.json())


def test_a_repeated_list_is_replayed_and_every_change_is_seen(client: TestClient, admin: Account) -> None:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    agent = make_agent(client, admin)
    first = make_project(client, admin, agent["id"], name="First")
    assert _names(client, admin) == ["First"]
    key = ("projects", admin.token)
    assert ctx.reads.get(key) is not None  # kept
    assert _names(client, admin) == ["First"]  # and replayed

    make_project(client, admin, agent["id"], name="Second")  # a commit by this server
    assert _names(client, admin) == ["First", "Second"]

    # A commit by another process, as a supervisor makes them.
    database = ctx.engine.url.database
    assert database is not None
    with sqlite3.connect(database) as other:
        other.execute("UPDATE projects SET name = 'Renamed' WHERE id = ?", (first["id"],))
    assert _names(client, admin) == ["Renamed", "Second"]


def test_each_token_has_its_own_answer(client: TestClient, admin: Account, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    make_project(client, admin, make_agent(client, admin)["id"], name="Admin's")
    assert _names(client, admin) == ["Admin's"]
    assert _names(client, alice) == []
    r = client.get("/api/projects")
    assert r.status_code == 401 and r.json()["detail"] == "Not authenticated"
    r = client.get("/api/projects", headers={"Authorization": f"Bearer {admin.token}x"})
    assert r.status_code == 401 and r.json()["detail"] == "Invalid or expired token"


def test_a_login_ended_or_an_account_disabled_is_refused_at_once(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    assert _names(client, alice) == []  # cached for alice's token
    r = client.post("/api/auth/logout-all", headers=alice.headers)
    assert r.status_code == 204
    assert client.get("/api/projects", headers=alice.headers).status_code == 401

    bob = make_user("bob")
    assert _names(client, bob) == []
    r = client.patch(f"/api/users/{bob.id}", json={"disabled": True}, headers=admin.headers)
    assert r.status_code == 200
    assert client.get("/api/projects", headers=bob.headers).status_code == 401
