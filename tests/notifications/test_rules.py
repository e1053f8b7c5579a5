"""The rules of Web Push: where pushes may go, which keys are usable, which transitions notify,
when a one-time action token is honoured, and how the VAPID key is kept."""

from __future__ import annotations

import base64
import secrets
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.core.db import make_engine
from autocode.models import LogLevel, Project, ProjectStatus, utcnow
from autocode.services import push
from autocode.services.errors import Gone, Invalid, NotFound
from autocode.services.projects import add_log
from tests.conftest import Account, make_agent, make_project


@pytest.mark.parametrize(
    ("url", "addresses", "production", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", ["142.250.1.95"], True, True),
        ("https://web.push.apple.com/x", ["2a01:b740:a42:100::2"], True, True),
        ("http://fcm.googleapis.com/fcm/send/abc", ["142.250.1.95"], True, False),  # http in production
        ("http://127.0.0.1:9000/push", ["127.0.0.1"], False, True),  # a local receiver in development
        ("https://localhost/push", ["127.0.0.1", "::1"], False, True),
        ("http://127.0.0.1:9000/push", ["127.0.0.1"], True, False),  # loopback in production
        ("https://127.0.0.1/push", ["127.0.0.1"], True, False),
        ("https://push.internal/x", ["10.0.0.5"], False, False),  # private, even in development
        ("https://push.internal/x", ["192.168.1.2"], True, False),
        ("https://push.internal/x", ["172.16.0.1"], True, False),
        ("https://meta/x", ["169.254.169.254"], True, False),  # link-local (cloud metadata)
        ("https://v6/x", ["fd00::1"], True, False),  # unique local
        ("https://v6/x", ["::ffff:10.0.0.1"], True, False),  # mapped private
        ("https://v6/x", ["::ffff:127.0.0.1"], True, False),
        ("https://mixed/x", ["142.250.1.95", "10.0.0.5"], True, False),  # one private answer is enough
        ("http://mixed/x", ["127.0.0.1", "142.250.1.95"], False, False),  # http beyond loopback
        ("https://cgnat/x", ["100.64.0.1"], True, False),
        ("https://zero/x", ["0.0.0.0"], False, False),
        ("https://nowhere.invalid/x", [], False, False),  # does not resolve
        ("ftp://push.example/x", ["142.250.1.95"], True, False),
        ("https://user:pw@push.example/x", ["142.250.1.95"], True, False),
        ("https:///nohost", ["142.250.1.95"], True, False),
        ("https://push.example:99999/x", ["142.250.1.95"], True, False),
        ("https://x/y", ["not-an-ip"], True, False),
    ],
)
def test_endpoint_rules(url: str, addresses: list[str], production: bool, allowed: bool) -> None:
    problem = push.endpoint_problem(url, addresses, production=production)
    assert (problem is None) == allowed, problem


def _point() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("p256dh", "auth", "ok"),
    [
        (_point(), _b64(secrets.token_bytes(16)), True),
        (_point() + "==", _b64(secrets.token_bytes(16)) + "==", True),  # padded, as some browsers send
        (_point(), _b64(secrets.token_bytes(15)), False),
        (_point(), _b64(secrets.token_bytes(32)), False),
        (_b64(b"\x04" + b"\x01" * 64), _b64(secrets.token_bytes(16)), False),  # not on the curve
        (_b64(b"\x02" + b"\x01" * 32), _b64(secrets.token_bytes(16)), False),  # compressed
        ("!!!!", _b64(secrets.token_bytes(16)), False),
    ],
)
def test_key_rules(p256dh: str, auth: str, ok: bool) -> None:
    assert (push.key_problem(p256dh, auth) is None) == ok


@pytest.mark.parametrize(
    ("level", "data", "expected"),
    [
        ("error", {"needs_help": True, "question": "q", "state": {"status": "needs_help"}}, "needs_help"),
        ("info", {"state": {"status": "completed"}}, "completed"),
        ("error", {"state": {"status": "failed"}}, "failed"),
        ("agent_decision", {"state": {"status": "paused"}, "reason": "usage limit"}, "paused"),
        ("agent_decision", {"state": {"status": "paused"}}, "paused"),  # budget, no key, no plan
        ("info", {"state": {"status": "paused"}}, None),  # the user's own stop or restart
        ("info", {"state": {"status": "running"}}, None),
        ("info", {"state": {"status": "needs_help"}}, None),  # not the question itself
        ("info", None, None),
        ("info", {"state": "completed"}, None),
        ("action", {"reply": "yes"}, None),
    ],
)
def test_which_transitions_notify(level: str, data: dict[str, Any] | None, expected: str | None) -> None:
    assert push.transition(level, data) == expected


def test_api_refuses_bad_subscriptions(client: TestClient, admin: Account, make_user: Any) -> None:
    good = {"p256dh": _point(), "auth": _b64(secrets.token_bytes(16))}
    cases = [
        ({"endpoint": "https://10.1.2.3/push", "keys": good}, 422),
        ({"endpoint": "http://192.168.0.10/push", "keys": good}, 422),
        ({"endpoint": "https://push.example/x", "keys": {"p256dh": good["p256dh"]}}, 422),
        ({"endpoint": "http://127.0.0.1:1/x", "keys": {**good, "auth": _b64(b"short")}}, 422),
        ({"endpoint": "http://127.0.0.1:1/x", "keys": {**good, "extra": "x"}}, 422),
        ({"endpoint": "http://127.0.0.1:1/x", "keys": good}, 201),
        ({"endpoint": "http://127.0.0.1:1/x", "keys": good}, 201),  # the same browser again
    ]
    for body, code in cases:
        r = client.post("/api/notifications/subscriptions", json=body, headers=admin.headers)
        assert r.status_code == code, (body, r.text)
    assert len(client.get("/api/notifications/subscriptions", headers=admin.headers).json()) == 1
    assert client.get("/api/notifications/subscriptions").status_code == 401
    assert client.get("/api/notifications/vapid-key").status_code == 401


def test_production_refuses_a_loopback_endpoint(tmp_path: Path) -> None:
    production = Settings(data_dir=tmp_path, environment="production", secret_key="s" * 40)
    with pytest.raises(Invalid, match="private or local"):
        push.check_endpoint(production, "https://127.0.0.1/push")
    with pytest.raises(Invalid, match="private or local"):
        push.check_endpoint(production, "https://localhost/push")  # resolved, then checked
    push.check_endpoint(Settings(data_dir=tmp_path), "http://localhost:9/push")  # development


def test_vapid_key_is_made_once_and_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = push.load_vapid_key(settings)
    path = settings.data_path / "vapid.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert push.load_vapid_key(Settings(data_dir=tmp_path / "data")).public_key == first.public_key
    raw = base64.urlsafe_b64decode(first.public_key + "==")
    assert len(raw) == 65 and raw[0] == 4 and "=" not in first.public_key


def test_action_token_rules(client: TestClient, admin: Account, settings: Settings) -> None:
    agent = make_agent(client, admin)
    project_id = make_project(client, admin, agent["id"])["id"]
    engine = make_engine(settings.database_url)

    def ask(question: str) -> int:
        with Session(engine, expire_on_commit=False) as s:
            project = s.get(Project, project_id)
            assert project is not None
            project.status, project.status_reason = ProjectStatus.NEEDS_HELP.value, question
            s.add(project)
            s.commit()
            row = add_log(
                s,
                project_id=project_id,
                level=LogLevel.WARNING,
                message=f"Needs help: {question}",
                data={"needs_help": True, "question": question, "state": {"status": "needs_help"}},
            )
            assert row.id is not None
            return row.id

    def token_for(log_id: int, question: str) -> str:
        with Session(engine) as s:
            return push.issue_token(s, project_id=project_id, log_id=log_id, question=question)

    def redeem(token: str, **kw: Any) -> Project:
        with Session(engine, expire_on_commit=False) as s:
            return push.redeem_token(s, token=token, **kw)

    first = ask("Claude Code asks: Do you want to create a.txt?")
    token = token_for(first, "Claude Code asks: Do you want to create a.txt?")
    with pytest.raises(NotFound):
        redeem("not-a-token-at-all-0123456789")
    # expired: 30 minutes
    with pytest.raises(Gone, match="expired"):
        redeem(token, now_fn=lambda: utcnow() + timedelta(minutes=31))
    assert redeem(token).id == project_id  # single use...
    with pytest.raises(Gone, match="already used"):
        redeem(token)

    # ...and bound to its question: a later question voids it, as does leaving needs-help
    old = token_for(first, "Claude Code asks: Do you want to create a.txt?")
    second = ask("Claude Code asks: Do you want to create b.txt?")
    with pytest.raises(Gone, match="no longer open"):
        redeem(old)
    forged = token_for(second, "Claude Code asks: something else")  # same row, other question
    with pytest.raises(Gone, match="no longer open"):
        redeem(forged)
    current = token_for(second, "Claude Code asks: Do you want to create b.txt?")
    with Session(engine) as s:
        project = s.get(Project, project_id)
        assert project is not None
        project.status, project.status_reason = ProjectStatus.RUNNING.value, None
        s.add(project)
        s.commit()
    with pytest.raises(Gone, match="no longer open"):
        redeem(current)
    # the API says the same, without a session
    r = client.post("/api/notifications/actions", json={"token": current, "action": "approve"})
    assert r.status_code == 410 and "no longer open" in r.json()["detail"]
    r = client.post("/api/notifications/actions", json={"token": current, "action": "maybe"})
    assert r.status_code == 422
    engine.dispose()
