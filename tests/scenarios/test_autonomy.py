"""The supervisor finishes real plans without a human and asks for help exactly when it cannot.

Each scenario asserts the final state, the step statuses, the files in the workspace and the
decision trail in the logs. Claude Code is the real CLI against a scripted Anthropic endpoint;
the decision model is nanobot against a scripted OpenAI-compatible endpoint.
"""

from __future__ import annotations

import subprocess
from typing import Any

from tests.conftest import wait_until
from tests.fakes import fake_anthropic as claude
from tests.fakes.fake_openai import call, refused_url, reply
from tests.scenarios.conftest import STALL_SECONDS, Scenario, workspace


def _steps(project: dict[str, Any]) -> list[str]:
    return [s["status"] for s in project["implementation_plan"]]


def test_1_three_steps_with_the_brain_confirming_each(scenario: Scenario) -> None:
    for n, name in ((1, "one"), (2, "two"), (3, "three")):
        scenario.fake.on_prompt(f"GO-{n}", claude.write(f"{name}.txt", f"{n}\n"), claude.text(f"Wrote {name}.txt"))
        assert scenario.brain is not None
        scenario.brain.on_message(
            f"Step {n} of 3", call("mark_step_done", summary=f"{name}.txt exists"), reply(f"Verified {name}.txt.")
        )
    project = scenario.project([{"title": f"Make file {n}", "detail": f"GO-{n}"} for n in (1, 2, 3)])
    scenario.start(project["id"])
    done = scenario.wait_status(project["id"], "completed")
    assert _steps(done) == ["done", "done", "done"]
    assert [s["summary"] for s in done["implementation_plan"]] == [
        "one.txt exists",
        "two.txt exists",
        "three.txt exists",
    ]
    # the decision model gave each verdict: verified, nothing to review
    assert [(s["verified"], s["review"]) for s in done["implementation_plan"]] == [(True, None)] * 3
    for name in ("one", "two", "three"):
        assert (workspace(project) / f"{name}.txt").exists()
    decisions = scenario.decisions(project["id"])
    assert [d for d in decisions if d.startswith("Decided: Verified")] == [
        "Decided: Verified one.txt.",
        "Decided: Verified two.txt.",
        "Decided: Verified three.txt.",
    ]
    calls = [e for e in scenario.logs(project["id"]) if e["message"].startswith("Decided:")]
    assert all(e["data"]["actions"] == ["mark_step_done"] for e in calls)
    # the brain saw the composed identity and only our tools
    assert scenario.brain is not None
    request = scenario.brain.calls()[0]
    assert "You supervise a careful engineer." in request.system_text
    assert set(request.tool_names) >= {"mark_step_done", "send_text", "ask_human", "revise_plan"}
    assert not set(request.tool_names) & {"exec", "write_file", "web_search", "web_fetch", "spawn"}


def test_2_a_decision_question_is_answered_by_the_brain(scenario: Scenario) -> None:
    assert scenario.brain is not None
    scenario.fake.on_prompt("GO-Q", claude.text("Should I store the data in SQLite or in Postgres?"))
    scenario.fake.on_prompt("Use SQLite", claude.write("db.txt", "sqlite\n"), claude.text("Set up SQLite in db.txt"))
    scenario.brain.on_message(
        "SQLite or in Postgres",
        call("send_text", text="Use SQLite: one file, no server."),
        reply("Answered the storage question."),
    )
    scenario.brain.on_message(
        "Set up SQLite in db.txt", call("mark_step_done", summary="SQLite chosen"), reply("Done.")
    )
    project = scenario.project([{"title": "Storage", "detail": "GO-Q"}])
    scenario.start(project["id"])
    done = scenario.wait_status(project["id"], "completed")
    assert _steps(done) == ["done"]
    assert (workspace(project) / "db.txt").read_text() == "sqlite\n"
    decisions = scenario.decisions(project["id"])
    assert "Told Claude Code: Use SQLite: one file, no server." in decisions
    assert decisions.index("Told Claude Code: Use SQLite: one file, no server.") < decisions.index("Decided: Done.")
    assert not any("needs_help" in str(e.get("data")) for e in scenario.logs(project["id"]))


def test_3_an_api_error_burst_is_recovered(scenario: Scenario) -> None:
    scenario.fake.fail(500, times=2, contains="GO-ERR")
    scenario.fake.fail(529, times=3, contains="GO-ERR", message="Overloaded")
    scenario.fake.on_prompt("GO-ERR", claude.write("ok.txt", "ok\n"), claude.text("Wrote ok.txt"))
    assert scenario.brain is not None
    scenario.brain.on_message("Step 1 of 1", call("mark_step_done", summary="ok.txt written"), reply("Good."))
    project = scenario.project([{"title": "Survive errors", "detail": "GO-ERR"}])
    scenario.start(project["id"])
    done = scenario.wait_status(project["id"], "completed", timeout=150)
    assert _steps(done) == ["done"]
    assert (workspace(project) / "ok.txt").exists()
    logs = scenario.logs(project["id"])
    messages = [e["message"] for e in logs]
    assert any("retries (attempt" in m or "ended with an error; retrying" in m for m in messages), messages
    assert not any(e["data"] and e["data"].get("needs_help") for e in logs)


def test_4_claude_code_killed_mid_step_is_restarted_and_the_step_resent(scenario: Scenario) -> None:
    scenario.fake.on_prompt("GO-A", claude.write("a.txt", "a\n"), claude.text("a done"))
    scenario.fake.on_prompt("GO-B", claude.write("b.txt", "b\n", delay=4), claude.text("b done"))
    project = scenario.project([{"title": "A", "detail": "GO-A"}, {"title": "B", "detail": "GO-B"}])
    scenario.start(project["id"])
    wait_until(lambda: _steps(scenario.get(project["id"]))[1] == "running", timeout=60)
    wait_until(lambda: scenario.fake.wait_for(lambda rs: any("GO-B" in r.prompt for r in rs), 0.1), timeout=30)
    from autocode.runtime.local import LocalRuntime

    runtime = LocalRuntime(data_dir=scenario.data)
    pid = runtime.pane_info(scenario.api.username, f"{project['tmux_session']}:agent").pid
    assert pid
    subprocess.run(["pkill", "-KILL", "-P", str(pid)], check=False)
    subprocess.run(["kill", "-KILL", str(pid)], check=False)
    done = scenario.wait_status(project["id"], "completed", timeout=120)
    assert _steps(done) == ["done", "done"]
    assert (workspace(project) / "b.txt").exists()
    messages = [e["message"] for e in scenario.logs(project["id"])]
    assert any(m.startswith("Claude Code stopped during step 2") for m in messages), messages
    assert "Restarting Claude Code and sending the step again" in scenario.decisions(project["id"])
    assert sum(1 for m in messages if m == "Step 1 done, not verified: A") == 1


def test_5_a_stall_is_interrupted_and_recovered(scenario: Scenario) -> None:
    slow = claude.Reply(blocks=[claude.Text("never")], stream_delay=120)
    scenario.fake.add(lambda r: "GO-STALL" in r.prompt and r.turn_step == 0, lambda r: slow, times=1)
    scenario.fake.on_prompt(
        "nothing happened", claude.write("late.txt", "late\n"), claude.text("I was stuck; done now")
    )
    project = scenario.project([{"title": "Stall", "detail": "GO-STALL"}])
    scenario.start(project["id"])
    done = scenario.wait_status(project["id"], "completed", timeout=120)
    assert _steps(done) == ["done"]
    assert (workspace(project) / "late.txt").exists()
    decisions = scenario.decisions(project["id"])
    assert f"No output for {STALL_SECONDS}s while busy; pressing Ctrl+C to interrupt Claude Code" in decisions
    assert any("retrying" in d for d in decisions)


def test_6_same_error_three_times_then_another_approach_then_one_call_for_help(scenario: Scenario) -> None:
    assert scenario.brain is not None
    broken = {"on": True}
    overloaded = claude.error(529, "Overloaded")
    # Every model call fails while the "service" is broken: each turn ends with the same error.
    scenario.fake.add(lambda r: not r.is_title and broken["on"], lambda r: overloaded, first=True)
    scenario.fake.on_prompt("GO-BOOM", claude.write("widget.txt", "w\n"), claude.text("Widget written"))
    scenario.brain.on_message("failed 3 times", reply("Write the widget in two smaller files instead."))
    scenario.brain.on_message("Widget written", call("mark_step_done", summary="widget done"), reply("Done."))
    project = scenario.project([{"title": "Widget", "detail": "GO-BOOM"}])
    scenario.start(project["id"])
    waiting = scenario.wait_status(project["id"], "needs_help", timeout=240)
    assert "same error, even with another approach" in waiting["status_reason"]
    decisions = scenario.decisions(project["id"])
    retries = [d for d in decisions if d.startswith("Step 1 ended with an error; retrying")]
    assert len(retries) == 2, decisions
    approach = [e for e in scenario.logs(project["id"]) if e["message"].startswith("Same error 3 times")]
    assert len(approach) == 1
    assert approach[0]["data"]["instructions"] == "Write the widget in two smaller files instead."
    broken["on"] = False
    r = scenario.api.http.post(
        f"/api/projects/{project['id']}/reply", json={"text": "The service is fixed now, go on."}
    )
    assert r.status_code == 204
    done = scenario.wait_status(project["id"], "completed", timeout=90)
    assert _steps(done) == ["done"]
    assert (workspace(project) / "widget.txt").exists()
    helps = [e for e in scenario.logs(project["id"]) if e["data"] and e["data"].get("needs_help")]
    assert len(helps) == 1


def test_7_a_nearly_full_context_is_compacted_with_a_summary(scenario: Scenario) -> None:
    big = claude.write("big.txt", "x\n", input_tokens=180_000)
    scenario.fake.on_prompt("GO-BIG", big, claude.text("big done", input_tokens=181_000))
    scenario.fake.on_prompt("GO-NEXT", claude.write("next.txt", "n\n"), claude.text("next done"))
    project = scenario.project([{"title": "Big", "detail": "GO-BIG"}, {"title": "Next", "detail": "GO-NEXT"}])
    scenario.start(project["id"])
    done = scenario.wait_status(project["id"], "completed", timeout=120)
    assert _steps(done) == ["done", "done"]
    assert (workspace(project) / "next.txt").exists()
    decisions = scenario.decisions(project["id"])
    full = [d for d in decisions if d.startswith("Context nearly full (")]
    assert len(full) == 1, decisions
    used = int(full[0].split("(")[1].split(" ")[0])
    assert 170_000 <= used <= 181_000 and "of 200000 tokens" in full[0]
    compactions = [r for r in scenario.fake.calls() if r.is_compaction]
    assert compactions, "Claude Code never compacted"
    assert any("Keep this state" in "\n".join(str(m) for m in r.messages) for r in compactions)


def test_8_a_failing_brain_leaves_the_project_safe(scenario: Scenario) -> None:
    r = scenario.api.http.get("/api/keys").json()
    openai_key = next(k for k in r if k["provider"] == "openai")
    scenario.api.http.delete(f"/api/keys/{openai_key['id']}")
    scenario.api.http.post(
        "/api/keys", json={"provider": "openai", "key": "sk-openai-test-0123456789", "base_url": refused_url()}
    )
    scenario.fake.on_prompt("GO-SAFE", claude.write("safe.txt", "s\n"), claude.text("safe.txt written"))
    scenario.fake.on_prompt("GO-ASKS", claude.text("Which port should the server listen on?"))
    scenario.fake.on_prompt("Port 8080", claude.write("port.txt", "8080\n"), claude.text("Configured 8080"))
    project = scenario.project([{"title": "Safe", "detail": "GO-SAFE"}, {"title": "Port", "detail": "GO-ASKS"}])
    scenario.start(project["id"])
    waiting = scenario.wait_status(project["id"], "needs_help", timeout=120)
    assert "Which port should the server listen on?" in waiting["status_reason"]
    assert _steps(waiting) == ["done", "running"]
    logs = scenario.logs(project["id"])
    assert any(e["message"].startswith("The decision model is unavailable") for e in logs)
    assert "Step 1 counts as done, not verified: the turn ended cleanly" in scenario.decisions(project["id"])
    assert waiting["implementation_plan"][0]["verified"] is False  # no model judged it
    scenario.api.http.post(f"/api/projects/{project['id']}/reply", json={"text": "Port 8080, please."})
    done = scenario.wait_status(project["id"], "completed", timeout=90)
    assert _steps(done) == ["done", "done"]
    assert done["implementation_plan"][1]["answers"] == ["Port 8080, please."]
    assert (workspace(project) / "port.txt").read_text() == "8080\n"
    # never a crash loop: one supervisor instance did all of it
    assert done["instance"]["status"] == "exited"
    assert not any("restarting it in" in e["message"] for e in scenario.logs(project["id"]))


def test_9_the_brain_revises_the_remaining_plan(scenario: Scenario) -> None:
    assert scenario.brain is not None
    scenario.fake.on_prompt("GO-R1", claude.write("r1.txt", "1\n"), claude.text("r1 done"))
    scenario.fake.on_prompt(
        "Now do step 2: Write r2 and r3 together", claude.write("r23.txt", "2+3\n"), claude.text("r2 and r3 done")
    )
    revised = [{"title": "Write r2 and r3 together", "detail": "one file is enough"}]
    scenario.brain.on_message(
        "Step 1 of 3",
        call("revise_plan", steps=revised, reason="steps 2 and 3 belong together"),
        call("mark_step_done", summary="r1 written"),
        reply("Revised."),
    )
    scenario.brain.on_message("Step 2 of 2", call("mark_step_done", summary="r2+r3 written"), reply("Done."))
    project = scenario.project([{"title": "Write r1", "detail": "GO-R1"}, {"title": "Write r2"}, {"title": "Write r3"}])
    scenario.start(project["id"])
    done = scenario.wait_status(project["id"], "completed")
    assert [(s["title"], s["status"]) for s in done["implementation_plan"]] == [
        ("Write r1", "done"),
        ("Write r2 and r3 together", "done"),
    ]
    assert (workspace(project) / "r23.txt").exists()
    revision = next(e for e in scenario.logs(project["id"]) if e["message"].startswith("Plan revised:"))
    assert revision["level"] == "agent_decision"
    assert revision["data"]["before"] == ["Write r2", "Write r3"]
    assert revision["data"]["after"] == ["Write r2 and r3 together"]


def test_10_a_token_budget_pauses_the_project(scenario: Scenario) -> None:
    scenario.fake.on_prompt(
        "GO-SPEND", claude.write("spent.txt", "x\n", input_tokens=6000), claude.text("spent", input_tokens=6000)
    )
    project = scenario.project(
        [{"title": "Spend", "detail": "GO-SPEND"}, {"title": "Never", "detail": "GO-NEVER"}], budget_tokens=5000
    )
    scenario.start(project["id"])
    paused = scenario.wait_status(project["id"], "paused")
    assert paused["status_reason"].startswith("Token budget reached (")
    assert paused["input_tokens"] + paused["output_tokens"] >= 5000
    assert any(d.startswith("Paused: Token budget reached") for d in scenario.decisions(project["id"]))
    assert not any("GO-NEVER" in r.prompt for r in scenario.fake.calls())
