"""An admin resets a user's password and disables the account, through the admin page.

Real Chromium, real `autocode serve`: the user's phone is signed in while the admin acts at the
desk; her session ends on the reset, the old password stops working, a disabled account is told
so at sign-in, and signing in works again once the admin enables it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD, ServerProcess

pytestmark = pytest.mark.browser

ALICE_PASSWORD = "alice-password-1"
ALICE_NEW = "alice-new-pass-2"


def signed_in(page: Any) -> None:
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def test_admin_resets_a_password_and_disables_an_account(server: ServerProcess, desktop: Any, phone: Any) -> None:
    with httpx.Client(base_url=server.base, timeout=10) as http:
        token = http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()
        r = http.post(
            "/api/users",
            json={"username": "alice", "password": ALICE_PASSWORD},
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert r.status_code == 201, r.text

    alice = phone.new_page()
    alice.goto("/")
    sign_in(alice, "alice", ALICE_PASSWORD)
    signed_in(alice)

    admin = desktop.new_page()
    admin.goto("/")
    sign_in(admin, "admin", ADMIN_PASSWORD)
    signed_in(admin)
    admin.goto("/admin")
    row = admin.get_by_role("row").filter(has_text="alice")
    expect(row).to_be_visible()
    expect(admin.get_by_role("button", name="Reset the password of admin")).to_have_count(0)  # not your own
    shoot(admin, "acc-01-admin-users")

    # --- reset ---------------------------------------------------------------------------------
    row.get_by_role("button", name="Reset the password of alice").click()
    dialog = admin.get_by_role("dialog", name="New password for alice")
    expect(dialog).to_be_visible()
    dialog.get_by_label("New password").fill("short")
    expect(dialog.get_by_text("At least 8 characters")).to_be_visible()
    expect(dialog.get_by_role("button", name="Set password")).to_be_disabled()
    dialog.get_by_label("New password").fill(ALICE_NEW)
    shoot(admin, "acc-02-reset-dialog")
    dialog.get_by_role("button", name="Set password").click()
    toast(admin, "Password of “alice” reset; they were signed out everywhere")
    expect(dialog).to_be_hidden()

    # her phone's session has ended: the next load asks her to sign in, and only the new password works
    alice.reload()
    expect(alice).to_have_url(re.compile(r"/login"))
    sign_in(alice, "alice", ALICE_PASSWORD)
    expect(alice.get_by_role("alert")).to_contain_text("Incorrect username or password")
    sign_in(alice, "alice", ALICE_NEW)
    signed_in(alice)

    # --- disable -------------------------------------------------------------------------------
    row.get_by_role("button", name="Disable alice").click()
    confirm = admin.get_by_role("dialog", name="Disable “alice”?")
    expect(confirm).to_contain_text("their running projects stop")
    shoot(admin, "acc-03-disable-confirm")
    confirm.get_by_role("button", name="Disable alice").click()
    toast(admin, "“alice” is disabled")
    expect(row.get_by_text("disabled", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name="Enable alice")).to_be_visible()
    shoot(admin, "acc-04-disabled")

    alice.reload()
    expect(alice).to_have_url(re.compile(r"/login"))
    sign_in(alice, "alice", ALICE_NEW)
    expect(alice.get_by_role("alert")).to_contain_text("This account is disabled; ask an admin")
    shoot(alice, "acc-05-disabled-sign-in")

    # --- enable again --------------------------------------------------------------------------
    row.get_by_role("button", name="Enable alice").click()
    toast(admin, "“alice” can sign in again")
    expect(row.get_by_text("disabled", exact=True)).to_have_count(0)
    sign_in(alice, "alice", ALICE_NEW)
    signed_in(alice)
