"""Finding 10, auth and API parts: proxy headers, the login throttle, the terminal cap, tickets
in logs, the API docs in production, out-of-range ids and paths, private files on disk.

The attacks run against a real `autocode serve` as a client would; the throttle's rule is also
pinned by a table test of the pure class.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from autocode.app import create_app
from autocode.core.config import Settings
from autocode.services.auth import LoginThrottle, login_limits
from autocode.services.errors import Throttled
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers

USERS = ["admin", "auth-term"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "data", env={"AUTOCODE_BRAIN_ENABLED": "false"})
    try:
        yield srv
    finally:
        srv.stop()
        stop_tmux_servers(srv.data_dir, USERS)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server behind a proxy on 127.0.0.1, configured as install.sh configures it for Caddy."""
    srv = ServerProcess(tmp_path / "proxied", env={"AUTOCODE_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        yield srv
    finally:
        srv.stop()


def _login(srv: ServerProcess, username: str, password: str, **headers: str) -> int:
    r = httpx.post(
        f"{srv.base}/api/auth/login", json={"username": username, "password": password}, headers=headers, timeout=15
    )
    return r.status_code


# --- the throttle's rule, as a table --------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _allowed(throttle: LoginThrottle, username: str, client: str) -> bool:
    try:
        throttle.check(*login_limits(throttle, username=username, client=client))
    except Throttled:
        return False
    return True


def _fail(throttle: LoginThrottle, username: str, client: str) -> None:
    throttle.fail(*(key for key, _ in login_limits(throttle, username=username, client=client)))


# (failures as (username, client), seconds later, (username, client) asking, allowed?)
CASES = [
    ([("ann", "a")] * 4, 0, ("ann", "a"), True),
    ([("ann", "a")] * 5, 0, ("ann", "a"), False),
    # a stranger's bad tries never lock the name out for its owner elsewhere
    ([("ann", "evil")] * 5, 0, ("ann", "home"), True),
    ([("ann", "evil")] * 50, 0, ("ann", "home"), True),
    # one client spraying names is stopped (4x the per-name allowance)
    ([(f"u{i}", "evil") for i in range(20)], 0, ("ann", "evil"), False),
    ([(f"u{i}", "evil") for i in range(19)], 0, ("ann", "evil"), True),
    # the window slides
    ([("ann", "a")] * 5, 61, ("ann", "a"), True),
    # usernames are compared case-insensitively
    ([("Ann", "a")] * 5, 0, ("ann", "a"), False),
]


@pytest.mark.parametrize(("failures", "later", "asking", "allowed"), CASES)
def test_throttle_rule(failures: list[tuple[str, str]], later: float, asking: tuple[str, str], allowed: bool) -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window_seconds=60, clock=clock)
    for username, client in failures:
        _fail(throttle, username, client)
    clock.now += later
    assert _allowed(throttle, *asking) is allowed


def test_throttle_map_is_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window_seconds=60, max_keys=100, clock=clock)
    for i in range(5000):
        _fail(throttle, f"user{i}", f"10.0.{i // 250}.{i % 250}")
        assert len(throttle) <= 100
    # the most recent keys are the ones kept: a client still being throttled stays throttled
    for _ in range(5):
        _fail(throttle, "ann", "evil")
    assert not _allowed(throttle, "ann", "evil")
    # expired keys go away by themselves
    clock.now += 61
    _fail(throttle, "bob", "x")
    assert _allowed(throttle, "ann", "evil")


# --- against the real server ----------------------------------------------------------------


def test_rotating_x_forwarded_for_does_not_defeat_the_per_client_throttle(server: ServerProcess) -> None:
    codes = [
        _login(server, f"nobody{i}", "wrong-password", **{"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(21)
    ]
    # The server is not behind a trusted proxy: all of these come from one client.
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
    assert _login(server, "admin", ADMIN_PASSWORD, **{"X-Forwarded-For": "192.0.2.1"}) == 429


def test_bad_tries_from_an_attacker_do_not_lock_the_real_user_out(proxied: ServerProcess) -> None:
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    for _ in range(5):
        assert _login(proxied, "admin", "guess-guess", **attacker) == 401
    assert _login(proxied, "admin", "guess-guess", **attacker) == 429
    assert _login(proxied, "admin", ADMIN_PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}) == 200


def test_password_change_is_throttled(server: ServerProcess) -> None:
    api = Api(server.base, "admin", ADMIN_PASSWORD)
    body = {"current_password": "not-it-at-all", "new_password": "whatever-123"}
    codes = [api.http.post("/api/auth/password", json=body).status_code for _ in range(6)]
    assert codes == [403] * 5 + [429]
    right = {"current_password": ADMIN_PASSWORD, "new_password": "whatever-123"}
    assert api.http.post("/api/auth/password", json=right).status_code == 429


def test_concurrent_terminal_connects_respect_the_cap(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", env={"AUTOCODE_TERMINALS_PER_USER": "8"})
    try:
        admin = Api(srv.base, "admin", ADMIN_PASSWORD)
        user = admin.create_user("auth-term")
        project = user.project()
        # One session first, so every connect below races only for the cap.
        assert user.http.get(f"/api/projects/{project['id']}/screen").status_code == 200
        tickets = [user.ticket() for _ in range(14)]
        url = f"{srv.ws_base}/ws/projects/{project['id']}/terminal?ticket="

        async def one(ticket: str) -> tuple[str, websockets.ClientConnection | None]:
            ws = await websockets.connect(url + ticket, open_timeout=15, max_size=None)
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=15)
            except ConnectionClosed:
                return f"closed {ws.close_code}", None
            # An admitted terminal says first which window it shows (then the screen's bytes).
            admitted = isinstance(message, bytes) or '"type":"window"' in message
            return ("open" if admitted else f"text {message!r}"), ws

        async def race() -> list[str]:
            results = await asyncio.gather(*(one(t) for t in tickets))
            for _, ws in results:
                if ws is not None:
                    await ws.close()
            return [r for r, _ in results]

        outcomes = asyncio.run(race())
        assert outcomes.count("open") == 8, outcomes
        assert outcomes.count("closed 4429") == 6, outcomes
    finally:
        srv.stop()
        stop_tmux_servers(srv.data_dir, USERS)


def test_ws_tickets_never_reach_the_server_log(server: ServerProcess) -> None:
    api = Api(server.base, "admin", ADMIN_PASSWORD)
    project = api.project()
    ticket = api.ticket()
    with connect(f"{server.ws_base}/ws/projects/{project['id']}/events?ticket={ticket}", open_timeout=10) as ws:
        assert '"type"' in str(ws.recv(timeout=10))
    refused = "a-ticket-that-is-not-valid-0123456789"
    with pytest.raises(ConnectionClosed):
        with connect(f"{server.ws_base}/ws/projects/{project['id']}/events?ticket={refused}", open_timeout=10) as ws:
            ws.recv(timeout=10)
    httpx.get(f"{server.base}/api/health?ticket={ticket}x", timeout=5)
    server.stop()
    log = server.log.read_text()
    assert "WebSocket /ws/projects/" in log  # the access lines are there, without the ticket
    assert ticket not in log and refused not in log
    assert "ticket=***" in log


def test_api_docs_are_off_in_production(tmp_path: Path) -> None:
    prod = Settings(data_dir=tmp_path / "p", environment="production", secret_key="p" * 40)
    with TestClient(create_app(prod)) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            r = client.get(path)
            assert r.status_code == 404, path
            assert b"swagger" not in r.content.lower()
    with TestClient(create_app(Settings(data_dir=tmp_path / "d"))) as client:
        assert client.get("/openapi.json").status_code == 200


def test_ids_past_64_bits_and_over_long_paths_are_4xx(server: ServerProcess) -> None:
    api = Api(server.base, "admin", ADMIN_PASSWORD)
    project = api.project()
    pid = project["id"]
    huge = str(2**64)
    requests = [
        ("GET", f"/api/projects/{huge}", None),
        ("GET", f"/api/agents/{2**70}", None),
        ("DELETE", f"/api/users/{huge}", None),
        ("DELETE", f"/api/keys/{huge}", None),
        ("GET", f"/api/projects/{pid}/logs?after_id={2**70}", None),
        ("GET", f"/api/projects/{pid}/steps/{huge}/diff", None),
        ("GET", f"/api/projects/{pid}/files?path={'a' * 300}", None),
        ("GET", f"/api/projects/{pid}/files/content?path={'a' * 300}", None),
        ("GET", f"/api/projects/{pid}/files?path={'ab/' * 1400}", None),
        ("GET", f"/api/projects/{pid}/files/content?path={'ab/' * 1400}x", None),
        ("GET", f"/api/projects/{pid}/files/content?path=a%00b", None),
        ("PUT", f"/api/projects/{pid}", {"budget_tokens": 2**70}),
    ]
    for method, path, body in requests:
        r = api.http.request(method, path, json=body)
        assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:200])
    for kind in ("events", "terminal"):
        with pytest.raises(Exception) as info:
            with connect(f"{server.ws_base}/ws/projects/{huge}/{kind}?ticket={api.ticket()}", open_timeout=10) as ws:
                ws.recv(timeout=10)
        assert "500" not in str(info.value), info.value


def test_a_fresh_server_keeps_its_files_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = ServerProcess(data, env={"AUTOCODE_BRAIN_ENABLED": "false"})
    try:
        api = Api(srv.base, "admin", ADMIN_PASSWORD)
        project = api.project()
        workspace = Path(project["workspace_path"])
    finally:
        srv.stop()
        stop_tmux_servers(data, USERS)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data) == 0o700
    for name in ("autocode.db", "secret.key"):
        assert mode(data / name) == 0o600, name
    for path in (data / "users", data / "users" / "admin", workspace.parent, workspace):
        assert mode(path) & 0o077 == 0, (path, oct(mode(path)))
    for path in data.rglob("*"):
        if not path.is_symlink():
            assert mode(path) & 0o077 == 0, (path, oct(mode(path)))
