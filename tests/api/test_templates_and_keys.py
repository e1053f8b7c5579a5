"""Project templates (built in and each user's own) and each user's deploy key."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import Account, make_agent, make_project


def test_templates_list_fill_save_and_delete(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    listed = client.get("/api/templates", headers=alice.headers).json()
    builtin = {t["id"]: t for t in listed}
    assert set(builtin) == {"builtin-fastapi", "builtin-react-vite", "builtin-python-cli"}
    fastapi = builtin["builtin-fastapi"]
    assert fastapi["builtin"] and "FastAPI" in fastapi["architecture"] and len(fastapi["implementation_plan"]) >= 3

    # A template fills a new project: what the form sends is the template's fields.
    agent = make_agent(client, alice)
    r = client.post(
        f"/api/agents/{agent['id']}/projects",
        headers=alice.headers,
        json={
            "name": "Todo API",
            "description": fastapi["description"],
            "architecture": fastapi["architecture"],
            "implementation_plan": fastapi["implementation_plan"],
        },
    )
    assert r.status_code == 201, r.text
    assert [s["title"] for s in r.json()["implementation_plan"]] == [s["title"] for s in fastapi["implementation_plan"]]

    # Save a project as a template: goal, architecture, plan (not what the steps did).
    project = make_project(client, alice, agent["id"], architecture="Flask + SQLite")
    r = client.post(
        f"/api/projects/{project['id']}/save-template",
        headers=alice.headers,
        json={"name": "My shop", "summary": "shops"},
    )
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine == {
        "id": mine["id"],
        "name": "My shop",
        "summary": "shops",
        "builtin": False,
        "description": "A small shop",
        "architecture": "Flask + SQLite",
        "implementation_plan": [{"title": "Scaffold", "detail": ""}, {"title": "Tests", "detail": "pytest"}],
    }
    assert [t["id"] for t in client.get("/api/templates", headers=alice.headers).json()][-1] == mine["id"]

    # Bob sees the built-in ones only, cannot save from Alice's project nor delete her template.
    assert [t["id"] for t in client.get("/api/templates", headers=bob.headers).json()] == list(builtin)
    r = client.post(f"/api/projects/{project['id']}/save-template", headers=bob.headers, json={"name": "x"})
    assert r.status_code == 404
    assert client.delete(f"/api/templates/{mine['id']}", headers=bob.headers).status_code == 404
    assert client.delete("/api/templates/builtin-fastapi", headers=alice.headers).status_code == 409
    assert client.delete("/api/templates/nope", headers=alice.headers).status_code == 404
    assert client.delete(f"/api/templates/{mine['id']}", headers=alice.headers).status_code == 204
    assert mine["id"] not in [t["id"] for t in client.get("/api/templates", headers=alice.headers).json()]
    assert client.get("/api/templates").status_code == 401


def test_a_deploy_key_per_user_made_on_first_use_and_stored_encrypted(
    client: TestClient, settings: Settings, make_user: Callable[..., Account], tmp_path: Path
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    first = client.get("/api/me/deploy-key", headers=alice.headers).json()
    assert first["public_key"].startswith("ssh-ed25519 ") and first["public_key"].endswith(" autocode-alice")
    assert first["fingerprint"].startswith("SHA256:")
    assert client.get("/api/me/deploy-key", headers=alice.headers).json() == first
    other = client.get("/api/me/deploy-key", headers=bob.headers).json()
    assert other["public_key"] != first["public_key"]

    # The private half is in the database only encrypted, and it is the pair of the public one.
    with sqlite3.connect(settings.data_path / "autocode.db") as db:
        stored = db.execute("SELECT encrypted_private_key FROM deploy_keys").fetchall()
    assert len(stored) == 2 and all("PRIVATE KEY" not in row[0] for row in stored)
    from autocode.core.security import Keys, load_master_secret
    from autocode.services.deploy_keys import private_key

    keys = Keys.from_master(load_master_secret(settings))
    from sqlmodel import Session

    from autocode.core import db as core_db

    engine = core_db.make_engine(settings.database_url)
    with Session(engine) as session:
        secret = private_key(session, keys=keys, user_id=alice.id)
    engine.dispose()
    assert secret is not None and secret.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    path = tmp_path / "key"
    path.write_text(secret)
    path.chmod(0o600)
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(path)], capture_output=True, text=True, timeout=30, check=True
    ).stdout.split()
    assert derived[:2] == first["public_key"].split()[:2]
