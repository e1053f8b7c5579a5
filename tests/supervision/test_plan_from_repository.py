"""A project started from a repository with no plan and no goal: Start clones it first, then the
agent plans from the repository's README and works on the cloned code. Real server, supervisor,
Claude Code CLI (scripted model endpoint) and `git daemon` on 127.0.0.1, local runtime."""

from __future__ import annotations

from pathlib import Path

from tests.api.test_git_start import make_repository, start_daemon, stop_group
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform


def test_start_clones_then_plans_from_the_readme(platform: Platform, tmp_path: Path) -> None:
    make_repository(tmp_path / "git")
    readme = tmp_path / "work" / "README.md"
    assert readme.exists()
    git, daemon = start_daemon(tmp_path / "git", "127.0.0.1")
    fake = platform.fake
    fake.on_prompt(
        "[autocode plan]",
        text("1. Add a farewell: GO-FAREWELL write bye.py\n2. Document it: GO-DOC add a line to README.md"),
    )
    fake.on_prompt("GO-FAREWELL", write("bye.py", "print('bye')\n"), text("Wrote bye.py"))
    fake.on_prompt("GO-DOC", write("NOTES.md", "bye.py says bye\n"), text("Wrote NOTES.md"))
    try:
        project = platform.project(None, name="Greeter", git_url=git.url("127.0.0.1"))
        assert project["status"] == "cloning" and project["implementation_plan"] == []
        # Start right away: the supervisor starts once the clone is done.
        started = platform.start(project["id"])
        assert started["status"] in ("cloning", "planning", "running"), started
        done = platform.wait_status(project["id"], "completed", timeout=120)
    finally:
        stop_group(daemon)
    assert [s["title"] for s in done["implementation_plan"]] == ["Add a farewell", "Document it"]
    plan_prompts = [r.prompt for r in fake.calls() if "[autocode plan]" in r.prompt]
    assert plan_prompts, "Claude Code was never asked for a plan"
    assert "A tiny greeting service: `python hello.py NAME` prints a greeting." in plan_prompts[0]
    assert "clone of an existing repository" in plan_prompts[0]
    folder = platform.data / "users" / "admin" / "projects" / done["slug"]
    assert (folder / "hello.py").exists() and (folder / "bye.py").read_text() == "print('bye')\n"
    log = platform.log_text(project["id"])
    assert log.index("Cloned git://") < log.index("supervisor started"), log
