"""Finding 8 (supervisor part): a supervisor carried the master secret in its environment.

A user starts a project (real server, real Claude Code, scripted fake model). Every process on
the machine is then read as the user's shell could read it (``/proc/<pid>/environ`` and
``cmdline``): apart from the server itself, none holds the master secret or another user's key.
The supervisor got only this user's credential (through its stdin), which Claude Code used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers, wait_until
from tests.fakes.fake_anthropic import FakeAnthropic, text, write
from tests.supervision.conftest import CLI, Platform, _kill_supervisors, server_env

USER = "brain-f08"
MASTER = "f08-master-secret-" + "m" * 40
ADMIN_KEY = "sk-ant-admin-f08-ADMINKEY-0123456789"
USER_KEY = "sk-ant-user-f08-USERKEY-0123456789"


@pytest.fixture
def plat(tmp_path: Path) -> Iterator[Platform]:
    if not CLI.exists():
        pytest.fail(f"the pinned Claude Code CLI is not installed: npm --prefix tools/claude-code ci ({CLI})")
    fake = FakeAnthropic().start()
    data = tmp_path / "data"
    server = ServerProcess(data, env={**server_env(), "AUTOCODE_SECRET_KEY": MASTER})
    p = Platform(fake=fake, server=server, api=Api(server.base, "admin", ADMIN_PASSWORD), data=data)
    try:
        yield p
    finally:
        _kill_supervisors(data)
        p.server.stop()
        stop_tmux_servers(data, ["admin", USER])
        fake.stop()


def _processes() -> Iterator[tuple[int, bytes, bytes]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / "environ").read_bytes(), (entry / "cmdline").read_bytes()
        except OSError:
            continue


def test_supervisor_holds_no_master_secret_and_no_other_key(plat: Platform) -> None:
    r = plat.api.http.post("/api/keys", json={"provider": "anthropic", "key": ADMIN_KEY, "base_url": plat.fake.url})
    assert r.status_code == 201, r.text
    user = plat.api.create_user(USER)
    r = user.http.post("/api/keys", json={"provider": "anthropic", "key": USER_KEY, "base_url": plat.fake.url})
    assert r.status_code == 201, r.text
    plat.fake.on_prompt("GO-F08", write("f08.txt", "x\n"), text("done"))
    agent = user.http.post(
        "/api/agents", json={"name": "Dev", "model": "anthropic/claude-test", "permission_policy": "auto"}
    )
    assert agent.status_code == 201, agent.text
    r = user.http.post(
        f"/api/agents/{agent.json()['id']}/projects",
        json={"name": "Env", "implementation_plan": [{"title": "One", "detail": "GO-F08"}]},
    )
    assert r.status_code == 201, r.text
    project = r.json()
    try:
        started = user.http.post(f"/api/projects/{project['id']}/start")
        assert started.status_code == 200, started.text
        pid = started.json()["instance"]["pid"]
        plat.api = user
        # Claude Code made its calls with this user's key: the credential reached the supervisor.
        wait_until(lambda: any(c.headers.get("x-api-key") == USER_KEY for c in plat.fake.calls()), timeout=60)
        env = Path(f"/proc/{pid}/environ").read_bytes()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"autocode.supervisor" in cmdline
        for secret in (MASTER, ADMIN_KEY, USER_KEY):
            assert secret.encode() not in env, f"{secret[:12]}... in the supervisor's environment"
            assert secret.encode() not in cmdline
        # No process but the server holds the master secret or the admin's key (tmux, Claude Code...).
        for other, environ, argv in _processes():
            if other in (plat.server.proc.pid, os.getpid()):
                continue
            for secret in (MASTER, ADMIN_KEY):
                assert secret.encode() not in environ + argv, f"process {other} holds {secret[:12]}..."
        plat.wait_status(project["id"], "completed")
    finally:
        user.http.post(f"/api/projects/{project['id']}/stop")
