"""What launching and following the Claude Code CLI needs: env, config dir, argv, transcript.

Pure helpers (no FastAPI, no tmux): the supervisor and the runtime compose them. Observed
against Claude Code 2.1.330 (tools/claude-code/package.json); the facts they rely on:

- Credentials travel in the environment only: ``ANTHROPIC_API_KEY`` (+ ``ANTHROPIC_BASE_URL``)
  or ``CLAUDE_CODE_OAUTH_TOKEN``. An API key must also be pre-approved in ``.claude.json`` by
  its last 20 characters, or a "Do you want to use this API key?" dialog defaulting to "No"
  appears.
- ``CLAUDE_CONFIG_DIR`` holds ``.claude.json``, ``settings.json`` and
  ``projects/<mangled workdir>/<session id>.jsonl`` (the transcript).
- With no ``--permission-mode`` the CLI starts in its own "auto mode"; ``ask`` therefore passes
  ``--permission-mode default`` explicitly.
- Transcript lines are written one per content block: an assistant message with text and a
  tool call gives two lines with the same ``message.id`` and the same ``usage``, so usage is
  counted once per message id.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from autocode.core.files import FileError, Missing, Tree
from autocode.hook import KEY_ENV as HOOK_KEY_ENV
from autocode.supervisor import activity, usage_limit

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
    script = Path(__file__).resolve().parent.parent / "hook.py"
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


# --------------------------------------------------------------------------- transcript

_MANGLE_RE = re.compile(r"[^A-Za-z0-9]")


def project_dir_name(workdir: Path | str) -> str:
    """Claude Code's directory name for a workdir: every non-alphanumeric becomes ``-``."""
    return _MANGLE_RE.sub("-", str(workdir))


def transcript_path(config_dir: Path, workdir: Path | str, session_id: str) -> Path:
    """Where the JSONL transcript of ``session_id`` in ``workdir`` is written."""
    return config_dir / "projects" / project_dir_name(workdir) / f"{session_id}.jsonl"


_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def find_transcript(tree: Tree, config_dir: PurePosixPath, session_id: str) -> PurePosixPath | None:
    """The transcript of ``session_id`` wherever its project directory is (long paths are hashed).

    Relative to ``tree``; only real folders and regular files count (links are not followed).
    """
    if not _SESSION_ID.fullmatch(session_id):
        return None
    projects = config_dir / "projects"
    try:
        entries = tree.list(projects, limit=5000)
    except FileError:
        return None
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.kind != "dir":
            continue
        rel = projects / entry.name / f"{session_id}.jsonl"
        try:
            info = tree.lstat(rel)
        except FileError:
            continue
        if info is not None and stat.S_ISREG(info.st_mode):
            return rel
    return None


def transcript_rel(seen: str, seen_config_dir: str, config_dir: PurePosixPath) -> PurePosixPath | None:
    """The user-relative path of a transcript Claude Code names, or None when it is not one.

    ``seen`` is the path as Claude Code reports it (in its hook events), ``seen_config_dir``
    the CLAUDE_CONFIG_DIR it was given and ``config_dir`` the same place relative to the
    user's tree. Decided on the words alone (nothing is resolved, no link is looked at): only
    ``<config>/projects/<folder>/<name>.jsonl`` with ordinary components is accepted, anything
    else (another user's file, ``/dev/zero``, ``..``) is refused.
    """
    if not isinstance(seen, str) or "\x00" in seen or len(seen) > 4096:
        return None
    root = seen_config_dir.rstrip("/") + "/"
    if not seen_config_dir.startswith("/") or not seen.startswith(root):
        return None
    parts = seen[len(root) :].split("/")
    if len(parts) != 3 or parts[0] != "projects" or not parts[2].endswith(".jsonl"):
        return None
    if any(p in ("", ".", "..") or len(p.encode()) > 255 for p in parts):
        return None
    return config_dir.joinpath(*parts)


#: How much of a growing JSONL file one read takes (the rest waits for the next tick).
READ_CAP = 1024 * 1024


def read_new_lines(tree: Tree, rel: PurePosixPath, offset: int, *, limit: int = READ_CAP) -> tuple[list[bytes], int]:
    """Complete lines appended to ``rel`` since ``offset``, and the offset after them.

    At most ``limit`` bytes are read (through core.files: no link followed, regular files only,
    never blocking on a FIFO or a device; those raise FileError). A line longer than ``limit``
    is skipped; a file that shrank is read again from the start. A missing file gives nothing.
    """
    try:
        data, size = tree.read(rel, limit=limit, offset=offset)
    except Missing:
        return [], offset
    if size < offset:
        return [], 0  # replaced or truncated: start over on the next read
    end = data.rfind(b"\n")
    if end < 0:
        if len(data) >= limit:
            return [], offset + len(data)  # one line longer than the cap: dropped
        return [], offset
    return data[: end + 1].splitlines(), offset + end + 1


@dataclass(frozen=True)
class Usage:
    """Token usage, summed over distinct assistant messages."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
        )

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens - other.input_tokens,
            self.output_tokens - other.output_tokens,
            self.cache_read_input_tokens - other.cache_read_input_tokens,
            self.cache_creation_input_tokens - other.cache_creation_input_tokens,
        )

    @property
    def context_tokens(self) -> int:
        """Prompt size of one call (meaningful on a single message's usage)."""
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Usage:
        def n(key: str) -> int:
            v = raw.get(key)
            return v if isinstance(v, int) else 0

        return cls(
            n("input_tokens"),
            n("output_tokens"),
            n("cache_read_input_tokens"),
            n("cache_creation_input_tokens"),
        )


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model made: ``target`` is the file path, command or pattern."""

    tool: str
    target: str | None
    tool_use_id: str
    input: Mapping[str, Any]
    timestamp: str | None = None


@dataclass(frozen=True)
class ToolResult:
    tool_use_id: str
    is_error: bool
    text: str


@dataclass(frozen=True)
class Compaction:
    """A ``system/compact_boundary`` entry: the conversation was summarised."""

    trigger: str  # "auto" or "manual"
    pre_tokens: int | None
    post_tokens: int | None


@dataclass
class TranscriptUpdate:
    """What appeared in the transcript since the last read."""

    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    assistant_texts: list[str] = field(default_factory=list)
    user_prompts: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)  # new usage in this update
    last_usage: Usage | None = None  # usage of the newest message: its context size
    api_errors: list[str] = field(default_factory=list)
    limit_resets: list[datetime] = field(default_factory=list)  # a usage limit's reset, exact
    turns_finished: int = 0  # ``system/turn_duration`` entries: a turn ended
    compactions: list[Compaction] = field(default_factory=list)
    session_id: str | None = None
    activity: list[dict[str, Any]] = field(default_factory=list)  # feed items, in transcript order

    def __bool__(self) -> bool:
        return bool(
            self.tool_calls
            or self.tool_results
            or self.assistant_texts
            or self.user_prompts
            or self.api_errors
            or self.last_usage is not None
            or self.turns_finished
            or self.compactions
        )


_TARGET_KEYS = ("file_path", "notebook_path", "command", "path", "pattern", "url", "query")


def tool_target(tool_input: Mapping[str, Any]) -> str | None:
    """The most telling argument of a tool call (file path, command, pattern...)."""
    for key in _TARGET_KEYS:
        v = tool_input.get(key)
        if isinstance(v, str):
            return v
    return None


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


class TranscriptReader:
    """Reads a growing JSONL transcript incrementally, by byte offset.

    ``rel`` is relative to ``tree`` (the user's tree): read through core.files with
    :func:`read_new_lines`, at most ``limit`` bytes per read. Only complete lines are
    consumed, so a line being written is picked up on the next read. A path that is a link,
    a FIFO or a device is refused once (``refused`` says why) and never read again.
    ``offset`` and ``usage`` can be persisted and passed back to resume after a restart
    (``seen_message_ids`` then starts empty: a message split across the restart point may
    be counted twice, at most once per restart).
    """

    def __init__(
        self, tree: Tree, rel: PurePosixPath, *, offset: int = 0, usage: Usage | None = None, limit: int = READ_CAP
    ) -> None:
        self.tree = tree
        self.rel = rel
        self.limit = limit
        self.refused: str | None = None
        self.offset = offset
        self.usage = usage or Usage()
        self.last_usage: Usage | None = None
        self.seen_message_ids: set[str] = set()
        # (message id, text) already reported: a text block is reported once even when the
        # same message is written twice or the file is read again from the start.
        self.seen_texts: set[tuple[str, str]] = set()

    def _lines(self) -> list[bytes]:
        if self.refused is not None:
            return []
        try:
            lines, self.offset = read_new_lines(self.tree, self.rel, self.offset, limit=self.limit)
        except (FileError, OSError) as exc:
            self.refused = exc.message if isinstance(exc, FileError) else str(exc)
            return []
        return lines

    def read(self) -> TranscriptUpdate:
        """Parse the lines appended since the previous call (at most ``limit`` bytes)."""
        upd = TranscriptUpdate()
        for raw in self._lines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                self._entry(entry, upd)
        self.usage = self.usage + upd.usage
        return upd

    @staticmethod
    def _system(entry: Mapping[str, Any], upd: TranscriptUpdate) -> None:
        subtype = entry.get("subtype")
        if subtype == "turn_duration":
            upd.turns_finished += 1
        elif subtype == "compact_boundary":
            meta = entry.get("compactMetadata")
            meta = meta if isinstance(meta, dict) else {}
            pre, post = meta.get("preTokens"), meta.get("postTokens")
            upd.compactions.append(
                Compaction(
                    trigger=str(meta.get("trigger", "")),
                    pre_tokens=pre if isinstance(pre, int) else None,
                    post_tokens=post if isinstance(post, int) else None,
                )
            )

    def _entry(self, entry: Mapping[str, Any], upd: TranscriptUpdate) -> None:
        sid = entry.get("sessionId")
        if isinstance(sid, str):
            upd.session_id = sid
        kind = entry.get("type")
        if kind == "system":
            self._system(entry, upd)
            return
        message = entry.get("message")
        if not isinstance(message, dict) or entry.get("isCompactSummary"):
            return
        content = message.get("content")
        blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
        ts = entry.get("timestamp") if isinstance(entry.get("timestamp"), str) else None
        if kind == "assistant":
            if entry.get("isApiErrorMessage"):
                upd.api_errors.append(_result_text(content))
                upd.activity.append(activity.error_item(_result_text(content)))
                reset = usage_limit.reset_from_entry(entry)
                if reset is not None:
                    upd.limit_resets.append(reset)
            msg_id = message.get("id")
            raw_usage = message.get("usage")
            if isinstance(msg_id, str) and isinstance(raw_usage, dict):
                usage = Usage.from_api(raw_usage)
                if msg_id not in self.seen_message_ids:
                    self.seen_message_ids.add(msg_id)
                    upd.usage = upd.usage + usage
                upd.last_usage = usage
                self.last_usage = usage
            for b in blocks:
                if b.get("type") == "tool_use":
                    raw_input = b.get("input")
                    tool_input: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
                    upd.tool_calls.append(
                        ToolCall(
                            tool=str(b.get("name", "")),
                            target=tool_target(tool_input),
                            tool_use_id=str(b.get("id", "")),
                            input=tool_input,
                            timestamp=ts,
                        )
                    )
                    upd.activity.append(activity.tool_item(str(b.get("id", "")), str(b.get("name", "")), tool_input))
                elif b.get("type") == "text" and b.get("text"):
                    key = (str(msg_id), str(b["text"]))
                    if isinstance(msg_id, str) and key in self.seen_texts:
                        continue
                    self.seen_texts.add(key)
                    upd.assistant_texts.append(str(b["text"]))
                    if str(b["text"]).strip():
                        upd.activity.append(activity.message_item(str(b["text"])))
        elif kind == "user":
            if isinstance(content, str):
                if not entry.get("isMeta"):
                    upd.user_prompts.append(content)
                return
            for b in blocks:
                if b.get("type") == "tool_result":
                    upd.tool_results.append(
                        ToolResult(
                            tool_use_id=str(b.get("tool_use_id", "")),
                            is_error=bool(b.get("is_error")),
                            text=_result_text(b.get("content")),
                        )
                    )
                    upd.activity.append(
                        activity.result_item(
                            str(b.get("tool_use_id", "")),
                            b.get("content"),
                            is_error=bool(b.get("is_error")),
                            extra=entry.get("toolUseResult"),
                        )
                    )
                elif b.get("type") == "text" and not entry.get("isMeta"):
                    t = str(b.get("text", ""))
                    if t and not t.lstrip().startswith("<"):
                        upd.user_prompts.append(t)


__all__ = [
    "Compaction",
    "HOOK_EVENTS",
    "POLICIES",
    "Policy",
    "ToolCall",
    "ToolResult",
    "TranscriptReader",
    "TranscriptUpdate",
    "Usage",
    "claude_argv",
    "claude_env",
    "claude_json",
    "claude_settings",
    "find_transcript",
    "hook_command",
    "hook_settings",
    "project_dir_name",
    "read_new_lines",
    "seed_config_dir",
    "tool_target",
    "transcript_path",
    "transcript_rel",
]
