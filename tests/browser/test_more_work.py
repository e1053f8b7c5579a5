"""More work for a completed project, in the browser on a phone: the plan editor shows the done
step locked, a step is added, edited and moved, Start runs only the new steps, and a running
project takes an instruction. Real Chromium, real server and supervisor, the real Claude Code CLI
against the scripted model endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shoot
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform, step_turns

pytestmark = pytest.mark.browser


def test_a_completed_project_gets_more_work_from_the_phone(platform: Platform, browser: Any) -> None:
    fake = platform.fake
    fake.on_prompt("GO-ONE", write("one.txt", "first\n"), text("Wrote one.txt"))
    fake.on_prompt("GO-TWO", write("two.txt", "second\n"), text("Wrote two.txt"))
    fake.on_prompt("GO-THREE", write("three.txt", "third\n", delay=8.0), text("Wrote three.txt"))
    fake.on_prompt("INSTR-README", write("README.md", "# Shop\n"), text("Added README.md"))
    project = platform.project([{"title": "Write the first file", "detail": "GO-ONE"}])
    pid = project["id"]
    platform.start(pid)
    platform.wait_status(pid, "completed")

    ctx = browser.new_context(
        base_url=platform.server.base,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        color_scheme="light",
    )
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        page.goto("/")
        sign_in(page, "admin", ADMIN_PASSWORD)
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        page.goto(f"/projects/{pid}")
        status = page.get_by_role("region", name="Status")
        start = status.get_by_role("button", name="Start", exact=True)
        add_steps = status.get_by_role("button", name="Add steps", exact=True)
        # every step is done: nothing to start, adding steps is what the page offers
        expect(add_steps).to_be_visible()
        expect(start).to_have_count(0)
        plan = page.locator("section[aria-labelledby=plan-h]")
        expect(plan.get_by_text("done · locked")).to_be_visible()  # the done step is locked: no edit controls
        expect(plan.get_by_role("button", name="Edit step 1")).to_have_count(0)

        add = page.get_by_role("form", name="Add a step")
        for title, detail in (("Write the third file", "GO-THREE"), ("Write the second file", "GO-TWO")):
            add.get_by_label("New step").fill(title)
            add.get_by_label("Detail (optional)").fill(detail)
            add.get_by_role("button", name="+ Add step").click()
            toast(page, "Step added")
            expect(plan.get_by_text(title)).to_be_visible()
        # the second file should come first: move it up, past the other pending step only
        expect(plan.get_by_role("button", name="Move step 2 up")).to_be_disabled()
        plan.get_by_role("button", name="Move step 3 up").click()
        expect(plan.locator("li").nth(1)).to_contain_text("2. Write the second file")
        expect(plan.locator("li").nth(2)).to_contain_text("3. Write the third file")
        plan.get_by_role("button", name="Edit step 3").click()
        plan.get_by_label("Step 3 title").fill("Write the third file, last")
        plan.get_by_role("button", name="Save step 3").click()
        expect(plan.locator("li").nth(2)).to_contain_text("3. Write the third file, last")
        expect(start).to_be_enabled()
        expect(add_steps).to_have_count(0)  # new work: Start is the one action again
        shoot(page, "more-01-plan-editor")

        start.click()
        # while step 3 runs, the page offers an instruction box instead of the plan editor
        box = page.get_by_role("form", name="Send an instruction")
        expect(box).to_be_visible()
        expect(page.get_by_role("form", name="Add a step")).to_have_count(0)
        fake.wait_for(lambda reqs: any("GO-THREE" in r.prompt for r in reqs), timeout=60)
        box.get_by_label("Send an instruction").fill("Add a README.md too (INSTR-README)")
        box.get_by_role("button", name="Send").click()
        toast(page, "Instruction queued")
        shoot(page, "more-02-instruction")
        platform.wait_status(pid, "completed", timeout=120)
        expect(page.get_by_text("3/3 · all steps done").or_(page.get_by_text("Step 3 of 3 · 3 done"))).to_be_visible()
        expect(add_steps).to_be_visible()
        expect(start).to_have_count(0)
        shoot(page, "more-03-completed")
    finally:
        ctx.close()

    done = platform.get(pid)
    assert [(s["title"], s["status"]) for s in done["implementation_plan"]] == [
        ("Write the first file", "done"),
        ("Write the second file", "done"),
        ("Write the third file, last", "done"),
    ]
    root = Path(project["workspace_path"])
    assert (root / "two.txt").exists() and (root / "three.txt").exists() and (root / "README.md").exists()
    assert step_turns(fake, "GO-ONE") == 1  # the done step did not run again
