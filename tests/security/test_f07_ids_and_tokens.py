"""Finding 7: ids are never reused, and tokens and open sockets die with their session.

Each attack runs against a real `autocode serve` through the public API and WebSockets, as the
issue describes it: a deleted user's token must not become the next user's (an admin), an
events socket kept open on a deleted project must not stream the next project created, and
access tokens and open sockets must not outlive logout, logout-all, password change or deletion.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import ADMIN_PASSWORD, ServerProcess, stop_tmux_servers, wait_until

PASSWORD = "auth-password-1"
USERS = ["admin", "auth-mallory", "auth-root", "auth-alice", "auth-bob", "auth-carol"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "data", env={"AUTOCODE_BRAIN_ENABLED": "false"})
    try:
        yield srv
    finally:
        srv.stop()
        stop_tmux_servers(srv.data_dir, USERS)


class Client:
    """One login (one refresh family) of one user."""

    def __init__(self, srv: ServerProcess, username: str, password: str) -> None:
        self.srv = srv
        self.http = httpx.Client(base_url=srv.base, timeout=15)
        r = self.http.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.access = r.json()["access_token"]
        self.refresh = r.json()["refresh_token"]
        self.http.headers["Authorization"] = f"Bearer {self.access}"

    def create_user(self, username: str, *, is_admin: bool = False) -> int:
        r = self.http.post("/api/users", json={"username": username, "password": PASSWORD, "is_admin": is_admin})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def project(self, name: str) -> dict[str, Any]:
        agent = self.http.post("/api/agents", json={"name": "Dev", "model": "anthropic/claude-x"})
        assert agent.status_code == 201, agent.text
        r = self.http.post(f"/api/agents/{agent.json()['id']}/projects", json={"name": name})
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    def socket(self, project_id: int, kind: str = "events") -> Socket:
        r = self.http.post("/api/auth/ws-ticket")
        assert r.status_code == 200, r.text
        ws = connect(
            f"{self.srv.ws_base}/ws/projects/{project_id}/{kind}?ticket={r.json()['ticket']}",
            open_timeout=10,
            max_size=None,
        )
        return Socket(ws)


class Socket:
    """Reads a socket in a thread: its text frames and how it closed."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Any] = []
        self.close_code: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in self.ws:
                if isinstance(message, str):
                    self.frames.append(json.loads(message))
        except ConnectionClosed:
            pass
        self.close_code = self.ws.close_code

    def wait_closed(self, timeout: float = 10) -> int:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the socket is still open"
        assert self.close_code is not None
        return self.close_code

    def close(self) -> None:
        self.ws.close()
        self._thread.join(5)


def test_a_deleted_users_token_does_not_authenticate_as_the_next_user_created(server: ServerProcess) -> None:
    admin = Client(server, "admin", ADMIN_PASSWORD)
    mallory_id = admin.create_user("auth-mallory")
    mallory = Client(server, "auth-mallory", PASSWORD)
    assert mallory.http.get("/api/auth/me").json()["id"] == mallory_id
    assert admin.http.delete(f"/api/users/{mallory_id}").status_code == 204
    root_id = admin.create_user("auth-root", is_admin=True)

    # Mallory's access token is still unexpired: it must name nobody now.
    me = mallory.http.get("/api/auth/me")
    assert me.status_code == 401, me.text
    assert mallory.http.get("/api/users").status_code == 401
    assert mallory.http.post("/api/auth/refresh", json={"refresh_token": mallory.refresh}).status_code == 401
    assert root_id != mallory_id  # and the id is never handed out again


def test_an_events_socket_on_a_deleted_project_never_streams_the_next_project(server: ServerProcess) -> None:
    admin = Client(server, "admin", ADMIN_PASSWORD)
    admin.create_user("auth-alice")
    admin.create_user("auth-bob")
    alice = Client(server, "auth-alice", PASSWORD)
    bob = Client(server, "auth-bob", PASSWORD)
    mine = alice.project("Alice's shop")
    sock = alice.socket(mine["id"])
    wait_until(lambda: any(f["type"] == "state" for f in sock.frames))

    assert alice.http.delete(f"/api/projects/{mine['id']}").status_code == 204
    theirs = bob.project("Bob's secret")
    assert bob.http.put(f"/api/projects/{theirs['id']}", json={"description": "private"}).status_code == 200

    try:
        code = sock.wait_closed(timeout=5)
    except AssertionError:
        code = None
    finally:
        sock.close()
    names = [f["project"]["name"] for f in sock.frames if f["type"] == "state"]
    assert names and set(names) == {"Alice's shop"}, names
    assert code == 4404
    assert theirs["id"] != mine["id"]


def test_access_tokens_die_with_logout_logout_all_password_change_and_deletion(server: ServerProcess) -> None:
    admin = Client(server, "admin", ADMIN_PASSWORD)
    carol_id = admin.create_user("auth-carol")

    # logout: that login's access token dies at once, another login lives on
    first, second = Client(server, "auth-carol", PASSWORD), Client(server, "auth-carol", PASSWORD)
    assert first.http.post("/api/auth/logout", json={"refresh_token": first.refresh}).status_code == 204
    assert first.http.get("/api/auth/me").status_code == 401
    assert second.http.get("/api/auth/me").status_code == 200

    # password change: every other login dies; the one that changed it stays signed in
    r = second.http.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "auth-password-2"})
    assert r.status_code == 204, r.text
    third = Client(server, "auth-carol", "auth-password-2")
    other = Client(server, "auth-carol", "auth-password-2")
    r = third.http.post(
        "/api/auth/password", json={"current_password": "auth-password-2", "new_password": "auth-password-3"}
    )
    assert r.status_code == 204
    assert other.http.get("/api/auth/me").status_code == 401
    assert third.http.get("/api/auth/me").status_code == 200

    # logout-all: every login, this one too
    fourth = Client(server, "auth-carol", "auth-password-3")
    assert third.http.post("/api/auth/logout-all").status_code == 204
    assert third.http.get("/api/auth/me").status_code == 401
    assert fourth.http.get("/api/auth/me").status_code == 401
    assert fourth.http.post("/api/auth/refresh", json={"refresh_token": fourth.refresh}).status_code == 401

    # deletion
    fifth = Client(server, "auth-carol", "auth-password-3")
    assert admin.http.delete(f"/api/users/{carol_id}").status_code == 204
    assert fifth.http.get("/api/auth/me").status_code == 401


def test_open_sockets_close_when_their_session_ends(server: ServerProcess) -> None:
    admin = Client(server, "admin", ADMIN_PASSWORD)
    carol_id = admin.create_user("auth-carol")
    a = Client(server, "auth-carol", PASSWORD)
    b = Client(server, "auth-carol", PASSWORD)
    project = a.project("Shop")

    def opened(client: Client, kind: str) -> Socket:
        sock = client.socket(project["id"], kind)
        if kind == "events":
            wait_until(lambda: sock.frames, timeout=10)
        return sock

    # logout ends the sockets of that login only
    a_events, a_term, b_events = opened(a, "events"), opened(a, "terminal"), opened(b, "events")
    assert a.http.post("/api/auth/logout", json={"refresh_token": a.refresh}).status_code == 204
    assert a_events.wait_closed() == 4401 and a_term.wait_closed() == 4401
    # b's socket is still open
    assert b_events.close_code is None

    # a password change from another login ends b's sockets
    c = Client(server, "auth-carol", PASSWORD)
    r = c.http.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "auth-password-2"})
    assert r.status_code == 204
    assert b_events.wait_closed() == 4401

    # logout-all ends every socket of the user, the caller's too
    c_events = opened(c, "events")
    assert c.http.post("/api/auth/logout-all").status_code == 204
    assert c_events.wait_closed() == 4401

    # deletion by an admin ends them as well
    d = Client(server, "auth-carol", "auth-password-2")
    d_events, d_term = opened(d, "events"), opened(d, "terminal")
    assert admin.http.delete(f"/api/users/{carol_id}").status_code == 204
    assert d_events.wait_closed() == 4401 and d_term.wait_closed() == 4401


def test_sockets_of_a_deleted_project_close(server: ServerProcess) -> None:
    admin = Client(server, "admin", ADMIN_PASSWORD)
    admin.create_user("auth-alice")
    alice = Client(server, "auth-alice", PASSWORD)
    project = alice.project("Shop")
    events = alice.socket(project["id"])
    wait_until(lambda: events.frames)
    term = alice.socket(project["id"], "terminal")
    assert alice.http.delete(f"/api/projects/{project['id']}").status_code == 204
    assert events.wait_closed() == 4404
    assert term.wait_closed() == 4404
