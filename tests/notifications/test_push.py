"""Web Push end to end: a real push receiver on 127.0.0.1 gets the server's pushes, checks the
VAPID authorization, decrypts the aes128gcm payload with the subscription's private key, and
answers Claude Code's permission question with the one-time action token."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.conftest import wait_until
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform, platform  # noqa: F401  (the fixture)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@dataclass
class Device:
    """A browser's side of a subscription: its ECDH key pair and auth secret."""

    path: str
    private: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    def keys(self) -> dict[str, str]:
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A Web Push service on 127.0.0.1: records every POST; answers 201, or 410 for gone paths."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.gone: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(410 if self.path in receiver.gone else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.stop()


def check_vapid(message: Received, *, server_key: str, audience: str) -> dict[str, Any]:
    """RFC 8292: `vapid t=<JWT>, k=<key>`; the JWT is ES256 by the server's key, for this origin."""
    scheme, _, params = message.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == server_key
    header_b64, claims_b64, sig_b64 = fields["t"].split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(sig_b64)
    assert len(raw) == 64
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(server_key))
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims: dict[str, Any] = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience
    assert claims["exp"] > time.time()
    assert claims["sub"].startswith("mailto:")
    return claims


def open_push(message: Received, device: Device) -> dict[str, Any]:
    assert message.headers["content-encoding"] == "aes128gcm"
    assert int(message.headers["ttl"]) > 0
    plain = http_ece.decrypt(message.body, private_key=device.private, auth_secret=device.auth, version="aes128gcm")
    result: dict[str, Any] = json.loads(plain)
    return result


def test_a_permission_question_is_pushed_and_approved_from_the_notification(
    platform: Platform, receiver: Receiver,  # noqa: F811
) -> None:
    api = platform.api.http
    server_key = api.get("/api/notifications/vapid-key").json()["public_key"]
    assert len(unb64url(server_key)) == 65 and unb64url(server_key)[0] == 4

    phone = Device("/push/phone")
    r = api.post("/api/notifications/subscriptions",
                 json={"endpoint": receiver.origin + phone.path, "keys": phone.keys(), "expirationTime": None,
                       "label": "Phone"})
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
    assert anonymous.post("/api/notifications/actions",
                          json={"token": "x" * 43, "action": "approve"}).status_code == 404
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
    assert "You approved" in messages
    assert [p["status"] for p in pushes()] == ["needs_help", "completed"]


def test_a_device_the_push_service_forgot_is_removed(platform: Platform, receiver: Receiver) -> None:  # noqa: F811
    api = platform.api.http
    kept, gone = Device("/push/kept"), Device("/push/gone")
    receiver.gone.add(gone.path)
    ids = {}
    for device in (kept, gone):
        r = api.post("/api/notifications/subscriptions",
                     json={"endpoint": receiver.origin + device.path, "keys": device.keys()})
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
    client: Any, admin: Any, settings: Any, receiver: Receiver,
) -> None:
    """The server's notifier, on rows as the supervisor and the watchdog write them."""
    from sqlmodel import Session

    from autocode.core.db import make_engine
    from autocode.models import LogLevel, Project
    from autocode.services.projects import add_log
    from tests.conftest import make_agent, make_project

    phone = Device("/push/phone")
    r = client.post("/api/notifications/subscriptions", headers=admin.headers,
                    json={"endpoint": receiver.origin + phone.path, "keys": phone.keys()})
    assert r.status_code == 201, r.text
    project_id = make_project(client, admin, make_agent(client, admin)["id"], name="Beta")["id"]
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        project = s.get(Project, project_id)
        assert project is not None
        project.status, project.status_reason = "needs_help", "Step 2 (Tests) failed: 3 tests fail"
        s.add(project)
        s.commit()
        rows = [
            (LogLevel.INFO, "Stopped by you", {"state": {"status": "paused"}}),  # the user's own: no push
            (LogLevel.INFO, "Started: supervisor started", {"state": {"status": "running"}}),
            (LogLevel.ERROR, "Needs help: Step 2 (Tests) failed: 3 tests fail",
             {"needs_help": True, "question": "Step 2 (Tests) failed: 3 tests fail", "state": {"status": "needs_help"}}),
            (LogLevel.AGENT_DECISION, "Usage limit reached; paused", {"state": {"status": "paused"}, "reason": "usage limit"}),
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
