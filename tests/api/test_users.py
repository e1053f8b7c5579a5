"""Admin-only account management with the user's directories made and removed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import Account, make_agent, make_project


def test_admin_routes_refuse_non_admins(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    assert client.get("/api/users", headers=alice.headers).status_code == 403
    r = client.post("/api/users", json={"username": "bob", "password": "password-1"}, headers=alice.headers)
    assert r.status_code == 403 and r.json()["detail"] == "Admins only"
    assert client.delete("/api/users/1", headers=alice.headers).status_code == 403
    assert client.get("/api/users").status_code == 401


def test_create_user_makes_directories_and_lists_counts(
    client: TestClient, admin: Account, settings: Settings, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    root = settings.data_path / "users" / "alice"
    assert (root / "projects").is_dir() and (root / "config").is_dir()
    agent = make_agent(client, alice)
    make_project(client, alice, agent["id"])
    rows = {u["username"]: u for u in client.get("/api/users", headers=admin.headers).json()}
    assert rows["alice"]["agent_count"] == 1 and rows["alice"]["project_count"] == 1
    assert rows["admin"]["agent_count"] == 0 and rows["admin"]["is_admin"] is True
    assert all("password" not in str(u).lower() for u in rows.values())


def test_usernames_are_validated_and_unique(client: TestClient, admin: Account) -> None:
    for bad in ("A", "Alice", "al.ice", "al:ice", "a b", "../x", "x" * 40, "1abc", ""):
        r = client.post("/api/users", json={"username": bad, "password": "password-1"}, headers=admin.headers)
        assert r.status_code == 422, bad
    ok = client.post("/api/users", json={"username": "bob-2", "password": "password-1"}, headers=admin.headers)
    assert ok.status_code == 201
    dup = client.post("/api/users", json={"username": "bob-2", "password": "password-1"}, headers=admin.headers)
    assert dup.status_code == 409 and "already exists" in dup.json()["detail"]


def test_delete_user_removes_rows_and_workspace(
    client: TestClient, admin: Account, settings: Settings, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    agent = make_agent(client, alice, global_rules="be nice")
    project = make_project(client, alice, agent["id"])
    workspace = Path(project["workspace_path"])
    rules = settings.data_path / "agents" / str(agent["id"]) / "RULES.md"
    assert workspace.is_dir() and rules.is_file()
    r = client.delete(f"/api/users/{alice.id}", headers=admin.headers)
    assert r.status_code == 204
    assert not (settings.data_path / "users" / "alice").exists()
    assert not rules.exists()
    assert "alice" not in [u["username"] for u in client.get("/api/users", headers=admin.headers).json()]
    # the old token now belongs to nobody
    assert client.get("/api/agents", headers=alice.headers).status_code == 401
    assert client.delete(f"/api/users/{alice.id}", headers=admin.headers).status_code == 404


def test_cannot_delete_yourself_or_the_last_admin(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    r = client.delete(f"/api/users/{admin.id}", headers=admin.headers)
    assert r.status_code == 403 and "own account" in r.json()["detail"]
    second = make_user("root2", is_admin=True)
    # two admins: one may delete the other; then the survivor is the last admin
    assert client.delete(f"/api/users/{admin.id}", headers=second.headers).status_code == 204
    assert client.delete(f"/api/users/{second.id}", headers=second.headers).status_code == 403
