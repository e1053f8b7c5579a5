"""Finding 8: the local runtime isolates nobody, so production keeps it for admins.

Attack: a user (not an admin) of a production server opens their project's terminal and types
`cat data/secret.key`, or starts a project (whose supervisor and Claude Code run as the service
user). On the local runtime that must be refused; on the docker runtime the terminal works but
the host's secret, database and processes' environments are out of reach.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers
from tests.security.shell import collect, terminal
from tests.supervision.conftest import _kill_supervisors

SECRET_ENV = "ops-f08-master-secret-" + "x" * 24


def production(data: Path, **extra: str) -> ServerProcess:
    data.mkdir(parents=True, exist_ok=True)
    return ServerProcess(
        data,
        env={
            "AUTOCODE_ENVIRONMENT": "production",
            "AUTOCODE_SECRET_KEY": SECRET_ENV,
            "AUTOCODE_COOKIE_SECURE": "false",
            **extra,
        },
    )


def plant_secret(data: Path) -> str:
    """A `secret.key` where the embedded default keeps it (0600, the service's own)."""
    value = "planted-" + secrets.token_hex(16)
    path = data / "secret.key"
    path.write_text(value)
    path.chmod(0o600)
    return value


def with_key(api: Api) -> None:
    r = api.http.post(
        "/api/keys",
        json={"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": "http://127.0.0.1:9"},
    )
    assert r.status_code == 201, r.text


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    data = tmp_path / "data"
    srv = production(data)
    try:
        yield srv, data
    finally:
        _kill_supervisors(data)  # none, unless the policy failed and a start went through
        srv.stop()
        stop_tmux_servers(data, ["admin", "opsf08a", "opsf08b"])


def test_local_runtime_refuses_non_admins_in_production(local_server: tuple[ServerProcess, Path]) -> None:
    srv, data = local_server
    secret = plant_secret(data)
    admin = Api(srv.base, "admin", ADMIN_PASSWORD)
    user = admin.create_user("opsf08a")
    with_key(user)  # so nothing but the policy stands between them and a running supervisor
    project = user.project()

    r = user.http.post(f"/api/projects/{project['id']}/start")
    assert r.status_code == 403, r.text
    assert "docker runtime" in r.json()["detail"]
    assert user.http.get(f"/api/projects/{project['id']}").json()["status"] == "created"
    r = user.http.get(f"/api/projects/{project['id']}/screen")
    assert r.status_code == 403, r.text
    for method, path in (
        ("GET", "processes"),
        ("GET", "ports"),
        ("POST", f"processes/{srv.proc.pid}/stop"),
        ("GET", f"processes/{srv.proc.pid}/output"),
    ):
        r = user.http.request(method, f"/api/projects/{project['id']}/{path}")
        assert r.status_code == 403, (path, r.text)
    assert srv.proc.poll() is None

    # The terminal: closed with 4403 and a reason before any shell exists; typing changes nothing.
    with terminal(srv, user, project["id"]) as ws:
        try:
            ws.send(f"cat {data}/secret.key\r".encode())
        except ConnectionClosed:
            pass
        out = collect(ws, until=re.escape(secret), timeout=5)
        assert ws.close_code == 4403, (ws.close_code, out)
        assert "docker runtime" in (ws.close_reason or "")
    assert secret not in out and SECRET_ENV not in out

    # The admin page says so.
    health = admin.http.get("/api/health").json()
    assert health["runtime"] == "local" and health["runtime_users_allowed"] is False
    assert "docker runtime" in health["runtime_note"]

    # The admin (trusted) keeps the local runtime: their terminal works.
    own = admin.project()
    with terminal(srv, admin, own["id"]) as ws:
        ws.send(b"echo admin-shell-$((6*7))\r")
        assert "admin-shell-42" in collect(ws, until="admin-shell-42")


def test_the_admins_opt_in_lets_users_in(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = production(data, AUTOCODE_LOCAL_RUNTIME_USERS="all")
    try:
        admin = Api(srv.base, "admin", ADMIN_PASSWORD)
        user = admin.create_user("opsf08b")
        assert admin.http.get("/api/health").json()["runtime_users_allowed"] is True
        project = user.project()
        with terminal(srv, user, project["id"]) as ws:
            ws.send(b"echo user-shell-$((6*7))\r")
            assert "user-shell-42" in collect(ws, until="user-shell-42")
    finally:
        srv.stop()
        stop_tmux_servers(data, ["admin", "opsf08b"])


@pytest.mark.docker
def test_docker_runtime_terminal_cannot_read_the_hosts_secrets(tmp_path: Path) -> None:
    import os
    import subprocess

    repo = Path(__file__).resolve().parents[2]
    for script in (repo / "scripts/ensure-docker.sh", repo / "deploy/workspace/build-offline.sh"):
        proc = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=1200, check=False, env=dict(os.environ)
        )
        assert proc.returncode == 0, f"{script.name} failed:\n{proc.stderr[-3000:]}"
    data = tmp_path / "data"
    username = f"opsf08d{uuid.uuid4().hex[:6]}"
    data.mkdir(parents=True)
    secret = plant_secret(data)
    srv = production(data, AUTOCODE_RUNTIME="docker")
    try:
        admin = Api(srv.base, "admin", ADMIN_PASSWORD)
        user = admin.create_user(username)
        project = user.project()
        with terminal(srv, user, project["id"]) as ws:
            # Every way a local-runtime user got at them: the paths, every process' environment.
            for line in (
                f"cat {data}/secret.key",
                f"head -c 64 {data}/autocode.db",
                "cat /proc/*/environ",
                "ls /proc",
                "echo attempts-done-$((6*7))",
            ):
                ws.send((line + "\r").encode())
            out = collect(ws, until=r"attempts-done-42", timeout=60)
        assert "attempts-done-42" in out, out[-2000:]
        assert secret not in out
        assert "SQLite format 3" not in out
        assert SECRET_ENV not in out and "AUTOCODE_" not in out.replace("AUTOCODE_TEST", "")
    finally:
        srv.stop()
        from autocode.runtime.docker import DockerRuntime

        DockerRuntime(data_dir=data).remove_user(username)
