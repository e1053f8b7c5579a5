"""The human's side of the loop, in Chromium against a real server, the real Claude Code CLI and
the scripted Anthropic endpoint (tests/fakes/fake_anthropic.py).

A project with the `ask` policy: Claude Code asks to create a file. The user sees the question
in the terminal's Claude Code view (xterm's rendered rows) and on the needs-help card, taps
Approve, and watches the next step run to the end. Then one more step is appended to the
completed project in the plan editor and run.
Every moment is photographed at 390×844 and 1440×900.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, new_phone_context, shoot, sign_in_as_admin
from tests.conftest import wait_until
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform

pytestmark = pytest.mark.browser

ROWS = "document.querySelector('.xterm-rows')?.innerText ?? ''"


def terminal_shows(page: Any, pattern: str, timeout: float = 60_000) -> str:
    """Wait until xterm's rendered rows match `pattern` (a JS regex); return the rows."""
    page.wait_for_function(f"() => new RegExp({pattern!r}).test({ROWS})", timeout=timeout)
    return str(page.evaluate(f"() => {ROWS}"))


# The terminal has redrawn for the new size and shows `%s` (polled, with a deadline).
TERMINAL_SHOWS = """async () => {
  const rows = () => document.querySelector('.xterm-rows')?.innerText ?? '';
  let last = rows(), quiet = 0;
  for (const end = Date.now() + 10000; Date.now() < end; ) {
    await new Promise(r => setTimeout(r, 100));
    const now = rows();
    if (now === last && /%s/.test(now)) { if (++quiet >= 5) return true; } else { quiet = 0; last = now; }
  }
  return false;
}"""


def test_see_claude_codes_question_in_the_terminal_approve_it_and_give_more_work(
    platform: Platform, browser: Any
) -> None:
    fake = platform.fake
    fake.on_prompt("GO-ALPHA", write("alpha.txt", "alpha\n"), text("Created alpha.txt"))
    fake.on_prompt("GO-CHECK", text("Checked: alpha.txt is there."))
    fake.on_prompt("GO-GAMMA", text("Nothing else to change."))
    project = platform.project(
        [{"title": "Create alpha.txt", "detail": "GO-ALPHA"}, {"title": "Check the result", "detail": "GO-CHECK"}],
        policy="ask",
        name="Alpha",
    )
    pid = project["id"]
    workspace = Path(project["workspace_path"])

    ctx = new_phone_context(browser, platform.server.base)
    try:
        page = ctx.new_page()
        sign_in_as_admin(page)
        page.goto(f"/projects/{pid}")
        # a phone opens the project on its Activity feed; this test watches the terminal
        page.get_by_role("tab", name="Terminal").click()
        window = page.get_by_role("group", name="Window")
        # Nothing runs yet: the terminal shows the project's shell.
        expect(window.get_by_role("button", name="Shell")).to_have_attribute("aria-pressed", "true")

        page.get_by_role("button", name="Start", exact=True).click()
        # Claude Code asks; the project needs help and the terminal switched to Claude Code by itself.
        card = page.get_by_role("alert", name="Needs help")
        expect(card).to_be_visible(timeout=90_000)
        expect(card).to_contain_text("alpha.txt")
        expect(card.get_by_role("button", name="Approve")).to_be_visible()
        expect(card.get_by_role("button", name="Deny")).to_be_visible()
        expect(window.get_by_role("button", name="Claude Code")).to_have_attribute(
            "aria-pressed", "true", timeout=30_000
        )
        rows = terminal_shows(page, r"Do you want to (create|make)[\s\S]*alpha\.txt|alpha\.txt[\s\S]*Do you want")
        assert "alpha.txt" in rows and "Do you want" in rows, rows
        assert re.search(r"1\.\s*Yes", rows), rows  # the menu itself, as Claude Code draws it
        # Claude Code's view is read-only until typing is unlocked: no key bar, a lock button.
        unlock = page.get_by_role("button", name="Unlock typing")
        expect(unlock).to_be_visible()
        expect(page.get_by_role("toolbar", name="Terminal keys")).to_have_count(0)
        assert project_status(platform, pid) == "needs_help"
        assert not (workspace / "alpha.txt").exists()
        shoot(page, "30-ask-question-in-terminal", ready=TERMINAL_SHOWS % r"Do you want")
        # one tap unlocks typing into Claude Code (the key bar appears); remembered for this project
        unlock.click()
        expect(page.get_by_role("button", name="Lock typing")).to_be_visible()
        expect(page.get_by_role("toolbar", name="Terminal keys")).to_be_visible()
        page.reload()
        page.get_by_role("tab", name="Terminal").click()
        expect(page.get_by_role("button", name="Lock typing")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text=re.compile(r"^attached$"))).to_be_visible()
        shoot(page, "30b-claude-code-typing-unlocked", ready=TERMINAL_SHOWS % r"Do you want")
        page.get_by_role("button", name="Lock typing").click()
        expect(page.get_by_role("toolbar", name="Terminal keys")).to_have_count(0)
        card = page.get_by_role("alert", name="Needs help")

        card.get_by_role("button", name="Approve").click()
        expect(card).to_be_hidden(timeout=60_000)
        # the next step runs, and the project completes
        expect(page.get_by_text(re.compile(r"completed", re.I)).first).to_be_visible(timeout=120_000)
        # Claude Code's window closed with the run: the terminal went back to the shell by itself
        expect(window.get_by_role("button", name="Shell")).to_have_attribute("aria-pressed", "true", timeout=30_000)
        assert (workspace / "alpha.txt").read_text() == "alpha\n"
        done = platform.get(pid)
        assert done["status"] == "completed", done
        assert [s["status"] for s in done["implementation_plan"]] == ["done", "done"]
        assert done["question"] is None
        shoot(page, "31-approved-and-completed")

        # the Shell view takes typing
        expect(page.get_by_role("toolbar", name="Terminal keys")).to_be_visible()
        page.locator(".xterm-helper-textarea").focus()
        page.keyboard.type("cat alpha.txt; echo shown-$((6*7))")
        page.keyboard.press("Enter")
        terminal_shows(page, r"shown-42")
        shoot(page, "32-shell-view", ready=TERMINAL_SHOWS % "shown-42")

        # --- more work for the completed project ---------------------------------------------
        # appended through the plan editor on the project page, as a user would
        if not page.get_by_label("New step").is_visible():
            page.get_by_text("Show steps").click()
            if not page.get_by_label("New step").is_visible():
                page.get_by_text("Add a step").click()
        page.get_by_label("New step").fill("One more look")
        page.get_by_label("Detail (optional)").fill("GO-GAMMA")
        page.get_by_role("button", name="+ Add step").click()
        wait_until(lambda: len(platform.get(pid)["implementation_plan"]) == 3, timeout=15)
        expect(page.get_by_text("Step 3 of 3 · 2 done", exact=False)).to_be_visible()
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()  # it runs again
        final = wait_until(
            lambda: (
                (p := platform.get(pid))["status"] == "completed"
                and [s["status"] for s in p["implementation_plan"]] == ["done", "done", "done"]
                and p
            ),
            timeout=120,
            interval=0.2,
        )
        expect(page.get_by_text("3 done", exact=False)).to_be_visible()
        # no steps left: nothing to start, adding steps is what the page offers
        expect(page.get_by_role("button", name="Add steps", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Start", exact=True)).to_have_count(0)
        assert final["question"] is None
        shoot(page, "33-appended-step-done")
    finally:
        ctx.close()


def project_status(platform: Platform, pid: int) -> str:
    return str(platform.get(pid)["status"])


__all__ = ["DESKTOP"]
