"""Which repository addresses a project may be cloned from (pure: a function of its inputs).

A clone runs `git clone -- URL .` inside the user's environment, so the address is the only
thing a user chooses. Allowed: https://, ssh:// (and scp-like `user@host:path`) and git://.
Refused: local paths, file://, ext:: and every other transport helper, anything that reads
as an option, credentials in the address (they would land in logs and in .git/config), and,
in production, addresses that name a private, loopback or link-local host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

MAX_URL = 2000
Scheme = Literal["https", "ssh", "git"]

# scp-like ssh: `[user@]host:path`, where host has no slash and path does not start with `/`
# twice (git reads `host:/abs` too). The user part is a login name, never a password.
_SCP = re.compile(
    r"^(?:(?P<user>[A-Za-z0-9._-]{1,64})@)?(?P<host>[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\]):(?P<path>[^:\s][^\s]*)$"
)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$"
)
_SSH_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class GitUrlRefused(ValueError):
    """The address may not be cloned; the message says why, in words a user understands."""


@dataclass(frozen=True)
class GitUrl:
    url: str  # exactly what git is given
    scheme: Scheme
    host: str

    @property
    def uses_ssh(self) -> bool:
        return self.scheme == "ssh"


def check_git_url(raw: str, *, production: bool) -> GitUrl:
    """The address, checked; raise GitUrlRefused with the reason otherwise."""
    url = raw.strip()
    if not url:
        raise GitUrlRefused("The repository address is empty")
    if len(url) > MAX_URL:
        raise GitUrlRefused(f"The repository address is longer than {MAX_URL} characters")
    if url.startswith("-"):
        raise GitUrlRefused("The repository address must not start with '-' (it would read as an option)")
    if re.match(r"^[A-Za-z0-9+.-]*::", url):
        # `ext::sh -c ...`, `fd::3`, `<helper>::<address>`: git would run a transport helper.
        raise GitUrlRefused("Transport helpers (such as ext::) are not allowed; use https://, ssh:// or git://")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise GitUrlRefused("The repository address must not contain spaces or control characters")
    if "://" in url:
        return _with_scheme(url, production=production)
    match = _SCP.fullmatch(url)
    if match is None or url.startswith((".", "/", "~")):
        raise GitUrlRefused("Local paths cannot be cloned; use an https://, ssh:// or git:// address")
    host = match.group("host").strip("[]")
    _check_host(host, production=production)
    return GitUrl(url=url, scheme="ssh", host=host.lower())


def _with_scheme(url: str, *, production: bool) -> GitUrl:
    scheme_part = url.split("://", 1)[0].lower()
    if scheme_part == "file":
        raise GitUrlRefused("file:// addresses are not allowed: the repository must be on a server")
    if scheme_part in ("http",):
        raise GitUrlRefused("Plain http:// is not allowed; use https://")
    if scheme_part not in ("https", "ssh", "git"):
        raise GitUrlRefused(f"The scheme '{scheme_part}' is not allowed; use https://, ssh:// or git://")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise GitUrlRefused(f"The repository address is not a valid URL ({exc})") from None
    if parts.password is not None or (parts.username is not None and scheme_part != "ssh"):
        raise GitUrlRefused(
            "Credentials in the address are not allowed (they would be stored and logged);"
            " use an ssh:// address with your deploy key for private repositories"
        )
    if parts.username is not None and not _SSH_USER.fullmatch(parts.username):
        raise GitUrlRefused("The ssh user name in the address is not valid")
    host = parts.hostname or ""
    if not host:
        raise GitUrlRefused("The repository address has no host")
    if port == 0:
        raise GitUrlRefused("The port in the repository address is not valid")
    if not parts.path.strip("/"):
        raise GitUrlRefused("The repository address has no repository path")
    _check_host(host, production=production)
    scheme: Scheme = "https" if scheme_part == "https" else "ssh" if scheme_part == "ssh" else "git"
    return GitUrl(url=url, scheme=scheme, host=host.lower())


def _check_host(host: str, *, production: bool) -> None:
    address = _as_address(host)
    if address is None:
        if not _HOSTNAME.fullmatch(host) or host.startswith("-"):
            raise GitUrlRefused("The host of the repository address is not valid")
        name = host.lower().rstrip(".")
        if production and (name in _LOCAL_NAMES or name.endswith(".localhost")):
            raise GitUrlRefused("Repositories on this server itself (localhost) cannot be cloned")
        return
    if production and not address.is_global:
        raise GitUrlRefused(
            f"The address {address} is private, loopback or link-local: only public repositories can be cloned"
        )


def is_local_host(host: str) -> bool:
    """Whether a host names this server or a private, loopback or link-local address, literally
    (the rule production applies to every address a user makes the server connect to)."""
    address = _as_address(host)
    if address is None:
        name = host.lower().rstrip(".")
        return name in _LOCAL_NAMES or name.endswith(".localhost")
    return not address.is_global


def _as_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host names literally, including the forms inet_aton reads
    (`2130706433`, `0x7f.1`, `127.1`), which a dotted-quad check alone would miss."""
    text = host.strip("[]")
    try:
        found = ipaddress.ip_address(text)
        if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
            return found.ipv4_mapped
        return found
    except ValueError:
        pass
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(re.fullmatch(r"(?:0[xX][0-9A-Fa-f]*|[0-9]+)", p) for p in parts):
        return None
    try:
        numbers = [
            int(p, 16) if p.lower().startswith("0x") else int(p, 8) if len(p) > 1 and p.startswith("0") else int(p)
            for p in parts
        ]
    except ValueError:
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def redact(text: str) -> str:
    """Text with any `user:password@` of an address in it masked (for logs and errors)."""
    return re.sub(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*:[^/\s@]*@", r"\g<scheme>***@", text)
