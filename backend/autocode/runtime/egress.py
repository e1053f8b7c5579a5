"""The egress firewall of a user's container: what it may reach (pure: rules as text, no I/O).

A user's container reaches DNS and the public internet, and nothing private: not the cloud
metadata address, not the host (its gateway address or its own addresses), not other containers,
not the private ranges, except the destinations the admin allows
(`AUTOCODE_CONTAINER_EGRESS_ALLOW`). The rules go into the container's own network namespace,
installed by a short-lived helper container; the user's container has no capabilities, so
nothing inside it can change them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from autocode.core.config import HOST_GATEWAY as HOST_GATEWAY
from autocode.core.config import Allow as Allow
from autocode.core.config import parse_allow as parse_allow

# Everything that is not the public internet: private, shared (CGNAT), link-local (cloud
# metadata), loopback, "this network", benchmarking, multicast and reserved.
PRIVATE_V4 = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
)


def rules_v4(*, gateway: str, nameservers: Sequence[str], host_addresses: Sequence[str], allow: Sequence[Allow]) -> str:
    """`iptables-restore` input for the container's namespace (filter table only)."""
    lines = [
        "*filter",
        ":INPUT ACCEPT [0:0]",
        ":FORWARD DROP [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        # Docker's embedded DNS (127.0.0.11) and the container's own services.
        "-A OUTPUT -o lo -j ACCEPT",
    ]
    # Docker's DNS server forwards from inside this namespace to the host's resolvers, which
    # are often private addresses (10.x on cloud VMs): port 53 to those stays open.
    for ns in _ipv4s(nameservers):
        for proto in ("udp", "tcp"):
            lines.append(f"-A OUTPUT -d {ns}/32 -p {proto} -m {proto} --dport 53 -j ACCEPT")
    for item in allow:
        port = f" -p tcp -m tcp --dport {item.port}" if item.port is not None else ""
        lines.append(f"-A OUTPUT -d {item.destination(gateway)}{port} -j ACCEPT")
    blocked = [f"{gateway}/32", *(f"{a}/32" for a in _ipv4s(host_addresses)), *PRIVATE_V4]
    for dest in dict.fromkeys(blocked):
        lines.append(f"-A OUTPUT -d {dest} -p tcp -j REJECT --reject-with tcp-reset")
        lines.append(f"-A OUTPUT -d {dest} -j REJECT --reject-with icmp-admin-prohibited")
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def rules_v6() -> str:
    """`ip6tables-restore` input: the per-user networks are IPv4 only, so nothing but loopback."""
    return (
        "\n".join(
            [
                "*filter",
                ":INPUT ACCEPT [0:0]",
                ":FORWARD DROP [0:0]",
                ":OUTPUT DROP [0:0]",
                "-A OUTPUT -o lo -j ACCEPT",
                "COMMIT",
            ]
        )
        + "\n"
    )


def nameservers(resolv_conf: str) -> list[str]:
    """The IPv4 nameservers of a resolv.conf text."""
    found = [
        line.split()[1]
        for line in resolv_conf.splitlines()
        if line.strip().startswith("nameserver") and len(line.split()) > 1
    ]
    return _ipv4s(found)


def _ipv4s(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            out.append(str(ipaddress.IPv4Address(value)))
        except ValueError:
            continue
    return out
