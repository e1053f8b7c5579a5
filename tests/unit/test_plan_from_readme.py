"""A project started from a repository is planned from its README, read through the safe layer."""

from __future__ import annotations

import os
from pathlib import Path

from autocode.core.files import Tree
from autocode.models import Project
from autocode.services.workspaces import MAX_README_CHARS, read_readme
from autocode.supervisor.identity import PLAN_MARK, planning_prompt


def project(**fields: object) -> Project:
    return Project(user_id=1, agent_id=1, name="Hello", slug="hello", **fields)  # type: ignore[arg-type]


def test_the_planning_prompt_carries_the_readme_when_the_project_came_from_a_repository() -> None:
    text = planning_prompt(project(git_url="git://example.org/hello.git"), "# Hello\nA greeting CLI.\n~~~~\n")
    assert text.startswith(PLAN_MARK)
    assert "take it from the repository README below" in text
    assert "# Hello\nA greeting CLI." in text
    assert "clone of an existing repository" in text
    assert text.count("~~~~") == 2  # the README cannot close the fence it is put in
    plain = planning_prompt(project(description="A shop"))
    assert "README" not in plain and "Goal: A shop" in plain


def test_read_readme_is_bounded_and_never_follows_a_link(tmp_path: Path) -> None:
    root = tmp_path / "users" / "alice"
    folder = root / "projects" / "hello"
    folder.mkdir(parents=True)
    tree = Tree(root)
    assert read_readme(tree, "hello") is None
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret")
    os.symlink(secret, folder / "README.md")
    assert read_readme(tree, "hello") is None  # the link is skipped, not followed
    (folder / "README.rst").write_text("x" * (MAX_README_CHARS * 3))
    found = read_readme(tree, "hello")
    assert found is not None and len(found) == MAX_README_CHARS
