"""The events socket speaks ws_protocol: its frames parse as EventFrame and every refusal is a
CloseCode the browser maps (not found, signed out, too many sockets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from autocode.app import create_app
from autocode.core.config import Settings
from autocode.ws_protocol import CloseCode, EventFrame, StateFrame
from tests.conftest import ADMIN_PASSWORD, Account, login, make_agent, make_project


def ticket(client: TestClient, account: Account) -> str:
    r = client.post("/api/auth/ws-ticket", headers=account.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["ticket"])


def refusal(client: TestClient, url: str) -> tuple[int, str]:
    """The close code and reason of a socket the server refuses after accepting it."""
    with client.websocket_connect(url) as ws, pytest.raises(WebSocketDisconnect) as info:
        ws.receive_text()
    return info.value.code, info.value.reason


def first_frame(ws: WebSocketTestSession) -> EventFrame:
    return EventFrame.model_validate_json(ws.receive_text())


@pytest.fixture
def capped(settings: Settings) -> Iterator[TestClient]:
    """A server that lets an account hold two sockets at once."""
    with TestClient(create_app(settings.model_copy(update={"sockets_per_user": 2}))) as c:
        yield c


def test_frames_follow_the_protocol(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    url = f"/ws/projects/{project['id']}/events?ticket={ticket(client, alice)}"
    with client.websocket_connect(url) as ws:
        frame = first_frame(ws).root
    assert isinstance(frame, StateFrame)
    assert frame.id == 0 and frame.project.id == project["id"]


def test_other_users_projects_and_bad_tickets_are_refused_with_their_codes(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    url = f"/ws/projects/{project['id']}/events"

    assert refusal(client, f"{url}?ticket={ticket(client, bob)}") == (CloseCode.PROJECT_GONE, "Project not found")
    assert refusal(client, f"/ws/projects/99999/events?ticket={ticket(client, alice)}")[0] == CloseCode.PROJECT_GONE
    assert refusal(client, url)[0] == CloseCode.AUTH_ENDED
    assert refusal(client, f"{url}?ticket=forged")[0] == CloseCode.AUTH_ENDED


def test_too_many_sockets_are_refused_with_4429_and_a_closed_one_frees_its_place(capped: TestClient) -> None:
    admin = login(capped, "admin", ADMIN_PASSWORD)
    project: dict[str, Any] = make_project(capped, admin, make_agent(capped, admin)["id"])
    url = f"/ws/projects/{project['id']}/events?ticket="
    with ExitStack() as stack:
        for _ in range(2):
            ws = stack.enter_context(capped.websocket_connect(url + ticket(capped, admin)))
            assert isinstance(first_frame(ws).root, StateFrame)
        code, reason = refusal(capped, url + ticket(capped, admin))
        assert code == CloseCode.TOO_MANY
        assert "at most 2" in reason
    with capped.websocket_connect(url + ticket(capped, admin)) as ws:
        assert isinstance(first_frame(ws).root, StateFrame)
