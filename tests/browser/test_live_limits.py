"""An account at its cap of open sockets: the project page says why its live feed waits (the
server's 4429), and follows the project again once another tab lets a socket go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect

from tests.browser.conftest import USERS, shoot, sign_in_as_admin
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers

TOO_MANY = "Too many live views are open"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that lets an account hold two sockets at once."""
    data = tmp_path / "data"
    srv = ServerProcess(data, env={"AUTOCODE_SOCKETS_PER_USER": "2"})
    try:
        yield srv
    finally:
        srv.stop()
        stop_tmux_servers(data, USERS)


def follow(srv: ServerProcess, api: Api, project_id: int) -> ClientConnection:
    """An events socket of another tab, admitted (its first frame is the project's state)."""
    ws = connect(f"{srv.ws_base}/ws/projects/{project_id}/events?ticket={api.ticket()}", open_timeout=15)
    assert '"type":"state"' in str(ws.recv(timeout=15))
    return ws


def test_the_project_page_says_why_its_live_feed_waits_and_recovers(server: ServerProcess, phone: Any) -> None:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project(name="Capped shop")
    with ExitStack() as stack:
        others = [stack.enter_context(follow(server, admin, project["id"])) for _ in range(2)]
        page = phone.new_page()
        sign_in_as_admin(page)
        page.goto(f"/projects/{project['id']}")
        expect(page.get_by_role("heading", name="Capped shop")).to_be_visible()
        expect(page.get_by_text(TOO_MANY)).to_be_visible()
        shoot(page, "live-feed-too-many")

        others[0].close()
        # The page's next try is admitted: the message goes and the feed is live again.
        expect(page.get_by_text(TOO_MANY)).to_have_count(0, timeout=30_000)
        expect(page.get_by_text("reconnecting…")).to_have_count(0)
