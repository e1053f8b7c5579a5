"""A new project in the browser: a template fills the form, an ssh address shows the deploy key to
add, a repository served by a real `git daemon` on 127.0.0.1 is cloned into the new project, and
the project is saved as a template of one's own (another user does not see it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.test_git_start import README, make_repository, start_daemon, stop_group
from tests.browser.conftest import shoot
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser


def test_new_project_from_a_template_and_a_git_repository(server: ServerProcess, desktop: Any, tmp_path: Path) -> None:
    make_repository(tmp_path / "git")
    git, daemon = start_daemon(tmp_path / "git", "127.0.0.1")
    try:
        admin = Api(server.base, "admin", ADMIN_PASSWORD)
        alice = admin.create_user("alice")
        agent = alice.http.post("/api/agents", json={"name": "Web developer", "model": "anthropic/claude-x"}).json()

        page = desktop.new_page()
        page.goto(f"/agents/{agent['id']}/projects/new")
        sign_in(page, "alice", "user-password-1")
        templates = page.get_by_role("list", name="Templates")
        expect(templates.get_by_role("button", name=re.compile("FastAPI service"))).to_be_visible()
        expect(templates.get_by_role("button", name=re.compile("React \\+ Vite app"))).to_be_visible()
        expect(templates.get_by_role("button", name=re.compile("Python command-line tool"))).to_be_visible()

        templates.get_by_role("button", name=re.compile("FastAPI service")).click()
        expect(page.get_by_label("Goal")).to_have_value(re.compile("HTTP JSON API"))
        expect(page.get_by_label("Architecture (optional)")).to_have_value(re.compile("FastAPI"))
        expect(page.get_by_label("Write the steps myself")).to_be_checked()
        expect(page.get_by_label("Step 1 title")).to_have_value("Scaffold the project")
        page.get_by_label("Project name").fill("Greeter")
        shoot(page, "new-project-01-template")

        # An ssh address: the form shows the deploy key to add to the repository's host.
        page.get_by_label("Start from a git repository (optional)").fill("git@github.com:octo/greeter.git")
        key = page.get_by_test_id("deploy-key")
        expect(key).to_contain_text(re.compile(r"^ssh-ed25519 \S+ autocode-alice$"))
        expect(page.get_by_role("button", name="Copy key")).to_be_visible()
        shoot(page, "new-project-02-ssh-deploy-key")

        # A local path is refused in the form already.
        page.get_by_label("Start from a git repository (optional)").fill("/etc")
        expect(page.get_by_text("Local paths and file:// cannot be cloned")).to_be_visible()

        page.get_by_label("Start from a git repository (optional)").fill(git.url("127.0.0.1"))
        page.get_by_role("button", name="Create project").click()
        expect(page.get_by_role("heading", name="Greeter", level=1)).to_be_visible()
        expect(page.get_by_text(f"from {git.url('127.0.0.1')}")).to_be_visible()
        header = page.locator("header").filter(has=page.get_by_role("heading", name="Greeter", level=1))
        # The badge says "created" (title: not started) once the clone is done.
        expect(header.get_by_title("not started")).to_contain_text("created", timeout=60_000)
        page.get_by_role("tab", name="Files").click()
        expect(page.get_by_role("tabpanel").get_by_text("hello.py")).to_be_visible()
        project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        assert (
            alice.http.get(f"/api/projects/{project_id}/files/content", params={"path": "README.md"}).json()["text"]
            == README
        )
        shoot(page, "new-project-03-cloned")

        page.get_by_role("button", name="Save as template").click()
        page.get_by_label("Template name").fill("Greeter starter")
        page.get_by_role("button", name="Save", exact=True).click()
        toast(page, "Saved as template “Greeter starter”")

        page.goto(f"/agents/{agent['id']}/projects/new")
        mine = page.get_by_role("list", name="Templates").get_by_role("button", name=re.compile("Greeter starter"))
        expect(mine).to_contain_text("Yours")
        shoot(page, "new-project-04-my-template")
        # The same key in Settings, with its copy button.
        page.goto("/settings")
        expect(page.get_by_role("heading", name="Deploy key")).to_be_visible()
        expect(page.get_by_test_id("deploy-key")).to_have_text(re.compile(r"^ssh-ed25519 \S+ autocode-alice$"))
        shoot(page, "settings-deploy-key")
        # Bob sees the built-in templates only.
        bob = admin.create_user("bob")
        assert [t["name"] for t in bob.http.get("/api/templates").json()] == [
            "FastAPI service",
            "React + Vite app",
            "Python command-line tool",
        ]
    finally:
        stop_group(daemon)
