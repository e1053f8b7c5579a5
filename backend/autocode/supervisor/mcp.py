"""Where an agent template's MCP servers may run and what they may reach.

The template (and so the command of a stdio server) is chosen by the user, who is not trusted
with the host. So:

- **docker runtime**: a stdio server runs inside the user's container, as the container's user,
  in the project folder: ``docker exec -i -u <uid>:<gid> -w /workspace/projects/<slug>
  [-e NAME ...] autocode-<user> <command> <args...>`` (an argument list, never a shell string;
  ``-e NAME`` takes the value from the docker client's environment, so values never appear on a
  command line).
- **local runtime**: there is no boundary, so a stdio server runs on the host only when the admin
  listed its exact absolute command in ``AUTOCODE_MCP_HOST_COMMANDS``; anything else is refused.
- **URL servers** (``sse``, ``streamableHttp``): only to public addresses. The host is resolved
  when the supervisor connects and every address must be global (no loopback, private, link-local
  (cloud metadata), CGNAT, unique-local, multicast or reserved address) unless the admin allowed
  its network in ``AUTOCODE_MCP_ALLOWED_NETWORKS``. Agent create/update refuses the URLs whose
  host is an address literal already (:func:`check_spec`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_URL_TYPES = ("sse", "streamableHttp")


class Refused(ValueError):
    """An MCP server that may not run or be reached; the message is for the user."""


@dataclass(frozen=True)
class Placement:
    """How this supervisor starts stdio MCP servers and which networks URL servers may reach."""

    kind: Literal["docker", "local"]
    container: str = ""
    user: str = ""  # "<uid>:<gid>" inside the container
    workdir: str = ""  # the project folder as the container sees it
    docker_cli: str = "docker"
    host_commands: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = ()
    resolve: Callable[[str], list[str]] | None = field(default=None, compare=False)


def placement_for(
    runtime: object, *, username: str, workdir: str, host_commands: Sequence[str], allowed_networks: Sequence[str]
) -> Placement:
    """The placement for a supervisor on this runtime (``workdir``: the project folder as the
    user's environment sees it)."""
    from autocode.runtime.docker import DockerRuntime, container_name

    nets = networks(allowed_networks)
    if isinstance(runtime, DockerRuntime):
        return Placement(
            kind="docker",
            container=container_name(username),
            user=f"{runtime.uid}:{runtime.gid}",
            workdir=workdir,
            docker_cli=runtime.docker_cli,
            allowed_networks=nets,
        )
    return Placement(kind="local", host_commands=frozenset(host_commands), allowed_networks=nets)


def networks(values: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def address_allowed(address: str, allowed: Sequence[Network] = ()) -> bool:
    """Whether an address is public (global unicast) or inside an admin-allowed network."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == net.version and ip in net for net in allowed):
        return True
    return ip.is_global and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


def _url_host(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("needs an http:// or https:// URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("has an invalid port") from None
    return parts.hostname, port


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _system_resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, placement: Placement) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address (connect time)."""
    host, _ = _url_host(url)
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
            raise Refused(f"{host} is this machine")
        try:
            addresses = (placement.resolve or _system_resolve)(host)
        except OSError as exc:
            raise Refused(f"{host} does not resolve: {exc}") from None
        if not addresses:
            raise Refused(f"{host} does not resolve")
    for address in addresses:
        if not address_allowed(address, placement.allowed_networks):
            raise Refused(
                f"{host} is a private, local or reserved address ({address}); "
                "the admin can allow its network with AUTOCODE_MCP_ALLOWED_NETWORKS"
            )


def _kind(spec: Mapping[str, Any]) -> str:
    declared = spec.get("type")
    if declared in _URL_TYPES or (declared is None and spec.get("url") and not spec.get("command")):
        return "url"
    if declared in (None, "stdio") and spec.get("command"):
        return "stdio"
    raise Refused("needs a 'command' (stdio) or a 'url' (sse, streamableHttp)")


def _strings(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refused(f"'{what}' must be a list of strings")
    return list(value)


def _env(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise Refused("'env' must map names to strings")
    for name in value:
        if not _ENV_NAME.fullmatch(name):
            raise Refused(f"'env' has an invalid variable name: {name[:40]!r}")
    return dict(value)


def check_spec(
    spec: object,
    *,
    runtime: str,
    host_commands: Sequence[str] = (),
    allowed_networks: Sequence[Network] = (),
    strict_local: bool = False,
) -> None:
    """What can be refused when a template is saved (no name resolution, no I/O).

    ``strict_local``: under the local runtime refuse a command the admin has not listed (in
    production); otherwise such a server is accepted here and refused when the supervisor starts.
    """
    if not isinstance(spec, Mapping):
        raise Refused("must be an object")
    kind = _kind(spec)
    if kind == "url":
        url = spec.get("url")
        if not isinstance(url, str):
            raise Refused("'url' must be a string")
        host, _ = _url_host(url)
        literal = _literal(host)
        if literal is not None and not address_allowed(str(literal), allowed_networks):
            raise Refused(f"{host} is a private, local or reserved address: MCP servers must be public")
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise Refused(f"{host} is the server itself: MCP servers must be public")
        return
    command = spec.get("command")
    if not isinstance(command, str) or not command.strip() or "\x00" in command:
        raise Refused("'command' must be a program name or path")
    _strings(spec.get("args"), "args")
    _env(spec.get("env"))
    if runtime == "local" and strict_local and command not in host_commands:
        raise Refused(
            "commands would run on the server itself under the local runtime; "
            "the admin must list the exact command in AUTOCODE_MCP_HOST_COMMANDS"
        )


def place(servers: Mapping[str, Any], placement: Placement) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The servers nanobot may connect, rewritten to run where they must, and the refused ones.

    Returns ``(specs, refusals)``: specs keyed by server name (stdio commands wrapped in
    ``docker exec`` under docker), refusals mapping a server name to the reason.
    """
    out: dict[str, dict[str, Any]] = {}
    refused: dict[str, str] = {}
    for name, spec in servers.items():
        try:
            if not isinstance(spec, Mapping):
                raise Refused("must be an object")
            kind = _kind(spec)
            kept = {k: spec[k] for k in ("tool_timeout", "toolTimeout", "enabled_tools", "enabledTools") if k in spec}
            if kind == "url":
                url = str(spec.get("url"))
                check_url(url, placement)
                headers = spec.get("headers")
                out[name] = {
                    **kept,
                    "type": spec.get("type") or None,
                    "url": url,
                    "headers": dict(headers) if isinstance(headers, Mapping) else {},
                }
                if out[name]["type"] is None:
                    del out[name]["type"]
                continue
            command = str(spec.get("command"))
            args = _strings(spec.get("args"), "args")
            env = _env(spec.get("env"))
            if placement.kind == "docker":
                argv = ["exec", "-i", "-u", placement.user, "-w", placement.workdir]
                for key in sorted(env):
                    argv += ["-e", key]  # the value comes from the docker client's environment
                argv += [placement.container, command, *args]
                out[name] = {**kept, "type": "stdio", "command": placement.docker_cli, "args": argv, "env": env}
            else:
                if command not in placement.host_commands:
                    raise Refused(
                        f"the command {command!r} would run on the server itself (local runtime); "
                        "the admin can allow it with AUTOCODE_MCP_HOST_COMMANDS"
                    )
                out[name] = {**kept, "type": "stdio", "command": command, "args": args, "env": env}
        except Refused as exc:
            refused[name] = str(exc)
    return out, refused
