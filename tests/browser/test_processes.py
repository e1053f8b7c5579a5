"""The Processes tab: a dev server started in the project's terminal shows up with its port
and its output, and is stopped from the tab after a confirmation (phone and desktop)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess
from tests.security.shell import shell

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dev_server_in_the_processes_tab(server: ServerProcess, phone: Any, desktop: Any) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project(name="Shop")
    port = free_port()
    with shell(server.ws_base, admin, project["id"]) as sh:
        sh.run("sleep 900 & true")
        sh.ws.send(f"python3 -m http.server {port} --bind 127.0.0.1\r".encode())

        page = desktop.new_page()
        page.goto("/")
        sign_in(page, "admin", ADMIN_PASSWORD)
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        page.goto(f"/projects/{project['id']}")
        page.get_by_role("tab", name="Processes").click()
        # The port hint appears once the server listens (the tab refreshes on its own).
        hint = page.get_by_test_id("port-hint")
        expect(hint).to_contain_text(f"Port {port} is listening", timeout=30_000)
        rows = page.get_by_test_id("process")
        server_row = rows.filter(has_text="http.server")
        expect(server_row).to_contain_text(f"127.0.0.1:{port}")
        expect(rows.filter(has_text="sleep 900")).to_have_count(1)
        expect(rows.filter(has_text="sleep 900").get_by_role("button", name="Output")).to_have_count(0)
        server_row.get_by_role("button", name="Output").click()
        expect(page.get_by_label("Output of process", exact=False)).to_contain_text(f"port {port}")
        shoot(page, "processes-01-list")

        server_row.get_by_role("button", name="Stop", exact=True).click()
        dialog = page.get_by_role("dialog", name="Stop python3?")
        expect(dialog).to_contain_text("http.server")
        dialog.get_by_role("button", name="Stop process").click()
        toast(page, "Stopped python3")
        expect(rows.filter(has_text="http.server")).to_have_count(0)
        expect(hint).to_have_count(0)
        expect(rows.filter(has_text="sleep 900")).to_have_count(1)

        # On a phone: cards, nothing wider than the screen.
        mobile = phone.new_page()
        mobile.goto("/")
        sign_in(mobile, "admin", ADMIN_PASSWORD)
        expect(mobile.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        mobile.goto(f"/projects/{project['id']}")
        mobile.get_by_role("tab", name="Processes").click()
        expect(mobile.get_by_test_id("process").filter(has_text="sleep 900")).to_be_visible()
        width = mobile.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width
