"""Finding 10 (network): users' containers shared one bridge, reaching each other, the host
gateway's services and the cloud metadata address.

Attack, from a user's own terminal on a production server with the docker runtime: connect to
another user's container (which listens), to 169.254.169.254, and to the AutoCode server's port
on the host gateway (the server listens on every address here, so only the firewall stands in the
way), then try to flush the firewall. All must fail; DNS resolves; the rules are in the
container's namespace, seen from the host.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, free_port
from tests.security.shell import collect, terminal

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker

# Typed into the terminal: prints "verdict <host>:<port> <outcome>" for each target. The word
# is assembled at run time so the echo of the typed line never matches.
PROBE = (
    "python3 -c 'import socket,sys\n"
    "for t in sys.argv[1:]:\n"
    ' h,p=t.rsplit(":",1); s=socket.socket(); s.settimeout(4)\n'
    ' try: s.connect((h,int(p))); r="CONNECTED"\n'
    " except Exception as e: r=type(e).__name__\n"
    ' print("ver"+"dict", t, r, flush=True)\n'
    "' "
)


def docker_json(*args: str) -> object:
    out = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def verdicts(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"verdict (\S+) (\w+)", text)}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    for script in (REPO / "scripts/ensure-docker.sh", REPO / "deploy/workspace/build-offline.sh"):
        proc = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=1200, check=False, env=dict(os.environ)
        )
        assert proc.returncode == 0, f"{script.name} failed:\n{proc.stderr[-3000:]}"
    data = tmp_path / "data"
    data.mkdir(parents=True)
    srv = ServerProcess(
        data,
        port=free_port(),
        env={
            "AUTOCODE_ENVIRONMENT": "production",
            "AUTOCODE_SECRET_KEY": "ops-f10-secret-" + "y" * 32,
            "AUTOCODE_COOKIE_SECURE": "false",
            "AUTOCODE_RUNTIME": "docker",
            # Listening beyond loopback, as a careless setup would: only the firewall protects it.
            "AUTOCODE_HOST": "0.0.0.0",
        },
    )
    try:
        yield srv, data
    finally:
        srv.stop()
        from autocode.runtime.docker import DockerRuntime

        rt = DockerRuntime(data_dir=data)
        for found in rt.client.containers.list(all=True, filters={"label": f"autocode.data={data}"}):
            rt.remove_user(str(found.labels.get("autocode.user")))


def test_a_users_container_reaches_no_private_address(platform: tuple[ServerProcess, Path]) -> None:
    srv, _data = platform
    tag = uuid.uuid4().hex[:6]
    admin = Api(srv.base, "admin", ADMIN_PASSWORD)
    alice, bob = admin.create_user(f"opsna{tag}"), admin.create_user(f"opsnb{tag}")
    a_project, b_project = alice.project(), bob.project()

    with terminal(srv, bob, b_project["id"]) as bob_ws, terminal(srv, alice, a_project["id"]) as ws:
        bob_ws.send(b"python3 -m http.server 8765 --bind 0.0.0.0 >/dev/null 2>&1 &\r")
        bob_ws.send(b"sleep 1; echo bob-listens-$((6*7))\r")
        assert "bob-listens-42" in collect(bob_ws, "bob-listens-42")

        containers = {
            name: docker_json("inspect", f"autocode-{name}")[0]  # type: ignore[index]
            for name in (alice.username, bob.username)
        }
        a_nets = containers[alice.username]["NetworkSettings"]["Networks"]
        b_nets = containers[bob.username]["NetworkSettings"]["Networks"]
        assert list(a_nets) == [f"autocode-net-{alice.username}"]
        assert list(b_nets) == [f"autocode-net-{bob.username}"]
        bob_ip = next(iter(b_nets.values()))["IPAddress"]
        gateway = next(iter(a_nets.values()))["Gateway"]
        net = docker_json("network", "inspect", f"autocode-net-{alice.username}")[0]  # type: ignore[index]
        assert net["Options"]["com.docker.network.bridge.enable_icc"] == "false"

        # Bob's server answers inside his own container (the target is real)...
        bob_ws.send(f"{PROBE} 127.0.0.1:8765\r".encode())
        assert verdicts(collect(bob_ws, r"verdict 127\.0\.0\.1:8765 \w+"))["127.0.0.1:8765"] == "CONNECTED"

        targets = [
            f"{bob_ip}:8765",
            "169.254.169.254:80",
            f"{gateway}:{srv.port}",
            f"host.docker.internal:{srv.port}",
            "10.0.0.1:80",
            "192.168.1.1:80",
        ]
        # ...and the user cannot lift the firewall first (no capability in the container).
        ws.send(b"iptables -F OUTPUT; echo flush-rc-$?\r")
        flush = collect(ws, r"flush-rc-\d+")
        assert re.search(r"flush-rc-[1-9]", flush), flush
        ws.send(f"{PROBE} {' '.join(targets)}; getent hosts deb.debian.org >/dev/null && echo dns-$((40+2))\r".encode())
        out = collect(ws, r"dns-42|verdict 192\.168\.1\.1:80 \w+.*\n.*\$", timeout=90)
        out += collect(ws, r"dns-42", timeout=10) if "dns-42" not in out else ""
        seen = verdicts(out)
        for target in targets:
            assert target in seen, (target, out[-2000:])
            assert seen[target] != "CONNECTED", (target, out[-2000:])
        assert "dns-42" in out, "DNS must keep working: " + out[-2000:]

    # The rules as the kernel holds them in Alice's namespace, read from the host.
    pid = str(containers[alice.username]["State"]["Pid"])
    rules = subprocess.run(
        ["nsenter", "-t", pid, "-n", "iptables", "-S", "OUTPUT"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert "-P OUTPUT ACCEPT" in rules  # the public internet stays open
    for blocked in (
        "169.254.0.0/16",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        f"{gateway}/32",
    ):
        assert f"-d {blocked} -j REJECT" in rules, (blocked, rules)
