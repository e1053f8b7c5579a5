"""What only the Docker runtime promises: limits, a non-root user, one directory, networks."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from autocode.runtime import CommandFailed, session_name, target
from autocode.runtime.docker import DockerRuntime, container_name
from tests.conftest import wait_until as eventually

pytestmark = pytest.mark.docker

MiB = 1024 * 1024


@pytest.fixture
def drt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., DockerRuntime]]:
    """Make DockerRuntimes over this test's data dir; their containers go at the end."""
    made: list[tuple[DockerRuntime, str]] = []
    image = request.getfixturevalue("workspace_image")

    def _make(username: str, **options: Any) -> DockerRuntime:
        opts: dict[str, Any] = {"image": image, "memory": "1g", "cpus": 1.0, "pids": 256, **options}
        rt = DockerRuntime(data_dir=tmp_path / "data", **opts)
        made.append((rt, username))
        return rt

    yield _make
    for rt, username in made:
        rt.remove_user(username)


def user() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def run_script(rt: DockerRuntime, username: str, window: str, script: str, slug: str = "p1") -> str:
    """Run a shell script in a new window of the user's session; return its output."""
    session = session_name(username, slug)
    cwd = rt.workspace(username) / "projects" / slug
    # Stay alive after the marker: tmux 3.3 can drop the last output of a process that
    # exits within moments of writing it.
    full = f"{script}\necho @@done@@\nexec sleep 600"
    if rt.has_session(username, session):
        rt.new_window(username, session, window=window, command=["sh", "-c", full], cwd=cwd)
    else:
        rt.create_session(username, session, window=window, command=["sh", "-c", full], cwd=cwd)
    tgt = target(session, window)
    return str(
        eventually(
            lambda: (s := rt.capture(username, tgt, history=2000)) and "\n@@done@@" in "\n" + s and s, timeout=30
        )
    )


def test_container_is_locked_down(drt: Callable[..., DockerRuntime]) -> None:
    name = user()
    rt = drt(name, memory="256m", cpus=0.5, pids=64)
    out = run_script(
        rt,
        name,
        "checks",
        "\n".join(
            [
                "echo uid=$(id -u) gid=$(id -g)",
                "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status",
                "touch /etc/evil 2>/dev/null || echo etc-denied",
                "touch /usr/local/bin/evil 2>/dev/null || echo usr-denied",
                "touch /workspace/projects/p1/ok && echo workspace-ok",
                "touch /tmp/ok && echo tmp-ok",
                "echo home=$HOME; touch $HOME/ok && echo home-ok",
                "su -c true root </dev/null 2>/dev/null || echo su-denied",
            ]
        ),
    )
    assert "uid=1000 gid=1000" in out
    assert re.search(r"^CapEff:\s+0{16}$", out, re.M)  # no capabilities at all
    assert re.search(r"^NoNewPrivs:\s+1$", out, re.M)
    for marker in ("etc-denied", "usr-denied", "workspace-ok", "tmp-ok", "home-ok", "su-denied"):
        assert f"\n{marker}" in "\n" + out, marker
    # The file written inside is on the host, in the user's directory, owned by uid 1000.
    made = rt.workspace(name) / "projects" / "p1" / "ok"
    assert made.exists() and made.stat().st_uid == 1000

    attrs = docker.from_env().containers.get(container_name(name)).attrs
    host, config = attrs["HostConfig"], attrs["Config"]
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["Memory"] == 256 * MiB and host["MemorySwap"] == 256 * MiB
    assert host["NanoCpus"] == 500_000_000 and host["PidsLimit"] == 64
    assert host["ReadonlyRootfs"] is True and not host["Privileged"]
    assert config["User"] == "1000:1000"
    assert config["Labels"]["autocode.user"] == name
    binds = [(m["Type"], m["Source"], m["Destination"]) for m in attrs["Mounts"]]
    assert binds == [("bind", str(rt.workspace(name).resolve()), "/workspace")]


def test_limits_are_enforced(drt: Callable[..., DockerRuntime]) -> None:
    name = user()
    rt = drt(name, memory="128m", pids=40)
    forks = run_script(
        rt,
        name,
        "forks",
        """python3 - <<'EOF'
import os, time
kids, failed = [], 0
for _ in range(80):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(f"forks ok={len(kids)} failed={failed}")
EOF""",
    )
    line = next((x for x in forks.splitlines() if x.startswith("forks ok=")), forks)
    ok, failed = (int(part.split("=")[1]) for part in line.split()[1:])
    assert ok < 40 and failed > 0
    memory = run_script(rt, name, "memory", "python3 -c 'b = bytearray(400 * 1024 * 1024); print(len(b))'; echo rc=$?")
    assert "rc=137" in memory and "419430400" not in memory  # killed by the OOM killer


def test_only_the_users_directory_is_mounted(drt: Callable[..., DockerRuntime]) -> None:
    alice, bob = user(), user()
    rt_a, rt_b = drt(alice), drt(bob)
    run_script(rt_a, alice, "write", "echo private > /workspace/projects/p1/alice-only.txt")
    assert (rt_a.workspace(alice) / "projects" / "p1" / "alice-only.txt").exists()
    out = run_script(
        rt_b, bob, "look", "echo found=$(find / -name alice-only.txt 2>/dev/null | wc -l); ls /workspace/projects"
    )
    assert "found=0" in out
    with pytest.raises(ValueError):
        rt_b.create_session(bob, "x", window="w", command=None, cwd=rt_a.workspace(alice) / "projects" / "p1")


def test_container_is_reused_restarted_and_upgraded(
    drt: Callable[..., DockerRuntime], request: pytest.FixtureRequest
) -> None:
    name = user()
    client = docker.from_env()
    tag = f"autocode-workspace:test-{uuid.uuid4().hex[:8]}"
    rt = drt(name, image=tag)
    try:
        client.images.get(request.getfixturevalue("workspace_image")).tag(tag)
        rt.ensure_user(name)
        first = client.containers.get(container_name(name)).id
        rt.ensure_user(name)
        assert client.containers.get(container_name(name)).id == first
        rt.stop_user(name)
        assert client.containers.get(container_name(name)).status == "exited"
        rt.ensure_user(name)
        found = client.containers.get(container_name(name))
        assert found.id == first and found.status == "running"
        # A new image under the same tag: a running container is kept, a stopped one replaced.
        newer = found.commit(repository=tag.split(":")[0], tag=tag.split(":")[1])
        rt.ensure_user(name)
        assert client.containers.get(container_name(name)).id == first
        rt.stop_user(name)
        rt.ensure_user(name)
        replaced = client.containers.get(container_name(name))
        assert replaced.id != first and replaced.image is not None
        assert replaced.image.id == newer.id
    finally:
        rt.remove_user(name)
        client.images.remove(tag, force=True)


def test_a_container_of_another_data_dir_is_refused(
    drt: Callable[..., DockerRuntime], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    name = user()
    drt(name).ensure_user(name)
    other = DockerRuntime(data_dir=tmp_path / "other", image=request.getfixturevalue("workspace_image"))
    with pytest.raises(CommandFailed, match="another data dir"):
        other.ensure_user(name)


def test_idle_containers_are_stopped(drt: Callable[..., DockerRuntime]) -> None:
    idle, busy = user(), user()
    rt = drt(idle)
    drt(busy)
    rt.create_session(
        idle, session_name(idle, "p1"), window="w", command=["sleep", "300"], cwd=rt.workspace(idle) / "projects" / "p1"
    )
    rt.create_session(
        busy, session_name(busy, "p1"), window="w", command=["sleep", "300"], cwd=rt.workspace(busy) / "projects" / "p1"
    )
    eventually(lambda: (rt.idle_seconds(idle) or 0) > 2.5, timeout=15, interval=0.25)
    rt.capture(busy, target(session_name(busy, "p1"), "w"))  # the busy user is in use
    assert rt.stop_idle_users(2.0) == [idle]
    assert not rt.user_is_up(idle) and rt.user_is_up(busy)
    assert rt.idle_seconds(idle) is None


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello-from-host"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def host_server() -> Iterator[Callable[[str], int]]:
    """Start HTTP servers on the host on a given address; return their port."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def _start(address: str) -> int:
        server = http.server.ThreadingHTTPServer((address, 0), _Hello)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield _start
    for server in servers:
        server.shutdown()
        server.server_close()


FETCH = (
    "python3 -c 'import sys, urllib.request\n"
    'try: print("got=" + urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())\n'
    'except Exception as e: print("failed=" + type(e).__name__)\' '
)


def test_networks_reach_the_host(drt: Callable[..., DockerRuntime], host_server: Callable[[str], int]) -> None:
    loopback = host_server("127.0.0.1")
    everywhere = host_server("0.0.0.0")
    # Host network: a model endpoint on the host's 127.0.0.1 is reachable as is.
    on_host = user()
    out = run_script(drt(on_host, network="host"), on_host, "net", FETCH + f"http://127.0.0.1:{loopback}/")
    assert "got=hello-from-host" in out
    # The user's own network (default): the host (host.docker.internal) is walled off...
    walled = user()
    out = run_script(drt(walled), walled, "net", FETCH + f"http://host.docker.internal:{everywhere}/")
    assert "got=" not in out and "failed=URLError" in out
    # ...except the ports the admin allows (a model gateway on the host), for services bound
    # beyond loopback; the host's 127.0.0.1 stays out of reach.
    bridged = user()
    out = run_script(
        drt(bridged, egress_allow=[f"host-gateway:{everywhere}"]),
        bridged,
        "net",
        FETCH + f"http://host.docker.internal:{everywhere}/\n" + FETCH + f"http://host.docker.internal:{loopback}/",
    )
    assert "got=hello-from-host" in out and "failed=URLError" in out


def test_ensure_docker_script_is_idempotent() -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "ensure-docker.sh"
    proc = subprocess.run([str(script)], capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "starting dockerd" not in proc.stderr
