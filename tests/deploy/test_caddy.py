"""deploy/Caddyfile on the real Caddy, in front of a real `autocode serve`."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.deploy.conftest import (
    ADMIN_PASSWORD,
    CADDYFILE,
    SITE_LINE,
    Response,
    Stack,
    caddy_bin,
    caddy_env,
    caddyfile_variant,
    changed_lines,
    fetch,
)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def login(stack: Stack) -> dict[str, Any]:
    r = fetch(
        stack.caddy_port,
        "POST",
        "/api/auth/login",
        body=json.dumps({"username": "admin", "password": ADMIN_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status == 200, r.body
    body: dict[str, Any] = json.loads(r.body)
    body["_set_cookie"] = r.header("set-cookie") or ""
    return body


def api(stack: Stack, method: str, path: str, token: str, payload: object | None = None) -> Response:
    headers = {"Authorization": f"Bearer {token}"}
    body = None
    if payload is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(payload).encode()
    return fetch(stack.caddy_port, method, path, body=body, headers=headers)


def csp_directives(value: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


# -- the file itself ----------------------------------------------------------------------


def test_test_variant_differs_from_production_only_in_the_site_address(stack: Stack) -> None:
    production = CADDYFILE.read_text()
    variant = stack.variant.read_text()
    assert changed_lines(production, variant) == [
        f"-{SITE_LINE}",
        f"+http://127.0.0.1:{stack.caddy_port} {{",
    ]
    assert caddyfile_variant(stack.caddy_port) == variant


def test_production_caddyfile_validates_and_adapts_as_intended(tmp_path: Path) -> None:
    env = caddy_env(tmp_path, AUTOCODE_DOMAIN="example.com")
    base = [caddy_bin()]
    validate = subprocess.run(
        [*base, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert validate.returncode == 0, validate.stderr
    assert "Valid configuration" in validate.stdout + validate.stderr

    fmt = subprocess.run([*base, "fmt", str(CADDYFILE)], env=env, capture_output=True, text=True, timeout=30)
    assert fmt.returncode == 0 and fmt.stdout == CADDYFILE.read_text(), "run `caddy fmt --overwrite`"

    adapted = subprocess.run(
        [*base, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    text = adapted.stdout
    # Defaults when nothing but the domain is set: every interface, the admin endpoint that
    # `systemctl reload caddy` talks to, the server on 127.0.0.1:8000, the installed PWA.
    assert config["admin"]["listen"] == "localhost:2019"
    servers = config["apps"]["http"]["servers"]
    assert [s["listen"] for s in servers.values()] == [[":443"]]
    assert '"host":["example.com"]' in text.replace(" ", "")
    assert '"dial":"127.0.0.1:8000"' in text.replace(" ", "")
    assert '"root":"/opt/autocode/frontend/dist"' in text.replace(" ", "")
    # HSTS is bound to HTTPS requests, and automatic HTTPS is on (no skip list, no `http://`).
    assert re.search(r'"Strict-Transport-Security".*?"protocol":\s*"https"', text, re.S)
    assert "automatic_https" not in text
    # Nothing in the production file points Caddy at a test-only setting.
    assert "127.0.0.1:2019" not in text and "off" != config["admin"]["listen"]


def test_production_caddyfile_refuses_to_load_without_a_domain(tmp_path: Path) -> None:
    # With AUTOCODE_DOMAIN unset the site address is empty: Caddy must not guess one.
    env = caddy_env(tmp_path)
    r = subprocess.run(
        [caddy_bin(), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert r.returncode != 0, r.stdout[:500]
    assert "server block without any key" in r.stderr, r.stderr


# -- through Caddy --------------------------------------------------------------------------


def test_caddy_listens_on_loopback_only(stack: Stack) -> None:
    ss = shutil.which("ss")
    if ss is None:
        pytest.fail("ss is not installed: apt-get install iproute2 (scripts/test.sh does)")
    out = subprocess.run([ss, "-Hltn", f"sport = :{stack.caddy_port}"], capture_output=True, text=True, timeout=10)
    local = [line.split()[3] for line in out.stdout.splitlines() if line.strip()]
    assert local == [f"127.0.0.1:{stack.caddy_port}"], out.stdout


def test_login_and_rest_calls_through_caddy(stack: Stack) -> None:
    session = login(stack)
    assert session["access_token"] and session["refresh_token"]
    assert "autocode_refresh=" in session["_set_cookie"]
    assert "Path=/api/auth" in session["_set_cookie"] and "HttpOnly" in session["_set_cookie"]

    me = api(stack, "GET", "/api/auth/me", session["access_token"])
    assert me.status == 200 and json.loads(me.body)["username"] == "admin"
    assert me.header("content-type") == "application/json"

    agent = api(
        stack,
        "POST",
        "/api/agents",
        session["access_token"],
        {"name": "Deployer", "model": "anthropic/claude-opus-4-6"},
    )
    assert agent.status == 201, agent.body
    listed = api(stack, "GET", "/api/agents", session["access_token"])
    assert listed.status == 200 and "Deployer" in listed.body.decode()

    # A missing token is the server's JSON 401, passed through untouched.
    anonymous = fetch(stack.caddy_port, "GET", "/api/auth/me")
    assert anonymous.status == 401 and anonymous.header("www-authenticate") == "Bearer"

    # Caddy tells the server who the client is (the login throttle counts per client).
    health = fetch(stack.caddy_port, "GET", "/api/health")
    assert health.status == 200 and json.loads(health.body)["status"] == "ok"


def test_spa_routes_fall_back_to_index_html(stack: Stack) -> None:
    index = (stack.dist.root / "index.html").read_bytes()
    for path in ("/", "/projects/12", "/agents/3/edit", "/index.html"):
        r = stack.get(path)
        assert r.status == 200, path
        assert r.body == index, path
        assert (r.header("content-type") or "").startswith("text/html"), path
        assert r.header("cache-control") == "no-cache", path


def test_unknown_api_paths_are_the_servers_json_404(stack: Stack) -> None:
    for path in ("/api/unknown", "/api/projects/12/nothing", "/api", "/ws/nothing"):
        r = stack.get(path)
        assert r.status == 404, path
        assert r.header("content-type") == "application/json", (path, r.headers)
        assert json.loads(r.body) == {"detail": "Not Found"}, path


def test_api_docs_and_openapi_are_not_served_in_production(stack: Stack) -> None:
    assert stack.get("/openapi.json").status == 404
    for path in ("/docs", "/docs/oauth2-redirect", "/redoc"):
        r = stack.get(path)
        # At most the PWA's own index.html (a client-side route); never Swagger UI or ReDoc,
        # whose pages load scripts from a CDN on this origin.
        assert b"swagger" not in r.body.lower() and b"redoc" not in r.body.lower(), path
        csp = csp_directives(r.header("content-security-policy") or "")
        assert csp.get("script-src") == ["'self'"], (path, csp)


def test_static_caching(stack: Stack) -> None:
    asset = stack.get(stack.dist.large_asset)
    assert asset.status == 200
    assert asset.header("cache-control") == "public, max-age=31536000, immutable"
    assert (asset.header("content-type") or "").startswith(("text/javascript", "application/javascript"))
    for path in ("/sw.js", "/manifest.webmanifest"):
        if (stack.dist.root / path.lstrip("/")).is_file():
            r = stack.get(path)
            assert r.status == 200 and r.header("cache-control") == "no-cache", path
    # A stale bundle name is a 404, never index.html cached for a year as JavaScript.
    missing = stack.get("/assets/app-000000.js")
    assert missing.status == 404 and b"<html" not in missing.body.lower()
    assert missing.header("cache-control") != "public, max-age=31536000, immutable"
    assert stack.get("/icons/nothing.png").status == 404


def test_security_headers(stack: Stack) -> None:
    for path in ("/", "/projects/12", stack.dist.large_asset, "/api/health", "/api/unknown"):
        r = stack.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert r.header(name) == value, (path, name, r.headers)
        assert r.header("server") is None, path  # no version banner
        # HSTS is only sent over HTTPS; this test site is http:// (the production file binds
        # it to the https protocol, see test_production_caddyfile_validates_and_adapts_as_intended).
        assert r.header("strict-transport-security") is None, path
        csp = csp_directives(r.header("content-security-policy") or "")
        assert csp["default-src"] == ["'self'"], path
        assert csp["script-src"] == ["'self'"], path  # no inline script, no eval, no CDN
        assert csp["frame-ancestors"] == ["'none'"], path
        assert csp["object-src"] == ["'none'"], path
        assert csp["connect-src"] == ["'self'", "wss://127.0.0.1"], path
        assert csp["worker-src"] == ["'self'"] and csp["manifest-src"] == ["'self'"], path


def test_the_pwa_needs_nothing_the_csp_forbids(stack: Stack) -> None:
    html = (stack.dist.root / "index.html").read_text()
    # Every <script> has a same-origin src: an inline one would be blocked by script-src 'self'.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I)
    assert scripts, html
    for attrs, body in scripts:
        assert body.strip() == "", f"inline script in index.html: {body[:80]!r}"
        src = re.search(r'src="([^"]+)"', attrs)
        assert src and src.group(1).startswith("/"), attrs
    assert not re.search(r"\son[a-z]+=", html, re.I), "inline event handler in index.html"
    for url in re.findall(r'(?:src|href)="(https?:[^"]+)"', html):
        pytest.fail(f"index.html loads {url} from another origin")


@pytest.mark.parametrize("encoding,magic", [("gzip", b"\x1f\x8b"), ("zstd", b"\x28\xb5\x2f\xfd")])
def test_large_assets_are_compressed(stack: Stack, encoding: str, magic: bytes) -> None:
    original = (stack.dist.root / stack.dist.large_asset.lstrip("/")).read_bytes()
    r = stack.get(stack.dist.large_asset, headers={"Accept-Encoding": encoding})
    assert r.status == 200
    assert r.header("content-encoding") == encoding
    assert "Accept-Encoding" in (r.header("vary") or "")
    assert r.body[:4].startswith(magic)
    assert len(r.body) < len(original) / 2
    if encoding == "gzip":
        import gzip

        assert gzip.decompress(r.body) == original
    elif shutil.which("zstd"):
        out = subprocess.run(["zstd", "-d", "-c"], input=r.body, capture_output=True, timeout=30)
        assert out.returncode == 0 and out.stdout == original
    plain = stack.get(stack.dist.large_asset)
    assert plain.header("content-encoding") is None and plain.body == original
    # API answers are compressed too when large enough (the API docs are off in production,
    # so a large answer of our own: an agent with a long identity).
    token = login(stack)["access_token"]
    made = api(
        stack,
        "POST",
        "/api/agents",
        token,
        {"name": "Big", "model": "anthropic/claude-opus-4-6", "identity": "words " * 2000},
    )
    assert made.status == 201, made.body
    listed = fetch(
        stack.caddy_port, "GET", "/api/agents", headers={"Accept-Encoding": "gzip", "Authorization": f"Bearer {token}"}
    )
    assert listed.status == 200 and listed.header("content-encoding") == "gzip"


def test_request_body_limits(stack: Stack) -> None:
    headers = {"Content-Type": "application/json"}
    # Just over the server's 1 MiB but under Caddy's: the server's own JSON 413.
    body = b'{"username": "' + b"a" * (1024 * 1024 + 4096) + b'", "password": "x"}'
    r = fetch(stack.caddy_port, "POST", "/api/auth/login", body=body, headers=headers)
    assert r.status == 413, r.body[:200]
    assert "larger than" in json.loads(r.body)["detail"]
    # Far over with a declared length: Caddy refuses it up front, in the server's error shape.
    # (Sent like curl sends big uploads, with `Expect: 100-continue`: the body only goes out if
    # the server asks for it, so the early answer can be read reliably.)
    huge = b"x" * (4 * 1024 * 1024)
    status, head, rest = post_expecting_continue(stack.caddy_port, "/api/auth/login", huge)
    assert status == 413, (status, head)
    assert "content-type: application/json" in head.lower()
    assert rest == b'{"detail":"Request body is too large"}'
    # Far over, streamed without a length: request_body cuts it off with a 413.
    r = fetch(stack.caddy_port, "POST", "/api/auth/login", body=huge, headers=headers, chunked=True)
    assert r.status == 413, (r.status, r.body[:200])
    # A normal request right after is unaffected.
    assert login(stack)["access_token"]


def test_uploads_have_their_own_larger_limit(stack: Stack) -> None:
    token = login(stack)["access_token"]
    agent = api(stack, "POST", "/api/agents", token, {"name": "Uploader", "model": "anthropic/claude-x"})
    assert agent.status == 201, agent.body
    project = api(
        stack,
        "POST",
        f"/api/agents/{json.loads(agent.body)['id']}/projects",
        token,
        {"name": "Upload", "slug": "upload"},
    )
    assert project.status == 201, project.body
    pid = json.loads(project.body)["id"]
    data = b"x" * (3 * 1024 * 1024)  # over the API's limit, under the uploads'
    boundary = "autocode-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = fetch(stack.caddy_port, "POST", f"/api/projects/{pid}/files/upload", body=body, headers=headers)
    assert r.status == 201, r.body[:300]
    assert json.loads(r.body)["files"] == [{"path": "big.bin", "size": len(data), "etag": ""}]
    # The same size anywhere else is still refused up front.
    status, _, rest = post_expecting_continue(stack.caddy_port, f"/api/projects/{pid}/files/uploads", data)
    assert status == 413 and rest == b'{"detail":"Request body is too large"}'


def post_expecting_continue(port: int, path: str, body: bytes) -> tuple[int, str, bytes]:
    """POST with `Expect: 100-continue`; the final status line, headers and body (raw socket)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.startswith(b"HTTP/1.1 100"):
                data = data.split(b"\r\n\r\n", 1)[1]
                sock.sendall(body)
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head.decode(errors="replace"), rest


def test_caddy_limit_is_a_little_above_the_servers() -> None:
    from autocode.core.config import Settings

    text = CADDYFILE.read_text()
    kib = int(re.search(r"max_size (\d+)KiB", text).group(1))  # type: ignore[union-attr]
    declared = int(re.search(r"\) > (\d+)`", text).group(1))  # type: ignore[union-attr]
    server = Settings.model_fields["max_body_bytes"].default
    assert declared == kib * 1024
    assert server < declared <= server + 128 * 1024


# -- WebSockets -----------------------------------------------------------------------------


async def _handshake(url: str) -> tuple[str, Any]:
    """Open a WebSocket; ("open", first close code) or ("rejected", HTTP status)."""
    try:
        async with websockets.connect(url, open_timeout=10, close_timeout=5) as ws:
            try:
                await asyncio.wait_for(ws.recv(), timeout=10)
            except ConnectionClosed:
                pass
            await asyncio.wait_for(ws.wait_closed(), timeout=10)
            return "open", ws.close_code
    except InvalidStatus as exc:
        return "rejected", exc.response.status_code


async def _terminal_echo(url: str) -> str:
    seen = b""
    async with websockets.connect(url, open_timeout=10, close_timeout=5, max_size=2**22) as ws:
        await ws.send(b"echo hi-from-$((40+2))\r")
        deadline = time.monotonic() + 20
        while b"hi-from-42" not in seen and time.monotonic() < deadline:
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(frame, bytes):
                seen += frame
    return seen.decode(errors="replace")


def _ticket(stack: Stack, token: str) -> str:
    r = api(stack, "POST", "/api/auth/ws-ticket", token)
    assert r.status in (200, 201), r.body
    ticket: str = json.loads(r.body)["ticket"]
    return ticket


def test_terminal_websocket_through_caddy(stack: Stack) -> None:
    token = login(stack)["access_token"]
    agent = json.loads(
        api(stack, "POST", "/api/agents", token, {"name": "Terminal", "model": "anthropic/claude-opus-4-6"}).body
    )
    project = api(
        stack,
        "POST",
        f"/api/agents/{agent['id']}/projects",
        token,
        {"name": "Deploy check", "description": "terminal through caddy", "implementation_plan": [{"title": "one"}]},
    )
    assert project.status == 201, project.body
    pid = json.loads(project.body)["id"]
    path = f"/ws/projects/{pid}/terminal"

    # The same forged-ticket answer through Caddy as from the server directly: the upgrade is
    # proxied (a Caddy failure would be a 502 handshake rejection instead).
    via_caddy = asyncio.run(_handshake(f"ws://127.0.0.1:{stack.caddy_port}{path}?ticket=forged"))
    direct = asyncio.run(_handshake(f"ws://127.0.0.1:{stack.server_port}{path}?ticket=forged"))
    assert via_caddy == direct, (via_caddy, direct)
    assert via_caddy == ("open", 4401), via_caddy

    url = f"ws://127.0.0.1:{stack.caddy_port}{path}?ticket={_ticket(stack, token)}&cols=100&rows=30"
    screen = asyncio.run(_terminal_echo(url))
    assert "hi-from-42" in screen, screen[-2000:]


async def _first_frame(url: str) -> tuple[str, Any]:
    """("frame", the first message as JSON) or ("closed", close code) when none came."""
    try:
        async with websockets.connect(url, open_timeout=10, close_timeout=5) as ws:
            frame = await asyncio.wait_for(ws.recv(), timeout=10)
    except ConnectionClosed as exc:
        return "closed", exc.rcvd.code if exc.rcvd else None
    return "frame", json.loads(frame)


def test_events_websocket_through_caddy(stack: Stack) -> None:
    token = login(stack)["access_token"]
    agent = json.loads(
        api(stack, "POST", "/api/agents", token, {"name": "Events", "model": "anthropic/claude-opus-4-6"}).body
    )
    project = json.loads(
        api(
            stack,
            "POST",
            f"/api/agents/{agent['id']}/projects",
            token,
            {"name": "Events check", "implementation_plan": [{"title": "one"}]},
        ).body
    )
    path = f"/ws/projects/{project['id']}/events"
    via_caddy = asyncio.run(_handshake(f"ws://127.0.0.1:{stack.caddy_port}{path}?ticket=forged"))
    direct = asyncio.run(_handshake(f"ws://127.0.0.1:{stack.server_port}{path}?ticket=forged"))
    # Caddy passes the server's answer on: the upgrade is proxied, not failed (502).
    assert via_caddy == direct, (via_caddy, direct)
    assert via_caddy == ("open", 4401), via_caddy
    query = "&after_id=0"
    first = asyncio.run(_first_frame(f"ws://127.0.0.1:{stack.caddy_port}{path}?ticket={_ticket(stack, token)}{query}"))
    plain = asyncio.run(_first_frame(f"ws://127.0.0.1:{stack.server_port}{path}?ticket={_ticket(stack, token)}{query}"))
    assert plain[0] == "frame" and plain[1]["type"] == "state", plain
    assert first == plain or (first[0] == plain[0] == "frame" and first[1]["type"] == plain[1]["type"])
    assert first[0] == "frame" and first[1]["type"] == "state", first
