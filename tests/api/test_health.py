"""Health answers without authentication and tells what the platform can use."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient

from autocode import __version__


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] == __version__
    assert body["active_projects"] == 0 and body["runtime"] == "local"
    assert body["tmux"] is (shutil.which("tmux") is not None)
    assert set(body) == {
        "status",
        "version",
        "active_projects",
        "runtime",
        "tmux",
        "docker",
        "claude",
        "runtime_users_allowed",
        "runtime_note",
    }
    # development (one person): the local runtime is everyone's, with a note saying it isolates nobody
    assert body["runtime_users_allowed"] is True and "docker runtime" in body["runtime_note"]
