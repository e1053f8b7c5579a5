"""Log lines and questions show workspace-relative paths, never the server's."""

from __future__ import annotations

import pytest

from autocode.supervisor.shown_paths import hide_paths, hide_paths_in

ROOTS = [("/data/users/alice/projects/shop", ""), ("/workspace/projects/shop", ""), ("/data", "…")]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Write /data/users/alice/projects/shop/first.txt", "Write first.txt"),
        ("Write /workspace/projects/shop/src/app.py", "Write src/app.py"),
        ("cd /data/users/alice/projects/shop && ls", "cd . && ls"),
        (
            "Bash: cat /data/users/alice/projects/shop/a.txt /data/run/7/inbox.jsonl",
            "Bash: cat a.txt …/run/7/inbox.jsonl",
        ),
        ("/data/users/alice/projects/shopping/x", "…/users/alice/projects/shopping/x"),
        ("no paths here", "no paths here"),
    ],
)
def test_paths_become_workspace_relative(text: str, shown: str) -> None:
    assert hide_paths(text, ROOTS) == shown


def test_data_is_rewritten_throughout() -> None:
    data = {
        "tool": "Write",
        "input": {"file_path": "/workspace/projects/shop/x.txt"},
        "n": 3,
        "list": ["/data/users/alice/projects/shop/y"],
    }
    assert hide_paths_in(data, ROOTS) == {"tool": "Write", "input": {"file_path": "x.txt"}, "n": 3, "list": ["y"]}
