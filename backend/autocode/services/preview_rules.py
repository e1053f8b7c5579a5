"""What the live preview decides, as pure functions: host names, the address to dial, headers.

A preview is one listening port of one project, served by the platform's preview server on a
host of its own (`p{project}-{port}.<preview domain>`), so two previews never share an origin and
none shares the app's.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from autocode.core.config import check_template as check_template

COOKIE = "autocode_preview"
TOKEN_PARAM = "autocode_preview_token"
_LABEL = re.compile(r"^p([1-9][0-9]{0,18})-([1-9][0-9]{0,4})$")
# Hop-by-hop headers (RFC 9110 7.6.1) and what the proxy sets itself.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)


def label(project_id: int, port: int) -> str:
    """The host label of one preview."""
    return f"p{project_id}-{port}"


def parse_host(host: str) -> tuple[int, int] | None:
    """(project id, port) named by a request's Host header, or None."""
    first = host.strip().lower().split(".", 1)[0]
    match = _LABEL.fullmatch(first)
    if not match:
        return None
    project_id, port = int(match.group(1)), int(match.group(2))
    if not 1 <= port <= 65535 or project_id > 2**63 - 1:
        return None
    return project_id, port


def origin(template: str, project_id: int, port: int) -> str:
    """The preview's origin, e.g. http://p3-5173.localhost:8001."""
    return template.rstrip("/").replace("{name}", label(project_id, port))


def secure_context(template: str) -> bool:
    """Whether browsers treat the preview origin as secure (https, or a localhost name)."""
    parts = urlsplit(template.replace("{name}", "pname"))
    host = parts.hostname or ""
    return parts.scheme == "https" or host == "localhost" or host.endswith(".localhost")


def cookie_header(value: str, *, max_age: int, secure: bool) -> str:
    """The preview cookie: HttpOnly, host-only (per preview), short-lived.

    The preview usually shows in a frame of the app, another site in the embedded default:
    only a partitioned cookie (CHIPS) is kept there, which needs Secure (fine on https and on
    *.localhost). Over plain http elsewhere it can only be Lax (a top-level tab works)."""
    base = f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly"
    return f"{base}; Secure; SameSite=None; Partitioned" if secure else f"{base}; SameSite=Lax"


def dial_address(listening: Iterable[str]) -> str | None:
    """The loopback address to reach a port bound on these addresses, or None (never another)."""
    choices: list[str] = []
    for raw in listening:
        text = raw.strip().strip("[]")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_unspecified:
            choices.append("127.0.0.1" if address.version == 4 else "::1")
        elif address.is_loopback:
            choices.append(str(address))
    if not choices:
        return None
    # IPv4 first: "::" often accepts IPv4 as well, and 127.0.0.1 is what most servers expect.
    return sorted(choices, key=lambda a: (":" in a, a))[0]


def strip_cookie(header: bytes) -> bytes | None:
    """A Cookie header without the preview's own cookie (None when nothing is left)."""
    kept = [
        part.strip()
        for part in header.split(b";")
        if part.strip() and part.strip().split(b"=", 1)[0].strip() != COOKIE.encode()
    ]
    return b"; ".join(kept) if kept else None


def read_cookie(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The preview cookie's value in a request's headers."""
    for name, value in headers:
        if name.lower() != b"cookie":
            continue
        for part in value.split(b";"):
            key, _, val = part.strip().partition(b"=")
            if key.strip() == COOKIE.encode() and val:
                return val.strip().decode("latin-1")
    return None


def upstream_headers(
    headers: Sequence[tuple[bytes, bytes]], *, port: int, public_host: str, scheme: str
) -> list[tuple[bytes, bytes]]:
    """Request headers for the previewed server: hop-by-hop and the preview cookie removed,
    Host as a local dev server expects it (dev servers refuse unknown hosts)."""
    out: list[tuple[bytes, bytes]] = [(b"host", f"localhost:{port}".encode())]
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_BY_HOP or lower.startswith(b"sec-websocket-") or lower.startswith(b"x-forwarded-"):
            continue
        if lower == b"cookie":
            rest = strip_cookie(value)
            if rest is not None:
                out.append((b"cookie", rest))
            continue
        out.append((lower, value))
    out.append((b"x-forwarded-host", public_host.encode("latin-1", "replace")))
    out.append((b"x-forwarded-proto", scheme.encode()))
    return out


def downstream_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Response headers for the browser: hop-by-hop removed, and no cookie the previewed app
    sets for a wider domain (it could reach the app's or another preview's host) or in the
    preview's own name."""
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_BY_HOP:
            continue
        if lower == b"set-cookie":
            attrs = [part.strip().lower() for part in value.split(b";")]
            if attrs[0].split(b"=", 1)[0].strip() == COOKIE.encode() or any(a.startswith(b"domain") for a in attrs[1:]):
                continue
        out.append((lower, value))
    return out
