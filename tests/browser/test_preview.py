"""The live preview in the browser: the agent starts a dev server in the project, the port hint
appears, the Preview tab shows the page from the preview origin, an edit shows after Reload;
without a token, or as another user, the preview answers 404; and the previewed page's scripts
can neither read the app's cookies nor call the app's API with the user's session.

Real Chromium, real server (local runtime) and supervisor, the real Claude Code CLI against the
scripted model endpoint, which answers with a Bash call that starts `python3 -m http.server`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, shoot
from tests.browser.test_users_day import sign_in
from tests.conftest import ADMIN_PASSWORD, Api, free_port, wait_until
from tests.fakes.fake_anthropic import Reply, ToolUse, text, write
from tests.supervision.conftest import Platform

pytestmark = pytest.mark.browser

# The previewed page tries what a hostile page would: read the app's cookies, call its API with
# the user's browser session, refresh the session; then says what it got.
PROBE = """<!doctype html><title>Shop</title>
<h1 id="title">Shop preview {version}</h1>
<pre id="report">probing</pre>
<script>
(async () => {{
  const app = {app!r};
  const out = {{cookie: document.cookie}};
  for (const [name, path, method] of [["api", "/api/projects", "GET"], ["refresh", "/api/auth/refresh", "POST"]]) {{
    try {{
      const r = await fetch(app + path, {{method, credentials: "include"}});
      out[name] = "answered " + r.status + " " + (await r.text()).slice(0, 200);
    }} catch (e) {{
      out[name] = "failed " + e.name;
    }}
  }}
  document.getElementById("report").textContent = "REPORT" + JSON.stringify(out);
}})();
</script>
"""


def serve_in_background(port: int) -> Reply:
    """Claude Code's Bash tool, run in the background as a dev server is."""
    return Reply(
        blocks=[
            ToolUse(
                "Bash",
                {
                    "command": f"python3 -m http.server {port} --bind 127.0.0.1",
                    "description": "Start the dev server",
                    "run_in_background": True,
                },
            )
        ]
    )


def test_preview_tab_shows_the_dev_server(platform: Platform, browser: Any) -> None:
    port = free_port()
    app = platform.server.base
    platform.fake.on_prompt(
        "GO-SERVE",
        write("index.html", PROBE.format(version="one", app=app)),
        serve_in_background(port),
        # The agent keeps working meanwhile: a finished project's Claude
        # Code window (and what it started) is closed.
        text(f"The shop is served on port {port}", delay=240),
    )
    project = platform.project([{"title": "Serve the shop", "detail": "GO-SERVE"}], policy="bypass")
    pid = project["id"]
    platform.start(pid)

    def listed() -> bool:
        r = platform.api.http.get(f"/api/projects/{pid}/ports")
        return r.status_code == 200 and any(p["port"] == port for p in r.json())

    wait_until(listed, timeout=90, interval=0.3)

    ctx = browser.new_context(base_url=app, viewport=DESKTOP, locale="en-US", color_scheme="light")
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        page.goto("/")
        sign_in(page, "admin", ADMIN_PASSWORD)
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        page.goto(f"/projects/{pid}")
        hint = page.get_by_role("status").filter(has_text=f"Port {port} is listening")
        expect(hint).to_be_visible()
        shoot(page, "preview-00-port-hint")
        hint.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("tab", name="Preview")).to_have_attribute("aria-selected", "true")

        frame_el = page.locator(f'iframe[title="Preview of port {port}"]')
        expect(frame_el).to_be_visible()
        src = frame_el.get_attribute("src") or ""
        parts = urlsplit(src)
        assert parts.hostname == f"p{pid}-{port}.localhost"
        assert parts.port == platform.server.preview_port
        frame = page.frame_locator(f'iframe[title="Preview of port {port}"]')
        expect(frame.locator("#title")).to_have_text("Shop preview one")

        # The page ran on the preview origin: no cookie of the app, no answer from its API.
        report = frame.locator("#report")
        expect(report).to_contain_text("REPORT")
        got = json.loads(report.inner_text().removeprefix("REPORT"))
        assert got["cookie"] == ""
        assert got["api"].startswith("failed"), got
        assert got["refresh"].startswith("failed"), got
        shoot(
            page, "preview-01-tab", ready=f"() => !!document.querySelector('iframe[title=\"Preview of port {port}\"]')"
        )

        # An edit to the page's file shows after Reload.
        workspace = platform.data / "users" / "admin" / "projects" / project["slug"]
        (workspace / "index.html").write_text(PROBE.format(version="two", app=app))
        page.get_by_role("button", name="Reload the preview").click()
        expect(frame.locator("#title")).to_have_text("Shop preview two")

        # Open in new tab: the preview at top level, with no handle on the app's window.
        with ctx.expect_page() as popup_info:
            page.get_by_role("button", name="Open in new tab").click()
        popup = popup_info.value
        expect(popup.locator("#title")).to_have_text("Shop preview two")
        assert urlsplit(popup.url).query == ""  # the token is gone from the address bar
        assert popup.evaluate("() => window.opener === null")
        expect(popup.locator("#report")).to_contain_text("REPORT")
        tab_report = json.loads(popup.locator("#report").inner_text().removeprefix("REPORT"))
        assert tab_report["cookie"] == "" and tab_report["api"].startswith("failed"), tab_report
        popup.close()

        # The link the frame used is spent; the clean URL without the cookie is a 404.
        bare = ctx.browser.new_context()
        try:
            other = bare.new_page()
            assert other.goto(src).status == 404
            assert other.goto(f"{parts.scheme}://{parts.netloc}/").status == 404
            assert other.goto(f"{parts.scheme}://{parts.netloc}/index.html").status == 404
        finally:
            bare.close()
    finally:
        ctx.close()

    # Another user gets no link to this preview, and a link of theirs does not open it.
    bob = platform.api.create_user("bob")
    r = bob.http.post(f"/api/projects/{pid}/ports/{port}/preview")
    assert r.status_code == 404
    bobs = Api(platform.server.base, "bob", "user-password-1")
    assert bobs.http.get(f"/api/projects/{pid}/ports").status_code == 404
    link = platform.api.http.post(f"/api/projects/{pid}/ports/{port}/preview").json()["url"]
    forged = link.replace(f"p{pid}-", f"p{pid + 1}-")
    parts = urlsplit(forged)
    answer = httpx.get(
        f"http://127.0.0.1:{platform.server.preview_port}{parts.path}?{parts.query}",
        headers={"Host": parts.netloc},
        timeout=20,
    )
    assert answer.status_code == 404
