"""Shared fixtures: a real SQLite file and data directory per test, a real app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autocode.app import create_app
from autocode.core.config import Settings

# Test modules import these from here as well as from tests.support.server (benchmarks: from there).
from tests.support.server import ADMIN_PASSWORD as ADMIN_PASSWORD
from tests.support.server import AUTOCODE_BIN as AUTOCODE_BIN
from tests.support.server import Api as Api
from tests.support.server import ServerProcess as ServerProcess
from tests.support.server import free_port as free_port
from tests.support.server import silent_listener as silent_listener
from tests.support.server import stop_tmux_servers as stop_tmux_servers
from tests.support.server import wait_until as wait_until


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_username="admin",
        admin_password=ADMIN_PASSWORD,
        login_max_failures=5,
        login_window_seconds=60,
        max_body_bytes=64 * 1024,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@dataclass
class Account:
    username: str
    password: str
    token: str
    refresh: str
    id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def login(client: TestClient, username: str, password: str) -> Account:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    return Account(username, password, body["access_token"], body["refresh_token"], body["user"]["id"])


@pytest.fixture
def admin(client: TestClient) -> Account:
    return login(client, "admin", ADMIN_PASSWORD)


@pytest.fixture
def make_user(client: TestClient, admin: Account) -> Callable[..., Account]:
    def make(username: str, password: str = "user-password-1", is_admin: bool = False) -> Account:
        r = client.post(
            "/api/users",
            json={"username": username, "password": password, "is_admin": is_admin},
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
        return login(client, username, password)

    return make


def make_agent(client: TestClient, account: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": "Web developer", "model": "anthropic/claude-opus-4-6", **fields}
    r = client.post("/api/agents", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def make_project(client: TestClient, account: Account, agent_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Eshop",
        "description": "A small shop",
        "implementation_plan": [{"title": "Scaffold"}, {"title": "Tests", "detail": "pytest"}],
        **fields,
    }
    r = client.post(f"/api/agents/{agent_id}/projects", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
