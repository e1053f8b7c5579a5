"""The live terminal over a WebSocket, against a real server, real tmux and real ptys."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.sync.connection import Connection

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers, wait_until

USERS = ["admin", "alice", "bob"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "data"
    srv = ServerProcess(data)
    try:
        yield srv
    finally:
        srv.stop()
        stop_tmux_servers(data, USERS)


def open_terminal(srv: ServerProcess, api: Api, project_id: int, **params: str) -> ClientConnection:
    query = "&".join(f"{k}={v}" for k, v in {"ticket": api.ticket(), **params}.items())
    return connect(f"{srv.ws_base}/ws/projects/{project_id}/terminal?{query}", open_timeout=10, max_size=None)


def read_until(ws: Connection, pattern: str, timeout: float = 10.0) -> str:
    """Collect terminal output until `pattern` (a regex) appears; fail at the deadline."""
    deadline = time.monotonic() + timeout
    seen = b""
    regex = re.compile(pattern)
    while time.monotonic() < deadline:
        try:
            frame = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        if isinstance(frame, bytes):
            seen += frame
            text = seen.decode("utf-8", "replace")
            match = regex.search(text)
            if match:
                return match.group(0)
    raise AssertionError(f"{pattern!r} not seen within {timeout}s; got: {seen[-2000:]!r}")


def type_line(ws: Connection, line: str) -> None:
    ws.send((line + "\r").encode())


def attach_clients(data_dir: Path, username: str) -> list[str]:
    from autocode.runtime.local import LocalRuntime

    sock = str(LocalRuntime(data_dir=data_dir).socket_path(username))
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if sock in line and "attach-session" in line]


def test_type_a_command_and_read_its_output(server: ServerProcess) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    alice = admin.create_user("alice")
    project = alice.project()
    with open_terminal(server, alice, project["id"]) as ws:
        type_line(ws, "echo hello-$RANDOM-$((6*7))")
        assert read_until(ws, r"hello-\d+-42").endswith("-42")
        # the shell runs in the project's workspace
        type_line(ws, "pwd")
        read_until(ws, re.escape(project["workspace_path"]))


def test_resize_is_seen_by_programs(server: ServerProcess) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project()
    with open_terminal(server, admin, project["id"], cols="80", rows="24") as ws:
        type_line(ws, "echo ready-$((1+1))")
        read_until(ws, "ready-2")
        ws.send(json.dumps({"type": "resize", "cols": 97, "rows": 31}))
        # tmux applies the size when its client handles SIGWINCH, and resizes a pane on a
        # timer: ask until it has (at most 10 s, 100 times)
        sizes: list[str] = []
        deadline = time.monotonic() + 10
        for i in range(100):
            type_line(ws, f"echo size{i}=$(tput cols)x$(tput lines)")
            sizes.append(read_until(ws, rf"size{i}=\d+x\d+"))
            if sizes[-1] == f"size{i}=97x30" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sizes[-1].endswith("=97x30"), sizes
        ws.send(json.dumps({"type": "resize", "cols": 0, "rows": 5}))
        error = None
        deadline = time.monotonic() + 5
        while error is None and time.monotonic() < deadline:
            frame = ws.recv(timeout=5)
            if isinstance(frame, str):
                error = json.loads(frame)
        assert error == {"type": "error", "detail": "unknown control message"}


def test_two_viewers_see_the_same_output_and_read_only_cannot_type(server: ServerProcess) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project()
    with (
        open_terminal(server, admin, project["id"]) as rw,
        open_terminal(server, admin, project["id"], mode="ro") as ro,
    ):
        type_line(ro, "echo SNEAKY-$((40+2))")
        type_line(rw, "echo shared-$((1000+1))")
        read_until(rw, "shared-1001")
        read_until(ro, "shared-1001")
        screen = admin.http.get(f"/api/projects/{project['id']}/screen", params={"lines": 200}).json()["text"]
        assert "shared-1001" in screen
        assert "SNEAKY" not in screen and "42" not in screen.split("shared-1001")[-1]


def test_refused_tickets_and_other_users_projects(server: ServerProcess) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    alice = admin.create_user("alice")
    bob = admin.create_user("bob")
    project = alice.project()
    url = f"{server.ws_base}/ws/projects/{project['id']}/terminal"

    def close_code(full_url: str) -> int | None:
        with connect(full_url, open_timeout=10) as ws:
            with pytest.raises(ConnectionClosed) as info:
                for _ in range(100):
                    ws.recv(timeout=10)
        return info.value.rcvd.code if info.value.rcvd else None

    assert close_code(f"{url}?ticket=forged-ticket") == 4401
    assert close_code(url) == 4401
    assert close_code(f"{url}?ticket={bob.ticket()}") == 4404  # not bob's: not found
    assert close_code(f"{server.ws_base}/ws/projects/99999/terminal?ticket={alice.ticket()}") == 4404
    ticket = alice.ticket()
    with connect(f"{url}?ticket={ticket}", open_timeout=10) as ws:
        type_line(ws, "echo first-use-$((2*2))")
        read_until(ws, "first-use-4")
    assert close_code(f"{url}?ticket={ticket}") == 4401  # used up


def test_expired_ticket_is_refused(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", env={"AUTOCODE_WS_TICKET_SECONDS": "5"})
    try:
        admin = Api(srv.base, "admin", ADMIN_PASSWORD)
        project = admin.project()
        ticket = admin.ticket()
        issued = time.monotonic()
        wait_until(lambda: time.monotonic() - issued > 5.5, timeout=10, interval=0.2)
        with connect(f"{srv.ws_base}/ws/projects/{project['id']}/terminal?ticket={ticket}") as ws:
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4401
    finally:
        srv.stop()
        stop_tmux_servers(tmp_path / "data", USERS)


def test_closing_the_socket_reaps_the_client_and_the_session_outlives_viewers_and_server(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    srv = ServerProcess(data)
    try:
        admin = Api(srv.base, "admin", ADMIN_PASSWORD)
        project = admin.project()
        with open_terminal(srv, admin, project["id"]) as ws:
            type_line(ws, "export KEEP=kept-$((3*3)); echo set-$KEEP")
            read_until(ws, "set-kept-9")
            assert len(attach_clients(data, "admin")) == 1
        wait_until(lambda: attach_clients(data, "admin") == [], timeout=10)

        port = srv.port
        srv.stop()
        srv = ServerProcess(data, port=port)
        admin = Api(srv.base, "admin", ADMIN_PASSWORD)
        with open_terminal(srv, admin, project["id"]) as ws:
            type_line(ws, "echo again-$KEEP")
            read_until(ws, "again-kept-9")
    finally:
        srv.stop()
        stop_tmux_servers(data, USERS)


def test_session_end_closes_the_socket_with_a_clear_code(server: ServerProcess) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project()
    with open_terminal(server, admin, project["id"]) as ws:
        type_line(ws, "echo up-$((5*5))")
        read_until(ws, "up-25")
        # the session ends (as when its project is deleted): the viewer is told and closed
        from autocode.runtime.local import LocalRuntime

        LocalRuntime(data_dir=server.data_dir).kill_session("admin", project["tmux_session"])
        messages: list[object] = []
        with pytest.raises(ConnectionClosed) as info:
            for _ in range(1000):
                frame = ws.recv(timeout=10)
                if isinstance(frame, str):
                    messages.append(json.loads(frame))
        assert info.value.rcvd is not None and info.value.rcvd.code == 4000
        assert {"type": "exit"} in messages


def test_widening_a_phone_sized_terminal_keeps_the_last_output_line(server: ServerProcess) -> None:
    """The shell's prompt must not wrap on a phone: readline would erase a line when it widens."""
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project()
    with open_terminal(server, admin, project["id"], cols="44", rows="30") as ws:
        type_line(ws, "seq 1 40 | sed 's/^/row-/'")
        read_until(ws, "row-40")
        ws.send(json.dumps({"type": "resize", "cols": 160, "rows": 40}))

        from autocode.runtime.local import LocalRuntime

        runtime = LocalRuntime(data_dir=server.data_dir)
        wait_until(lambda: runtime.pane_info("admin", project["tmux_session"]).width == 160, timeout=10)
        time.sleep(0.5)  # the shell redraws its prompt on SIGWINCH
        text = admin.http.get(f"/api/projects/{project['id']}/screen").json()["text"]
        assert "row-40" in text, text


def first_window_message(ws: Connection) -> dict[str, object]:
    """The server says which window a terminal shows before any output."""
    for _ in range(1000):
        frame = ws.recv(timeout=10)
        if isinstance(frame, str):
            message = json.loads(frame)
            if message.get("type") == "window":
                return dict(message)
    raise AssertionError("no window message")


def test_the_terminal_opens_on_claude_codes_window_while_it_runs_and_viewers_do_not_fight(
    server: ServerProcess,
) -> None:
    from autocode.runtime.local import LocalRuntime

    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project()
    pid = project["id"]
    # Nothing runs Claude Code yet: the shell is what there is to see.
    with open_terminal(server, admin, pid) as ws:
        assert first_window_message(ws) == {"type": "window", "window": "shell"}
    shown = admin.http.get(f"/api/projects/{pid}/screen").json()
    assert shown["window"] == "shell"
    # Claude Code's window appears (the supervisor makes it as `agent`); here a stand-in prints a marker.
    runtime = LocalRuntime(data_dir=server.data_dir)
    runtime.new_window(
        "admin",
        project["tmux_session"],
        window="agent",
        command=["sh", "-c", "echo AGENT-$((20+1)); exec cat"],
        cwd=runtime.workspace("admin") / "projects" / project["slug"],
    )
    with open_terminal(server, admin, pid) as agent, open_terminal(server, admin, pid, window="shell") as shell:
        assert first_window_message(agent) == {"type": "window", "window": "agent"}
        assert first_window_message(shell) == {"type": "window", "window": "shell"}
        read_until(agent, "AGENT-21")
        # The shell viewer opened second and kept its window; the agent viewer still sees its own.
        type_line(shell, "echo SHELL-$((30+3))")
        read_until(shell, "SHELL-33")
        agent.send(b"typed-into-agent\r")
        read_until(agent, "typed-into-agent")
        assert admin.http.get(f"/api/projects/{pid}/screen").json()["window"] == "agent"
        agent_screen = admin.http.get(f"/api/projects/{pid}/screen", params={"window": "agent"}).json()
        shell_screen = admin.http.get(f"/api/projects/{pid}/screen", params={"window": "shell"}).json()
        assert "AGENT-21" in agent_screen["text"] and "SHELL-33" not in agent_screen["text"]
        assert "SHELL-33" in shell_screen["text"] and "typed-into-agent" not in shell_screen["text"]
        # viewers' own sessions are not the user's sessions
        assert runtime.list_sessions("admin") == [project["tmux_session"]]
    # closing the viewers removes their sessions (the project's stays)
    wait_until(lambda: len(runtime._tmux("admin", ["list-sessions"]).stdout.splitlines()) == 1, timeout=10)
    assert admin.http.get(f"/api/projects/{pid}/screen", params={"window": "bogus"}).status_code == 422
