"""More work for a project: steps added to a completed plan run alone, instructions reach Claude Code,
a disabled account's projects stop. Real server, real supervisor, real Claude Code CLI, scripted model."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import wait_until
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform, step_turns

TWO_STEPS = [
    {"title": "Write the first file", "detail": "GO-ONE"},
    {"title": "Write the second file", "detail": "GO-TWO"},
]


def test_steps_added_to_a_completed_project_run_alone_with_what_came_before(platform: Platform) -> None:
    platform.fake.on_prompt("GO-ONE", write("one.txt", "first\n"), text("Wrote one.txt with the greeting"))
    platform.fake.on_prompt("GO-TWO", write("two.txt", "second\n"), text("Wrote two.txt with the farewell"))
    platform.fake.on_prompt("GO-THREE", write("three.txt", "third\n"), text("Wrote three.txt"))
    project = platform.project(TWO_STEPS)
    pid = project["id"]
    platform.start(pid)
    done = platform.wait_status(pid, "completed")
    before = done["implementation_plan"]
    assert [s["status"] for s in before] == ["done", "done"]

    added = platform.api.http.post(
        f"/api/projects/{pid}/steps", json={"title": "Write the third file", "detail": "GO-THREE"}
    )
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "completed" and added.json()["implementation_plan"][:2] == before
    started = platform.start(pid)
    assert started["status"] == "running"
    finished = platform.wait_status(pid, "completed")

    assert [s["status"] for s in finished["implementation_plan"]] == ["done", "done", "done"]
    assert finished["implementation_plan"][:2] == before  # the earlier steps were not rewritten
    assert finished["current_step"] == 3
    # only the new step ran: the first two were each prompted once, in the first run
    assert step_turns(platform.fake, "GO-ONE") == 1 and step_turns(platform.fake, "GO-TWO") == 1
    assert step_turns(platform.fake, "GO-THREE") == 1
    prompt = next(r.prompt for r in platform.fake.calls() if r.turn_step == 0 and "GO-THREE" in r.prompt)
    assert "Now do step 3: Write the third file" in prompt
    assert "What the previous steps did:" in prompt
    assert before[0]["summary"] in prompt and before[1]["summary"] in prompt
    history = (platform.data / "run" / "projects" / str(pid) / "brain" / "HISTORY.md").read_text()
    assert "Step 1 done" in history and "Step 3 done: Write the third file" in history
    assert (Path(project["workspace_path"]) / "three.txt").read_text() == "third\n"


def test_an_instruction_reaches_claude_code_at_the_next_turn_boundary(platform: Platform) -> None:
    platform.fake.on_prompt("GO-ONE", write("one.txt", "first\n", delay=4.0), text("Wrote one.txt"))
    platform.fake.on_prompt("INSTR-ADD-NOTES", write("notes.txt", "noted\n"), text("Added notes.txt as asked"))
    platform.fake.on_prompt("GO-TWO", write("two.txt", "second\n"), text("Wrote two.txt"))
    project = platform.project(TWO_STEPS)
    pid = project["id"]
    platform.start(pid)
    wait_until(lambda: platform.fake.wait_for(lambda reqs: any("GO-ONE" in r.prompt for r in reqs), 0.1), timeout=60)
    r = platform.api.http.post(
        f"/api/projects/{pid}/instructions", json={"text": "Also write notes.txt (INSTR-ADD-NOTES)"}
    )
    assert r.status_code == 202, r.text
    platform.wait_status(pid, "completed")
    assert (Path(project["workspace_path"]) / "notes.txt").read_text() == "noted\n"
    # delivered once, after step 1's turn and before step 2 was sent
    firsts = [r.prompt for r in platform.fake.calls() if r.turn_step == 0]
    order = [next(i for i, p in enumerate(firsts) if marker in p) for marker in ("GO-ONE", "INSTR-ADD-NOTES", "GO-TWO")]
    assert order == sorted(order), firsts
    assert step_turns(platform.fake, "INSTR-ADD-NOTES") == 1
    instruction = next(p for p in firsts if "INSTR-ADD-NOTES" in p)
    assert instruction.startswith("The human who owns this project adds an instruction:")
    messages = [e["message"] for e in platform.logs(pid)]
    assert "Your instruction is queued for Claude Code's next turn" in messages
    assert any(m.startswith("Giving Claude Code your instruction: Also write notes.txt") for m in messages)
    # a stopped project takes no instructions
    r = platform.api.http.post(f"/api/projects/{pid}/instructions", json={"text": "late"})
    assert r.status_code == 409


def test_disabling_an_account_stops_its_running_projects(platform: Platform) -> None:
    bob = platform.api.create_user("plan-bob")
    r = bob.http.post(
        "/api/keys",
        json={"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": platform.fake.url},
    )
    assert r.status_code == 201, r.text
    platform.fake.on_prompt("GO-SLOW", write("slow.txt", "x\n", delay=30.0), text("done"))
    agent = bob.http.post("/api/agents", json={"name": "Dev", "model": "anthropic/claude-test"}).json()
    project = bob.http.post(
        f"/api/agents/{agent['id']}/projects",
        json={"name": "Slow", "implementation_plan": [{"title": "Slow", "detail": "GO-SLOW"}]},
    ).json()
    assert bob.http.post(f"/api/projects/{project['id']}/start").status_code == 200
    wait_until(lambda: platform.fake.wait_for(lambda reqs: any("GO-SLOW" in r.prompt for r in reqs), 0.1), timeout=60)
    users = platform.api.http.get("/api/users").json()
    bob_id = next(u["id"] for u in users if u["username"] == "plan-bob")
    r = platform.api.http.patch(f"/api/users/{bob_id}", json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert bob.http.get(f"/api/projects/{project['id']}").status_code == 401
    # the admin sees it through the database the server keeps: bob's project is paused, saying why
    import sqlite3

    raw = sqlite3.connect(platform.data / "autocode.db")
    try:
        status, reason = raw.execute(
            "SELECT status, status_reason FROM projects WHERE id = ?", (project["id"],)
        ).fetchone()
        live = raw.execute(
            "SELECT count(*) FROM agent_instances WHERE project_id = ? AND status IN ('starting', 'running')",
            (project["id"],),
        ).fetchone()[0]
    finally:
        raw.close()
    assert (status, reason, live) == ("paused", "Stopped: the account was disabled", 0)
