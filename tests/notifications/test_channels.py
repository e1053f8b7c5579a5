"""Other channels through Apprise URLs: e-mail to a real SMTP server (aiosmtpd) and ntfy to a
local HTTP receiver, on a test message and on a project's transition; the URL rules."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.core.db import make_engine
from autocode.models import LogLevel, Project
from autocode.services import channels
from autocode.services.projects import add_log
from tests.conftest import Account, make_agent, make_project, wait_until
from tests.notifications.receiver import Receiver


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def ntfy() -> Iterator[Receiver]:
    r = Receiver(status=200)
    try:
        yield r
    finally:
        r.stop()


def test_email_and_ntfy_get_tests_and_transitions(
    client: TestClient,
    admin: Account,
    settings: Settings,
    smtp: tuple[Mailbox, int],
    ntfy: Receiver,
) -> None:
    box, port = smtp
    mail_url = f"mailto://127.0.0.1:{port}?from=autocode@example.com&to=alice@example.com"
    r = client.post("/api/notifications/channels", headers=admin.headers, json={"url": mail_url, "label": "Mail"})
    assert r.status_code == 201, r.text
    mail = r.json()
    assert mail["kind"] == "email"
    ntfy_url = f"ntfy://alice:s3cret-pass@127.0.0.1:{ntfy.server.server_address[1]}/autocode-alerts"
    r = client.post("/api/notifications/channels", headers=admin.headers, json={"url": ntfy_url})
    assert r.status_code == 201, r.text
    topic = r.json()
    assert topic["kind"] == "ntfy" and "s3cret-pass" not in json.dumps(topic)
    listed = client.get("/api/notifications/channels", headers=admin.headers).json()
    assert [c["id"] for c in listed] == [mail["id"], topic["id"]]
    assert "s3cret-pass" not in json.dumps(listed)
    assert b"s3cret-pass" not in (settings.data_path / "autocode.db").read_bytes()  # stored encrypted
    assert b"s3cret-pass" not in (settings.data_path / "autocode.db-wal").read_bytes()

    # The test buttons
    assert client.post(f"/api/notifications/channels/{mail['id']}/test", headers=admin.headers).status_code == 204
    assert box.messages and box.messages[0][1] == ["alice@example.com"]
    assert b"Notifications work on this channel." in box.messages[0][2]
    assert client.post(f"/api/notifications/channels/{topic['id']}/test", headers=admin.headers).status_code == 204
    assert b"Notifications work on this channel." in ntfy.received[0].body

    # A project needs help: both channels get the question, without an action token
    project_id = make_project(client, admin, make_agent(client, admin)["id"], name="Gamma")["id"]
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        project = s.get(Project, project_id)
        assert project is not None
        project.status, project.status_reason, project.screen_state = (
            "needs_help",
            "Claude Code asks: Do you want to run make deploy?",
            "permission",
        )
        s.add(project)
        s.commit()
        add_log(
            s,
            project_id=project_id,
            level=LogLevel.WARNING,
            message="Needs help",
            data={
                "needs_help": True,
                "question": "Claude Code asks: Do you want to run make deploy?",
                "state": {"status": "needs_help"},
            },
        )
    engine.dispose()
    wait_until(lambda: len(box.messages) >= 2 and len(ntfy.received) >= 2, timeout=30)
    assert b"Gamma needs your help" in box.messages[1][2] and b"make deploy" in box.messages[1][2]
    assert b"Gamma needs your help" in ntfy.received[1].body and b"make deploy" in ntfy.received[1].body
    assert b"action_token" not in box.messages[1][2] and b"action_token" not in ntfy.received[1].body

    # Another user sees none of them; removing works
    assert client.delete(f"/api/notifications/channels/{mail['id']}", headers=admin.headers).status_code == 204
    assert [c["id"] for c in client.get("/api/notifications/channels", headers=admin.headers).json()] == [topic["id"]]


def test_a_channel_that_fails_says_so(client: TestClient, admin: Account) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = int(s.getsockname()[1])  # nothing listens here afterwards
    r = client.post(
        "/api/notifications/channels", headers=admin.headers, json={"url": f"ntfy://127.0.0.1:{closed}/topic"}
    )
    assert r.status_code == 201, r.text
    r = client.post(f"/api/notifications/channels/{r.json()['id']}/test", headers=admin.headers)
    assert r.status_code == 409 and "did not take" in r.json()["detail"]


@pytest.mark.parametrize(
    ("url", "production", "ok"),
    [
        ("ntfys://ntfy.example.com/topic", True, True),
        ("ntfy://ntfy.example.com/topic", True, False),  # clear text in production
        ("mailto://user:pw@mail.example.com?to=a@b.example", True, False),
        ("mailtos://user:pw@mail.example.com?to=a@b.example", True, True),
        ("tgram://123456789:ABCdefGhIJKlmnOPqrSTuvwxYZ0123456789/12345", True, True),
        ("json://example.com/hook", False, False),  # not one of the three
        ("windows://", False, False),
        ("macosx://", False, False),
        ("dbus://", False, False),
        ("https://example.com", False, False),
        ("no scheme", False, False),
    ],
)
def test_scheme_rules(url: str, production: bool, ok: bool) -> None:
    assert (channels.scheme_problem(url, production=production) is None) == ok


def test_api_refuses_private_hosts_and_other_services(client: TestClient, admin: Account, tmp_path: Path) -> None:
    for url in (
        "ntfy://10.0.0.7/topic",
        "ntfy://192.168.1.1:8080/topic",
        "mailto://u:p@169.254.169.254?to=a@b.example",
        "json://127.0.0.1/x",
        "ntfy://",
    ):
        r = client.post("/api/notifications/channels", headers=admin.headers, json={"url": url})
        assert r.status_code == 422, (url, r.text)
    assert client.get("/api/notifications/channels").status_code == 401
