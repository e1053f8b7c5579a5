"""Another user's project stays hidden; the app installs (manifest) and its service worker
never answers for the API."""

from __future__ import annotations

import re
import struct
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_users_day import sign_in
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser


def test_a_second_user_cannot_open_the_first_users_project(server: ServerProcess, desktop: Any) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    alice = admin.create_user("alice")
    admin.create_user("bob")
    project = alice.project(name="Alice private shop")
    url = f"/projects/{project['id']}"

    page = desktop.new_page()
    page.goto(url)  # a shared link: sign in first, then land on the link
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, "bob", "user-password-1")
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.get_by_role("alert")).to_contain_text(re.compile("not found", re.I))
    expect(page.get_by_text("Alice private shop")).to_have_count(0)
    expect(page.get_by_role("tab", name="Terminal")).to_have_count(0)
    expect(page.locator(".xterm")).to_have_count(0)
    shoot(page, "11-project-not-found")
    # nor does bob's dashboard list it
    page.locator("aside").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
    expect(page.get_by_text("Alice private shop")).to_have_count(0)

    # alice herself opens the same link and sees her project
    other = desktop.browser.new_context(base_url=server.base, viewport={"width": 1440, "height": 900})
    try:
        mine = other.new_page()
        mine.goto(url)
        sign_in(mine, "alice", "user-password-1")
        expect(mine.get_by_role("heading", name="Alice private shop")).to_be_visible()
    finally:
        other.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_installable_manifest_and_a_service_worker_that_leaves_the_api_alone(
    server: ServerProcess, desktop: Any
) -> None:
    page = desktop.new_page()
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in to AutoCode")).to_be_visible()

    # the manifest the page links, as the browser would read it
    href = page.locator("link[rel=manifest]").get_attribute("href")
    assert href, "index.html links no manifest"
    r = httpx.get(f"{server.base}{href}", timeout=10)
    assert r.status_code == 200
    manifest = r.json()
    assert manifest["name"] == "AutoCode" and manifest["short_name"]
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest.get("scope", "/") == "/"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["background_color"])
    theme_meta = page.locator("meta[name=theme-color]").get_attribute("content")
    assert theme_meta == manifest["theme_color"]
    sizes: dict[str, set[str]] = {}
    for icon in manifest["icons"]:
        data = httpx.get(f"{server.base}{icon['src']}", timeout=10)
        assert data.status_code == 200, icon
        w, h = png_size(data.content)
        assert f"{w}x{h}" == icon["sizes"], (icon, w, h)
        for purpose in icon.get("purpose", "any").split():
            sizes.setdefault(purpose, set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes["any"], sizes
    assert "512x512" in sizes.get("maskable", set()), sizes

    # the service worker registers for the whole app
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == f"{server.base}/"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")  # clientsClaim

    # ...and answers navigations with the app shell, but never /api or /ws
    script_url = page.evaluate("() => navigator.serviceWorker.controller.scriptURL")
    sw = httpx.get(script_url, timeout=10).text
    assert "denylist" in sw and "/^\\/api/" in sw and "/^\\/ws/" in sw, "no /api denylist in the service worker"
    assert "runtimeCaching" not in sw and "NetworkFirst" not in sw and "CacheFirst" not in sw

    served: list[tuple[str, bool]] = []
    page.on("response", lambda resp: served.append((resp.url, resp.from_service_worker)))
    status = page.evaluate("async () => (await fetch('/api/health', {cache: 'no-store'})).status")
    assert status == 200
    api_responses = [(u, sw) for u, sw in served if "/api/health" in u]
    assert api_responses and not any(sw for _, sw in api_responses), api_responses

    # a navigation to the API gets the server's JSON, not the cached index.html
    resp = page.goto("/api/health")
    assert resp is not None and not resp.from_service_worker
    assert "application/json" in (resp.headers.get("content-type") or "")
    # while an app route is answered by the service worker's shell, even after the server stops
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in to AutoCode")).to_be_visible()
    server.stop()
    resp = page.goto("/settings")
    assert resp is not None and resp.from_service_worker
    expect(page.get_by_text(re.compile("offline|can't reach", re.I)).first).to_be_visible()
    shoot(page, "12-offline")
