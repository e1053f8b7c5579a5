"""Launching the Claude Code CLI: its environment, its config dir and its command line.

Pure helpers (no FastAPI, no tmux): :mod:`autocode.supervisor.launch` composes them for a
project. Observed against Claude Code 2.1.330 (tools/claude-code/package.json); the facts they
rely on:

- Credentials travel in the environment only: ``ANTHROPIC_API_KEY`` (+ ``ANTHROPIC_BASE_URL``)
  or ``CLAUDE_CODE_OAUTH_TOKEN``. An API key must also be pre-approved in ``.claude.json`` by
  its last 20 characters, or a "Do you want to use this API key?" dialog defaulting to "No"
  appears.
- ``CLAUDE_CONFIG_DIR`` holds ``.claude.json`` and ``settings.json`` (and the transcripts, see
  :mod:`autocode.supervisor.claude.transcript`).
- With no ``--permission-mode`` the CLI starts in its own "auto mode"; ``ask`` therefore passes
  ``--permission-mode default`` explicitly.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from autocode import hook
from autocode.core.files import FileError, Tree
from autocode.hook import KEY_ENV as HOOK_KEY_ENV

Policy = Literal["auto", "ask", "bypass"]
POLICIES: tuple[Policy, ...] = ("auto", "ask", "bypass")

#: Hook events AutoCode listens to. Tool events take a matcher; the others ignore it.
HOOK_EVENTS: tuple[str, ...] = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "Notification",
    "Stop",
    "PreCompact",
    "StopFailure",
    "SessionEnd",
)
_MATCHER_EVENTS = frozenset({"PreToolUse", "PermissionRequest", "PostToolUse"})

#: Claude Code's own allow list stays empty under ``auto``: every question it asks is answered
#: by the supervisor through :mod:`autocode.supervisor.permissions`, the one rule.

_NONESSENTIAL_OFF: dict[str, str] = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1",
}


def _check_policy(policy: str) -> Policy:
    if policy not in POLICIES:
        raise ValueError(f"unknown permission policy {policy!r}; expected one of {POLICIES}")
    return policy


# --------------------------------------------------------------------------- environment


def claude_env(
    *,
    home: Path,
    config_dir: Path | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    oauth_token: str | None = None,
    policy: Policy = "ask",
    max_retries: int | None = None,
    path: str = "/usr/local/bin:/usr/bin:/bin",
    hook_key: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The complete environment for a Claude Code process (start it from ``env -i``).

    Exactly one of ``api_key`` and ``oauth_token`` is required. ``config_dir`` defaults to
    ``home/.claude``. ``hook_key`` is the launch's key AutoCode's hook seals its lines with
    (the environment reaches tmux on stdin, never on a command line).
    """
    _check_policy(policy)
    if (api_key is None) == (oauth_token is None):
        raise ValueError("pass exactly one of api_key and oauth_token")
    env: dict[str, str] = {
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(config_dir if config_dir is not None else home / ".claude"),
        "PATH": path,
        "LANG": "C.UTF-8",
        "TERM": "tmux-256color",
        **_NONESSENTIAL_OFF,
    }
    if api_key is not None:
        env["ANTHROPIC_API_KEY"] = api_key
    if oauth_token is not None:
        env["CLAUDE_CODE_OAUTH_TOKEN"] = oauth_token
    if base_url is not None:
        env["ANTHROPIC_BASE_URL"] = base_url
    if policy == "bypass":
        # As root, Claude Code refuses to skip permissions unless told it is sandboxed.
        env["IS_SANDBOX"] = "1"
    if max_retries is not None:
        env["CLAUDE_CODE_MAX_RETRIES"] = str(max_retries)
    if hook_key is not None:
        env[HOOK_KEY_ENV] = hook_key
    if extra:
        env.update(extra)
    return env


# --------------------------------------------------------------------------- config dir


def claude_json(*, workdir: Path, api_key: str | None) -> dict[str, Any]:
    """``.claude.json``: onboarding done, the key approved, the workdir trusted."""
    return {
        "hasCompletedOnboarding": True,
        "customApiKeyResponses": {
            "approved": [api_key[-20:]] if api_key else [],
            "rejected": [],
        },
        "projects": {str(workdir): {"hasTrustDialogAccepted": True}},
    }


def hook_command(run_dir: Path, *, python: str | None = None) -> list[str]:
    """argv of AutoCode's hook (autocode/hook.py) appending events to ``run_dir/hooks.jsonl``.

    Run as a script with ``-I -S``: it needs only the stdlib, and skipping site-packages
    halves its start-up, which Claude Code waits for on every event.
    """
    script = Path(hook.__file__).resolve()
    return [python or sys.executable, "-I", "-S", str(script), str(run_dir)]


def hook_settings(hook_command: Sequence[str], *, timeout_s: int = 10) -> dict[str, Any]:
    """The ``hooks`` settings block: every event in :data:`HOOK_EVENTS` runs ``hook_command``."""
    handler = {"type": "command", "command": shlex.join(hook_command), "timeout": timeout_s}
    hooks: dict[str, Any] = {}
    for event in HOOK_EVENTS:
        entry: dict[str, Any] = {"hooks": [dict(handler)]}
        if event in _MATCHER_EVENTS:
            entry = {"matcher": "*", **entry}
        hooks[event] = [entry]
    return hooks


def claude_settings(
    *,
    policy: Policy,
    hook_command: Sequence[str] | None = None,
    allow: Sequence[str] | None = None,
    deny: Sequence[str] = (),
) -> dict[str, Any]:
    """``settings.json`` for a policy (``auto`` pre-approves nothing: the supervisor decides)."""
    _check_policy(policy)
    settings: dict[str, Any] = {}
    if allow:
        settings["permissions"] = {"allow": list(allow)}
    if deny:
        settings.setdefault("permissions", {})["deny"] = list(deny)
    if policy == "bypass":
        settings["skipDangerousModePermissionPrompt"] = True
    if hook_command:
        settings["hooks"] = hook_settings(hook_command)
    return settings


#: At most this much of Claude Code's own state file is read back (it grows with history).
MAX_STATE_BYTES = 16 * 1024 * 1024


def _write_json(tree: Tree, rel: PurePosixPath, data: Mapping[str, Any], owner: tuple[int, int] | None) -> None:
    tree.write(rel, json.dumps(data, indent=2) + "\n", mode=0o600, owner=owner)


def _read_state(tree: Tree, rel: PurePosixPath) -> dict[str, Any]:
    try:
        raw, size = tree.read(rel, limit=MAX_STATE_BYTES)
    except FileError:
        return {}
    if size > len(raw):
        return {}  # too large to be ours to merge into: start it again
    try:
        loaded = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def seed_config_dir(
    tree: Tree,
    config_dir: PurePosixPath,
    *,
    workdir: Path | PurePosixPath,
    api_key: str | None,
    policy: Policy = "ask",
    hook_command: Sequence[str] | None = None,
    allow: Sequence[str] | None = None,
    deny: Sequence[str] = (),
    owner: tuple[int, int] | None = None,
) -> None:
    """Write ``.claude.json`` and ``settings.json`` into ``config_dir`` (the CLAUDE_CONFIG_DIR).

    ``config_dir`` is relative to ``tree`` (the user's tree: written through core.files, no
    link followed); ``workdir`` is the project folder as Claude Code sees it. An existing
    ``.claude.json`` is updated, not replaced, so Claude Code's own state (its project
    history, tips) survives a relaunch.
    """
    tree.ensure_dir(config_dir, owner=owner)
    state_rel = config_dir / ".claude.json"
    seeded = claude_json(workdir=Path(workdir), api_key=api_key)
    state = _read_state(tree, state_rel)
    state["hasCompletedOnboarding"] = True
    responses = state.get("customApiKeyResponses")
    if not isinstance(responses, dict):
        responses = state["customApiKeyResponses"] = {"approved": [], "rejected": []}
    for name in ("approved", "rejected"):
        if not isinstance(responses.get(name), list):
            responses[name] = []
    for suffix in seeded["customApiKeyResponses"]["approved"]:
        if suffix not in responses["approved"]:
            responses["approved"].append(suffix)
        if suffix in responses["rejected"]:
            responses["rejected"].remove(suffix)
    projects = state.get("projects")
    if not isinstance(projects, dict):
        projects = state["projects"] = {}
    entry = projects.get(str(workdir))
    if not isinstance(entry, dict):
        entry = projects[str(workdir)] = {}
    entry["hasTrustDialogAccepted"] = True
    _write_json(tree, state_rel, state, owner)
    _write_json(
        tree,
        config_dir / "settings.json",
        claude_settings(policy=policy, hook_command=hook_command, allow=allow, deny=deny),
        owner,
    )


# --------------------------------------------------------------------------- argv


def claude_argv(
    cli: str | Path,
    *,
    policy: Policy,
    resume_session_id: str | None = None,
    session_id: str | None = None,
    model: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line for an interactive session.

    ``session_id`` fixes the id of a new session (so its transcript path is known before
    start); ``resume_session_id`` continues an earlier one.
    """
    _check_policy(policy)
    if resume_session_id and session_id:
        raise ValueError("session_id and resume_session_id are exclusive")
    argv = [str(cli)]
    if policy == "bypass":
        argv.append("--dangerously-skip-permissions")
    elif policy == "auto":
        argv += ["--permission-mode", "acceptEdits"]
    else:
        argv += ["--permission-mode", "default"]
    if model:
        argv += ["--model", model]
    if resume_session_id:
        argv += ["--resume", resume_session_id]
    elif session_id:
        argv += ["--session-id", session_id]
    argv += list(extra)
    return argv


__all__ = [
    "HOOK_EVENTS",
    "POLICIES",
    "Policy",
    "claude_argv",
    "claude_env",
    "claude_json",
    "claude_settings",
    "hook_command",
    "hook_settings",
    "seed_config_dir",
]
