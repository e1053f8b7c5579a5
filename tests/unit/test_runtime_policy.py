"""The pure rules of services/runtime_policy.py and runtime/egress.py, by tables of cases."""

from __future__ import annotations

import ipaddress

import pytest

from autocode.runtime.egress import Allow, nameservers, parse_allow, rules_v4
from autocode.services.runtime_policy import may_reap, may_use_runtime


@pytest.mark.parametrize(
    ("environment", "runtime", "is_admin", "local_users", "allowed"),
    [
        ("development", "local", False, "admins", True),  # ./scripts/serve.sh: one person
        ("development", "local", True, "admins", True),
        ("production", "local", True, "admins", True),  # the admin is trusted
        ("production", "local", False, "admins", False),  # isolates nobody: refused
        ("production", "local", False, "all", True),  # the admin's explicit opt-in
        ("production", "docker", False, "admins", True),  # a container per user
        ("production", "docker", True, "admins", True),
        ("development", "docker", False, "all", True),
    ],
)
def test_who_may_use_the_runtime(
    environment: str, runtime: str, is_admin: bool, local_users: str, allowed: bool
) -> None:
    assert (
        may_use_runtime(environment=environment, runtime=runtime, is_admin=is_admin, local_users=local_users) is allowed
    )


@pytest.mark.parametrize(
    ("idle", "supervisors", "terminals", "reap"),
    [
        (None, 0, 0, False),  # not up: nothing to stop
        (10.0, 0, 0, False),  # within the limit
        (61.0, 0, 0, True),  # idle past the limit, nobody there
        (61.0, 1, 0, False),  # a supervisor works (its tmux calls are another process's)
        (9999.0, 2, 0, False),
        (61.0, 0, 1, False),  # someone watches a terminal
        (61.0, 1, 3, False),
        (60.0, 0, 0, False),  # exactly the limit is not past it
    ],
)
def test_when_the_reaper_may_stop_an_environment(
    idle: float | None, supervisors: int, terminals: int, reap: bool
) -> None:
    assert (
        may_reap(idle_seconds=idle, max_idle_seconds=60.0, live_supervisors=supervisors, open_terminals=terminals)
        is reap
    )


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("10.0.0.5/32", Allow(ipaddress.IPv4Network("10.0.0.5/32"), None)),
        ("10.0.0.5", Allow(ipaddress.IPv4Network("10.0.0.5/32"), None)),
        ("192.168.1.0/24:8080", Allow(ipaddress.IPv4Network("192.168.1.0/24"), 8080)),
        ("192.168.1.7/24", Allow(ipaddress.IPv4Network("192.168.1.0/24"), None)),  # host bits dropped
        ("host-gateway:4000", Allow(None, 4000)),
    ],
)
def test_egress_allow_entries(entry: str, parsed: Allow) -> None:
    assert parse_allow([entry]) == [parsed]


@pytest.mark.parametrize(
    "entry", ["host-gateway", "10.0.0.0/33", "example.com", "10.0.0.1:0", "10.0.0.1:70000", "::1", "", "fd00::/8"]
)
def test_bad_egress_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_allow([entry])


def test_rules_block_private_ranges_after_dns_and_allowed_destinations() -> None:
    text = rules_v4(
        gateway="172.18.0.1",
        nameservers=["10.255.255.53", "::1"],
        host_addresses=["203.0.113.5"],
        allow=parse_allow(["host-gateway:4000"]),
    )
    lines = text.splitlines()
    assert lines[0] == "*filter" and lines[-1] == "COMMIT"
    accept_dns = lines.index("-A OUTPUT -d 10.255.255.53/32 -p udp -m udp --dport 53 -j ACCEPT")
    accept_gateway = lines.index("-A OUTPUT -d 172.18.0.1/32 -p tcp -m tcp --dport 4000 -j ACCEPT")
    first_reject = next(i for i, line in enumerate(lines) if "REJECT" in line)
    assert accept_dns < first_reject and accept_gateway < first_reject
    rejected = {line.split()[3] for line in lines if "REJECT" in line}
    for dest in (
        "172.18.0.1/32",
        "203.0.113.5/32",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
    ):
        assert dest in rejected, dest
    # nothing else is accepted: the public internet passes by the chain's ACCEPT policy
    accepts = [line for line in lines if line.endswith("-j ACCEPT")]
    assert len(accepts) == 4 and "::1" not in text


def test_nameservers_of_resolv_conf() -> None:
    text = "# generated\nnameserver 10.255.255.53\nnameserver fe80::1\nsearch x\nnameserver 1.1.1.1\n"
    assert nameservers(text) == ["10.255.255.53", "1.1.1.1"]
