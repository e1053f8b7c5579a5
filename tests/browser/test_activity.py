"""Following a project on a phone (390×844) in its Activity feed, in Chromium against a real server,
the real Claude Code CLI and the scripted Anthropic endpoint (tests/fakes/fake_anthropic.py).

A project with the `ask` policy: Claude Code says what it will do and writes a file (a card with
the new lines), asks to do so (a question card), and the user approves from the app; the card
records "You answered: yes (approved)". The server restarts: the feed reconnects and goes on with
nothing twice. In the next step Claude Code edits the file (a diff with removed and added lines)
and asks to run a command, which the user denies from the app: the command's card says
"declined", the answer is recorded, and the plan shows both steps as "done, not verified" (no
decision model judged them) and the second as flagged for review.
The Activity tab is photographed at 390×844 and 1440×900, light and dark.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_phone_context, settle, shoot, sign_in_as_admin
from tests.conftest import wait_until
from tests.fakes.fake_anthropic import bash, edit, read, text, write
from tests.supervision.conftest import Platform

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def answer(page: Any, platform: Platform, pid: int, button: str, about: str) -> None:
    """Tap `button` on the needs-help card once it asks `about`, then wait until the project no
    longer asks it (the next question may follow at once, so the card need not ever hide)."""
    card = page.get_by_role("alert", name="Needs help")
    expect(card).to_contain_text(about, timeout=90_000)
    card.get_by_role("button", name=button).click()
    wait_until(lambda: (q := platform.get(pid)["question"]) is None or about not in q["text"], timeout=60)


def both_themes(page: Any, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        settle(page)
        shoot(page, f"{name}-{scheme}")
    page.emulate_media(color_scheme="light")


def test_follow_a_project_in_the_activity_feed_on_a_phone(platform: Platform, browser: Any) -> None:
    fake = platform.fake
    fake.on_prompt(
        "GO-NOTES",
        write("notes.txt", "alpha\nbeta\n", say="I will write the notes file first."),
        text("Wrote notes.txt with two lines."),
    )
    fake.on_prompt(
        "GO-POLISH",
        read("notes.txt"),
        edit("notes.txt", "beta", "gamma"),
        bash("rm -rf build", "Clean the build folder"),
        text("Notes polished."),
    )
    project = platform.project(
        [{"title": "Write the notes", "detail": "GO-NOTES"}, {"title": "Polish the notes", "detail": "GO-POLISH"}],
        policy="ask",
        name="Notes",
    )
    pid = project["id"]
    workspace = Path(project["workspace_path"])

    ctx = new_phone_context(browser, platform.server.base)
    try:
        page = ctx.new_page()
        sign_in_as_admin(page)
        page.goto(f"/projects/{pid}")
        # on a phone the project opens on its Activity feed
        expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")
        feed = page.get_by_role("log", name="Activity")
        expect(feed).to_contain_text("press Start")
        page.get_by_role("button", name="Start", exact=True).click()
        # Step 1 ends as soon as its question is answered, and the feed then shows step 2: follow
        # every step meanwhile, so that step 1's cards stay in view to be checked.
        every = page.get_by_role("button", name="All steps")
        every.click()
        expect(every).to_have_attribute("aria-pressed", "true")

        # Claude Code's message, then its Write as a card with the new lines, then the question
        expect(feed.get_by_text("I will write the notes file first.")).to_be_visible(timeout=90_000)
        write_card = feed.get_by_role("article", name="Write notes.txt")
        expect(write_card).to_be_visible(timeout=60_000)
        changes = write_card.get_by_label("Changes")
        expect(changes).to_contain_text("alpha")
        expect(changes).to_contain_text("beta")
        assert changes.inner_text().split("\n")[:2] == ["+ alpha", "+ beta"], changes.inner_text()
        question = feed.get_by_role("article", name="Question").first
        expect(question).to_contain_text("notes.txt", timeout=60_000)
        expect(question).to_contain_text("Waiting for an answer")
        expect(write_card.get_by_text("waiting for you", exact=True)).to_be_visible()
        assert page.evaluate(NO_OVERFLOW), "the page is wider than the phone"
        both_themes(page, "40-activity-question")

        # answered from the app: recorded on the card, the file is written, the card says done
        answer(page, platform, pid, "Approve", "create notes.txt")
        expect(question).to_contain_text("You answered: yes (approved)")
        expect(write_card.get_by_text("done", exact=True)).to_be_visible(timeout=60_000)
        wait_until(lambda: (workspace / "notes.txt").exists(), timeout=60)

        # the server restarts under the open page: the feed reconnects and goes on where it stopped
        platform.restart_server()
        expect(page.get_by_text("reconnecting…")).to_be_hidden(timeout=60_000)
        every.click()  # back to the current step
        expect(every).to_have_attribute("aria-pressed", "false")

        # step 2: the edit (a removed and an added line) is asked for and approved
        expect(page.get_by_text("Step 2: Polish the notes", exact=True)).to_be_visible(timeout=90_000)
        edit_card = feed.get_by_role("article", name="Edit notes.txt")
        expect(edit_card).to_be_visible(timeout=90_000)
        diff = edit_card.get_by_label("Changes")
        expect(diff).to_contain_text("gamma")
        lines = diff.inner_text().split("\n")
        assert "- beta" in lines and "+ gamma" in lines, lines
        removed = diff.locator("span.block", has_text="beta").first
        added = diff.locator("span.block", has_text="gamma").first
        assert removed.evaluate("e => getComputedStyle(e).color") != added.evaluate("e => getComputedStyle(e).color")
        answer(page, platform, pid, "Approve", "edit to notes.txt")
        # the command is asked for and denied from the app
        bash_card = feed.get_by_role("article", name=re.compile(r"^Bash"))
        expect(bash_card).to_contain_text("rm -rf build", timeout=90_000)
        answer(page, platform, pid, "Deny", "rm -rf build")
        expect(bash_card.get_by_text("declined", exact=True)).to_be_visible(timeout=60_000)
        expect(feed.get_by_text("You answered: no (denied)")).to_be_visible()

        # the run ends; the plan tells the truth about both steps
        expect(page.get_by_text(re.compile(r"completed", re.I)).first).to_be_visible(timeout=120_000)
        done = platform.get(pid)
        assert done["status"] == "completed", done
        steps = done["implementation_plan"]
        assert [(s["status"], s["verified"]) for s in steps] == [("done", False), ("done", False)]
        assert steps[0]["answers"] == ["yes"] and steps[0]["review"] is None
        assert steps[1]["answers"] == ["yes", "no"] and "rm -rf build" in steps[1]["review"]
        assert (workspace / "notes.txt").read_text() == "alpha\ngamma\n"
        plan = page.locator("section[aria-labelledby=plan-h]")
        if not plan.get_by_text("done, not verified").first.is_visible():
            plan.get_by_text("Show steps").click()
        expect(plan.get_by_text("done, not verified")).to_have_count(2)
        expect(plan.get_by_text("flagged for review")).to_have_count(1)
        expect(plan.get_by_text("You answered: no")).to_be_visible()

        feed.evaluate("e => { e.scrollTop = 0 }")
        both_themes(page, "42-activity-edit-and-declined")

        # every step's activity, from the start
        every.click()
        expect(feed.get_by_text("I will write the notes file first.")).to_be_visible()
        expect(feed.get_by_text("You answered: yes (approved)")).to_have_count(2)
        # nothing twice, nothing lost across the reconnect
        for name, count in (("Write notes.txt", 1), ("Edit notes.txt", 1), ("Question", 3)):
            expect(feed.get_by_role("article", name=name)).to_have_count(count)
        expect(feed.get_by_text("I will write the notes file first.")).to_have_count(1)
        assert page.evaluate(NO_OVERFLOW), "the page is wider than the phone"
        feed.evaluate("e => { e.scrollTop = 0 }")
        page.get_by_role("tab", name="Activity").scroll_into_view_if_needed()
        both_themes(page, "41-activity-all-steps")
    finally:
        ctx.close()
