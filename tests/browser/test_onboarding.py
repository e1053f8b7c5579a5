"""A new user on a phone: the empty dashboard's three steps tick off as they are taken.

Add a key (and test it: a real call to the fake Anthropic endpoint, a good key and a refused
one), make an agent (models offered from the key's provider, advanced fields folded away, the
permission policy as three cards with the recommended one chosen), start a project.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_users_day import phone_nav, sign_in, toast
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess
from tests.fakes.fake_anthropic import FakeAnthropic

pytestmark = pytest.mark.browser

GOOD = "sk-ant-api03-onboarding-good-abcd"
BAD = "sk-ant-api03-onboarding-revoked-wxyz"


@pytest.fixture
def anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        fake.refuse_key(BAD)
        yield fake


def steps(page: Any) -> Any:
    return page.get_by_role("list", name="First steps").get_by_role("listitem")


def expect_ticks(page: Any, *done: bool) -> None:
    items = steps(page)
    expect(items).to_have_count(3)
    for i, is_done in enumerate(done):
        item = items.nth(i)
        if is_done:
            expect(item.get_by_text("Done", exact=True)).to_be_visible()
        else:
            expect(item.get_by_text("Done", exact=True)).to_have_count(0)
    expect(page.get_by_text(f"({sum(done)} of 3 done)")).to_have_count(0 if all(done) else 1)


def shoot_both_themes(page: Any, name: str) -> None:
    shoot(page, name)
    page.emulate_media(color_scheme="dark")  # the app follows the system theme by default
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    shoot(page, f"{name}-dark")
    page.emulate_media(color_scheme="light")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark\b"))


def add_key(page: Any, key: str, base_url: str) -> None:
    page.get_by_label("Provider").select_option("anthropic")
    page.get_by_label("Key", exact=True).fill(key)
    page.get_by_label("Base URL (optional)").fill(base_url)
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("list", name="Saved keys")).to_contain_text(f"anthropic ····{key[-4:]}")


def test_a_new_user_is_led_from_an_empty_dashboard_to_a_first_project(
    server: ServerProcess, phone: Any, anthropic: FakeAnthropic
) -> None:
    Api(server.base, "admin", ADMIN_PASSWORD).create_user("alice")
    page = phone.new_page()
    page.goto("/")
    sign_in(page, "alice", "user-password-1")

    # the empty dashboard: three steps, none done, the first one next
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
    expect_ticks(page, False, False, False)
    expect(steps(page).nth(0)).to_have_attribute("aria-current", "step")
    shoot_both_themes(page, "onboarding-01-empty-dashboard")

    # step 1: a key, through the step's own link
    steps(page).nth(0).get_by_role("link", name="Add a key").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    add_key(page, GOOD, anthropic.url)
    add_key(page, BAD, anthropic.url)
    saved = page.get_by_role("list", name="Saved keys")
    good_row = saved.get_by_role("listitem").filter(has_text="····abcd")
    bad_row = saved.get_by_role("listitem").filter(has_text="····wxyz")
    good_row.get_by_role("button", name="Test key anthropic ····abcd").click()
    expect(good_row.get_by_role("status")).to_have_text("✓ The key works: 3 models")
    bad_row.get_by_role("button", name="Test key anthropic ····wxyz").click()
    expect(bad_row.get_by_role("status")).to_have_text("✕ The provider refused the key (401): invalid x-api-key")
    # a real call each, with the key where Anthropic wants it; the key never came back
    asked = [r for r in anthropic.requests if r.method == "GET"]
    assert [(r.path, r.headers.get("x-api-key")) for r in asked] == [("/v1/models", GOOD), ("/v1/models", BAD)]
    assert GOOD not in page.content() and BAD not in page.content()
    shoot_both_themes(page, "onboarding-02-settings-key-verdicts")

    phone_nav(page, "Dashboard")
    expect_ticks(page, True, False, False)
    expect(steps(page).nth(1)).to_have_attribute("aria-current", "step")

    # step 2: an agent
    steps(page).nth(1).get_by_role("link", name="Make an agent").click()
    expect(page).to_have_url(re.compile(r"/agents/new$"))
    model = page.get_by_label("Model")
    expect(model).to_have_value("anthropic/claude-opus-4-6")  # the first model the key opens
    offered = page.locator("datalist#model-options option")
    expect(offered).to_have_count(3)
    assert [offered.nth(i).get_attribute("value") for i in range(3)] == [
        "anthropic/claude-opus-4-6",
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-haiku-4-5",
    ]
    # advanced fields are folded away until asked for
    expect(page.get_by_label("Tools")).to_be_hidden()
    expect(page.get_by_label("MCP servers (JSON)")).to_be_hidden()
    # the policy: three cards, the recommended one chosen
    policy = page.get_by_role("group", name="Permission policy")
    expect(policy.get_by_role("radio")).to_have_count(3)
    expect(policy.get_by_role("radio", name=re.compile(r"^Auto"))).to_be_checked()
    expect(policy.locator("label").filter(has_text="Auto")).to_contain_text("Recommended")
    expect(policy.locator("label").filter(has_text="Bypass")).to_contain_text("Risky")
    shoot_both_themes(page, "onboarding-03-agent-builder")
    page.get_by_label("Name", exact=True).fill("Web developer")
    page.locator("summary", has_text="Advanced").click()
    expect(page.get_by_label("Tools")).to_be_visible()
    shoot(page, "onboarding-04-agent-builder-advanced")
    page.get_by_role("button", name="Create agent").click()
    toast(page, "Agent “Web developer” created")
    expect(page).to_have_url(re.compile(r"/agents/\d+$"))

    phone_nav(page, "Dashboard")
    expect_ticks(page, True, True, False)

    # step 3: a project, from the step's link straight to the agent's new-project form
    steps(page).nth(2).get_by_role("link", name="Start a project").click()
    expect(page).to_have_url(re.compile(r"/agents/\d+/projects/new$"))
    page.get_by_label("Project name").fill("Tea shop")
    page.get_by_label("Goal").fill("A small shop selling tea.")
    page.get_by_role("button", name="Create project").click()
    toast(page, "Project “Tea shop” created")
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))

    phone_nav(page, "Dashboard")
    expect(page.get_by_role("heading", name="You’re all set")).to_be_visible()
    expect_ticks(page, True, True, True)
    expect(page.get_by_role("list", name="Projects")).to_contain_text("Tea shop")
    shoot_both_themes(page, "onboarding-05-all-set")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("list", name="First steps")).to_have_count(0)
    page.reload()  # closed stays closed
    expect(page.get_by_role("list", name="Projects")).to_contain_text("Tea shop")
    expect(page.get_by_role("list", name="First steps")).to_have_count(0)
