"""Processes and ports of a project's session, end to end on both runtimes.

A dev server typed into the project's shell shows up with its port, its window's output can be
read and it can be stopped; nothing outside the project's own session (another project's
process, the server itself, another user's project) can be seen or signalled.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.security.shell import RUNTIMES, shell, stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def processes(api: Api, project_id: int) -> list[dict[str, Any]]:
    r = api.http.get(f"/api/projects/{project_id}/processes", timeout=30)
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()
    return result


def find(api: Api, project_id: int, needle: str) -> dict[str, Any] | None:
    return next((p for p in processes(api, project_id) if needle in p["command"]), None)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_dev_server_is_listed_with_its_port_and_stopped(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        alice = st.user("alice")
        shop = alice.project(name="Shop")["id"]
        blog = alice.project(name="Blog")["id"]
        port = free_port()

        # Nothing runs yet: an empty list, not an error (and no session is made for it).
        assert processes(alice, shop) == []
        assert alice.http.get(f"/api/projects/{shop}/ports").json() == []

        with shell(st, alice, shop) as sh, shell(st, alice, blog) as other:
            sh.ws.send(f"python3 -m http.server {port} --bind 127.0.0.1\r".encode())
            other.ws.send(b"sleep 600\r")
            server = poll(
                lambda: next((p for p in processes(alice, shop) if p["listening"]), None), 60, "the listening server"
            )
            assert "http.server" in server["command"]
            assert server["listening"] == [{"address": "127.0.0.1", "port": port}]
            assert server["window"] == "shell" and server["has_output"] is True
            assert server["rss_bytes"] > 1_000_000
            assert abs(time.time() - _epoch(server["started_at"])) < 120
            shell_proc = next(p for p in processes(alice, shop) if p["pid"] == server["ppid"])
            assert shell_proc["has_output"] is False  # the server holds the window's foreground

            ports = alice.http.get(f"/api/projects/{shop}/ports").json()
            assert ports == [
                {
                    "port": port,
                    "address": "127.0.0.1",
                    "pid": server["pid"],
                    "command": server["command"],
                    "preview_url": f"http://p{shop}-{port}.localhost:{st.server.preview_port}/",
                }
            ]

            out = poll(lambda: _output(alice, shop, server["pid"]), 30, "the server's output")
            assert f"port {port}" in out["text"] and out["window"] == "shell"
            r = alice.http.get(f"/api/projects/{shop}/processes/{shell_proc['pid']}/output")
            assert r.status_code == 404 and "window of its own" in r.json()["detail"]

            sleeper = poll(lambda: find(alice, blog, "sleep 600"), 30, "the other project's sleep")

            # Another project's process, the server's own pid, pid 1: not this session's.
            for pid in (sleeper["pid"], st.server.proc.pid, 1):
                r = alice.http.post(f"/api/projects/{shop}/processes/{pid}/stop")
                assert r.status_code == 404, r.text
                assert alice.http.get(f"/api/projects/{shop}/processes/{pid}/output").status_code == 404
            assert find(alice, blog, "sleep 600") is not None
            assert st.server.proc.poll() is None and alive(st.server.proc.pid)

            for bad in (0, -1, 2**40):
                assert alice.http.post(f"/api/projects/{shop}/processes/{bad}/stop").status_code == 422

            # Another user sees and stops nothing of alice's.
            mallory = st.user("mallory")
            for method, path in (
                ("GET", f"/api/projects/{shop}/processes"),
                ("GET", f"/api/projects/{shop}/ports"),
                ("GET", f"/api/projects/{shop}/processes/{server['pid']}/output"),
                ("POST", f"/api/projects/{shop}/processes/{server['pid']}/stop"),
            ):
                r = mallory.http.request(method, path)
                assert r.status_code == 404, (path, r.text)
            # ... nor through a project of her own, naming alice's pid.
            own = mallory.project(name="Mine")["id"]
            with shell(st, mallory, own) as theirs:
                theirs.run("true")
                r = mallory.http.post(f"/api/projects/{own}/processes/{server['pid']}/stop")
                assert r.status_code == 404, r.text
                assert all("http.server" not in p["command"] for p in processes(mallory, own))
            assert find(alice, shop, "http.server") is not None

            r = alice.http.post(f"/api/projects/{shop}/processes/{server['pid']}/stop", timeout=30)
            assert r.status_code == 200, r.text
            assert r.json() == {"pid": server["pid"], "result": "term"}
            assert find(alice, shop, "http.server") is None
            assert alice.http.get(f"/api/projects/{shop}/ports").json() == []
            # The shell it ran in goes on; the other project's process was never touched.
            assert any(p["pid"] == shell_proc["pid"] for p in processes(alice, shop))
            assert find(alice, blog, "sleep 600") is not None

            # A second stop of the same pid: it is no longer the session's.
            r = alice.http.post(f"/api/projects/{shop}/processes/{server['pid']}/stop")
            assert r.status_code == 404


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_process_deaf_to_term_is_killed(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        alice = st.user("alice")
        shop = alice.project(name="Shop")["id"]
        with shell(st, alice, shop) as sh:
            sh.ws.send(
                b"python3 -c 'import signal,time; signal.signal(signal.SIGTERM, "
                b'signal.SIG_IGN); print("ready-" + "now", flush=True); time.sleep(600)\'\r'
            )
            deaf = poll(lambda: find(alice, shop, "SIG_IGN"), 60, "the process ignoring TERM")
            poll(
                lambda: "ready-now" in (_output(alice, shop, deaf["pid"]) or {}).get("text", ""),
                30,
                "the handler in place",
            )
            started = time.monotonic()
            r = alice.http.post(f"/api/projects/{shop}/processes/{deaf['pid']}/stop", timeout=30)
            assert r.status_code == 200, r.text
            assert r.json()["result"] == "kill"
            assert time.monotonic() - started >= 2.5  # TERM first, KILL after the grace
            assert find(alice, shop, "SIG_IGN") is None


def _output(api: Api, project_id: int, pid: int) -> dict[str, Any] | None:
    r = api.http.get(f"/api/projects/{project_id}/processes/{pid}/output")
    if r.status_code != 200:
        return None
    body: dict[str, Any] = r.json()
    return body if body["text"].strip() else None


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
