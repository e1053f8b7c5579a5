"""What Claude Code's transcript says, as data: token usage, tool calls and results, compactions.

Transcript lines are written one per content block: an assistant message with text and a tool
call gives two lines with the same ``message.id`` and the same ``usage``, so usage is counted
once per message id (see :class:`autocode.supervisor.claude.transcript.TranscriptReader`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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


__all__ = ["Compaction", "ToolCall", "ToolResult", "TranscriptUpdate", "Usage", "tool_target"]
