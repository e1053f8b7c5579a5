"""The deployment as it runs: real Caddy with the repo's Caddyfile in front of `autocode serve`."""

from __future__ import annotations

import difflib
import hashlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
CADDYFILE = REPO / "deploy" / "Caddyfile"
AUTOCODE = Path(sys.executable).with_name("autocode")
ADMIN_PASSWORD = "deploy-admin-password-1"
SITE_LINE = "{$AUTOCODE_DOMAIN} {"

# A bundle large enough for `encode` (Caddy compresses from 512 bytes on) and compressible.
FAKE_BUNDLE = "".join(
    f'export function view{i}(n){{return "<li class=\\"item-{i}\\">"+n+"</li>";}}\n' for i in range(4000)
)
FAKE_INDEX = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AutoCode</title>'
    '<link rel="manifest" href="/manifest.webmanifest">'
    '<script type="module" crossorigin src="/assets/app-abc123.js"></script></head>'
    '<body><div id="root"></div><!-- fake-dist-for-deploy-tests --></body></html>\n'
)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def fetch(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    chunked: bool = False,
) -> Response:
    """One raw HTTP/1.1 request: no automatic decompression, redirects or retries."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        try:
            if chunked and body is not None:
                pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
                conn.request(method, path, body=pieces, headers=dict(headers or {}), encode_chunked=True)
            else:
                conn.request(method, path, body=body, headers=dict(headers or {}))
        except (BrokenPipeError, ConnectionResetError):
            # A server may answer (413) and close before the whole body is sent: read that answer.
            pass
        r = conn.getresponse()
        try:
            data = r.read()
        except (http.client.IncompleteRead, ConnectionError) as exc:
            data = getattr(exc, "partial", b"")
        merged: dict[str, str] = {}
        for name, value in r.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return Response(r.status, merged, data)
    finally:
        conn.close()


def caddyfile_variant(port: int) -> str:
    """The production Caddyfile with only its site address replaced by http://127.0.0.1:PORT."""
    text = CADDYFILE.read_text()
    lines = text.splitlines(keepends=True)
    assert lines.count(SITE_LINE + "\n") == 1, "deploy/Caddyfile must have one `{$AUTOCODE_DOMAIN} {` line"
    return "".join(f"http://127.0.0.1:{port} {{\n" if line == SITE_LINE + "\n" else line for line in lines)


def changed_lines(a: str, b: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def caddy_env(home: Path, **extra: str) -> dict[str, str]:
    """Caddy's environment: every file it writes goes under `home`, nothing global."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOCODE_", "CADDY", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    env.update(extra)
    return env


def caddy_bin() -> str:
    path = shutil.which("caddy")
    if path is None:
        pytest.fail("caddy is not installed: apt-get install caddy (scripts/test.sh does)")
    return path


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process group started with start_new_session, politely then not."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def kill_tmux_servers(data_dir: Path) -> None:
    """The server's local runtime starts per-user tmux servers that outlive it: end them."""
    digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:10]
    fallback = Path("/tmp") / f"autocode-{os.geteuid()}" / digest
    tmux = shutil.which("tmux")
    for sock in [*(data_dir / "run" / "tmux").glob("*.sock"), *fallback.glob("*.sock")]:
        if tmux:
            subprocess.run([tmux, "-S", str(sock), "kill-server"], capture_output=True, timeout=10)
        sock.unlink(missing_ok=True)


@dataclass
class Dist:
    root: Path
    real: bool
    large_asset: str  # URL path of a big JS bundle
    extra: list[str] = field(default_factory=list)


def make_dist(target: Path) -> Dist:
    """A snapshot of the built PWA when there is one, else a small fake with the same shape."""
    built = REPO / "frontend" / "dist"
    if (built / "index.html").is_file():
        try:
            shutil.copytree(built, target)
            bundles = sorted((target / "assets").glob("*.js"), key=lambda p: p.stat().st_size)
            if (target / "index.html").is_file() and bundles and (target / "sw.js").is_file():
                return Dist(target, True, f"/assets/{bundles[-1].name}")
        except (OSError, shutil.Error):
            pass  # rebuilt under our feet; fall back to the fake
        shutil.rmtree(target, ignore_errors=True)
    (target / "assets").mkdir(parents=True)
    (target / "index.html").write_text(FAKE_INDEX)
    (target / "assets" / "app-abc123.js").write_text(FAKE_BUNDLE)
    (target / "sw.js").write_text("self.addEventListener('fetch', () => {});\n")
    (target / "manifest.webmanifest").write_text('{"name":"AutoCode","start_url":"/"}\n')
    return Dist(target, False, "/assets/app-abc123.js")


@dataclass
class Stack:
    server_port: int
    caddy_port: int
    dist: Dist
    data_dir: Path
    server_log: Path
    caddy_log: Path
    variant: Path

    def get(self, path: str, **kw: object) -> Response:
        return fetch(self.caddy_port, "GET", path, **kw)  # type: ignore[arg-type]


def _start_server(tmp: Path, dist: Dist) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    env.update(
        AUTOCODE_ENVIRONMENT="production",
        AUTOCODE_SECRET_KEY="deploy-test-secret-key-0123456789abcdef",
        AUTOCODE_COOKIE_SECURE="false",  # the test site is plain http
        AUTOCODE_DATA_DIR=str(tmp / "data"),
        AUTOCODE_PORT=str(port),
        AUTOCODE_ADMIN_USERNAME="admin",
        AUTOCODE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        AUTOCODE_STATIC_DIR=str(dist.root),
        AUTOCODE_TRUSTED_PROXIES="127.0.0.1",  # as install.sh writes it: Caddy on this host
        AUTOCODE_PREVIEW_PORT=str(free_port()),
        HOME=str(tmp / "home"),
    )
    (tmp / "home").mkdir(exist_ok=True)
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(AUTOCODE), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
            start_new_session=True,
        )
    return proc, port, log


def _answers(port: int, path: str) -> bool:
    try:
        return fetch(port, "GET", path).status == 200
    except OSError:
        return False


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`autocode serve` on a free port, Caddy with the test variant of deploy/Caddyfile in front."""
    tmp = tmp_path_factory.mktemp("deploy-stack")
    dist = make_dist(tmp / "dist")
    server, server_port, server_log = _start_server(tmp, dist)
    caddy: subprocess.Popen[bytes] | None = None
    try:

        def server_up() -> bool:
            assert server.poll() is None, server_log.read_text()
            return _answers(server_port, "/api/health")

        wait_until(server_up, timeout=60, interval=0.2)

        caddy_port = free_port()
        variant = tmp / "Caddyfile.test"
        variant.write_text(caddyfile_variant(caddy_port))
        env = caddy_env(
            tmp / "caddy-home",
            AUTOCODE_PORT=str(server_port),
            AUTOCODE_STATIC_DIR=str(dist.root),
            AUTOCODE_CADDY_BIND="127.0.0.1",
            AUTOCODE_CADDY_ADMIN="off",
        )
        caddy_log = tmp / "caddy.log"
        with caddy_log.open("wb") as out:
            caddy = subprocess.Popen(
                [caddy_bin(), "run", "--config", str(variant), "--adapter", "caddyfile"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp,
                start_new_session=True,
            )

        def caddy_up() -> bool:
            assert caddy is not None and caddy.poll() is None, caddy_log.read_text()
            return _answers(caddy_port, "/api/health")

        wait_until(caddy_up, timeout=30, interval=0.1)
        yield Stack(server_port, caddy_port, dist, tmp / "data", server_log, caddy_log, variant)
    finally:
        if caddy is not None:
            stop(caddy)
        stop(server)
        kill_tmux_servers(tmp / "data")
