"""The phone cockpit, in Chromium at 390×844 against a real server, the real supervisor and
Claude Code CLI, and the scripted Anthropic endpoint: for each state the status banner says
what happens or why it stopped, and its one primary action does the right thing.

created → Start · running → Pause (then Resume) · needs help → Answer · paused by the budget →
Raise budget (it resumes and finishes) · failed → Retry step (it completes) · completed → Add steps.
Every state is photographed at 390×844 and 1440×900.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_phone_context, shoot, sign_in_as_admin
from tests.conftest import wait_until
from tests.fakes.fake_anthropic import Reply, bash, text, write
from tests.supervision.conftest import Platform

pytestmark = pytest.mark.browser


class Gate:
    """Holds the first matching model call until released: the agent stays busy, no race with time."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.reached = threading.Event()
        self.released = threading.Event()
        self._taken = False
        self._lock = threading.Lock()

    def respond(self, _req: Any) -> Reply | None:
        with self._lock:
            if self._taken:
                return None  # later calls go to the next rule
            self._taken = True
        self.reached.set()
        self.released.wait(180)
        return self.reply


def gate(platform: Platform, needle: str, turn_step: int, reply: Reply) -> Gate:
    g = Gate(reply)
    platform.fake.add(lambda r: needle in r.prompt and r.turn_step == turn_step, g.respond, first=True)
    return g


def banner(page: Any) -> Any:
    return page.get_by_role("region", name="Status")


def wait_status(platform: Platform, pid: int, status: str) -> dict[str, Any]:
    got: dict[str, Any] = wait_until(
        lambda: (p := platform.get(pid))["status"] == status and p, timeout=120, interval=0.2
    )
    return got


def crash_until_failed(platform: Platform, pid: int) -> None:
    """Kill each supervisor the watchdog starts until it gives up (three crashes in ten minutes)."""
    seen: set[int] = set()
    for _ in range(3):

        def live() -> dict[str, Any] | None:
            inst = platform.get(pid)["instance"]
            return inst if inst and inst["id"] not in seen and inst["status"] == "running" and inst["pid"] else None

        inst: dict[str, Any] = wait_until(live, timeout=60, interval=0.1)
        seen.add(inst["id"])
        os.kill(inst["pid"], signal.SIGKILL)
    wait_status(platform, pid, "failed")


def test_every_state_offers_its_one_action_on_a_phone(platform: Platform, browser: Any) -> None:
    fake = platform.fake
    # RUN: a command, then a model call held until the test has seen the running state
    fake.on_prompt("GO-RUN", bash("echo started-run", "Say hello"), write("run.txt", "ran\n"), text("Wrote run.txt"))
    held = gate(platform, "GO-RUN", 1, write("run.txt", "ran\n"))
    fake.on_prompt("GO-MORE", write("more.txt", "more\n"), text("Wrote more.txt"))
    fake.on_prompt("GO-ASK", write("asked.txt", "asked\n"), text("Wrote asked.txt"))
    fake.on_prompt("GO-BUDGET", write("budget.txt", "paid\n"), text("Wrote budget.txt"))
    fake.on_prompt("GO-CRASH", write("crash.txt", "survived\n"), text("Wrote crash.txt"))
    crash_gate = gate(platform, "GO-CRASH", 0, write("crash.txt", "survived\n"))

    run = platform.project([{"title": "Run it", "detail": "GO-RUN"}], name="Runner")
    ask = platform.project([{"title": "Ask first", "detail": "GO-ASK"}], name="Asker", policy="ask")
    budget = platform.project([{"title": "Spend tokens", "detail": "GO-BUDGET"}], name="Spender", budget_tokens=100)
    crash = platform.project([{"title": "Survive crashes", "detail": "GO-CRASH"}], name="Crasher")

    ctx = new_phone_context(browser, platform.server.base, timeout_ms=20_000)
    try:
        page = ctx.new_page()
        sign_in_as_admin(page)

        # --- created → Start ---------------------------------------------------------------
        page.goto(f"/projects/{run['id']}")
        status = banner(page)
        expect(status).to_contain_text("Not started")
        expect(status).to_contain_text("1 step planned")
        expect(status.get_by_role("button", name="Pause", exact=True)).to_have_count(0)
        shoot(page, "cockpit-01-created")
        status.get_by_role("button", name="Start", exact=True).click()

        # --- running → Pause (then Resume) ---------------------------------------------------
        assert held.reached.wait(90), platform.log_text(run["id"])
        expect(status).to_contain_text("Step 1 of 1 · Run it")
        expect(status).to_contain_text(re.compile(r"\d+ s in this step"))
        expect(status).to_contain_text("last: Bash echo started-run")
        expect(status.get_by_role("button", name="Start", exact=True)).to_have_count(0)
        shoot(page, "cockpit-02-running")
        page.emulate_media(color_scheme="dark")
        shoot(page, "cockpit-02-running-dark")
        page.emulate_media(color_scheme="light")
        # the rest waits in More, each with its line; Stop and Restart ask first
        status.get_by_role("button", name="More").click()
        menu = page.get_by_role("group", name="More actions")
        expect(menu.get_by_role("button", name=re.compile(r"^Stop"))).to_contain_text("starts over")
        menu.get_by_role("button", name=re.compile(r"^Restart")).click()
        dialog = page.get_by_role("dialog", name="Restart “Runner”?")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        page.keyboard.press("Escape")
        expect(menu).to_have_count(0)
        assert platform.get(run["id"])["status"] == "running"  # cancelled: nothing restarted

        status.get_by_role("button", name="Pause", exact=True).click()
        expect(status).to_contain_text("Stopped by you")
        held.released.set()
        assert platform.get(run["id"])["reason"]["kind"] == "stopped"
        shoot(page, "cockpit-03-paused-by-you")
        status.get_by_role("button", name="Resume", exact=True).click()
        wait_status(platform, run["id"], "completed")

        # --- completed → Add steps (then Start runs only the new one) -----------------------
        expect(status).to_contain_text("The step is done")
        expect(status.get_by_role("button", name="Download", exact=True)).to_be_visible()
        shoot(page, "cockpit-04-completed")
        status.get_by_role("button", name="Add steps", exact=True).click()
        new_step = page.get_by_label("New step")
        expect(new_step).to_be_focused()
        new_step.fill("One more file")
        page.get_by_label("Detail (optional)").fill("GO-MORE")
        page.get_by_role("button", name="+ Add step").click()
        start = status.get_by_role("button", name="Start", exact=True)
        expect(start).to_be_visible()  # new work: Start comes back
        start.click()
        done = wait_until(
            lambda: (
                (p := platform.get(run["id"]))["status"] == "completed"
                and [s["status"] for s in p["implementation_plan"]] == ["done", "done"]
                and p
            ),
            timeout=120,
            interval=0.2,
        )
        assert done["current_step"] == 2
        expect(status).to_contain_text("All 2 steps done")
        # the name is edited in place, with the server's rules as you type
        status.get_by_role("button", name="More").click()
        page.get_by_role("group", name="More actions").get_by_role("button", name=re.compile(r"^Rename")).click()
        name = status.get_by_label("Name", exact=True)
        expect(name).to_be_focused()
        name.fill("   ")
        expect(status.get_by_text("A name is needed")).to_be_visible()
        expect(status.get_by_role("button", name="Save name")).to_be_disabled()
        name.fill("Runner two")
        status.get_by_role("button", name="Save name").click()
        wait_until(lambda: platform.get(run["id"])["name"] == "Runner two", timeout=15)
        expect(page.get_by_role("heading", name="Runner two", level=1)).to_be_attached()
        expect(name).to_have_count(0)
        expect(status.get_by_role("button", name="Add steps", exact=True)).to_be_visible()

        # --- needs help → Answer --------------------------------------------------------------
        page.goto(f"/projects/{ask['id']}")
        status.get_by_role("button", name="Start", exact=True).click()
        answer = status.get_by_role("button", name="Answer", exact=True)
        expect(answer).to_be_visible(timeout=90_000)
        expect(status).to_contain_text("Waiting for your answer")
        shoot(page, "cockpit-05-needs-help")
        answer.click()
        help_box = page.get_by_role("alert", name="Needs help")
        approve = help_box.get_by_role("button", name="Approve")
        expect(approve).to_be_focused()
        approve.click()
        wait_status(platform, ask["id"], "completed")
        expect(status.get_by_role("button", name="Add steps", exact=True)).to_be_visible()

        # --- paused by the budget → Raise budget ------------------------------------------------
        page.goto(f"/projects/{budget['id']}")
        status.get_by_role("button", name="Start", exact=True).click()
        raise_ = status.get_by_role("button", name="Raise budget", exact=True)
        expect(raise_).to_be_visible(timeout=90_000)
        expect(status).to_contain_text(re.compile(r"Token budget reached \(\d+ of 100 tokens\)"))
        paused = platform.get(budget["id"])
        assert paused["reason"]["kind"] == "budget" and paused["reason"]["fix"] == "raise_budget"
        shoot(page, "cockpit-06-paused-by-budget")
        raise_.click()
        expect(status).to_contain_text("Paused · Step 1 of 1 · Spend tokens")
        field = status.get_by_label("Token budget", exact=True)
        expect(field).to_be_focused()
        field.fill("50")  # not more than already used: refused in place
        expect(status.get_by_text(re.compile(r"More than the .* used"))).to_be_visible()
        expect(status.get_by_role("button", name="Save and resume")).to_be_disabled()
        field.fill("50000000")
        status.get_by_role("button", name="Save and resume").click()
        finished = wait_status(platform, budget["id"], "completed")
        assert finished["budget_tokens"] == 50_000_000
        assert os.path.exists(os.path.join(budget["workspace_path"], "budget.txt"))

        # --- failed → Retry step ------------------------------------------------------------------
        page.goto(f"/projects/{crash['id']}")
        status.get_by_role("button", name="Start", exact=True).click()
        assert crash_gate.reached.wait(90), platform.log_text(crash["id"])
        crash_until_failed(platform, crash["id"])
        retry = status.get_by_role("button", name="Retry step", exact=True)
        expect(retry).to_be_visible()
        expect(status).to_contain_text("Failed · Step 1 of 1 · Survive crashes")
        expect(status).to_contain_text("The supervisor crashed 3 times in 10 minutes")
        shoot(page, "cockpit-07-failed")
        page.emulate_media(color_scheme="dark")
        shoot(page, "cockpit-07-failed-dark")
        page.emulate_media(color_scheme="light")
        # the dashboard's card says the same in one line
        page.goto("/")
        card = page.get_by_role("list", name="Projects").get_by_role("link").filter(has_text="Crasher")
        expect(card.get_by_test_id("card-reason")).to_have_text("✕ The supervisor crashed 3 times in 10 minutes")
        shoot(page, "cockpit-08-dashboard-reason")
        page.goto(f"/projects/{crash['id']}")
        retry.click()
        expect(status.get_by_role("button", name="Pause", exact=True)).to_be_visible()
        crash_gate.released.set()
        retried = wait_status(platform, crash["id"], "completed")
        assert retried["reason"] is None
        assert "Retrying step 1: Survive crashes" in [e["message"] for e in platform.logs(crash["id"])]
        expect(status.get_by_role("button", name="Add steps", exact=True)).to_be_visible()
    finally:
        held.released.set()
        crash_gate.released.set()
        ctx.close()
