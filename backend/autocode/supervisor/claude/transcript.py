"""Finding and following Claude Code's JSONL transcript.

``CLAUDE_CONFIG_DIR/projects/<mangled workdir>/<session id>.jsonl``, in the user's tree: found
and read through core.files (no link followed, regular files only, bounded reads).
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from autocode.core.files import FileError, Tree
from autocode.core.jsonl import READ_CAP, read_new_lines
from autocode.supervisor import activity, usage_limit
from autocode.supervisor.claude.records import (
    Compaction,
    ToolCall,
    ToolResult,
    TranscriptUpdate,
    Usage,
    tool_target,
)

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
    "TranscriptReader",
    "find_transcript",
    "project_dir_name",
    "transcript_path",
    "transcript_rel",
]
