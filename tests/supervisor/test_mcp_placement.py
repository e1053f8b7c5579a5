"""Where an agent template's MCP servers run and what they may reach (pure rules, a table)."""

from __future__ import annotations

import pytest

from autocode.supervisor import mcp

DOCKER = mcp.Placement(
    kind="docker", container="autocode-brain-u", user="1000:1000", workdir="/workspace/projects/shop"
)
LOCAL = mcp.Placement(kind="local", host_commands=frozenset({"/usr/bin/python3"}))


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.8.9.1", False),
        ("::1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("fd00::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("not-an-ip", False),
    ],
)
def test_address_allowed(address: str, ok: bool) -> None:
    assert mcp.address_allowed(address) is ok


def test_admin_networks_are_allowed() -> None:
    nets = mcp.networks(["10.0.5.0/24"])
    assert mcp.address_allowed("10.0.5.7", nets)
    assert not mcp.address_allowed("10.0.6.7", nets)


def test_docker_runs_commands_in_the_users_container() -> None:
    specs, refused = mcp.place(
        {"x": {"command": "sh", "args": ["-c", "touch /tmp/m"], "env": {"TOKEN": "s3cret"}, "cwd": "/etc"}}, DOCKER
    )
    assert refused == {}
    spec = specs["x"]
    assert spec["command"] == "docker"
    assert spec["args"] == [
        "exec",
        "-i",
        "-u",
        "1000:1000",
        "-w",
        "/workspace/projects/shop",
        "-e",
        "TOKEN",
        "autocode-brain-u",
        "sh",
        "-c",
        "touch /tmp/m",
    ]
    assert "s3cret" not in " ".join(spec["args"])  # values only in the docker client's environment
    assert spec["env"] == {"TOKEN": "s3cret"} and "cwd" not in spec


def test_local_refuses_commands_not_listed() -> None:
    specs, refused = mcp.place(
        {
            "a": {"command": "sh", "args": ["-c", "id"]},
            "b": {"command": "/usr/bin/python3", "args": ["srv.py"]},
            "c": {"command": "python3"},
        },
        LOCAL,
    )
    assert set(specs) == {"b"} and set(refused) == {"a", "c"}
    assert "AUTOCODE_MCP_HOST_COMMANDS" in refused["a"]


@pytest.mark.parametrize(
    ("url", "resolved", "ok"),
    [
        ("https://mcp.example.com/sse", ["93.184.216.34"], True),
        ("https://mcp.example.com/sse", ["93.184.216.34", "10.0.0.1"], False),  # any private address refuses
        ("http://rebind.example/mcp", ["127.0.0.1"], False),
        ("http://169.254.169.254/latest", [], False),
        ("http://[::1]:8000/mcp", [], False),
        ("http://localhost:8000/mcp", ["127.0.0.1"], False),
        ("http://8.8.8.8/mcp", [], True),
        ("file:///etc/passwd", [], False),
        ("ftp://example.com/x", ["93.184.216.34"], False),
    ],
)
def test_url_servers_reach_public_addresses_only(url: str, resolved: list[str], ok: bool) -> None:
    placement = mcp.Placement(kind="docker", resolve=lambda host: resolved)
    specs, refused = mcp.place({"u": {"url": url, "type": "streamableHttp"}}, placement)
    assert (set(specs) == {"u"}) is ok, refused


@pytest.mark.parametrize(
    ("spec", "runtime", "strict", "ok"),
    [
        ({"url": "http://127.0.0.1:8000/mcp"}, "docker", False, False),
        ({"url": "http://169.254.169.254/"}, "docker", False, False),
        ({"url": "http://[fd00::1]/"}, "docker", False, False),
        ({"url": "http://localhost/"}, "docker", False, False),
        ({"url": "https://mcp.example.com/"}, "docker", False, True),  # names are resolved when connecting
        ({"command": "sh", "args": ["-c", "id"]}, "docker", True, True),  # runs in the user's container
        ({"command": "sh", "args": ["-c", "id"]}, "local", True, False),  # would run on the host
        ({"command": "/usr/bin/python3"}, "local", True, True),  # the admin listed it
        ({"command": "sh"}, "local", False, True),  # development: refused at start instead
        ({"command": "sh", "args": "-c id"}, "docker", False, False),
        ({"command": "sh", "env": {"A B": "x"}}, "docker", False, False),
        ({"nothing": 1}, "docker", False, False),
        ("sh -c id", "docker", False, False),
    ],
)
def test_check_spec(spec: object, runtime: str, strict: bool, ok: bool) -> None:
    try:
        mcp.check_spec(spec, runtime=runtime, host_commands=["/usr/bin/python3"], strict_local=strict)
    except mcp.Refused:
        assert not ok
    else:
        assert ok
