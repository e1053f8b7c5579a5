"""Web Push end to end: a real push receiver on 127.0.0.1 gets the server's pushes, checks the
VAPID authorization, decrypts the aes128gcm payload with the subscription's private key, and
answers Claude Code's permission question with the one-time action token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import wait_until
from tests.fakes.fake_anthropic import text, write
from tests.notifications.receiver import (
    Device,
    Receiver,
    check_vapid,
    open_push,
    unb64url,
)
from tests.supervision.conftest import Platform


def test_a_permission_question_is_pushed_and_approved_from_the_notification(
    platform: Platform,
    receiver: Receiver,
) -> None:
    api = platform.api.http
    server_key = api.get("/api/notifications/vapid-key").json()["public_key"]
    assert len(unb64url(server_key)) == 65 and unb64url(server_key)[0] == 4

    phone = Device("/push/phone")
    r = api.post(
        "/api/notifications/subscriptions",
        json={"endpoint": receiver.origin + phone.path, "keys": phone.keys(), "expirationTime": None, "label": "Phone"},
    )
    assert r.status_code == 201, r.text
    sub_id = r.json()["id"]
    assert [s["id"] for s in api.get("/api/notifications/subscriptions").json()] == [sub_id]

    # The test button: one push, signed and encrypted for this device.
    assert api.post(f"/api/notifications/subscriptions/{sub_id}/test").status_code == 204
    test_push = receiver.at(phone.path)[-1]
    check_vapid(test_push, server_key=server_key, audience=receiver.origin)
    assert open_push(test_push, phone)["kind"] == "test"

    # A project whose agent asks before every tool call stops on Claude Code's question.
    platform.fake.on_prompt("GO-ASK", write("asked.txt", "ok\n"), text("wrote asked.txt"))
    project = platform.project([{"title": "Ask first", "detail": "GO-ASK"}], policy="ask", name="Alpha shop")
    platform.start(project["id"])
    waiting = platform.wait_status(project["id"], "needs_help")
    assert "asked.txt" in waiting["status_reason"]

    def pushes() -> list[dict[str, Any]]:
        return [open_push(m, phone) for m in receiver.at(phone.path)[1:]]

    asked = wait_until(lambda: [p for p in pushes() if p["status"] == "needs_help"], timeout=30)[0]
    check_vapid(receiver.at(phone.path)[1], server_key=server_key, audience=receiver.origin)
    assert asked["project_id"] == project["id"]
    assert asked["title"] == "Alpha shop"
    assert asked["kind"] == "permission"
    assert "asked.txt" in asked["question"] and asked["question"] == waiting["status_reason"]
    assert asked["url"] == f"/projects/{project['id']}"
    token = asked["action_token"]
    assert not (Path(project["workspace_path"]) / "asked.txt").exists()

    # Approve from the lock screen: no session, the token is the authority.
    anonymous = httpx.Client(base_url=platform.server.base, timeout=10)
    assert (
        anonymous.post("/api/notifications/actions", json={"token": "x" * 43, "action": "approve"}).status_code == 404
    )
    approved = anonymous.post("/api/notifications/actions", json={"token": token, "action": "approve"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["project_id"] == project["id"]

    done = platform.wait_status(project["id"], "completed")
    assert (Path(project["workspace_path"]) / "asked.txt").read_text() == "ok\n"
    assert [s["status"] for s in done["implementation_plan"]] == ["done"]

    again = anonymous.post("/api/notifications/actions", json={"token": token, "action": "approve"})
    assert again.status_code == 410 and "already used" in again.json()["detail"]
    anonymous.close()

    # The completion is pushed too, once; the question was pushed once.
    finished = wait_until(lambda: [p for p in pushes() if p["status"] == "completed"], timeout=30)[0]
    assert finished["project_id"] == project["id"] and "action_token" not in finished
    messages = [e["message"] for e in platform.logs(project["id"])]
    assert "You answered: yes (approved)" in messages
    assert [p["status"] for p in pushes()] == ["needs_help", "completed"]


def test_a_device_the_push_service_forgot_is_removed(platform: Platform, receiver: Receiver) -> None:
    api = platform.api.http
    kept, gone = Device("/push/kept"), Device("/push/gone")
    receiver.gone.add(gone.path)
    ids = {}
    for device in (kept, gone):
        r = api.post(
            "/api/notifications/subscriptions", json={"endpoint": receiver.origin + device.path, "keys": device.keys()}
        )
        assert r.status_code == 201, r.text
        ids[device.path] = r.json()["id"]
    r = api.post(f"/api/notifications/subscriptions/{ids[gone.path]}/test")
    assert r.status_code == 410 and "removed" in r.json()["detail"]
    assert len(receiver.at(gone.path)) == 1
    assert [s["id"] for s in api.get("/api/notifications/subscriptions").json()] == [ids[kept.path]]
    assert api.post(f"/api/notifications/subscriptions/{ids[kept.path]}/test").status_code == 204
    # Another user sees none of these devices and cannot test or remove them.
    bob = platform.api.create_user("pushbob")
    assert bob.http.get("/api/notifications/subscriptions").json() == []
    assert bob.http.post(f"/api/notifications/subscriptions/{ids[kept.path]}/test").status_code == 404
    assert bob.http.delete(f"/api/notifications/subscriptions/{ids[kept.path]}").status_code == 404
    assert api.delete(f"/api/notifications/subscriptions/{ids[kept.path]}").status_code == 204
    assert api.get("/api/notifications/subscriptions").json() == []


def test_each_transition_sends_one_push_and_a_users_own_stop_none(
    client: Any,
    admin: Any,
    settings: Any,
    receiver: Receiver,
) -> None:
    """The server's notifier, on rows as the supervisor and the watchdog write them."""
    from sqlmodel import Session

    from autocode.core.db import make_engine
    from autocode.models import LogLevel, Project
    from autocode.services.projects import add_log
    from tests.conftest import make_agent, make_project

    phone = Device("/push/phone")
    r = client.post(
        "/api/notifications/subscriptions",
        headers=admin.headers,
        json={"endpoint": receiver.origin + phone.path, "keys": phone.keys()},
    )
    assert r.status_code == 201, r.text
    project_id = make_project(client, admin, make_agent(client, admin)["id"], name="Beta")["id"]
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        project = s.get(Project, project_id)
        assert project is not None
        project.status, project.status_reason = "needs_help", "Step 2 (Tests) failed: 3 tests fail"
        s.add(project)
        s.commit()
        rows: list[tuple[LogLevel, str, dict[str, object]]] = [
            (LogLevel.INFO, "Stopped by you", {"state": {"status": "paused"}}),  # the user's own: no push
            (LogLevel.INFO, "Started: supervisor started", {"state": {"status": "running"}}),
            (
                LogLevel.WARNING,
                "Needs help: Step 2 (Tests) failed: 3 tests fail",
                {
                    "needs_help": True,
                    "question": "Step 2 (Tests) failed: 3 tests fail",
                    "state": {"status": "needs_help"},
                },
            ),
            (
                LogLevel.AGENT_DECISION,
                "Usage limit reached; paused",
                {"state": {"status": "paused"}, "reason": "usage limit"},
            ),
            (LogLevel.ERROR, "The supervisor crashed 3 times", {"state": {"status": "failed"}}),
            (LogLevel.INFO, "All 2 steps are done", {"state": {"status": "completed"}}),
        ]
        for level, message, data in rows:
            add_log(s, project_id=project_id, level=level, message=message, data=data)
    engine.dispose()
    wait_until(lambda: len(receiver.at(phone.path)) >= 4, timeout=30)
    pushes = [open_push(m, phone) for m in receiver.at(phone.path)]
    assert sorted(p["status"] for p in pushes) == ["completed", "failed", "needs_help", "paused"]
    question = next(p for p in pushes if p["status"] == "needs_help")
    assert question["kind"] == "question" and "action_token" not in question  # not a permission: no token
    assert question["question"] == "Step 2 (Tests) failed: 3 tests fail" and question["title"] == "Beta"
    assert all(p["project_id"] == project_id for p in pushes)


def test_a_server_restart_neither_repeats_nor_loses_a_push(settings: Any, receiver: Receiver) -> None:
    """The notifier's place in the log survives a restart (data/run/notify-cursor)."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from autocode.app import create_app
    from autocode.core.db import make_engine
    from autocode.models import LogLevel
    from autocode.services.projects import add_log
    from tests.conftest import ADMIN_PASSWORD, login, make_agent, make_project

    phone = Device("/push/phone")

    def finish(project_id: int, message: str) -> None:
        engine = make_engine(settings.database_url)
        with Session(engine) as s:
            add_log(
                s, project_id=project_id, level=LogLevel.INFO, message=message, data={"state": {"status": "completed"}}
            )
        engine.dispose()

    with TestClient(create_app(settings)) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
        r = client.post(
            "/api/notifications/subscriptions",
            headers=admin.headers,
            json={"endpoint": receiver.origin + phone.path, "keys": phone.keys()},
        )
        assert r.status_code == 201, r.text
        project_id = make_project(client, admin, make_agent(client, admin)["id"])["id"]
        finish(project_id, "first run done")
        wait_until(lambda: receiver.at(phone.path), timeout=30)
    finish(project_id, "done while the server was down")
    with TestClient(create_app(settings)):
        wait_until(lambda: len(receiver.at(phone.path)) >= 2, timeout=30)
        finish(project_id, "second run done")
        wait_until(lambda: len(receiver.at(phone.path)) >= 3, timeout=30)
    bodies = [open_push(m, phone)["question"] for m in receiver.at(phone.path)]
    assert sorted(bodies) == sorted(["first run done", "done while the server was down", "second run done"])
