"""Personal API tokens in Settings: made (shown once, copied), seen in use, revoked with a confirm.

Real Chromium, real `autocode serve`; a script (httpx with only the token) uses it in between.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD, ServerProcess

pytestmark = pytest.mark.browser


def test_make_use_and_revoke_a_token_in_settings(server: ServerProcess, desktop: Any) -> None:
    desktop.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    page = desktop.new_page()
    page.goto("/")
    sign_in(page, "admin", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.goto("/settings")
    expect(page.get_by_text("No tokens yet.")).to_be_visible()

    for name in ("nightly build", "a deploy script with a rather long name that must wrap on a phone"):
        page.get_by_label("Token name").fill(name)
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_text(f"Copy the token “{name}” now")).to_be_visible()
    token = page.get_by_test_id("new-token").inner_text().strip()
    assert token.startswith("ac_pat_")
    page.get_by_role("button", name="Copy", exact=True).click()
    toast(page, "Token copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == token

    # A script holding only the token: it works, and the list shows it was used.
    with httpx.Client(base_url=server.base, timeout=10, headers={"Authorization": f"Bearer {token}"}) as script:
        assert script.get("/api/auth/me").json()["username"] == "admin"
        page.reload()
        tokens = page.get_by_role("list", name="API tokens")
        expect(tokens.get_by_role("listitem")).to_have_count(2)
        expect(tokens.get_by_role("listitem").filter(has_text="long name")).to_contain_text("last used")
        expect(tokens.get_by_role("listitem").filter(has_text="nightly build")).to_contain_text("never used")
        assert token not in page.content()  # shown once: gone after a reload
        page.get_by_label("Token name").fill("ci")
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_test_id("new-token")).to_be_visible()
        shoot(page, "tokens-01-settings")

        item = tokens.get_by_role("listitem").filter(has_text="long name")
        item.get_by_role("button", name="Revoke a deploy script").click()
        dialog = page.get_by_role(
            "dialog", name="Revoke the token “a deploy script with a rather long name that must wrap on a phone”?"
        )
        expect(dialog).to_contain_text("Scripts using it stop working at once.")
        shoot(page, "tokens-02-revoke-confirm")
        dialog.get_by_role("button", name="Revoke token").click()
        expect(tokens.get_by_role("listitem")).to_have_count(2)
        expect(tokens.get_by_text("long name")).to_have_count(0)
        assert script.get("/api/auth/me").status_code == 401
