"""Launch helpers (env, config dir, argv), the transcript reader and the hook command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from autocode.core.files import Tree
from autocode.supervisor.claude.launch import (
    HOOK_EVENTS,
    claude_argv,
    claude_env,
    claude_settings,
    hook_command,
    seed_config_dir,
)
from autocode.supervisor.claude.records import Usage
from autocode.supervisor.claude.transcript import TranscriptReader, find_transcript, project_dir_name, transcript_path
from tests.fakes.claude_rig import CLI, HOOK_SCRIPT, KEY
from tests.fakes.fake_anthropic import FakeAnthropic, text, write
from tests.supervisor.conftest import needs_cli

# --------------------------------------------------------------------------- env


def test_env_passes_the_api_key_and_endpoint_and_turns_nonessential_traffic_off(tmp_path: Path) -> None:
    env = claude_env(home=tmp_path, api_key="sk-1", base_url="http://127.0.0.1:9")
    assert env["ANTHROPIC_API_KEY"] == "sk-1"
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert env["HOME"] == str(tmp_path)
    assert env["CLAUDE_CONFIG_DIR"] == str(tmp_path / ".claude")
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert env["DISABLE_AUTOUPDATER"] == "1"
    assert "IS_SANDBOX" not in env and "CLAUDE_CODE_OAUTH_TOKEN" not in env


def test_env_for_oauth_and_bypass(tmp_path: Path) -> None:
    env = claude_env(home=tmp_path, config_dir=tmp_path / "cfg", oauth_token="tok", policy="bypass", max_retries=2)
    assert env["CLAUDE_CODE_OAUTH_TOKEN"] == "tok"
    assert "ANTHROPIC_API_KEY" not in env
    assert env["IS_SANDBOX"] == "1"
    assert env["CLAUDE_CONFIG_DIR"] == str(tmp_path / "cfg")
    assert env["CLAUDE_CODE_MAX_RETRIES"] == "2"


@pytest.mark.parametrize("creds", [{}, {"api_key": "a", "oauth_token": "b"}])
def test_env_needs_exactly_one_credential(tmp_path: Path, creds: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        claude_env(home=tmp_path, api_key=creds.get("api_key"), oauth_token=creds.get("oauth_token"))


def test_unknown_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        claude_argv("claude", policy="yolo")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- config dir


def test_seed_writes_onboarding_key_approval_trust_and_hooks(tmp_path: Path) -> None:
    cfg, work = tmp_path / "cfg", tmp_path / "work"
    seed_config_dir(
        Tree(tmp_path),
        PurePosixPath("cfg"),
        workdir=work,
        api_key=KEY,
        policy="ask",
        hook_command=["python3", "-m", "autocode.hook", "/r d"],
    )
    state = json.loads((cfg / ".claude.json").read_text())
    assert state["hasCompletedOnboarding"] is True
    assert state["customApiKeyResponses"]["approved"] == [KEY[-20:]]
    assert state["projects"][str(work)]["hasTrustDialogAccepted"] is True
    settings = json.loads((cfg / "settings.json").read_text())
    assert "permissions" not in settings and "skipDangerousModePermissionPrompt" not in settings
    assert set(settings["hooks"]) == set(HOOK_EVENTS)
    pre = settings["hooks"]["PreToolUse"][0]
    assert pre["matcher"] == "*"
    assert pre["hooks"][0] == {"type": "command", "command": "python3 -m autocode.hook '/r d'", "timeout": 10}
    assert "matcher" not in settings["hooks"]["Stop"][0]
    assert oct((cfg / ".claude.json").stat().st_mode & 0o777) == "0o600"


def test_reseeding_keeps_claude_codes_own_state(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    seed_config_dir(Tree(tmp_path), PurePosixPath("cfg"), workdir=tmp_path / "a", api_key="sk-one-" + "1" * 30)
    state = json.loads((cfg / ".claude.json").read_text())
    state["numStartups"] = 7
    (cfg / ".claude.json").write_text(json.dumps(state))
    seed_config_dir(
        Tree(tmp_path), PurePosixPath("cfg"), workdir=tmp_path / "b", api_key="sk-two-" + "2" * 30, policy="bypass"
    )
    state = json.loads((cfg / ".claude.json").read_text())
    assert state["numStartups"] == 7
    assert len(state["customApiKeyResponses"]["approved"]) == 2
    assert set(state["projects"]) == {str(tmp_path / "a"), str(tmp_path / "b")}
    assert json.loads((cfg / "settings.json").read_text())["skipDangerousModePermissionPrompt"] is True


def test_settings_per_policy() -> None:
    # `auto` pre-approves nothing in Claude Code: the supervisor's one rule answers every question.
    assert claude_settings(policy="auto") == {}
    assert claude_settings(policy="auto", allow=["Write"])["permissions"]["allow"] == ["Write"]
    assert claude_settings(policy="ask") == {}
    assert claude_settings(policy="ask", deny=["Bash(rm:*)"]) == {"permissions": {"deny": ["Bash(rm:*)"]}}
    assert claude_settings(policy="bypass") == {"skipDangerousModePermissionPrompt": True}


# --------------------------------------------------------------------------- argv


def test_argv_per_policy() -> None:
    assert claude_argv("/c", policy="ask") == ["/c", "--permission-mode", "default"]
    assert claude_argv("/c", policy="auto") == ["/c", "--permission-mode", "acceptEdits"]
    assert claude_argv("/c", policy="bypass") == ["/c", "--dangerously-skip-permissions"]
    assert claude_argv("/c", policy="ask", resume_session_id="s1", model="m")[-4:] == ["--model", "m", "--resume", "s1"]
    assert claude_argv("/c", policy="ask", session_id="s2")[-2:] == ["--session-id", "s2"]
    with pytest.raises(ValueError):
        claude_argv("/c", policy="ask", session_id="a", resume_session_id="b")


# --------------------------------------------------------------------------- transcript


def test_project_dir_name_replaces_every_non_alphanumeric() -> None:
    assert project_dir_name("/tmp/my.proj_dir/x-y") == "-tmp-my-proj-dir-x-y"


def _assistant(msg_id: str, blocks: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
    return {
        "type": "assistant",
        "sessionId": "s",
        "timestamp": "t",
        "message": {"id": msg_id, "role": "assistant", "content": blocks, "usage": usage},
    }


def test_reader_counts_each_message_once_and_waits_for_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    usage = {"input_tokens": 100, "output_tokens": 7, "cache_read_input_tokens": 5}
    # Claude Code writes one line per content block, repeating the message's usage.
    lines = [
        {"type": "user", "message": {"role": "user", "content": "do it"}},
        _assistant("m1", [{"type": "text", "text": "Writing."}], usage),
        _assistant(
            "m1",
            [{"type": "tool_use", "id": "tu1", "name": "Write", "input": {"file_path": "/w/a.txt", "content": "x"}}],
            usage,
        ),
        {
            "type": "user",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "File created"}],
            },
        },
    ]
    data = "".join(json.dumps(x) + "\n" for x in lines)
    path.write_text(data[:-30])  # the last line is still being written
    reader = TranscriptReader(Tree(tmp_path), PurePosixPath("t.jsonl"))
    first = reader.read()
    assert first.user_prompts == ["do it"]
    assert [(c.tool, c.target) for c in first.tool_calls] == [("Write", "/w/a.txt")]
    assert first.usage == Usage(100, 7, 5, 0)
    assert first.tool_results == []
    with path.open("a") as f:
        f.write(data[-30:])
        f.write(
            json.dumps(
                _assistant(
                    "m2",
                    [{"type": "tool_use", "id": "tu2", "name": "Bash", "input": {"command": "ls"}}],
                    {"input_tokens": 3, "output_tokens": 1},
                )
            )
            + "\n"
        )
    second = reader.read()
    assert [r.tool_use_id for r in second.tool_results] == ["tu1"]
    assert [(c.tool, c.target) for c in second.tool_calls] == [("Bash", "ls")]
    assert reader.usage == Usage(103, 8, 5, 0)
    assert reader.last_usage == Usage(3, 1, 0, 0)
    assert not reader.read()
    with path.open("a") as f:
        for entry in (
            {"type": "system", "subtype": "turn_duration", "durationMs": 900},
            {
                "type": "system",
                "subtype": "compact_boundary",
                "compactMetadata": {"trigger": "manual", "preTokens": 5000, "postTokens": 300},
            },
            {"type": "user", "isCompactSummary": True, "message": {"role": "user", "content": "Summary..."}},
        ):
            f.write(json.dumps(entry) + "\n")
    third = reader.read()
    assert third.turns_finished == 1
    assert [(c.trigger, c.pre_tokens, c.post_tokens) for c in third.compactions] == [("manual", 5000, 300)]
    assert third.user_prompts == []  # the compaction summary is not a prompt
    resumed = TranscriptReader(Tree(tmp_path), PurePosixPath("t.jsonl"), offset=reader.offset, usage=reader.usage)
    assert not resumed.read() and resumed.usage == reader.usage


def test_reader_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    reader = TranscriptReader(Tree(tmp_path), PurePosixPath("none.jsonl"))
    assert not reader.read() and reader.refused is None


@needs_cli
def test_print_mode_writes_the_transcript_where_expected(tmp_path: Path) -> None:
    """A one-shot `claude -p` run: env-only credentials, CLAUDE_CONFIG_DIR, path mangling."""
    work = tmp_path / "my.proj_dir"
    work.mkdir()
    cfg = tmp_path / "cfg"
    sid = str(uuid.uuid4())
    with FakeAnthropic() as fake:
        fake.on_prompt("GO", write("out.txt", "1\n"), text("ok"))
        seed_config_dir(Tree(tmp_path), PurePosixPath("cfg"), workdir=work, api_key=KEY, policy="auto")
        env = claude_env(home=tmp_path, config_dir=cfg, api_key=KEY, base_url=fake.url, policy="auto")
        argv = claude_argv(CLI, policy="auto", session_id=sid, extra=["-p", "GO"])
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert (work / "out.txt").read_text() == "1\n"
    path = transcript_path(cfg, work, sid)
    rel = PurePosixPath(path.relative_to(tmp_path).as_posix())
    assert path.exists() and find_transcript(Tree(tmp_path), PurePosixPath("cfg"), sid) == rel
    assert [c.tool for c in TranscriptReader(Tree(tmp_path), rel).read().tool_calls] == ["Write"]
    assert not (tmp_path / ".claude.json").exists()  # everything went to CLAUDE_CONFIG_DIR


# --------------------------------------------------------------------------- hook


def _run_hook(run_dir: Path, stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, str(HOOK_SCRIPT), *((str(run_dir),) if not args else args)]
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=10)


def test_hook_appends_one_line_per_event_and_trims_big_strings(tmp_path: Path) -> None:
    payload = {"hook_event_name": "PreToolUse", "tool_input": {"content": "x" * 10_000}}
    assert _run_hook(tmp_path, json.dumps(payload).encode()).returncode == 0
    assert _run_hook(tmp_path, b"not json").returncode == 0
    lines = [json.loads(ln) for ln in (tmp_path / "hooks.jsonl").read_text().splitlines()]
    assert lines[0]["hook_event_name"] == "PreToolUse"
    assert len(lines[0]["tool_input"]["content"]) < 4100
    assert lines[1]["unparsed"] == "not json"
    assert all(isinstance(ln["received_at"], float) for ln in lines)


def test_hook_never_fails_claude_code(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert _run_hook(tmp_path, b"{}", str(blocked / "sub")).returncode == 0  # unwritable run dir
    assert _run_hook(tmp_path, b"{}", *()).returncode == 0


def test_concurrent_hooks_do_not_interleave(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, str(HOOK_SCRIPT), str(tmp_path)], stdin=subprocess.PIPE) for _ in range(12)
    ]
    for i, p in enumerate(procs):
        assert p.stdin is not None
        p.stdin.write(json.dumps({"n": i, "pad": "y" * 3000}).encode())
        p.stdin.close()
    assert all(p.wait(timeout=20) == 0 for p in procs)
    lines = (tmp_path / "hooks.jsonl").read_text().splitlines()
    assert sorted(json.loads(ln)["n"] for ln in lines) == list(range(12))


def test_hook_command_points_at_the_hook_script(tmp_path: Path) -> None:
    argv = hook_command(tmp_path)
    assert argv[1:3] == ["-I", "-S"] and Path(argv[3]) == HOOK_SCRIPT.resolve()
    done = subprocess.run(argv, input=b'{"b": 2}', capture_output=True, timeout=10)
    assert done.returncode == 0
    assert json.loads((tmp_path / "hooks.jsonl").read_text())["b"] == 2


def test_hook_runs_as_a_module(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(HOOK_SCRIPT.parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "autocode.hook", str(tmp_path)],
        input=b'{"a": 1}',
        env=env,
        capture_output=True,
        timeout=10,
    )
    assert done.returncode == 0
    assert json.loads((tmp_path / "hooks.jsonl").read_text())["a"] == 1
