"""Attacking a running server as a family member would: their API client and their terminal.

A user owns their tree completely: from the terminal the server gives them (a shell on the
host under the local runtime, in their container under the docker runtime) they can replace
any folder in it with a link. These helpers start a real server on either runtime and type
into a project's terminal exactly as that user would.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.sync.connection import Connection

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers

REPO = Path(__file__).resolve().parents[2]
RUNTIMES = ["local", pytest.param("docker", marks=pytest.mark.docker)]


def ensure_docker() -> None:
    for script in (REPO / "scripts/ensure-docker.sh", REPO / "deploy/workspace/build-offline.sh"):
        proc = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=1200, check=False, env=dict(os.environ)
        )
        if proc.returncode != 0:
            pytest.fail(f"{script.name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


@dataclass
class Stack:
    """A real server on one runtime, its admin, and the users a test made."""

    runtime: str
    server: ServerProcess
    data: Path
    admin: Api
    users: list[str] = field(default_factory=list)

    def user(self, prefix: str) -> Api:
        name = f"{prefix}{uuid.uuid4().hex[:6]}"
        self.users.append(name)
        return self.admin.create_user(name)

    def tree(self, api: Api) -> str:
        """The user's tree as their own shell sees it."""
        if self.runtime == "docker":
            return "/workspace"
        return str(self.data.resolve() / "users" / api.username)

    def host_tree(self, api: Api) -> Path:
        return self.data.resolve() / "users" / api.username


@contextmanager
def stack(tmp_path: Path, runtime: str, env: dict[str, str] | None = None) -> Iterator[Stack]:
    if runtime == "docker":
        ensure_docker()
    data = tmp_path / "data"
    server = ServerProcess(data, env={"AUTOCODE_RUNTIME": runtime, **(env or {})})
    st = Stack(runtime, server, data, Api(server.base, "admin", ADMIN_PASSWORD))
    try:
        yield st
    finally:
        server.stop()
        if runtime == "docker":
            from autocode.runtime.docker import DockerRuntime

            for name in st.users:
                try:
                    DockerRuntime(data_dir=data).remove_user(name)
                except Exception:  # cleanup goes on for the others
                    pass
        else:
            stop_tmux_servers(data, ["admin", *st.users])


class Shell:
    """A project's terminal, typed into as its user would."""

    def __init__(self, ws_base: str, api: Api, project_id: int) -> None:
        url = f"{ws_base}/ws/projects/{project_id}/terminal?ticket={api.ticket()}"
        self.ws: ClientConnection = connect(url, open_timeout=20, max_size=None)

    def run(self, command: str, timeout: float = 30.0) -> str:
        """Type a command line; its output up to its end marker, and fail if it failed."""
        tag = uuid.uuid4().hex[:8]
        self.ws.send(f"{command}; echo END{tag}:$?\r".encode())
        deadline = time.monotonic() + timeout
        seen = b""
        pattern = re.compile(rf"END{tag}:(\d+)")
        while time.monotonic() < deadline:
            try:
                frame = self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(frame, bytes):
                seen += frame
                match = pattern.search(seen.decode("utf-8", "replace"))
                if match:
                    assert match.group(1) == "0", f"{command!r} failed: {seen[-2000:]!r}"
                    return seen.decode("utf-8", "replace")
        raise AssertionError(f"{command!r} did not finish within {timeout}s: {seen[-2000:]!r}")

    def close(self) -> None:
        self.ws.close()


@contextmanager
def shell(st: Stack | str, api: Api, project_id: int) -> Iterator[Shell]:
    sh = Shell(st if isinstance(st, str) else st.server.ws_base, api, project_id)
    try:
        yield sh
    finally:
        sh.close()


def terminal(srv: ServerProcess, api: Api, project_id: int, open_timeout: float = 30) -> ClientConnection:
    """A raw terminal socket of a project (for reading what comes back, and close codes)."""
    url = f"{srv.ws_base}/ws/projects/{project_id}/terminal?ticket={api.ticket()}"
    return connect(url, open_timeout=open_timeout, max_size=None)


def collect(ws: Connection, until: str, timeout: float = 60) -> str:
    """Terminal output until the regex `until` appears (or the socket closes / the deadline)."""
    from websockets.exceptions import ConnectionClosed

    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        try:
            frame = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        except (TimeoutError, ConnectionClosed):
            break
        if isinstance(frame, bytes):
            seen += frame
            if re.search(until, seen.decode("utf-8", "replace")):
                break
    return seen.decode("utf-8", "replace")
