"""Browser tests: Playwright drives Debian's Chromium against a real `autocode serve`.

Every test gets its own server, data directory and browser; all three (and the tmux servers
the test's users got) are cleaned up in finalizers, also when the test fails.
Screenshots go to $AUTOCODE_TEST_ARTIFACTS/screenshots (default: test-artifacts/screenshots).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess, stop_tmux_servers

# Fixtures of other suites that browser tests use too.
from tests.notifications.receiver import receiver as receiver
from tests.supervision.conftest import platform as platform

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "frontend" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERS = ["admin", "alice", "bob"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def artifacts_dir() -> Path:
    return Path(os.environ.get("AUTOCODE_TEST_ARTIFACTS") or REPO / "test-artifacts")


SHOTS = artifacts_dir() / "screenshots"
# page name -> {"phone": overflow px, ...}: what spilled sideways when the shot was taken
_layout_notes: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Fail (not skip) when the browser or Playwright is missing: the test command installs them."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)", pytrace=False)
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.fail("Python Playwright is missing: .venv/bin/pip install playwright", pytrace=False)
    if not (DIST / "index.html").exists():
        pytest.fail(
            "frontend/dist is missing: npm --prefix frontend ci && npm --prefix frontend run build", pytrace=False
        )
    return str(CHROMIUM)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "data"
    srv = ServerProcess(data)
    try:
        yield srv
    finally:
        srv.stop()
        stop_tmux_servers(data, USERS)


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROME_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture
def desktop(browser: Any, server: ServerProcess) -> Iterator[Any]:
    """A laptop browser (1440×900) pointed at the test's server."""
    ctx = browser.new_context(base_url=server.base, viewport=DESKTOP, locale="en-US", color_scheme="light")
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def phone(browser: Any, server: ServerProcess) -> Iterator[Any]:
    """A phone browser (390×844, touch) pointed at the test's server."""
    ctx = browser.new_context(
        base_url=server.base, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", color_scheme="light"
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


def new_phone_context(browser: Any, base_url: str, timeout_ms: int = 15_000) -> Any:
    """A phone browser context (390×844, touch, light) on `base_url`; the caller closes it."""
    ctx = browser.new_context(
        base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", color_scheme="light"
    )
    ctx.set_default_timeout(timeout_ms)
    return ctx


def sign_in_as_admin(page: Any) -> None:
    """Sign in from the login page as the first admin, and wait for the dashboard."""
    from playwright.sync_api import expect

    from tests.conftest import ADMIN_PASSWORD

    page.goto("/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def settle(page: Any) -> None:
    """Let layout and paint catch up with a viewport change (two animation frames, no sleeps)."""
    page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")


def dismiss_toasts(page: Any) -> None:
    """Close the toasts so they do not hide the page in its screenshot."""
    # The click event goes to the close button itself, never to a point on the screen: a toast
    # sliding away would let a click at its old place land on what lies beneath (the menu).
    toasts = page.locator('[data-sonner-toast]:not([data-removed="true"])')
    for _ in range(10):
        if toasts.count() == 0:
            break
        try:
            toasts.first.locator("[data-close-button]").dispatch_event("click", timeout=2_000)
        except Exception:  # it went away on its own meanwhile
            pass
    page.wait_for_function("() => document.querySelectorAll('[data-sonner-toast]').length === 0", timeout=10_000)


def shoot(page: Any, name: str, ready: str | None = None) -> None:
    """Screenshot the current page at 390×844 and at 1440×900, then restore the viewport.

    `ready` is a JS predicate awaited after each resize (e.g. the terminal has redrawn).
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    dismiss_toasts(page)
    original = page.viewport_size
    notes: dict[str, Any] = {}
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        settle(page)
        if ready:
            page.wait_for_function(ready, timeout=15_000)
            settle(page)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        notes[label] = overflow
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)
        settle(page)
    _layout_notes[name] = notes
    (SHOTS / "layout.json").write_text(json.dumps(_layout_notes, indent=2, sort_keys=True))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SHOTS.exists():
        return
    terminalreporter.write_sep("-", "browser screenshots")
    terminalreporter.write_line(f"screenshots: {SHOTS}")
    wide = {n: v for n, v in _layout_notes.items() if any(x > 0 for x in v.values())}
    for name, v in sorted(wide.items()):
        terminalreporter.write_line(f"  horizontal overflow on {name}: {v} px")
