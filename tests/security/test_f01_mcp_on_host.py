"""Finding 1: an agent's `mcp_servers` command ran on the host (in the supervisor, as the service user).

A user saves an agent whose MCP server is `sh -c "touch <marker>"`, starts a project with the
decision model enabled (scripted OpenAI-style endpoint) and Claude Code (scripted Anthropic
endpoint). Under the local runtime the supervisor refuses the command (not on the admin's list)
and says so in the project's log; the marker never appears. URL servers to private addresses are
refused when the agent is saved. (The docker placement, `docker exec` into the user's container,
is checked as argv in tests/supervisor/test_mcp_placement.py.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers, wait_until
from tests.fakes.fake_anthropic import FakeAnthropic, text, write
from tests.fakes.fake_openai import FakeOpenAI, call, reply
from tests.supervision.conftest import CLI, Platform, _kill_supervisors, server_env

USER = "brain-f01"


@pytest.fixture
def plat(tmp_path: Path) -> Iterator[tuple[Platform, FakeOpenAI]]:
    if not CLI.exists():
        pytest.fail(f"the pinned Claude Code CLI is not installed: npm --prefix tools/claude-code ci ({CLI})")
    fake = FakeAnthropic().start()
    model = FakeOpenAI()
    model.__enter__()
    data = tmp_path / "data"
    server = ServerProcess(data, env={**server_env(), "AUTOCODE_BRAIN_ENABLED": "true"})
    p = Platform(fake=fake, server=server, api=Api(server.base, "admin", ADMIN_PASSWORD), data=data)
    try:
        yield p, model
    finally:
        _kill_supervisors(data)
        p.server.stop()
        stop_tmux_servers(data, ["admin", USER])
        model.__exit__(None, None, None)
        fake.stop()


def test_mcp_command_never_runs_on_the_host(plat: tuple[Platform, FakeOpenAI], tmp_path: Path) -> None:
    platform, model = plat
    marker = Path("/tmp") / f"autocode-f01-{uuid.uuid4().hex}"
    user = platform.api.create_user(USER)
    for provider, url in (("anthropic", platform.fake.url), ("openai", model.url)):
        r = user.http.post(
            "/api/keys", json={"provider": provider, "key": f"sk-{provider}-f01-0123456789", "base_url": url}
        )
        assert r.status_code == 201, r.text

    # URL servers to private or local addresses are refused when saved.
    for url in (
        "http://127.0.0.1:8000/mcp",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://10.0.0.1/mcp",
    ):
        r = user.http.post(
            "/api/agents", json={"name": "Url", "model": "openai/gpt-test", "mcp_servers": {"u": {"url": url}}}
        )
        assert r.status_code == 422 and "MCP server 'u'" in r.text, (url, r.text)

    servers = {"x": {"command": "sh", "args": ["-c", f"touch {marker}"]}}
    r = user.http.post(
        "/api/agents",
        json={"name": "Dev", "model": "openai/gpt-test", "permission_policy": "auto", "mcp_servers": servers},
    )
    if r.status_code == 422:  # refused at save (production under the local runtime): nothing can run
        assert "AUTOCODE_MCP_HOST_COMMANDS" in r.text
        return
    assert r.status_code == 201, r.text
    platform.fake.on_prompt("GO-F01", write("f01.txt", "x\n"), text("Wrote f01.txt"))
    model.on_message("finished a turn", call("mark_step_done", summary="f01.txt written"), reply("done"))
    r = user.http.post(
        f"/api/agents/{r.json()['id']}/projects",
        json={"name": "Mcp", "implementation_plan": [{"title": "One", "detail": "GO-F01"}]},
    )
    assert r.status_code == 201, r.text
    project = r.json()
    try:
        assert user.http.post(f"/api/projects/{project['id']}/start").status_code == 200
        platform.api = user
        platform.wait_status(project["id"], "completed", "needs_help", timeout=120)
        assert model.calls(), "the decision model was asked (so MCP servers were due to connect)"
        assert not marker.exists(), "the agent's MCP command ran on the host"
        wait_until(
            lambda: any("MCP server 'x' not started" in e["message"] for e in platform.logs(project["id"])), timeout=30
        )
    finally:
        user.http.post(f"/api/projects/{project['id']}/stop")
        marker.unlink(missing_ok=True)


@pytest.mark.docker
def test_mcp_command_runs_inside_the_users_container(tmp_path: Path) -> None:
    """Docker runtime: the same command runs, but in the user's container (`docker exec`)."""
    from tests.security.shell import ensure_docker

    ensure_docker()
    fake = FakeAnthropic().start()
    model = FakeOpenAI()
    model.__enter__()
    data = tmp_path / "data"
    username = f"f01d{uuid.uuid4().hex[:6]}"
    marker = Path("/tmp") / f"autocode-f01-{uuid.uuid4().hex}"
    server = ServerProcess(
        data,
        env={
            **server_env(),
            "AUTOCODE_BRAIN_ENABLED": "true",
            "AUTOCODE_RUNTIME": "docker",
            # the scripted endpoints listen on the host's 127.0.0.1
            "AUTOCODE_CONTAINER_NETWORK": "host",
        },
    )
    try:
        admin = Api(server.base, "admin", ADMIN_PASSWORD)
        user = admin.create_user(username)
        for provider, url in (("anthropic", fake.url), ("openai", model.url)):
            r = user.http.post(
                "/api/keys", json={"provider": provider, "key": f"sk-{provider}-f01-0123456789", "base_url": url}
            )
            assert r.status_code == 201, r.text
        servers = {"x": {"command": "sh", "args": ["-c", f"touch /workspace/mcp-ran-here {marker}"]}}
        r = user.http.post(
            "/api/agents",
            json={"name": "Dev", "model": "openai/gpt-test", "permission_policy": "auto", "mcp_servers": servers},
        )
        assert r.status_code == 201, r.text
        fake.on_prompt("GO-F01", write("f01.txt", "x\n"), text("Wrote f01.txt"))
        model.on_message("finished a turn", call("mark_step_done", summary="f01.txt written"), reply("done"))
        r = user.http.post(
            f"/api/agents/{r.json()['id']}/projects",
            json={"name": "Mcp", "implementation_plan": [{"title": "One", "detail": "GO-F01"}]},
        )
        assert r.status_code == 201, r.text
        project = r.json()
        assert user.http.post(f"/api/projects/{project['id']}/start").status_code == 200
        platform = Platform(fake=fake, server=server, api=user, data=data)
        platform.wait_status(project["id"], "completed", "needs_help", timeout=120)
        assert model.calls()
        # It ran where the user's own commands run: their container, whose /workspace is their tree.
        wait_until(lambda: (data / "users" / username / "mcp-ran-here").exists(), timeout=30)
        assert not marker.exists(), "the agent's MCP command ran on the host"
        user.http.post(f"/api/projects/{project['id']}/stop")
    finally:
        _kill_supervisors(data)
        server.stop()
        from autocode.runtime.docker import DockerRuntime

        try:
            DockerRuntime(data_dir=data).remove_user(username)
        except Exception:  # cleanup goes on
            pass
        model.__exit__(None, None, None)
        fake.stop()
        marker.unlink(missing_ok=True)
