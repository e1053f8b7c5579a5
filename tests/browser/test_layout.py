"""Nothing on any page is wider than a phone, whatever the length of a name or a step title.

At 390 px, in the light and the dark theme (the system's choice, as the app follows it by
default), every page is walked with a 120-character project name and step title (neither with a
space to break at) and a 100-character agent name: the document may never scroll sideways.
Each page is also shot at phone and desktop size in both themes. Real Chromium, real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from autocode.core.db import make_engine
from autocode.models import Project
from tests.browser.conftest import PHONE, settle, shoot
from tests.browser.test_users_day import sign_in
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser

PROJECT_NAME = ("Eshop-with-a-name-nobody-would-shorten-" * 4)[:120]
STEP_TITLE = ("Write-the-checkout-API-and-its-tests-" * 4)[:120]
AGENT_NAME = ("Web-developer-who-writes-tests-first-" * 3)[:100]
assert len(PROJECT_NAME) == len(STEP_TITLE) == 120

TABS = ["Activity", "Terminal", "Logs", "Files", "Preview", "Processes", "Description", "Architecture"]

# The elements reaching past the viewport's right edge (outside a box that scrolls on its own):
# what a failure names, so the culprit is found without a screenshot.
SPILLS = """() => {
  const w = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > w + 0.5 && !scrolls(el))
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${String(el.className).slice(0, 80)}`
      + ` → ${Math.round(el.getBoundingClientRect().right)}px`);
}"""


def long_project(server: ServerProcess) -> int:
    """A project of the admin's with the long names; the name is set in the database, as the
    API's own limit (100) is below the length that must not break the layout."""
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    agent = admin.http.post("/api/agents", json={"name": AGENT_NAME, "model": "anthropic/claude-x"})
    assert agent.status_code == 201, agent.text
    r = admin.http.post(
        f"/api/agents/{agent.json()['id']}/projects",
        json={
            "name": "Eshop",
            "slug": "eshop",
            "description": "A shop. " * 40,
            "implementation_plan": [{"title": STEP_TITLE, "detail": "x" * 300}, {"title": "Deploy"}],
        },
    )
    assert r.status_code == 201, r.text
    pid = int(r.json()["id"])
    engine = make_engine(f"sqlite:///{server.data_dir / 'autocode.db'}")
    try:
        with Session(engine) as s:
            project = s.get(Project, pid)
            assert project is not None
            project.name = PROJECT_NAME
            s.add(project)
            s.commit()
    finally:
        engine.dispose()
    return pid


@pytest.fixture(params=["light", "dark"])
def themed_phone(request: pytest.FixtureRequest, browser: Any, server: ServerProcess) -> Iterator[tuple[Any, str]]:
    """A phone (390×844) whose system theme is light or dark."""
    scheme = str(request.param)
    ctx = browser.new_context(
        base_url=server.base, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", color_scheme=scheme
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx, scheme
    finally:
        ctx.close()


def fits(page: Any, name: str) -> None:
    settle(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width} px wide at 390 px: {page.evaluate(SPILLS)}"


def check(page: Any, name: str, scheme: str) -> None:
    fits(page, name)
    shoot(page, f"layout-{name}-{scheme}")
    fits(page, name)  # and still after the round trip through the desktop size


def test_no_page_is_wider_than_a_phone(themed_phone: tuple[Any, str], server: ServerProcess) -> None:
    ctx, scheme = themed_phone
    pid = long_project(server)
    page = ctx.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to AutoCode")).to_be_visible()
    dark = page.evaluate("() => document.documentElement.classList.contains('dark')")
    assert dark == (scheme == "dark")
    check(page, "login", scheme)

    sign_in(page, "admin", ADMIN_PASSWORD)
    card = page.get_by_role("list", name="Projects").get_by_role("link")
    expect(card).to_contain_text(STEP_TITLE[:20])
    check(page, "dashboard", scheme)
    badge = card.get_by_title("not started")  # the status badge
    box = badge.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], "the status badge is off-screen"

    # the agent page is reached through the menu, as a user does
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("dialog", name="Navigation").get_by_role("link", name=AGENT_NAME).click()
    expect(page.get_by_role("link", name="+ New project")).to_be_visible()
    check(page, "agent", scheme)

    page.get_by_role("link", name="+ New project").click()
    expect(page.get_by_label("Project name")).to_be_visible()
    page.get_by_label("Project name").fill(PROJECT_NAME[:100])
    page.get_by_label("Write the steps myself").check()
    page.get_by_label("Step 1 title").fill(STEP_TITLE)
    check(page, "new-project", scheme)

    page.goto(f"/projects/{pid}")
    tabs = page.get_by_role("tablist", name="Project views")
    expect(tabs).to_be_visible()
    page.get_by_text("Show steps").click()  # the plan's steps, the long title among them
    expect(page.get_by_role("list").filter(has_text=STEP_TITLE).first).to_be_visible()
    for tab in TABS:
        tabs.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tabpanel")).to_be_visible()
        if tab == "Terminal":
            expect(page.locator(".xterm")).to_be_visible()
        check(page, f"project-{tab.lower()}", scheme)

    page.goto("/settings")
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    check(page, "settings", scheme)
    notifications = page.get_by_role("heading", name="Notifications", exact=True)
    notifications.scroll_into_view_if_needed()
    fits(page, "notifications")

    page.goto("/admin")
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    check(page, "admin", scheme)
