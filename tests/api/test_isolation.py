"""Every user-owned route answers 404 for another user's ids, admins included."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account, make_agent, make_project

OWNED_PARAMS = {"agent_id", "project_id", "key_id"}


def _owned_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every documented API operation whose path names a user-owned object."""
    routes: list[tuple[str, str]] = []
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    for path, operations in paths.items():
        if set(re.findall(r"{(\w+)}", path)) & OWNED_PARAMS:
            routes.extend((method.upper(), path) for method in operations)
    return sorted(routes)


def test_other_users_objects_are_not_found_on_every_owned_route(
    client: TestClient, admin: Account, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    agent = make_agent(client, alice)
    project = make_project(client, alice, agent["id"])
    key = client.post(
        "/api/keys", json={"provider": "anthropic", "key": "sk-secret-9876"}, headers=alice.headers
    ).json()
    ids: dict[str, Any] = {"agent_id": agent["id"], "project_id": project["id"], "key_id": key["id"]}
    bodies: dict[str, Any] = {
        "POST": {"name": "x", "text": "hi"},
        "PUT": {"name": "hijacked"},
    }
    routes = _owned_routes(client)
    assert len(routes) >= 9, routes
    for intruder in (bob, admin):
        for method, path in routes:
            url = path
            for name in re.findall(r"{(\w+)}", path):
                url = url.replace("{" + name + "}", str(ids.get(name, 1)))
            r = client.request(method, url, headers=intruder.headers, json=bodies.get(method))
            assert r.status_code == 404, (intruder.username, method, url, r.status_code, r.text)
            assert "detail" in r.json()
    # nothing was changed or removed by the attempts
    assert client.get(f"/api/projects/{project['id']}", headers=alice.headers).json()["name"] == "Eshop"
    assert len(client.get("/api/keys", headers=alice.headers).json()) == 1
    assert client.get("/api/agents", headers=bob.headers).json() == []
    assert client.get("/api/projects", headers=admin.headers).json() == []
