"""deploy/install.sh under a real systemd (PID 1 of a container), and a restart with a project running.

The image (Debian bookworm, systemd, the packages install.sh asks apt for) is built offline by
tests/deploy/systemd-image.sh and cached by content hash; Python packages come from a wheelhouse
built on this machine (cached by pyproject.toml's hash), so the container needs no network.
The project runs on the local runtime as the admin (docker-in-docker would need a privileged
container this machine refuses); Claude Code is a stand-in that idles, since this test is about
the service, not the model. Fails (never skips) when Docker is missing: it is a must-show.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.deploy.conftest import REPO

IMAGE_SCRIPT = REPO / "tests" / "deploy" / "systemd-image.sh"
CACHE = Path("/var/cache/autocode/systemd-test")
SECURITY_DOC = REPO / "docs" / "security.md"
pytestmark = pytest.mark.docker

# Claude Code's stand-in: shows a line and idles, as an agent thinking would.
FAKE_CLAUDE = "#!/bin/sh\necho 'stand-in for Claude Code (systemd test)'\nexec sleep 3600\n"

# Runs inside the container with the installed venv: the public API on 127.0.0.1:8000.
DRIVER = r"""
import json, sys, time, urllib.request

BASE = "http://127.0.0.1:8000"

def call(method, path, body=None, token=None):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        data = r.read()
        return json.loads(data) if data else None

verb = sys.argv[1]
if verb == "health":
    print(json.dumps(call("GET", "/api/health")))
elif verb == "start":
    token = call("POST", "/api/auth/login", {"username": "admin", "password": sys.argv[2]})["access_token"]
    call("POST", "/api/keys", {"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef",
                               "base_url": "http://127.0.0.1:9"}, token)
    agent = call("POST", "/api/agents", {"name": "Dev", "model": "anthropic/claude-test"}, token)
    project = call("POST", f"/api/agents/{agent['id']}/projects",
                   {"name": "Shop", "implementation_plan": [{"title": "Build the shop"}]}, token)
    call("POST", f"/api/projects/{project['id']}/start", None, token)
    print(json.dumps({"id": project["id"], "token": token}))
elif verb == "project":
    print(json.dumps(call("GET", f"/api/projects/{sys.argv[3]}", None, sys.argv[2])))
"""


def docker(
    *args: str, timeout: float = 120, check: bool = True, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        ["docker", *args], input=None if stdin is None else stdin, capture_output=True, timeout=timeout, check=False
    )
    out = subprocess.CompletedProcess(
        r.args, r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    )
    if check and r.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)[:200]} failed ({r.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        )
    return out


def wheelhouse() -> Path:
    """Wheels of AutoCode's dependencies (and setuptools), built here once per pyproject.toml."""
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    target = CACHE / f"wheels-{key}"
    if (target / ".done").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    # The dependencies only (install.sh builds AutoCode itself from the copied source).
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(target), "setuptools>=68", "wheel", *deps],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (target / ".done").touch()
    return target


def checkout_tar() -> bytes:
    """The checkout as git sees it (tracked and new files, nothing ignored), as a tar stream."""
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "-co", "--exclude-standard"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    existing = b"\0".join(f for f in files.split(b"\0") if f and (REPO / f.decode()).exists())
    return subprocess.run(
        ["tar", "-C", str(REPO), "--null", "-T", "-", "-c"],
        input=existing,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout


@pytest.fixture(scope="module")
def machine() -> Iterator[str]:
    if shutil.which("docker") is None:
        pytest.fail("docker is missing: the live systemd test needs it (scripts/test.sh installs it)")
    ensure = subprocess.run(
        ["bash", str(REPO / "scripts" / "ensure-docker.sh")], capture_output=True, text=True, timeout=120, check=False
    )
    assert ensure.returncode == 0, ensure.stderr[-3000:]
    build = subprocess.run(["sh", str(IMAGE_SCRIPT)], capture_output=True, text=True, timeout=900, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    image = build.stdout.strip().splitlines()[-1]
    wheels = wheelhouse()
    name = f"autocode-systemd-{uuid.uuid4().hex[:8]}"
    try:
        # --privileged is refused on this machine; this is what systemd as PID 1 needs.
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--hostname",
            "autocode-vps",
            "--cap-add",
            "SYS_ADMIN",
            "--security-opt",
            "seccomp=unconfined",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:ro",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "-v",
            f"{wheels}:/wheels:ro",
            "-e",
            "container=docker",
            image,
            "/sbin/init",
        )

        def booted() -> bool:
            state = docker("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
            return state in ("running", "degraded")

        wait_until(booted, timeout=60, interval=0.5)
        yield name
    finally:
        if docker("inspect", name, check=False).returncode == 0:
            print(docker("exec", name, "journalctl", "-u", "autocode", "-n", "80", "--no-pager", check=False).stdout)
            print(
                docker(
                    "exec",
                    name,
                    "sh",
                    "-c",
                    "ps -eo pid,user,args; tail -n 40 /data/run/projects/*/supervisor.log",
                    check=False,
                ).stdout
            )
        docker("rm", "-f", name, check=False)


def sh(name: str, script: str, timeout: float = 60, check: bool = True) -> str:
    return docker("exec", name, "sh", "-c", script, timeout=timeout, check=check).stdout


def processes(name: str) -> dict[int, str]:
    out = sh(name, "ps -eo pid=,args=")
    found: dict[int, str] = {}
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        found[int(pid)] = args.strip()
    return found


def test_install_then_restart_with_a_project_running(machine: str) -> None:
    name = machine
    started = time.monotonic()
    docker(
        "exec",
        "-i",
        name,
        "sh",
        "-c",
        "mkdir -p /root/autocode && tar -C /root/autocode -x",
        stdin=checkout_tar(),
        timeout=120,
    )
    sh(name, f"cat > /usr/local/bin/claude <<'EOF'\n{FAKE_CLAUDE}EOF\nchmod 755 /usr/local/bin/claude")
    docker("exec", "-i", name, "sh", "-c", "cat > /root/driver.py", stdin=DRIVER.encode())
    # The real script as an admin runs it, offline: apt's packages are in the image, Python's come
    # from the wheelhouse, the PWA and the npm CLI are skipped. --local: no Docker in here.
    install = docker(
        "exec",
        "-e",
        "PIP_NO_INDEX=1",
        "-e",
        "PIP_FIND_LINKS=/wheels",
        name,
        "bash",
        "/root/autocode/deploy/install.sh",
        "--domain",
        "localhost",
        "--skip-apt",
        "--skip-npm",
        "--local",
        timeout=600,
    )
    password = re.search(r"^\s*password: (\S+)", install.stdout, re.M)
    assert password, install.stdout[-3000:]
    installed_in = time.monotonic() - started

    def health() -> dict[str, object]:
        out = docker("exec", name, "/opt/autocode/.venv/bin/python", "/root/driver.py", "health", check=False)
        return json.loads(out.stdout) if out.returncode == 0 else {}

    assert wait_until(health, timeout=30, interval=0.5)["status"] == "ok"
    assert sh(name, "systemctl show autocode -p KillMode --value").strip() == "process"
    assert sh(name, "systemctl is-active autocode").strip() == "active"
    assert sh(name, "stat -c %a /etc/autocode/autocode.env").strip() == "640"

    out = docker("exec", name, "/opt/autocode/.venv/bin/python", "/root/driver.py", "start", password.group(1)).stdout
    started_project = json.loads(out)
    pid, token = str(started_project["id"]), str(started_project["token"])

    def project() -> dict[str, object]:
        result: dict[str, object] = json.loads(
            docker("exec", name, "/opt/autocode/.venv/bin/python", "/root/driver.py", "project", token, pid).stdout
        )
        return result

    def survivors() -> dict[str, int] | None:
        procs = processes(name)
        sup = [p for p, a in procs.items() if "-m autocode.supervisor" in a]
        tmux = [p for p, a in procs.items() if a.split(" ")[0].endswith("/tmux") and "/data/run/tmux/admin.sock" in a]
        claude = [p for p, a in procs.items() if a.startswith("sleep 3600")]
        if len(sup) == 1 and tmux and claude:
            return {"supervisor": sup[0], "tmux": tmux[0], "claude": claude[0]}
        return None

    before = wait_until(survivors, timeout=60, interval=0.5)
    assert project()["status"] in ("running", "planning")
    main_before = sh(name, "systemctl show autocode -p MainPID --value").strip()

    sh(name, "systemctl restart autocode", timeout=90)
    assert wait_until(health, timeout=30, interval=0.5)["status"] == "ok"
    main_after = sh(name, "systemctl show autocode -p MainPID --value").strip()
    assert main_after != main_before
    # The supervisor, the user's tmux server and what runs in it lived through the restart,
    # still in the service's cgroup, and the new server re-adopted the project (the watchdog
    # would have marked a lost supervisor crashed and started another one).
    time.sleep(5)  # two watchdog rounds of the new server (it runs every 2 s)
    assert survivors() == before
    cgroup = sh(name, f"cat /proc/{before['supervisor']}/cgroup")
    assert "autocode.service" in cgroup, cgroup
    assert project()["status"] in ("running", "planning")

    # The hardening as systemd applies it here, recorded in docs/security.md.
    report = sh(name, "systemd-analyze security autocode.service --no-pager", check=False)
    match = re.search(r"Overall exposure level for autocode\.service: ([0-9.]+)", report)
    assert match, report
    print(
        f"installed in {installed_in:.0f}s, whole test {time.monotonic() - started:.0f}s, "
        f"systemd-analyze security: {match.group(1)}"
    )
    recorded = re.search(r"Overall exposure level for autocode\.service: ([0-9.]+)", SECURITY_DOC.read_text())
    assert recorded and recorded.group(1) == match.group(1), (
        f"docs/security.md should record the live score {match.group(1)}:\n{report}"
    )
