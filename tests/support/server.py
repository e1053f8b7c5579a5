"""A real `autocode serve` in a subprocess and what tests and benchmarks do with it: a user's
HTTP client, polling, free ports, the cleanup of the tmux servers it started."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ADMIN_PASSWORD = "admin-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


AUTOCODE_BIN = Path(sys.executable).with_name("autocode")


class ServerProcess:
    """A real `autocode serve` subprocess on a free 127.0.0.1 port; stop() is idempotent."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, port: int | None = None) -> None:
        import os
        import subprocess

        self.data_dir = data_dir
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self.preview_port = int((env or {}).get("AUTOCODE_PREVIEW_PORT") or free_port())
        self.log = data_dir.parent / f"server-{self.port}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
        full_env.update(
            {
                "AUTOCODE_DATA_DIR": str(data_dir),
                "AUTOCODE_PORT": str(self.port),
                "AUTOCODE_PREVIEW_PORT": str(self.preview_port),
                "AUTOCODE_ADMIN_PASSWORD": ADMIN_PASSWORD,
                **(env or {}),
            }
        )
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [str(AUTOCODE_BIN), "serve"],
                env=full_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=data_dir.parent,
                start_new_session=True,
            )
        wait_until(self._up, timeout=30, interval=0.1)

    def _up(self) -> bool:
        import httpx

        if self.proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{self.log.read_text()}")
        try:
            return httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self, sig: int | None = None) -> None:
        import os
        import signal
        import subprocess

        if self.proc.poll() is not None:
            return
        # Only the server process: what it started in sessions of their own must live on.
        self.proc.send_signal(sig or signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


class Api:
    """A small HTTP client for one user of a running server."""

    def __init__(self, base: str, username: str, password: str) -> None:
        import httpx

        self.base = base
        self.http = httpx.Client(base_url=base, timeout=10)
        r = self.http.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.username = username
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def ticket(self) -> str:
        r = self.http.post("/api/auth/ws-ticket")
        assert r.status_code == 200, r.text
        return str(r.json()["ticket"])

    def create_user(self, username: str, password: str = "user-password-1") -> Api:
        r = self.http.post("/api/users", json={"username": username, "password": password})
        assert r.status_code == 201, r.text
        return Api(self.base, username, password)

    def project(self, **fields: Any) -> dict[str, Any]:
        agent = self.http.post("/api/agents", json={"name": "Dev", "model": "anthropic/claude-x"})
        assert agent.status_code == 201, agent.text
        body = {"name": "Shop", "implementation_plan": [{"title": "One"}], **fields}
        r = self.http.post(f"/api/agents/{agent.json()['id']}/projects", json=body)
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result


def stop_tmux_servers(data_dir: Path, usernames: list[str]) -> None:
    """Kill the tmux servers a test's server started (even when the test failed): those of
    `usernames` and of every other user that has a socket under the data directory."""
    from autocode.runtime.local import LocalRuntime

    runtime = LocalRuntime(data_dir=data_dir)
    sockets = runtime.socket_path("admin").parent  # under the data dir, or /tmp for a long one
    found = sorted(p.stem for p in sockets.glob("*.sock")) if sockets.is_dir() else []
    for name in dict.fromkeys([*usernames, *found]):
        try:
            runtime.remove_user(name)
        except Exception:  # cleanup must go on for the other users
            pass


@contextmanager
def silent_listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers on them (a hung
    server); yields the port and closes every connection and the listener afterwards."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()
