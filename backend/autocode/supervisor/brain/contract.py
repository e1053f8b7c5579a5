"""What the brain and the supervisor agree on: the Steering calls, the config, a decision, failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autocode.supervisor import mcp
from autocode.supervisor.brain.schemas import STEERING_TOOLS
from autocode.supervisor.brain.workspace import ProjectFiles

SESSION_KEY = "autocode:supervisor"
RETRY_DELAYS = (1.0, 2.0)  # nanobot's own (1, 2, 4) makes a dead endpoint cost ~7 s per call
MEMORY_CHARS = 8_000


class Steering(Protocol):
    """What the brain can do; implemented by the supervisor. Every method returns a short result."""

    def send_text(self, text: str) -> str: ...

    def press_key(self, key: str) -> str: ...

    def mark_step_done(self, summary: str) -> str: ...

    def mark_step_failed(self, reason: str) -> str: ...

    def revise_plan(self, steps: list[dict[str, str]], reason: str) -> str: ...

    def ask_human(self, question: str) -> str: ...


@dataclass(frozen=True)
class BrainConfig:
    """How to reach the agent template's model and where the brain keeps its state."""

    model: str  # e.g. "openai/gpt-5.3-codex", "anthropic/claude-opus-4-6"
    api_key: str | None  # the user's key for that provider
    base_url: str | None  # a gateway, a self-hosted server, a test fake
    identity: str  # the composed identity: the system prompt
    brain_dir: Path  # Layout.brain_dir(project): memory, sessions and nanobot's runtime files
    files: ProjectFiles  # the project's folder in the user's tree: the read-only helpers' reach
    tools: Sequence[str] = ()  # the template's `tools`: enables read_file / list_dir / search
    mcp_servers: Mapping[str, Any] = field(default_factory=dict)
    # Where stdio MCP servers run and what URL servers may reach (default: nothing on the host).
    mcp_placement: mcp.Placement = field(default_factory=lambda: mcp.Placement(kind="local"))
    on_refusal: Callable[[str], None] | None = None  # told about each MCP server refused
    max_iterations: int = 8
    timeout_seconds: float = 60


class BrainUnavailable(Exception):
    """The model could not be used: no key, endpoint down, auth error, timeout, failed call.

    ``actions`` holds the Steering calls already made before the failure (they took effect).
    """

    def __init__(self, message: str, *, actions: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        super().__init__(message)
        self.actions: list[tuple[str, dict[str, Any]]] = list(actions or [])


@dataclass(frozen=True)
class Decision:
    """What the brain did (tool calls in order, with arguments) and why (its final answer)."""

    actions: list[tuple[str, dict[str, Any]]]
    text: str
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def steering(self) -> list[tuple[str, dict[str, Any]]]:
        """Only the Steering calls (no read-only helpers or MCP tools)."""
        return [(n, a) for n, a in self.actions if n in STEERING_TOOLS]


@dataclass
class Turn:
    """State of one decide() call, shared by the tools and the hook."""

    steering: Steering
    actions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    raised: BaseException | None = None
    task: asyncio.Task[Any] | None = None
    stop_reason: str | None = None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
