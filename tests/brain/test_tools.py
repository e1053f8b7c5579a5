"""Only our tools reach the model: the six Steering tools, remember, enabled read helpers, the template's MCP tools."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.supervisor import mcp
from autocode.supervisor.brain import (
    MEMORY_TOOLS,
    STEERING_TOOLS,
    Brain,
    ProjectFiles,
    enabled_read_helpers,
    list_dir,
    read_file,
    search,
)
from tests.brain.conftest import Recorder
from tests.fakes.fake_openai import FakeOpenAI, Request, call, reply

FORBIDDEN = {
    "exec",
    "exec_session",
    "write_file",
    "edit_file",
    "apply_patch",
    "web_search",
    "web_fetch",
    "spawn",
    "message",
    "run_cli_app",
    "my",
    "create_goal",
    "send_session_message",
}
HELPERS = {"read_file", "list_dir", "search"}


def _tool_result(req: Request) -> str:
    return str(req.tool_results[-1]["content"])


def test_only_the_steering_tools_without_helpers(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    brain = make_brain()
    brain.decide("hello", recorder)
    [chat] = fake.calls()
    assert set(chat.tool_names) == set(STEERING_TOOLS + MEMORY_TOOLS)
    assert not FORBIDDEN & set(chat.tool_names)
    assert set(brain.tool_names) == set(STEERING_TOOLS + MEMORY_TOOLS)


def test_template_tools_enable_read_helpers_only(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    tools = ["read_file", "list_dir", "grep", "Bash", "exec", "write_file", "web_search", "spawn"]
    make_brain(tools=tools).decide("hello", recorder)
    [chat] = fake.calls()
    assert set(chat.tool_names) == set(STEERING_TOOLS + MEMORY_TOOLS) | HELPERS
    assert not FORBIDDEN & set(chat.tool_names)
    assert enabled_read_helpers(["Read", "ls", "search", "Write"]) == ["read_file", "list_dir", "search"]


def test_a_tool_the_model_was_not_offered_is_refused(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, workspace: Path
) -> None:
    fake.on_message(
        "sneaky", call("exec", command="touch PWNED"), call("write_file", path="x.txt", content="x"), reply("tried")
    )
    decision = make_brain().decide("sneaky", recorder)
    assert decision.text == "tried"
    assert not (workspace / "PWNED").exists() and not (workspace / "x.txt").exists()
    assert not list(workspace.rglob("PWNED")) and not list(workspace.rglob("x.txt"))
    assert recorder.calls == []


def test_read_helpers_read_the_workspace(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.on_message(
        "look",
        call("list_dir", path="src"),
        call("read_file", path="src/app.py"),
        call("search", pattern="READ-ME"),
        reply("seen"),
    )
    decision = make_brain(tools=["read_file", "list_dir", "search"]).decide("look around", recorder)
    assert [n for n, _ in decision.actions] == ["list_dir", "read_file", "search"]
    assert decision.steering == []
    chats = fake.calls()
    assert _tool_result(chats[1]) == "app.py"
    assert "READ-ME-42" in _tool_result(chats[2])
    assert "src/app.py:2:" in _tool_result(chats[3])


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "src/../../secret.txt", "link/secret.txt"])
def test_read_file_refuses_paths_outside_the_workspace(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, workspace: Path, path: str
) -> None:
    (workspace / "link").symlink_to(workspace.parent)
    fake.on_message("peek", call("read_file", path=path), reply("refused"))
    make_brain(tools=["read_file"]).decide("peek", recorder)
    result = _tool_result(fake.calls()[1])
    assert "outside the workspace" in result
    assert "SECRET-OUTSIDE" not in result and "root:" not in result


def test_helpers_refuse_to_leave_the_workspace(workspace: Path, files: ProjectFiles) -> None:
    (workspace / "out").symlink_to(workspace.parent / "secret.txt")
    cases: list[tuple[Callable[..., str], dict[str, str]]] = [
        (read_file, {"path": "../secret.txt"}),
        (read_file, {"path": "out"}),
        (list_dir, {"path": ".."}),
        (search, {"pattern": "SECRET", "path": ".."}),
    ]
    for fn, kw in cases:
        with pytest.raises(ValueError, match="outside the workspace"):
            fn(files, **kw)
    # a symlink leading out is skipped by search rather than followed
    assert search(files, "SECRET-OUTSIDE") == "(no matches)"
    assert "1  def main" in read_file(files, "src/app.py")
    # the project folder itself swapped for a link: nothing is read through it
    (workspace.parent / "real").mkdir()
    (workspace.parent / "real" / "x.txt").write_text("BEHIND-A-LINK\n")
    workspace.rename(workspace.parent / "old")
    workspace.symlink_to(workspace.parent / "real")
    behind: list[tuple[Callable[..., str], dict[str, str]]] = [
        (read_file, {"path": "x.txt"}),
        (list_dir, {"path": "."}),
        (search, {"pattern": "BEHIND"}),
    ]
    for fn, kw in behind:
        with pytest.raises(ValueError, match="links are not followed"):
            fn(files, **kw)


def test_mcp_server_tools_are_offered_and_called(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    server = Path(__file__).with_name("mcp_echo_server.py")
    fake.on_message("use mcp", call("mcp_echo_echo", text="hi"), reply("echoed"))
    # Under the local runtime a command runs on the host only when the admin listed it exactly.
    placement = mcp.Placement(kind="local", host_commands=frozenset({sys.executable}))
    brain = make_brain(
        mcp_servers={"echo": {"command": sys.executable, "args": [str(server)]}}, mcp_placement=placement
    )
    decision = brain.decide("use mcp", recorder)
    chats = fake.calls()
    assert set(chats[0].tool_names) == set(STEERING_TOOLS + MEMORY_TOOLS) | {"mcp_echo_echo"}
    assert decision.actions == [("mcp_echo_echo", {"text": "hi"})]
    assert "echo:hi" in _tool_result(chats[1])


def test_a_command_server_not_allowlisted_never_runs_on_the_host(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, tmp_path: Path
) -> None:
    marker = tmp_path / "mcp-ran-on-host"
    refusals: list[str] = []
    fake.on_message("use mcp", reply("no tools"))
    brain = make_brain(
        mcp_servers={"x": {"command": "sh", "args": ["-c", f"touch {marker}"]}}, on_refusal=refusals.append
    )
    brain.decide("use mcp", recorder)
    assert set(fake.calls()[0].tool_names) == set(STEERING_TOOLS + MEMORY_TOOLS)
    assert not marker.exists()
    assert len(refusals) == 1 and "MCP server 'x' not started" in refusals[0]
    assert "AUTOCODE_MCP_HOST_COMMANDS" in refusals[0]
