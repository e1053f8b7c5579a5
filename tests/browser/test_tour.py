"""A tour of every page and state, photographed at 390×844 and 1440×900, light and dark.

A real server, the real Claude Code CLI and the scripted Anthropic endpoint (tests/fakes): the
admin has a key and two agents, and projects in each state, each reached the way a user's would:
created (never started), running (Claude Code serves the site it wrote and keeps serving it),
needs help (an `ask` agent wants to run a command), paused (its token budget ran out mid-step),
failed (its git repository could not be cloned) and completed (one step, a file written). A
second user has nothing yet (the empty dashboard).

Every page is visited in a phone browser: login, the empty and the full dashboard, an agent, the
agent builder, a new project, each project state, every tab of a project, settings, its
notifications, admin and a page that does not exist. For each, in both themes (the system
colour scheme, which the app follows by default): the page's heading is there, nothing is wider
than the viewport at either size, and the browser console has no error. The shots are named
tour-<page>[-<state>]-<theme>-<size>.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, _layout_notes, settle, shoot
from tests.browser.test_users_day import sign_in
from tests.conftest import ADMIN_PASSWORD, free_port, stop_tmux_servers, wait_until
from tests.fakes.fake_anthropic import Reply, Text, ToolUse, bash, text, write
from tests.supervision.conftest import Platform

pytestmark = pytest.mark.browser

# Claude Code serves the page it wrote and keeps serving it: the project stays running, with a
# listening port (the Preview tab) and a process (the Processes tab).
# (A script of the project's own: the `auto` policy runs those, not inline code or `-m http.server`.)
SERVE_PY = """import http.server

with http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler) as server:
    print("serving on port", server.server_address[1], flush=True)
    server.serve_forever()
"""
SERVE = Reply(
    blocks=[
        Text("I will serve the shop to look at it."),
        ToolUse("Bash", {"command": "python3 serve.py", "description": "Serve the shop", "timeout": 600_000}),
    ]
)
TERMINAL_ATTACHED = (
    "() => [...document.querySelectorAll('[role=status]')].some(e => /attached/.test(e.textContent ?? ''))"
)


class Tour:
    """One phone page that remembers the console's errors and photographs a page in both themes."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(f"{m.text} ({m.location.get('url', '')})") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def snap(
        self,
        name: str,
        heading: Any,
        *,
        title: str | None = None,
        ready: str | None = None,
        allowed: Callable[[str], bool] = lambda e: False,
    ) -> None:
        """Both themes, both sizes: heading shown, nothing wider than the viewport, no console error."""
        page = self.page
        page.mouse.move(0, 0)  # no hover left over a link by the last tap
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            dark = "true" if scheme == "dark" else "false"
            page.wait_for_function(f"() => document.documentElement.classList.contains('dark') === {dark}")
            settle(page)
            expect(heading).to_be_visible()
            if title is not None:  # the phone's top bar names the page
                expect(page.get_by_role("banner").first.get_by_text(title, exact=True).first).to_be_visible()
            shot = f"tour-{name}-{scheme}"
            shoot(page, shot, ready=ready)
            wide = {size: px for size, px in _layout_notes[shot].items() if px > 0}
            assert not wide, f"{shot}: wider than the viewport by {wide} px"
        page.emulate_media(color_scheme="light")
        errors = [e for e in self.errors if not allowed(e)]
        self.errors.clear()
        assert not errors, f"{name}: console errors: {errors}"


def h1(page: Any, name: str) -> Any:
    return page.get_by_role("heading", name=name, level=1, exact=True)


def test_tour_of_every_page_and_state(platform: Platform, browser: Any) -> None:
    fake, http = platform.fake, platform.api.http
    fake.on_prompt(
        "(TOUR-DONE)",
        write("index.html", "<h1>Tea shop</h1>\n", say="I will write the shop's front page."),
        text("Wrote index.html with the shop's heading."),
    )
    fake.on_prompt("(TOUR-SERVE)", write("index.html", "<h1>Tea shop</h1>\n"), write("serve.py", SERVE_PY), SERVE)
    fake.on_prompt("(TOUR-ASK)", bash("rm -rf build", "Clean the build folder"))
    fake.on_prompt("(TOUR-BUDGET)", text("Scaffolded the app; next the API tests."))

    def agent(**fields: Any) -> dict[str, Any]:
        r = http.post("/api/agents", json={"model": "anthropic/claude-test", **fields})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def project(agent_id: int, name: str, steps: list[tuple[str, str]], **fields: Any) -> int:
        plan = [{"title": t, "detail": d} for t, d in steps]
        body = {
            "name": name,
            "description": f"{name}: a small tea shop with a cart and a checkout.",
            "implementation_plan": plan,
            **fields,
        }
        r = http.post(f"/api/agents/{agent_id}/projects", json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    web = agent(
        name="Web developer",
        identity="A careful senior web developer who writes tests first.",
        global_rules="Run the tests before every commit.",
    )
    careful = agent(name="Careful reviewer", permission_policy="ask")
    created = project(
        web["id"], "Blog", [("Scaffold the blog", "Pages, a layout and an RSS feed"), ("Write the posts", "")]
    )
    done = project(
        web["id"],
        "Tea shop",
        [("Write the front page", "The shop's name as a heading (TOUR-DONE)")],
        architecture="Static HTML, no build step.",
    )
    running = project(
        web["id"], "Live shop", [("Serve the shop", "On a local port, to look at it (TOUR-SERVE)"), ("Add a cart", "")]
    )
    helping = project(careful["id"], "Cleanup", [("Clean the build", "Remove the old build folder (TOUR-ASK)")])
    paused = project(
        web["id"],
        "Budget shop",
        [("Scaffold the app", "FastAPI with a health route (TOUR-BUDGET)"), ("Write the API tests", "")],
        budget_tokens=1,
    )
    failed = project(web["id"], "Imported shop", [], git_url=f"git://127.0.0.1:{free_port()}/shop.git")
    for pid in (done, running, helping, paused):
        platform.start(pid)
    r = platform.api.http.post("/api/users", json={"username": "bob", "password": "bob-password-1"})
    assert r.status_code == 201, r.text

    ctx = browser.new_context(
        base_url=platform.server.base,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        color_scheme="light",
    )
    ctx.set_default_timeout(15_000)
    try:
        # --- bob: the login page and the empty dashboard --------------------------------------
        tour = Tour(ctx.new_page())
        page = tour.page
        page.goto("/login")
        # anonymous: the app's attempt to restore a session is refused (401), as it should be
        tour.snap("login", h1(page, "Sign in to AutoCode"), allowed=lambda e: "401" in e)
        sign_in(page, "bob", "bob-password-1")
        expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
        tour.snap("dashboard-empty", h1(page, "Dashboard"), title="Dashboard")
        page.get_by_role("button", name=re.compile(r"^Open menu")).click()
        page.get_by_role("dialog", name="Navigation").get_by_role("button", name=re.compile("Sign out")).click()
        expect(h1(page, "Sign in to AutoCode")).to_be_visible()

        # --- the admin: pages that need no finished project -----------------------------------
        sign_in(page, "admin", ADMIN_PASSWORD)
        expect(h1(page, "Dashboard")).to_be_visible()
        page.goto("/agents/new")
        expect(page.get_by_label("Name", exact=True)).to_be_visible()
        tour.snap("agent-builder", h1(page, "New agent"), title="New agent")
        page.goto(f"/agents/{web['id']}/projects/new")
        expect(page.get_by_label("Project name")).to_be_visible()
        tour.snap("new-project", h1(page, "New project"), title="New project")
        page.goto("/admin")
        expect(page.get_by_role("table").get_by_role("row").filter(has_text="bob")).to_be_visible()
        expect(page.get_by_text("✓ available").first).to_be_visible()
        tour.snap("admin", h1(page, "Admin"), title="Admin")
        page.goto("/no/such/page")
        tour.snap("not-found", h1(page, "Not found"))

        # --- every state reached ----------------------------------------------------------------
        platform.wait_status(done, "completed")
        platform.wait_status(helping, "needs_help")
        platform.wait_status(paused, "paused")
        platform.wait_status(failed, "failed", timeout=60)
        # Claude Code has written the page and serves it: a listening port in the project's session
        wait_until(lambda: http.get(f"/api/projects/{running}/ports").json(), timeout=90, interval=0.5)
        states = {
            created: "created",
            running: "running",
            helping: "needs_help",
            paused: "paused",
            failed: "failed",
            done: "completed",
        }
        assert {pid: platform.get(pid)["status"] for pid in states} == states

        page.goto("/")
        cards = page.get_by_role("list", name="Projects")
        expect(cards.get_by_role("link")).to_have_count(6)
        expect(cards.get_by_role("link").first).to_contain_text("Cleanup")  # needs help comes first
        tour.snap("dashboard", h1(page, "Dashboard"), title="Dashboard")
        page.goto(f"/agents/{web['id']}")
        expect(page.get_by_role("link").filter(has_text="Tea shop")).to_be_visible()
        tour.snap("agent", h1(page, "Web developer"), title="Web developer")

        # each state's project page as a phone opens it (on the Activity feed)
        names = {
            created: "Blog",
            running: "Live shop",
            helping: "Cleanup",
            paused: "Budget shop",
            failed: "Imported shop",
            done: "Tea shop",
        }
        for pid, state in states.items():
            page.goto(f"/projects/{pid}")
            expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")
            expect(page.get_by_role("log", name="Activity")).to_be_visible()
            if state == "needs_help":
                expect(page.get_by_role("alert", name="Needs help")).to_contain_text("rm -rf build")
            tour.snap(f"project-{state.replace('_', '-')}", h1(page, names[pid]), title=names[pid])

        # every tab of the completed project; Preview and Processes of the running one too
        def tabs(pid: int, state: str, which: list[tuple[str, Any]]) -> None:
            page.goto(f"/projects/{pid}")
            for tab, shown in which:
                page.get_by_role("tab", name=tab).click()
                expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
                expect(shown()).to_be_visible()
                ready = TERMINAL_ATTACHED if tab == "Terminal" else None
                tour.snap(f"project-{state}-{tab.lower()}", h1(page, names[pid]), title=names[pid], ready=ready)

        panel = page.get_by_role("tabpanel")
        tabs(
            done,
            "completed",
            [
                ("Activity", lambda: page.get_by_role("log", name="Activity").get_by_text("Wrote index.html").first),
                ("Terminal", lambda: page.get_by_role("status").filter(has_text=re.compile("attached"))),
                ("Logs", lambda: page.get_by_role("log", name="Project log").get_by_text("The step is done")),
                ("Files", lambda: panel.get_by_text("index.html").first),
                ("Preview", lambda: panel.get_by_text("Nothing is listening yet")),
                ("Processes", lambda: panel.get_by_role("list", name="Processes").get_by_text("bash").first),
                ("Description", lambda: page.get_by_role("textbox", name="Description")),
                ("Architecture", lambda: page.get_by_role("textbox", name="Architecture")),
            ],
        )
        tabs(
            running,
            "running",
            [
                ("Preview", lambda: panel.frame_locator("iframe").get_by_role("heading", name="Tea shop")),
                ("Processes", lambda: panel.get_by_role("list", name="Processes").get_by_text("serve.py").first),
            ],
        )

        # settings (keys, password, deploy key) and its notifications section with a channel
        r = http.post(
            "/api/notifications/channels",
            json={"url": f"ntfy://127.0.0.1:{free_port()}/alerts", "label": "ntfy on the desk"},
        )
        assert r.status_code == 201, r.text
        page.goto("/settings")
        expect(page.get_by_role("list", name="Saved keys")).to_contain_text("anthropic")
        tour.snap("settings", h1(page, "Settings"), title="Settings")
        page.get_by_role("heading", name="Notifications").scroll_into_view_if_needed()
        expect(page.get_by_role("list", name="Channels")).to_contain_text("ntfy on the desk")
        tour.snap("notifications", page.get_by_role("heading", name="Notifications"), title="Settings")
    finally:
        ctx.close()
        stop_tmux_servers(platform.data, ["bob"])
