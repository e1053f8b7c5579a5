"""Every touch of nanobot: its imports, and the private parts of its API the brain relies on.

Written against nanobot-ai :data:`PINNED` (pyproject.toml pins it). The private names are listed
in :data:`PRIVATE_API`; tests/unit/test_nanobot_compat.py checks each one still exists, so an
upgrade that moves one fails there, loudly, instead of in a decision. nanobot is imported lazily
(only when the rules cannot decide), so every function here imports what it needs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

PINNED = "0.3.5"

#: (module, dotted attribute): the private or undocumented parts used below.
PRIVATE_API: tuple[tuple[str, str], ...] = (
    ("nanobot.utils.helpers", "_get_token_encoding"),  # replaced: never download tiktoken's encoding
    ("nanobot.agent.loop", "AgentLoop._register_default_tools"),  # overridden: no built-in tools
    ("nanobot.agent.context", "ContextBuilder.build_system_prompt"),  # replaced: our system prompt
    ("nanobot.agent.tools.base", "Tool._plugin_discoverable"),  # our tools are not plugins
    ("nanobot.providers.base", "LLMProvider._CHAT_RETRY_DELAYS"),  # shorter retries
    ("nanobot.agent.hook", "AgentHook.before_execute_tool"),
    ("nanobot.agent.hook", "AgentHook.after_run"),
    ("nanobot.agent.tools.mcp", "MCPProvider"),
    ("nanobot.providers.registry", "find_by_name"),
    ("nanobot.config.loader", "set_config_path"),
)

Handler = Callable[..., Awaitable[str]]

_process_ready = False


def prepare_process(brain_dir: Path) -> None:
    """Point nanobot's process-global state away from $HOME and the network."""
    global _process_ready
    from nanobot.config.loader import set_config_path

    # The config path decides nanobot's data dir (media/, cli-apps/, default sessions): the
    # project's brain dir. The file itself is never loaded: everything is passed explicitly.
    set_config_path(brain_dir / "config.json")
    if _process_ready:
        return
    from loguru import logger

    # nanobot logs ~15 DEBUG lines a turn to stderr through loguru: keep warnings, via logging.
    try:
        logger.remove(0)
    except ValueError:
        pass
    logger.add(_loguru_to_logging, level="WARNING", filter="nanobot", format="{message}")
    _offline_token_estimates()
    _process_ready = True


def _loguru_to_logging(message: Any) -> None:
    record = message.record
    logging.getLogger(str(record["name"])).log(
        int(record["level"].no), "%s", record["message"], extra={"nanobot_function": record["function"]}
    )


_TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def _offline_token_estimates() -> None:
    """Use tiktoken only when its encoding is already cached; never download it.

    tiktoken fetches the encoding with no timeout (and nanobot retries on every estimate when
    it fails): behind a firewall that drops packets a decision would hang. Without the cached
    file nanobot falls back to its byte-count estimate.
    """
    import nanobot.utils.helpers as helpers

    original = helpers._get_token_encoding
    cache_dir = (
        os.environ.get("TIKTOKEN_CACHE_DIR")
        or os.environ.get("DATA_GYM_CACHE_DIR")
        or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    )
    cached = Path(cache_dir) / hashlib.sha1(_TIKTOKEN_URL.encode()).hexdigest()

    def encoding() -> Any:
        if not cached.is_file():
            raise LookupError("tiktoken encoding not cached; using the byte estimate")
        return original()

    helpers._get_token_encoding = encoding


# --------------------------------------------------------------------------- providers


def provider_spec(name: str) -> Any:
    """nanobot's registry entry for a provider name (None when unknown)."""
    from nanobot.providers.registry import find_by_name

    return find_by_name(name)


def anthropic_provider(*, api_key: str | None, api_base: str | None, model: str) -> Any:
    from nanobot.providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider(api_key=api_key, api_base=api_base, default_model=model)


def openai_compat_provider(*, api_key: str | None, api_base: str | None, model: str, spec: Any, name: str) -> Any:
    from nanobot.providers.openai_compat_provider import OpenAICompatProvider

    return OpenAICompatProvider(api_key=api_key, api_base=api_base, default_model=model, spec=spec, provider_name=name)


# --------------------------------------------------------------------------- tools and hooks

_tool_class: type[Any] | None = None


def function_tool(name: str, description: str, schema: dict[str, Any], handler: Handler, *, read_only: bool) -> Any:
    """A nanobot Tool that calls ``handler`` (the class is built on first use)."""
    global _tool_class
    if _tool_class is None:
        from nanobot.agent.tools.base import Tool

        class FunctionTool(Tool):  # type: ignore[misc]
            _plugin_discoverable = False  # never picked up by nanobot's tool scan

            def __init__(
                self, name: str, description: str, schema: dict[str, Any], handler: Handler, read_only: bool
            ) -> None:
                super().__init__()
                self._name = name
                self._description = description
                self._schema = schema
                self._handler = handler
                self._read_only = read_only

            @property
            def name(self) -> str:
                return self._name

            @property
            def description(self) -> str:
                return self._description

            @property
            def parameters(self) -> dict[str, Any]:
                return dict(self._schema)

            @property
            def read_only(self) -> bool:
                return self._read_only

            async def execute(self, **kwargs: Any) -> str:
                return await self._handler(**kwargs)

        _tool_class = FunctionTool
    return _tool_class(name, description, schema, handler, read_only)


def recording_hook(
    on_tool: Callable[[str, dict[str, Any]], None], on_end: Callable[[str | None, str | None, int, int], None]
) -> Any:
    """A nanobot AgentHook telling each tool call (name, arguments) and the run's end
    (stop reason, error, input and output tokens)."""
    from nanobot.agent.hook import AgentHook

    class Recorder(AgentHook):  # type: ignore[misc]
        async def before_execute_tool(self, context: Any, tool_call: Any, tool: Any, params: Any) -> None:
            on_tool(str(tool_call.name), dict(params) if isinstance(params, dict) else {"arguments": params})

        async def after_run(self, context: Any) -> None:
            usage = context.usage
            on_end(
                context.stop_reason,
                context.error,
                int(getattr(usage, "input_tokens", 0) or 0) if usage is not None else 0,
                int(getattr(usage, "output_tokens", 0) or 0) if usage is not None else 0,
            )

    return Recorder()


# --------------------------------------------------------------------------- the agent loop


def agent_loop(
    *,
    provider: Any,
    model: str,
    workspace: Path,
    sessions_root: Path,
    max_iterations: int,
    retry_delays: Sequence[float],
    system_prompt: Callable[..., str],
) -> Any:
    """nanobot's AgentLoop with none of its built-in tools and our system prompt."""
    from nanobot.agent.loop import AgentLoop
    from nanobot.bus.queue import MessageBus
    from nanobot.config.schema import ToolsConfig
    from nanobot.session.manager import SessionManager

    provider._CHAT_RETRY_DELAYS = tuple(retry_delays)
    tools_config = ToolsConfig.model_validate(
        {
            "exec": {"enable": False},
            "web": {"enable": False},
            "file": {"enable": False},
            "cliApps": {"enable": False},
            "my": {"enable": False},
            "restrictToWorkspace": True,
        }
    )

    class SupervisorLoop(AgentLoop):  # type: ignore[misc]
        def _register_default_tools(self, **kwargs: Any) -> None:
            """nanobot's built-ins (exec, files, web, spawn, ...) are never created; the brain adds its own."""

    agent = SupervisorLoop(
        bus=MessageBus(),
        provider=provider,
        workspace=workspace,
        model=model,
        max_iterations=max_iterations,
        restrict_to_workspace=True,
        tools_config=tools_config,
        session_manager=SessionManager(workspace, sessions_root=sessions_root),
    )
    agent.context.build_system_prompt = system_prompt
    return agent


def mcp_servers(placed: Mapping[str, Any]) -> dict[str, Any]:
    """The placed MCP server specs as nanobot's config objects (raises on a spec it rejects)."""
    from nanobot.config.schema import MCPServerConfig

    return {name: MCPServerConfig.model_validate(spec) for name, spec in placed.items()}


def mcp_provider(servers: dict[str, Any], registry: Any) -> Any:
    """nanobot's MCP connector registering the servers' tools into ``registry``."""
    from nanobot.agent.tools.mcp import MCPProvider

    return MCPProvider(servers, registry, server_loader=lambda: servers)


def missing_private_api() -> list[str]:
    """The names of :data:`PRIVATE_API` this installed nanobot no longer has."""
    import importlib

    missing: list[str] = []
    for module_name, dotted in PRIVATE_API:
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            missing.append(f"{module_name} (module)")
            continue
        for part in dotted.split("."):
            if not hasattr(obj, part):
                missing.append(f"{module_name}.{dotted}")
                break
            obj = getattr(obj, part)
    return missing
