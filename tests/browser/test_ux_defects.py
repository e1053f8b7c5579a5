"""Rough edges a walk through the app as a new user found, each pinned by what the user sees:
long names on a phone, a wrong current password, toasts lying on their own buttons, errors that
belong to a field, a long form's missing field, dark mode's status edges, the admin's confirm
dialog, log times, bad addresses and the installed app's safe areas. Real Chromium, real server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from autocode.core.db import make_engine
from autocode.models import LogLevel
from autocode.services.projects import add_log
from tests.browser.conftest import PHONE, SHOTS, settle, shoot
from tests.browser.test_layout import PROJECT_NAME, STEP_TITLE, long_project
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser


def signed_in(ctx: Any, path: str = "/") -> Any:
    page = ctx.new_page()
    page.goto(path)
    sign_in(page, "admin", ADMIN_PASSWORD)
    return page


def in_view(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


AT_REST = """async (el) => {
  const at = () => JSON.stringify(el.getBoundingClientRect());
  let last = at(), same = 0;
  for (let i = 0; i < 300 && same < 5; i++) {
    await new Promise((r) => requestAnimationFrame(r));
    const now = at();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return same >= 5;
}"""


def overlap(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    assert a is not None and b is not None
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_long_name_keeps_the_dashboard_within_a_phone(phone: Any, server: ServerProcess) -> None:
    long_project(server)
    page = signed_in(phone)
    card = page.get_by_role("list", name="Projects").get_by_role("link")
    expect(card).to_contain_text(STEP_TITLE[:20])
    settle(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    for part in (card.get_by_title("not started"), card.get_by_role("heading", name=PROJECT_NAME)):
        box = part.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    shoot(page, "defect-dashboard-long-name")


def test_a_wrong_current_password_is_shown_at_its_field_and_keeps_you_signed_in(
    phone: Any, server: ServerProcess
) -> None:
    page = signed_in(phone, "/settings")
    current = page.get_by_label("Current password")
    expect(current).to_be_visible()
    current.fill("not-my-password")
    page.get_by_label("New password", exact=True).fill("brand-new-password-1")
    page.get_by_label("Repeat new password").fill("brand-new-password-1")
    page.get_by_role("button", name="Change password").click()
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Current password is incorrect")).to_be_visible()
    expect(current).to_be_focused()
    # still signed in, on the same page, with what was typed
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", name="Sign in to AutoCode")).to_have_count(0)
    expect(current).to_have_value("not-my-password")
    expect(page.get_by_label("New password", exact=True)).to_have_value("brand-new-password-1")
    assert page.locator("[data-sonner-toast]").count() == 0
    shoot(page, "defect-wrong-current-password")
    # typing again clears the refusal; the right password then changes it
    current.fill(ADMIN_PASSWORD)
    expect(current).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Change password").click()
    toast(page, "Password changed")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_created_toast_does_not_lie_on_start(
    size: str, request: pytest.FixtureRequest, server: ServerProcess
) -> None:
    ctx = request.getfixturevalue(size)
    Api(server.base, "admin", ADMIN_PASSWORD).http.post(
        "/api/agents", json={"name": "Dev", "model": "anthropic/claude-x"}
    )
    page = signed_in(ctx)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_attached()
    page.goto("/agents/1/projects/new")
    page.get_by_label("Project name").fill("Eshop")
    page.get_by_label("Goal").fill("A small shop")
    page.get_by_role("button", name="Create project").click()
    note = page.locator("[data-sonner-toast]").filter(has_text="press Start")
    expect(note).to_be_visible()
    start = page.get_by_role("button", name="Start", exact=True)
    expect(start).to_be_visible()
    # sonner slides the toast in: measure where it comes to rest (the same place five frames running)
    page.wait_for_function(AT_REST, arg=note.element_handle(), timeout=5_000)
    assert not overlap(note.bounding_box(), start.bounding_box()), "the toast covers the Start button"
    if size == "phone":  # it lies on the top bar's title, the menu button stays free
        assert not overlap(note.bounding_box(), page.get_by_role("button", name="Open menu").bounding_box())
        SHOTS.mkdir(parents=True, exist_ok=True)  # with the toast, which shoot() would close
        page.screenshot(path=str(SHOTS / "defect-toast-over-the-title-phone.png"))


def test_a_refusal_of_the_server_shows_at_its_field(phone: Any, server: ServerProcess) -> None:
    Api(server.base, "admin", ADMIN_PASSWORD).http.post(
        "/api/agents", json={"name": "Dev", "model": "anthropic/claude-x"}
    )
    page = signed_in(phone)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_attached()
    page.goto("/agents/1/projects/new")
    page.get_by_label("Project name").fill("Eshop")
    page.get_by_label("Goal").fill("A small shop")
    budget = page.get_by_label("Token budget (optional)")
    budget.fill("99999999999999999999")  # a whole number the form takes, beyond what the server stores
    page.get_by_role("button", name="Create project").click()
    expect(budget).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(re.compile("less than or equal to"))).to_be_visible()
    expect(budget).to_be_focused()
    assert page.locator("[data-sonner-toast]").count() == 0
    shoot(page, "defect-server-refusal-at-field")
    budget.fill("50000")
    expect(budget).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))


def test_submitting_a_long_form_with_a_missing_field_brings_it_into_view(phone: Any, server: ServerProcess) -> None:
    Api(server.base, "admin", ADMIN_PASSWORD).http.post(
        "/api/agents", json={"name": "Dev", "model": "anthropic/claude-x"}
    )
    page = signed_in(phone)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_attached()

    page.goto("/agents/1/projects/new")
    page.get_by_label("Project name").fill("Eshop")  # the goal stays empty
    page.get_by_label("Write the steps myself").check()
    for _ in range(3):
        page.get_by_role("button", name="+ Add step").click()
    page.get_by_label("Step 1 title").fill("Set up the shop")
    create = page.get_by_role("button", name="Create project")
    create.scroll_into_view_if_needed()
    goal = page.get_by_label("Goal")
    assert not in_view(page, goal)
    create.tap()
    expect(goal).to_be_focused()
    expect(goal).to_have_attribute("aria-invalid", "true")
    page.wait_for_function(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }",
        arg=goal.element_handle(),
    )
    expect(create).to_be_enabled()
    shoot(page, "defect-missing-goal")

    page.goto("/agents/new")
    name = page.get_by_label("Name", exact=True)
    expect(name).to_be_visible()
    submit = page.get_by_role("button", name="Create agent")
    submit.scroll_into_view_if_needed()
    assert not in_view(page, name)
    submit.tap()
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    page.wait_for_function(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }",
        arg=name.element_handle(),
    )
    expect(submit).to_be_enabled()


def test_dark_mode_keeps_the_status_edge_of_a_card(browser: Any, server: ServerProcess) -> None:
    Api(server.base, "admin", ADMIN_PASSWORD).project(name="Eshop")
    ctx = browser.new_context(
        base_url=server.base, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", color_scheme="dark"
    )
    try:
        page = signed_in(ctx)
        card = page.get_by_role("list", name="Projects").get_by_role("link")
        expect(card).to_be_visible()
        assert page.evaluate("() => document.documentElement.classList.contains('dark')")
        left, top = card.evaluate("el => [getComputedStyle(el).borderLeftColor, getComputedStyle(el).borderTopColor]")
        assert left != top, f"the status edge is the card's border colour ({left})"
        shoot(page, "defect-dark-status-edge")
    finally:
        ctx.close()


def test_the_admins_confirm_dialog_reads_left_to_right_with_plain_plurals(desktop: Any, server: ServerProcess) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    alice = admin.create_user("alice")
    alice.project(name="One")  # one agent, one project
    agent = alice.http.get("/api/agents").json()[0]["id"]
    assert alice.http.post(f"/api/agents/{agent}/projects", json={"name": "Two"}).status_code == 201
    page = signed_in(desktop, "/admin")
    row = page.get_by_role("row").filter(has_text="alice")
    row.get_by_role("button", name="Delete alice").click()
    dialog = page.get_by_role("dialog", name="Delete user “alice”?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Their 1 agent and 2 projects are removed")
    assert "(s)" not in dialog.inner_text()
    assert dialog.evaluate("el => getComputedStyle(el.querySelector('h2')).textAlign") in ("left", "start")
    shoot(page, "defect-admin-confirm")
    dialog.get_by_role("button", name="Cancel").click()


def test_log_lines_show_24_hour_times(phone: Any, server: ServerProcess) -> None:
    pid = int(Api(server.base, "admin", ADMIN_PASSWORD).project(name="Eshop")["id"])
    engine = make_engine(f"sqlite:///{server.data_dir / 'autocode.db'}")
    try:
        with Session(engine) as s:
            add_log(s, project_id=pid, level=LogLevel.INFO, message="Step 1 started: One")
    finally:
        engine.dispose()
    page = signed_in(phone)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_attached()
    page.goto(f"/projects/{pid}")
    page.get_by_role("tab", name="Logs").click()
    line = page.get_by_role("log", name="Project log").locator("div").filter(has_text="Step 1 started")
    expect(line).to_be_visible()
    clock = line.locator("time").inner_text()
    assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", clock), clock


@pytest.mark.parametrize(
    "path",
    ["/agents/abc", "/agents/1e3/edit", "/agents/0/projects/new", "/projects/999999", "/projects/99999999999999999999"],
)
def test_a_bad_address_says_not_found(path: str, phone: Any, server: ServerProcess) -> None:
    page = signed_in(phone)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_attached()
    page.goto(path)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the dashboard")).to_be_visible()
    text = page.locator("main").inner_text()
    assert "Input should" not in text and "Request failed" not in text, text


def test_the_installed_app_keeps_clear_of_the_notch_and_home_bar(phone: Any, server: ServerProcess) -> None:
    page = phone.new_page()
    page.goto("/")
    viewport = page.locator('meta[name="viewport"]').get_attribute("content") or ""
    assert "viewport-fit=cover" in viewport
    sign_in(page, "admin", ADMIN_PASSWORD)
    menu = page.get_by_role("button", name="Open menu")
    expect(menu).to_be_visible()
    cdp = phone.new_cdp_session(page)
    cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": {"top": 47, "bottom": 34, "left": 0, "right": 0}})
    settle(page)
    box = menu.bounding_box()
    assert box is not None and box["y"] >= 47, f"the menu button lies under the notch: {box}"
    bottom = page.evaluate("() => getComputedStyle(document.querySelector('#main').parentElement).paddingBottom")
    assert bottom == "34px", bottom
    menu.click()
    drawer = page.get_by_role("dialog", name="Navigation")
    expect(drawer).to_be_visible()
    close = drawer.get_by_role("button", name="Close menu")
    box = close.bounding_box()
    assert box is not None and box["y"] >= 47, f"the drawer starts under the notch: {box}"
    shoot(page, "defect-safe-area")
