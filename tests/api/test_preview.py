"""The live preview proxy, HTTP and WebSocket, on both runtimes: a dev server started from the
project's own terminal is reached through the preview origin (its own port, a host per preview)
with a one-time token turned into a cookie; nothing else gets through.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import Api, ServerProcess, free_port, wait_until
from tests.security.shell import RUNTIMES, Shell, shell, stack

DEVSERVER = Path(__file__).resolve().parents[1] / "fixtures" / "preview" / "devserver.py"


def start_devserver(sh: Shell, port: int) -> None:
    """Write the dev server into the project's folder and start it in the background, as a user would."""
    blob = base64.b64encode(DEVSERVER.read_bytes()).decode()
    sh.run(f"echo {blob} | base64 -d > devserver.py && echo '<h1>first page</h1>' > index.html")
    # A background job of the session's shell (a child of it, so one of the session's processes).
    sh.run(f"{{ python3 devserver.py {port} > devserver.log 2>&1 & }}")
    # Until it listens, seen from inside the session.
    sh.run(
        "python3 -c 'import socket,sys,time\n"
        "for _ in range(200):\n"
        ' try: socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close(); break\n'
        " except OSError: time.sleep(0.1)\n"
        "' " + str(port)
    )


def preview_get(
    server: ServerProcess, url: str, cookies: dict[str, str] | None = None, path: str | None = None
) -> httpx.Response:
    """GET a preview URL; the request goes to the preview port on 127.0.0.1 with the URL's Host."""
    parts = urlsplit(url)
    assert parts.port == server.preview_port, url
    target = path if path is not None else parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return httpx.get(f"http://127.0.0.1:{server.preview_port}{target}", headers=headers, timeout=20)


def ask(server: ServerProcess, domain: str) -> int:
    return httpx.get(
        f"http://127.0.0.1:{server.preview_port}/.well-known/autocode-preview-ask",
        params={"domain": domain},
        timeout=10,
    ).status_code


def preview_link(api: Api, project_id: int, port: int) -> str:
    r = api.http.post(f"/api/projects/{project_id}/ports/{port}/preview")
    assert r.status_code == 200, r.text
    return str(r.json()["url"])


def wait_listening(api: Api, project_id: int, port: int) -> None:
    """Until the dev server answers on its port (the session's listening ports say so)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = api.http.get(f"/api/projects/{project_id}/ports")
        if r.status_code == 200 and any(p["port"] == port for p in r.json()):
            return
        time.sleep(0.2)
    raise AssertionError(f"port {port} never listed: {r.status_code} {r.text}")


def redeem(server: ServerProcess, url: str) -> str:
    r = preview_get(server, url)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/"
    set_cookie = r.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "Partitioned" in set_cookie and "Domain" not in set_cookie
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_preview_proxy_http_and_websocket(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        alice, bob = st.user("alice"), st.user("bob")
        project = alice.project()
        port = free_port()
        # A port nothing of the project's listens on (the app's own, on the host) is never proxied.
        assert alice.http.post(f"/api/projects/{project['id']}/ports/{st.server.port}/preview").status_code == 404
        with shell(st, alice, project["id"]) as sh:
            start_devserver(sh, port)
            wait_listening(alice, project["id"], port)
            assert alice.http.post(f"/api/projects/{project['id']}/ports/{st.server.port}/preview").status_code == 404

            listed = alice.http.get(f"/api/projects/{project['id']}/ports").json()
            # Caddy's on-demand TLS may get a certificate only for a preview someone was given.
            name = f"p{project['id']}-{port}.preview.example.com"
            assert ask(st.server, name) == 404
            url = preview_link(alice, project["id"], port)
            assert ask(st.server, name) == 200
            assert ask(st.server, f"p{project['id']}-{port + 1}.preview.example.com") == 404
            parts = urlsplit(url)
            assert [p["preview_url"] for p in listed if p["port"] == port] == [f"http://{parts.netloc}/"]
            assert parts.hostname == f"p{project['id']}-{port}.localhost"

            # Another user cannot get a link to it; a bare URL without a token or cookie is 404.
            assert bob.http.post(f"/api/projects/{project['id']}/ports/{port}/preview").status_code == 404
            assert preview_get(st.server, url, path="/").status_code == 404
            assert preview_get(st.server, url, path="/?autocode_preview_token=forged").status_code == 404

            cookie = redeem(st.server, url)
            token = url.rsplit("=", 1)[1]
            log = st.server.log.read_text()
            assert token not in log and "autocode_preview_token=***" in log
            # The token is one-time.
            assert preview_get(st.server, url).status_code == 404

            page = preview_get(st.server, url, {"autocode_preview": cookie}, path="/")
            assert page.status_code == 200 and "first page" in page.text
            # The dev server sees a local Host and the page's own cookies, never the preview's.
            seen = preview_get(st.server, url, {"autocode_preview": cookie, "theirs": "1"}, path="/echo-headers").text
            assert f"host: localhost:{port}" in seen
            assert "cookie: theirs=1" in seen and "autocode_preview" not in seen

            # The cookie works for its own preview only: another port or project answers 404.
            for other in (f"p{project['id']}-{port + 1}", f"p{project['id'] + 1}-{port}"):
                r = httpx.get(
                    f"http://127.0.0.1:{st.server.preview_port}/",
                    headers={
                        "Host": f"{other}.localhost:{st.server.preview_port}",
                        "Cookie": f"autocode_preview={cookie}",
                    },
                    timeout=20,
                )
                assert r.status_code == 404

            # A change to the page shows on the next load.
            sh.run("echo '<h1>second page</h1>' > index.html")
            assert "second page" in preview_get(st.server, url, {"autocode_preview": cookie}, path="/").text

            # WebSocket (a dev server's hot reload) through the same origin and cookie.
            sock = socket.create_connection(("127.0.0.1", st.server.preview_port), timeout=20)
            with connect(
                f"ws://{parts.netloc}/ws",
                sock=sock,
                open_timeout=20,
                additional_headers={"Cookie": f"autocode_preview={cookie}"},
            ) as ws:
                for text in ("hello", "again"):
                    ws.send(text)
                    assert ws.recv(timeout=20) == f"echo:{text}"
            # ...and not without the cookie.
            sock = socket.create_connection(("127.0.0.1", st.server.preview_port), timeout=20)
            with pytest.raises(InvalidStatus) as refused:
                with connect(f"ws://{parts.netloc}/ws", sock=sock, open_timeout=20) as ws:
                    ws.recv(timeout=5)
            assert refused.value.response.status_code == 403

            # Signing out everywhere ends the preview's cookie too.
            assert alice.http.post("/api/auth/logout-all").status_code == 204
            assert preview_get(st.server, url, {"autocode_preview": cookie}, path="/").status_code == 404

            if runtime == "docker":
                # Every relay the proxy started in the container ended with its connection.
                def relays() -> str:
                    return subprocess.run(
                        ["docker", "exec", f"autocode-{alice.username}", "pgrep", "-f", "autocode-preview-relay"],
                        capture_output=True,
                        text=True,
                        timeout=30,
                    ).stdout.strip()

                assert wait_until(lambda: relays() == "", timeout=20, interval=0.2)


def test_a_busy_preview_port_leaves_the_app_running(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    server = ServerProcess(tmp_path / "data", env={"AUTOCODE_PREVIEW_PORT": str(busy.getsockname()[1])})
    try:
        assert httpx.get(f"{server.base}/api/health", timeout=10).status_code == 200
        wait_until(lambda: "live previews are off" in server.log.read_text(), timeout=20)
        assert server.proc.poll() is None
    finally:
        server.stop()
        busy.close()
    assert server.proc.returncode is not None
