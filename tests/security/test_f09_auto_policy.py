"""Finding 9: the `auto` policy approved inline code (`python3 -c ...`) as an ordinary command.

A user's scripted model asks Claude Code (the real CLI) to run `python3 -c "open('<marker>','w')"`
under the `auto` policy. The supervisor must not press "Yes": it asks the human, and the marker
file is never created. On the old rule (`python3` on the safe list) the command ran.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import stop_tmux_servers
from tests.fakes.fake_anthropic import bash, text
from tests.supervision.conftest import Platform

USER = "brain-f09"


def test_auto_policy_asks_before_inline_code(platform: Platform, tmp_path: Path) -> None:
    marker = tmp_path / f"f09-{uuid.uuid4().hex}"
    command = f"python3 -c \"open('{marker}','w')\""
    platform.fake.on_prompt("GO-INLINE", bash(command), text("ran it"))
    platform.fake.on_prompt("leave it", text("Understood, skipped."))
    user = platform.api.create_user(USER)
    try:
        r = user.http.post(
            "/api/keys",
            json={"provider": "anthropic", "key": "sk-ant-test-f09-0123456789", "base_url": platform.fake.url},
        )
        assert r.status_code == 201, r.text
        agent = user.http.post(
            "/api/agents", json={"name": "Dev", "model": "anthropic/claude-test", "permission_policy": "auto"}
        )
        assert agent.status_code == 201, agent.text
        r = user.http.post(
            f"/api/agents/{agent.json()['id']}/projects",
            json={"name": "Inline", "implementation_plan": [{"title": "Run", "detail": "GO-INLINE"}]},
        )
        assert r.status_code == 201, r.text
        project = r.json()
        assert user.http.post(f"/api/projects/{project['id']}/start").status_code == 200
        platform.api = user  # Platform's helpers read through this user's API
        waiting = platform.wait_status(project["id"], "needs_help")
        assert "python3 -c" in (waiting["status_reason"] or "")
        decisions = [e["message"] for e in platform.logs(project["id"]) if e["level"] == "agent_decision"]
        assert any(d.startswith("Escalated to you:") and "python3 -c" in d for d in decisions), decisions
        assert not any(d.startswith("Approved:") and "python3" in d for d in decisions), decisions
        assert not marker.exists()

        r = user.http.post(f"/api/projects/{project['id']}/reply", json={"text": "no, leave it"})
        assert r.status_code == 204
        platform.wait_status(project["id"], "completed", "needs_help", "paused", "failed")
        assert not marker.exists()
    finally:
        user.http.post(f"/api/projects/{project['id']}/stop") if "project" in locals() else None
        stop_tmux_servers(platform.data, [USER])
