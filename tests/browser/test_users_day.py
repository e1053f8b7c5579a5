"""A user's day (UI.md), in Chromium against a real server, database and local tmux runtime.

The admin signs in with the password the server was started with, changes it and creates an
account for a family member; she signs in on her phone, adds a key (shown masked), builds an
agent, creates a project with a plan, opens its terminal, types a command and reads the answer.
Every page is photographed at phone and desktop size on the way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, settle, shoot
from tests.conftest import ADMIN_PASSWORD, ServerProcess

pytestmark = pytest.mark.browser

NEW_ADMIN_PASSWORD = "admin-password-456"
ALICE_PASSWORD = "alice-password-1"
KEY = "sk-ant-api03-testing-key-abcd"


def sign_in(page: Any, username: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Sign in to AutoCode")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def toast(page: Any, text: str) -> None:
    expect(page.locator("[data-sonner-toast]").filter(has_text=text).first).to_be_visible()


def phone_nav(page: Any, link: str) -> None:
    """On a phone the navigation lives in a drawer behind the menu button."""
    page.get_by_role("button", name=re.compile(r"^Open menu")).click()
    drawer = page.get_by_role("dialog", name="Navigation")
    expect(drawer).to_be_visible()
    drawer.get_by_role("link", name=link).click()
    expect(drawer).to_be_hidden()


# After a resize tmux redraws the screen for the new size: wait until the rows show the text and
# have stopped changing for half a second (polled, with a deadline).
TERMINAL_QUIET = """async () => {
  const rows = () => document.querySelector('.xterm-rows')?.innerText ?? '';
  let last = rows(), quiet = 0;
  for (const end = Date.now() + 10000; Date.now() < end; ) {
    await new Promise(r => setTimeout(r, 100));
    const now = rows();
    if (now === last && now.includes('%s')) { if (++quiet >= 5) return true; } else { quiet = 0; last = now; }
  }
  return false;
}"""


def terminal_text(page: Any) -> str:
    return str(page.evaluate("() => document.querySelector('.xterm-rows')?.innerText ?? ''"))


def test_admin_invites_a_user_who_builds_an_agent_and_uses_the_terminal(
    server: ServerProcess, desktop: Any, phone: Any
) -> None:
    # --- the admin, at the desk -------------------------------------------------------------
    admin = desktop.new_page()
    admin.goto("/")
    expect(admin).to_have_url(re.compile(r"/login$"))
    shoot(admin, "01-login")
    sign_in(admin, "admin", "not-the-password")
    expect(admin.get_by_role("alert")).to_be_visible()  # the server's refusal, not silence
    sign_in(admin, "admin", ADMIN_PASSWORD)
    expect(admin.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    sidebar = admin.locator("aside").get_by_role("navigation", name="Main")
    expect(sidebar.get_by_role("link", name="Admin")).to_be_visible()

    sidebar.get_by_role("link", name="Settings").click()
    admin.get_by_label("Current password").fill(ADMIN_PASSWORD)
    admin.get_by_label("New password", exact=True).fill(NEW_ADMIN_PASSWORD)
    admin.get_by_label("Repeat new password").fill(NEW_ADMIN_PASSWORD)
    admin.get_by_role("button", name="Change password").click()
    toast(admin, "Password changed")

    sidebar.get_by_role("link", name="Admin").click()
    expect(admin.get_by_role("heading", name="Users")).to_be_visible()
    admin.get_by_label("New username").fill("Alice")
    expect(admin.get_by_text("Must start with a lowercase letter")).to_be_visible()  # validated as you type
    admin.get_by_label("New username").fill("alice")
    admin.get_by_label("Initial password").fill(ALICE_PASSWORD)
    admin.get_by_role("button", name="Create user").click()
    toast(admin, "Account “alice” created")
    users = admin.get_by_role("table")
    expect(users.get_by_role("row").filter(has_text="alice")).to_be_visible()
    expect(admin.get_by_text("✓ available").first).to_be_visible()  # server health loaded
    shoot(admin, "10-admin")
    # on a phone the users table fits its card: no sideways scrolling to reach "Delete"
    admin.set_viewport_size(PHONE)
    settle(admin)
    fits = admin.evaluate(
        "() => { const box = document.querySelector('table').parentElement; return box.scrollWidth - box.clientWidth; }"
    )
    assert fits <= 0, f"the users table is {fits} px wider than its card on a phone"
    admin.set_viewport_size(DESKTOP)
    settle(admin)

    # the old admin password no longer works
    r = __import__("httpx").post(
        f"{server.base}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 401, r.text

    # --- alice, on her phone ----------------------------------------------------------------
    page = phone.new_page()
    page.goto("/")
    sign_in(page, "alice", ALICE_PASSWORD)
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
    topbar = page.get_by_role("banner").first
    expect(topbar.get_by_text("Dashboard", exact=True).first).to_be_visible()  # title in the top bar
    expect(page.locator("aside")).to_be_hidden()  # no sidebar on a phone
    shoot(page, "02-dashboard-empty")

    phone_nav(page, "Settings")
    expect(page.get_by_text("No keys yet")).to_be_visible()
    page.get_by_label("Provider").select_option("anthropic")
    page.get_by_label("Key", exact=True).fill(KEY)
    page.get_by_role("button", name="Add key").click()
    saved = page.get_by_role("list", name="Saved keys")
    expect(saved).to_contain_text("anthropic ····abcd")
    expect(page.get_by_text(KEY)).to_have_count(0)
    assert KEY not in page.content()
    shoot(page, "09-settings")

    phone_nav(page, "New agent")
    expect(page.get_by_label("Name", exact=True)).to_be_visible()
    shoot(page, "04-agent-builder")
    page.get_by_label("Name", exact=True).fill("Web developer")
    page.get_by_label("Model").fill("anthropic/claude-opus-4-6")
    page.get_by_label("Identity").fill("A careful senior web developer who writes tests first.")
    page.get_by_label("Global rules").fill("Run the tests before every commit.")
    page.locator("summary", has_text="Advanced").click()  # tools and MCP servers are folded away
    page.get_by_label("Tools").fill("read_file, search")  # what the tools list enables (brain.py)
    page.get_by_role("button", name="Create agent").click()
    toast(page, "Agent “Web developer” created")
    expect(page).to_have_url(re.compile(r"/agents/\d+$"))
    agent_url = page.url
    expect(page.get_by_text("anthropic/claude-opus-4-6")).to_be_visible()
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    shoot(page, "03-agent-detail")

    page.get_by_role("link", name="+ New project").click()
    page.get_by_label("Project name").fill("Eshop")
    expect(page.get_by_label("Folder name (slug)")).to_have_attribute("placeholder", "eshop")
    page.get_by_label("Goal").fill("A small shop selling tea, with a cart and a checkout.")
    page.get_by_label("Architecture (optional)").fill("FastAPI + SQLite, server-rendered pages.")
    page.get_by_label("Write the steps myself").check()
    page.get_by_label("Step 1 title").fill("Scaffold the app")
    page.get_by_role("button", name="+ Add step").click()
    page.get_by_label("Step 2 title").fill("Write the API tests")
    page.get_by_label("Step 2 detail").fill("pytest, one file per resource")
    page.get_by_role("button", name="+ Add step").click()
    page.get_by_label("Step 3 title").fill("Checkout")
    shoot(page, "05-new-project")
    page.get_by_role("button", name="Create project").click()
    toast(page, "Project “Eshop” created")
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    project_url = page.url

    # the project page: status, plan of three steps, the Activity feed open by default on a phone
    expect(topbar.get_by_text("Eshop", exact=True).first).to_be_visible()
    expect(page.get_by_text("Step 1 of 3", exact=False)).to_be_visible()
    expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Terminal").click()
    expect(page.get_by_role("tab", name="Terminal")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("toolbar", name="Terminal keys")).to_be_visible()  # phone key bar
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^attached$"))).to_be_visible()

    page.locator(".xterm-helper-textarea").focus()
    page.keyboard.type("echo hello-$((6*7))")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => /hello-42/.test(document.querySelector('.xterm-rows')?.innerText ?? '')", timeout=20_000
    )
    assert "hello-42" in terminal_text(page)
    # the phone key bar sends keys too: Ctrl-C then a command through the Enter key
    page.get_by_role("button", name="Control C", exact=True).click()
    page.keyboard.type("echo keybar-$((40+2))")
    page.get_by_role("button", name="Enter", exact=True).click()
    page.wait_for_function(
        "() => /keybar-42/.test(document.querySelector('.xterm-rows')?.innerText ?? '')", timeout=20_000
    )
    shoot(page, "06-project-terminal", ready=TERMINAL_QUIET % "keybar-42")
    # after the resizes the terminal is still attached and answering
    page.locator(".xterm-helper-textarea").focus()
    page.keyboard.type("echo again-$((2*21))")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => /again-42/.test(document.querySelector('.xterm-rows')?.innerText ?? '')", timeout=20_000
    )

    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("log", name="Project log")).to_be_visible()
    shoot(page, "07-project-logs")

    page.get_by_role("tab", name="Description").click()
    expect(page.get_by_role("textbox", name="Description")).to_have_value(re.compile("selling tea"))

    phone_nav(page, "Dashboard")
    projects = page.get_by_role("list", name="Projects")
    card = projects.get_by_role("link").filter(has_text="Eshop")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Web developer")
    expect(card).to_contain_text("tokens")
    shoot(page, "08-dashboard-with-project")

    # the agent is in the navigation, and its page lists the project
    page.get_by_role("button", name=re.compile(r"^Open menu")).click()
    drawer = page.get_by_role("dialog", name="Navigation")
    drawer.get_by_role("link", name="Web developer").click()
    expect(page).to_have_url(agent_url)
    expect(page.get_by_role("link").filter(has_text="Eshop")).to_be_visible()

    # reloading keeps her signed in (refresh cookie) and the terminal keeps its history
    page.goto(project_url)
    page.get_by_role("tab", name="Terminal").click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^attached$"))).to_be_visible()
    page.wait_for_function(
        "() => /again-42/.test(document.querySelector('.xterm-rows')?.innerText ?? '')", timeout=20_000
    )
    settle(page)
