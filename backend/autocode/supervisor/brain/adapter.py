"""The supervisor's decision layer: a nanobot agent that steers Claude Code through our tools only.

The supervisor asks the brain only what its rules cannot decide. One :class:`Brain` per
supervisor process: nanobot keeps process-global state (its config path, loguru), and its
``AgentLoop`` is bound to the private event loop the brain runs it on.

Where nanobot writes (all under ``BrainConfig.brain_dir``, the server's own
``Layout.brain_dir(project_id)``, mode 0700, outside the user's tree): ``IDENTITY.md``,
``HISTORY.md``, ``workspace/`` (nanobot's own scratch workspace: ``memory/``, a workspace id),
``sessions/`` (the conversation, JSONL; nanobot refuses a sessions folder inside its workspace,
hence the sibling), and the runtime folders nanobot derives from its config path (``media/``,
``cli-apps/``). ``MEMORY.md`` is ours: the model's ``remember`` tool adds to it through
:mod:`autocode.supervisor.memory`. Nothing is written under ``$HOME``; ``config.json`` is never
read or written.

``Brain.decide`` is synchronous and makes one decision at a time: call it from a thread with no
running event loop (the supervisor's). The Steering methods run on that same thread, and an
exception they raise (a stop request, Claude Code gone) ends the decision and reaches the caller
unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from autocode.supervisor import mcp, memory
from autocode.supervisor.brain import compat
from autocode.supervisor.brain.contract import (
    MEMORY_CHARS,
    RETRY_DELAYS,
    SESSION_KEY,
    BrainConfig,
    BrainUnavailable,
    Decision,
    Steering,
    Turn,
)
from autocode.supervisor.brain.providers import make_provider
from autocode.supervisor.brain.schemas import MEMORY_SCHEMAS, ROLE, STEERING_SCHEMAS, STEERING_TOOLS
from autocode.supervisor.brain.workspace import READ_SCHEMAS, enabled_read_helpers

log = logging.getLogger(__name__)


def prepare_brain_dir(brain_dir: Path) -> None:
    """Make the decision model's folder (server-owned, 0700); its files are written by
    ``services.workspaces.write_brain_files`` when the project is created or its docs change."""
    brain_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(brain_dir, 0o700)


def read_identity(brain_dir: Path) -> str:
    """The composed identity (``IDENTITY.md`` in the brain dir), or '' when there is none."""
    try:
        return (brain_dir / "IDENTITY.md").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class Brain:
    """A nanobot agent that decides what the supervisor's rules cannot."""

    def __init__(self, config: BrainConfig) -> None:
        self.config = config
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._agent: Any = None
        self._mcp: Any = None
        self._turn: Turn | None = None
        self._allowed: set[str] = set()
        self._session_summary: Any = None

    # -- public

    def decide(self, situation: str, steering: Steering) -> Decision:
        """Run one nanobot turn on ``situation``; the tools call ``steering`` on this thread."""
        if not (self.config.api_key or "").strip():
            raise BrainUnavailable(f"no API key for the decision model {self.config.model}")
        if self._event_loop is None:
            self._event_loop = asyncio.new_event_loop()
        turn = Turn(steering)
        started = time.monotonic()
        try:
            return self._event_loop.run_until_complete(self._decide(situation, turn))
        finally:
            log.debug(
                "brain decision",
                extra={"seconds": round(time.monotonic() - started, 3), "actions": [n for n, _ in turn.actions]},
            )

    def close(self) -> None:
        """Close MCP connections and the agent; the brain can be used again afterwards."""
        ev = self._event_loop
        if ev is None:
            return
        try:
            ev.run_until_complete(self._aclose())
            ev.run_until_complete(ev.shutdown_asyncgens())
        except Exception:
            log.warning("brain close failed", exc_info=True)
        finally:
            ev.close()
            self._event_loop = None
            self._agent = None
            self._mcp = None

    def __enter__(self) -> Brain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def tool_names(self) -> list[str]:
        """The tools offered to the model (after the first decision: MCP tools included)."""
        return sorted(self._agent.tools.tool_names) if self._agent is not None else sorted(self._allowed)

    # -- internals

    async def _decide(self, situation: str, turn: Turn) -> Decision:
        try:
            agent = await self._ensure_agent()
        except BrainUnavailable:
            raise
        except ImportError as exc:
            raise BrainUnavailable(f"nanobot-ai is not installed: {exc}") from exc
        except Exception as exc:  # a provider or MCP config nanobot rejects
            raise BrainUnavailable(f"the decision model could not be set up: {exc}") from exc
        self._turn = turn
        self._prune_tools(agent)
        hook = self._hook(turn)

        async def on_progress(*args: Any, **kwargs: Any) -> None:
            if args and isinstance(args[0], str) and args[0].strip():
                log.debug("brain progress", extra={"progress": args[0][:200]})

        task = asyncio.ensure_future(
            agent.process_direct(
                situation,
                session_key=SESSION_KEY,
                channel="cli",
                chat_id="supervisor",
                sender_id="supervisor",
                on_progress=on_progress,
                hooks=[hook],
            )
        )
        turn.task = task
        try:
            out = await asyncio.wait_for(task, timeout=self.config.timeout_seconds)
        except TimeoutError:
            raise BrainUnavailable(
                f"the decision model did not answer within {self.config.timeout_seconds:g}s", actions=turn.actions
            ) from None
        except asyncio.CancelledError:
            if turn.raised is not None:
                raise turn.raised from None
            raise
        except Exception as exc:
            raise BrainUnavailable(f"the decision failed: {type(exc).__name__}: {exc}", actions=turn.actions) from exc
        finally:
            self._turn = None
        if turn.raised is not None:
            raise turn.raised
        content = str(getattr(out, "content", "") or "") if out is not None else ""
        if turn.stop_reason == "error" or content.startswith("Error calling LLM"):
            raise BrainUnavailable(
                f"the decision model failed: {(turn.error or content or 'unknown error')[:500]}", actions=turn.actions
            )
        if out is None:
            raise BrainUnavailable("the decision model gave no answer", actions=turn.actions)
        return Decision(
            actions=list(turn.actions),
            text=content.strip(),
            input_tokens=turn.input_tokens,
            output_tokens=turn.output_tokens,
        )

    def _hook(self, turn: Turn) -> Any:
        def on_tool(name: str, args: dict[str, Any]) -> None:
            turn.actions.append((name, args))

        def on_end(stop_reason: str | None, error: str | None, input_tokens: int, output_tokens: int) -> None:
            turn.stop_reason, turn.error = stop_reason, error
            turn.input_tokens, turn.output_tokens = input_tokens, output_tokens

        return compat.recording_hook(on_tool, on_end)

    async def _ensure_agent(self) -> Any:
        if self._agent is not None:
            if self._mcp is not None:
                await self._mcp.connect()  # reconnects servers that dropped
            return self._agent
        cfg = self.config
        nb = cfg.brain_dir
        prepare_brain_dir(nb)
        compat.prepare_process(nb)
        provider, model = make_provider(cfg)
        placed, refused = mcp.place(cfg.mcp_servers, cfg.mcp_placement)
        for name, reason in refused.items():
            message = f"MCP server '{name}' not started: {reason}"
            log.warning("brain mcp server refused", extra={"server": name, "reason": reason})
            if cfg.on_refusal is not None:
                cfg.on_refusal(message)
        servers = compat.mcp_servers(placed)
        agent_ws = nb / "workspace"
        agent = compat.agent_loop(
            provider=provider,
            model=model,
            workspace=agent_ws,
            sessions_root=nb / "sessions",
            max_iterations=cfg.max_iterations,
            retry_delays=RETRY_DELAYS,
            system_prompt=self._system_prompt,
        )
        for name in list(agent.tools.tool_names):  # none expected; kept in case nanobot adds a path
            agent.tools.unregister(name)
        for name in STEERING_TOOLS:
            description, schema = STEERING_SCHEMAS[name]
            agent.tools.register(
                compat.function_tool(name, description, schema, self._steering_handler(name), read_only=False)
            )
        description, schema = MEMORY_SCHEMAS["remember"]
        agent.tools.register(compat.function_tool("remember", description, schema, self._remember, read_only=False))
        for name in enabled_read_helpers(cfg.tools):
            description, schema, fn = READ_SCHEMAS[name]
            agent.tools.register(
                compat.function_tool(name, description, schema, self._read_handler(fn), read_only=True)
            )
        self._allowed = set(agent.tools.tool_names)
        self._agent = agent
        if servers:
            await self._connect_mcp(agent, servers)
        return agent

    async def _connect_mcp(self, agent: Any, servers: dict[str, Any]) -> None:
        """Connect the template's MCP servers; one that fails is logged and retried next decision."""
        before = set(agent.tools.tool_names)
        self._mcp = compat.mcp_provider(servers, agent.tools)
        await self._mcp.connect()
        added = set(agent.tools.tool_names) - before
        log.info("brain mcp tools", extra={"servers": sorted(servers), "tools": sorted(added)})

    def _prune_tools(self, agent: Any) -> None:
        """Only our tools and the template's MCP servers' tools reach the model."""
        for name in list(agent.tools.tool_names):
            if name in self._allowed or (self._mcp is not None and name.startswith("mcp_")):
                continue
            log.warning("brain dropped an unexpected tool", extra={"tool": name})
            agent.tools.unregister(name)

    def _system_prompt(self, **kwargs: Any) -> str:
        """The composed identity, our role, the project memory and nanobot's archived summary."""
        parts = [self.config.identity.strip(), ROLE]
        kept = memory.read_memory(self.config.brain_dir).strip()  # a link there is not followed
        if kept and kept != memory.HEADING:
            parts.append(f"# Project memory\n{kept[-MEMORY_CHARS:]}")
        summary = kwargs.get("session_summary")
        if isinstance(summary, Mapping) and summary.get("text") and summary.get("text") != "(nothing)":
            parts.append(f"# Earlier decisions (summary)\n{summary['text']}")
        return "\n\n".join(p for p in parts if p)

    def _steering_handler(self, name: str) -> compat.Handler:
        async def handler(**kwargs: Any) -> str:
            turn = self._turn
            if turn is None:
                return "error: no decision in progress"
            if turn.raised is not None:
                return "error: the supervisor stopped this decision"
            method = getattr(turn.steering, name)
            try:
                if name == "revise_plan":
                    steps = [
                        {"title": str(s.get("title", "")), "detail": str(s.get("detail", ""))}
                        for s in kwargs.get("steps") or []
                        if isinstance(s, Mapping)
                    ]
                    result = method(steps, str(kwargs.get("reason", "")))
                else:
                    result = method(**{k: str(v) for k, v in kwargs.items()})
            except Exception as exc:
                # The supervisor's own exceptions (stop requested, Claude Code gone) must reach it.
                turn.raised = exc
                if turn.task is not None:
                    turn.task.cancel()
                return f"error: {exc}"
            return str(result)

        return handler

    async def _remember(self, **kwargs: Any) -> str:
        return memory.remember(self.config.brain_dir, str(kwargs.get("fact", "")))

    def _read_handler(self, fn: Callable[..., str]) -> compat.Handler:
        files = self.config.files

        async def handler(**kwargs: Any) -> str:
            try:
                return fn(files, **kwargs)
            except (ValueError, OSError) as exc:
                return f"error: {exc}"

        return handler

    async def _aclose(self) -> None:
        if self._mcp is not None:
            try:
                await self._mcp.aclose()
            except Exception:
                log.warning("brain mcp close failed", exc_info=True)
        if self._agent is not None:
            await self._agent.aclose()
