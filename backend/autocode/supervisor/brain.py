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
import hashlib
import logging
import os
import re
import stat
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from autocode.core.files import FileError, Limits, Missing, Refused, TooLarge, Tree, parse_rel
from autocode.supervisor import mcp, memory

log = logging.getLogger(__name__)

SESSION_KEY = "autocode:supervisor"
STEERING_TOOLS = ("send_text", "press_key", "mark_step_done", "mark_step_failed", "revise_plan", "ask_human")
MEMORY_TOOLS = ("remember",)  # the brain's own: MEMORY.md in its folder
# Names an agent template may use in its `tools` list, mapped to the read-only helper they enable.
READ_HELPERS: dict[str, str] = {
    "read_file": "read_file",
    "read": "read_file",
    "list_dir": "list_dir",
    "ls": "list_dir",
    "list": "list_dir",
    "search": "search",
    "grep": "search",
    "find": "search",
}
RETRY_DELAYS = (1.0, 2.0)  # nanobot's own (1, 2, 4) makes a dead endpoint cost ~7 s per call
MAX_READ_CHARS = 60_000
MAX_READ_FILE_BYTES = 5_000_000
MAX_LIST_ENTRIES = 400
MAX_SEARCH_MATCHES = 200
MAX_SEARCH_FILES = 5_000
MAX_SEARCH_FILE_BYTES = 1_000_000
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache"})
MEMORY_CHARS = 8_000

ROLE = """# Your role
You are the decision layer of AutoCode's supervisor, which drives Claude Code (a coding agent
in a terminal) through the implementation plan above. You are called only when the
supervisor's rules cannot decide. Act only through your tools:
- mark_step_done: the current step's result is verified or clearly achieved.
- mark_step_failed: the step cannot be completed as planned.
- send_text: type a message into Claude Code (answer its question, give instructions).
- press_key: press one key in Claude Code (Enter, Escape, C-c, a digit to pick a choice).
- revise_plan: replace the remaining steps when the plan no longer fits.
- ask_human: when only the human can decide.
- remember: keep one short fact worth knowing at later steps (a command that works, a decision
  the human made, a pitfall); it appears under "Project memory" from then on.
Make the fewest calls that settle the situation, then answer in one or two sentences with the
reason for your decision."""


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
class _Turn:
    """State of one decide() call, shared by the tools and the hook."""

    steering: Steering
    actions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    raised: BaseException | None = None
    task: asyncio.Task[Any] | None = None
    stop_reason: str | None = None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0


Handler = Callable[..., Awaitable[str]]

_process_ready = False


def _prepare_process(brain_dir: Path) -> None:
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


# --------------------------------------------------------------------------- providers


def _make_provider(config: BrainConfig) -> tuple[Any, str]:
    """The nanobot provider for the template's model, and the model name to send.

    ``anthropic/<m>`` goes through nanobot's Anthropic provider (base URL honoured); a prefix
    naming one of nanobot's OpenAI-compatible providers (``openai``, ``openrouter``,
    ``deepseek``, ``gemini``, ...) through that provider, sending the model without the prefix;
    anything else needs a base URL and goes, unchanged, to an OpenAI-compatible endpoint.
    """
    from nanobot.providers.registry import find_by_name

    prefix, sep, rest = config.model.partition("/")
    if not sep or not rest:
        prefix, rest = "", config.model
    base_url = config.base_url or None
    if prefix == "anthropic":
        from nanobot.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(api_key=config.api_key, api_base=base_url, default_model=rest), rest
    from nanobot.providers.openai_compat_provider import OpenAICompatProvider

    spec = find_by_name(prefix) if prefix else None
    if spec is not None and spec.backend == "openai_compat" and spec.name != "custom":
        api_base = base_url or spec.default_api_base or None
        if api_base is None and spec.is_direct:
            raise BrainUnavailable(f"the {prefix} provider needs a base URL")
        provider = OpenAICompatProvider(
            api_key=config.api_key, api_base=api_base, default_model=rest, spec=spec, provider_name=spec.name
        )
        return provider, rest
    if base_url is None:
        raise BrainUnavailable(
            f"no provider for the model {config.model!r}: use openai/..., anthropic/... or give a base URL"
        )
    provider = OpenAICompatProvider(
        api_key=config.api_key,
        api_base=base_url,
        default_model=config.model,
        spec=find_by_name("custom"),
        provider_name="custom",
    )
    return provider, config.model


# --------------------------------------------------------------------------- tools

_tool_class: type[Any] | None = None


def _function_tool(name: str, description: str, schema: dict[str, Any], handler: Handler, *, read_only: bool) -> Any:
    """A nanobot Tool that calls ``handler`` (built lazily: nanobot is imported only when used)."""
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


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


_STR = {"type": "string"}

STEERING_SCHEMAS: dict[str, tuple[str, dict[str, Any]]] = {
    "send_text": (
        "Type a message or prompt into Claude Code and submit it.",
        _obj({"text": {**_STR, "description": "What to send, as the human would type it."}}, ["text"]),
    ),
    "press_key": (
        "Press one key in Claude Code's terminal: Enter, Escape, C-c, Up, Down, Tab, or a digit.",
        _obj({"key": {**_STR, "description": "The key name."}}, ["key"]),
    ),
    "mark_step_done": (
        "Mark the current plan step done.",
        _obj({"summary": {**_STR, "description": "One line: what was done and what proves it."}}, ["summary"]),
    ),
    "mark_step_failed": (
        "Mark the current plan step failed.",
        _obj({"reason": {**_STR, "description": "Why it cannot be completed."}}, ["reason"]),
    ),
    "revise_plan": (
        "Replace the remaining (not yet done) plan steps.",
        _obj(
            {
                "steps": {
                    "type": "array",
                    "description": "The new remaining steps, in order.",
                    "items": _obj({"title": _STR, "detail": _STR}, ["title", "detail"]),
                },
                "reason": {**_STR, "description": "Why the plan changes."},
            },
            ["steps", "reason"],
        ),
    ),
    "ask_human": (
        "Ask the human a question; the project waits for the answer.",
        _obj({"question": {**_STR, "description": "A short, self-contained question."}}, ["question"]),
    ),
}

MEMORY_SCHEMAS: dict[str, tuple[str, dict[str, Any]]] = {
    "remember": (
        "Keep one fact for later decisions of this project (shown under 'Project memory').",
        _obj(
            {
                "fact": {
                    **_STR,
                    "description": f"One self-contained line, under {memory.MAX_FACT_CHARS} characters.",
                }
            },
            ["fact"],
        ),
    ),
}


@dataclass(frozen=True)
class ProjectFiles:
    """The project's folder in its owner's tree, read through core.files (no link followed)."""

    tree: Tree
    root: PurePosixPath  # the project's folder, relative to the tree

    def rel(self, path: str) -> PurePosixPath:
        """A path the model gave (relative to the project) as a path in the tree."""
        text = (path or ".").strip()
        if text.startswith("/") or text.startswith("~"):
            raise ValueError(f"{path} is outside the workspace (use a path relative to it)")
        try:
            inner = parse_rel(text)
        except FileError as exc:
            raise ValueError(f"{path} is outside the workspace ({exc.message})") from None
        return self.root / inner


def _through_link(files: ProjectFiles, rel: PurePosixPath) -> bool:
    """Whether a component of ``rel`` below the project folder is a link (looked at, not followed)."""
    for depth in range(len(files.root.parts), len(rel.parts) + 1):
        try:
            info = files.tree.lstat(PurePosixPath(*rel.parts[:depth]))
        except FileError:
            return True
        if info is None:
            return False
        if stat.S_ISLNK(info.st_mode):
            return True
    return False


def _file_error(path: str, exc: FileError, files: ProjectFiles | None = None, rel: PurePosixPath | None = None) -> str:
    if isinstance(exc, Missing) and files is not None and rel is not None and _through_link(files, rel):
        raise ValueError(f"{path} is outside the workspace (links are not followed)")
    if isinstance(exc, Missing):
        return f"error: {path} does not exist"
    if isinstance(exc, Refused) and "links are not followed" in exc.message:
        raise ValueError(f"{path} is outside the workspace (links are not followed)")
    return f"error: {path}: {exc.message}"


def read_file(files: ProjectFiles, path: str, offset: int = 1, limit: int = 400) -> str:
    """Numbered lines ``offset``.. of a text file inside the workspace."""
    rel = files.rel(path)
    try:
        data, size = files.tree.read(rel, limit=MAX_READ_FILE_BYTES)
    except FileError as exc:
        if isinstance(exc, Refused) and "not a regular file" in exc.message:
            return f"error: {path} is not a file"
        if isinstance(exc, Missing) and files.tree.is_dir(rel):
            return f"error: {path} is not a file"
        return _file_error(path, exc, files, rel)
    except IsADirectoryError:
        return f"error: {path} is not a file"
    if size > MAX_READ_FILE_BYTES:
        return f"error: {path} is larger than {MAX_READ_FILE_BYTES} bytes; use search"
    lines = data.decode("utf-8", "replace").splitlines()
    start = max(1, offset)
    chosen = lines[start - 1 : start - 1 + max(1, min(limit, 2000))]
    out = "\n".join(f"{i:>5}  {line}" for i, line in enumerate(chosen, start))
    if len(out) > MAX_READ_CHARS:
        out = out[:MAX_READ_CHARS] + "\n... (truncated)"
    more = len(lines) - (start - 1 + len(chosen))
    return out + (f"\n... ({more} more lines; use offset)" if more > 0 else "") if out else "(empty)"


def list_dir(files: ProjectFiles, path: str = ".") -> str:
    """Entries of a directory inside the workspace, directories with a trailing slash."""
    rel = files.rel(path)
    try:
        entries = files.tree.list(rel, limit=MAX_LIST_ENTRIES + 1)
    except FileError as exc:
        if isinstance(exc, Missing) and not _through_link(files, rel):
            return f"error: {path} is not a directory"
        return _file_error(path, exc, files, rel)
    entries.sort(key=lambda e: (e.kind != "dir", e.name))
    suffix = {"dir": "/", "link": " (link, not followed)"}
    names = [e.name + suffix.get(e.kind, "") for e in entries[:MAX_LIST_ENTRIES]]
    if len(entries) > MAX_LIST_ENTRIES:
        names.append(f"... (more than {MAX_LIST_ENTRIES} entries)")
    return "\n".join(names) or "(empty directory)"


def search(files: ProjectFiles, pattern: str, path: str = ".", glob: str | None = None, regex: bool = False) -> str:
    """Lines matching ``pattern`` (literal unless ``regex``) in text files inside the workspace."""
    rel = files.rel(path)
    try:
        rx = re.compile(pattern if regex else re.escape(pattern))
    except re.error as exc:
        return f"error: bad regular expression: {exc}"
    shown = rel.relative_to(files.root)
    hits: list[str] = []

    def scan(name: PurePosixPath, data: bytes) -> bool:
        if b"\0" in data[:8192]:
            return False
        for n, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            if rx.search(line):
                hits.append(f"{name}:{n}: {line.strip()[:300]}")
                if len(hits) >= MAX_SEARCH_MATCHES:
                    return True
        return False

    info = files.tree.lstat(rel) if rel != files.root else None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise ValueError(f"{path} is outside the workspace (links are not followed)")
    if info is not None and stat.S_ISREG(info.st_mode):
        if info.st_size <= MAX_SEARCH_FILE_BYTES:
            try:
                data, _ = files.tree.read(rel, limit=MAX_SEARCH_FILE_BYTES)
            except FileError as exc:
                return _file_error(path, exc)
            scan(shown, data)
        return "\n".join(hits) or "(no matches)"
    count = 0
    limits = Limits(max_entries=MAX_SEARCH_FILES * 4, max_bytes=1 << 40, max_seconds=10.0)
    try:
        for item in files.tree.walk(rel, limits=limits, exclude=lambda p, is_dir: is_dir and p.name in SKIP_DIRS):
            count += 1
            if count > MAX_SEARCH_FILES:
                break
            if glob and not item.path.match(glob):
                continue
            if item.size > MAX_SEARCH_FILE_BYTES:
                continue
            try:
                fd = Tree.open_walked(item)
            except (OSError, FileError):
                continue
            try:
                data = os.pread(fd, MAX_SEARCH_FILE_BYTES, 0)
            finally:
                os.close(fd)
            name = shown / item.path if str(shown) != "." else item.path
            if scan(name, data):
                return "\n".join(hits) + f"\n... (stopped at {MAX_SEARCH_MATCHES} matches)"
    except TooLarge as exc:
        hits.append(f"... (search stopped: {exc.message})")
    except FileError as exc:
        return _file_error(path, exc, files, rel)
    return "\n".join(hits) or "(no matches)"


READ_SCHEMAS: dict[str, tuple[str, dict[str, Any], Callable[..., str]]] = {
    "read_file": (
        "Read a text file of the project workspace (read-only), with line numbers.",
        _obj(
            {
                "path": {**_STR, "description": "Path relative to the workspace."},
                "offset": {"type": "integer", "description": "First line (1-based).", "minimum": 1},
                "limit": {"type": "integer", "description": "How many lines (max 2000).", "minimum": 1},
            },
            ["path"],
        ),
        read_file,
    ),
    "list_dir": (
        "List a directory of the project workspace (read-only).",
        _obj({"path": {**_STR, "description": "Path relative to the workspace; '.' for the root."}}, []),
        list_dir,
    ),
    "search": (
        "Search text files of the project workspace for a string (read-only); .git and dependency folders are skipped.",
        _obj(
            {
                "pattern": {**_STR, "description": "The text to find (a regular expression when regex is true)."},
                "path": {**_STR, "description": "Folder or file to search, relative to the workspace."},
                "glob": {**_STR, "description": "Only files whose path matches, e.g. '*.py'."},
                "regex": {"type": "boolean"},
            },
            ["pattern"],
        ),
        search,
    ),
}


def enabled_read_helpers(tools: Sequence[str]) -> list[str]:
    """The read-only helpers a template's ``tools`` list enables; other names enable nothing."""
    out: list[str] = []
    for name in tools:
        helper = READ_HELPERS.get(name.strip().lower())
        if helper and helper not in out:
            out.append(helper)
    return out


# --------------------------------------------------------------------------- the brain


class Brain:
    """A nanobot agent that decides what the supervisor's rules cannot."""

    def __init__(self, config: BrainConfig) -> None:
        self.config = config
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._agent: Any = None
        self._mcp: Any = None
        self._turn: _Turn | None = None
        self._allowed: set[str] = set()
        self._session_summary: Any = None

    # -- public

    def decide(self, situation: str, steering: Steering) -> Decision:
        """Run one nanobot turn on ``situation``; the tools call ``steering`` on this thread."""
        if not (self.config.api_key or "").strip():
            raise BrainUnavailable(f"no API key for the decision model {self.config.model}")
        if self._event_loop is None:
            self._event_loop = asyncio.new_event_loop()
        turn = _Turn(steering)
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

    async def _decide(self, situation: str, turn: _Turn) -> Decision:
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

    def _hook(self, turn: _Turn) -> Any:
        from nanobot.agent.hook import AgentHook

        class Recorder(AgentHook):  # type: ignore[misc]
            async def before_execute_tool(self, context: Any, tool_call: Any, tool: Any, params: Any) -> None:
                args = params if isinstance(params, dict) else {"arguments": params}
                turn.actions.append((str(tool_call.name), dict(args)))

            async def after_run(self, context: Any) -> None:
                turn.stop_reason = context.stop_reason
                turn.error = context.error
                usage = context.usage
                if usage is not None:
                    turn.input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
                    turn.output_tokens = int(getattr(usage, "output_tokens", 0) or 0)

        return Recorder()

    async def _ensure_agent(self) -> Any:
        if self._agent is not None:
            if self._mcp is not None:
                await self._mcp.connect()  # reconnects servers that dropped
            return self._agent
        cfg = self.config
        nb = cfg.brain_dir
        prepare_brain_dir(nb)
        _prepare_process(nb)
        from nanobot.agent.loop import AgentLoop
        from nanobot.bus.queue import MessageBus
        from nanobot.config.schema import MCPServerConfig, ToolsConfig
        from nanobot.session.manager import SessionManager

        provider, model = _make_provider(cfg)
        placed, refused = mcp.place(cfg.mcp_servers, cfg.mcp_placement)
        for name, reason in refused.items():
            message = f"MCP server '{name}' not started: {reason}"
            log.warning("brain mcp server refused", extra={"server": name, "reason": reason})
            if cfg.on_refusal is not None:
                cfg.on_refusal(message)
        servers = {name: MCPServerConfig.model_validate(spec) for name, spec in placed.items()}
        provider._CHAT_RETRY_DELAYS = RETRY_DELAYS
        agent_ws = nb / "workspace"
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
                """nanobot's built-ins (exec, files, web, spawn, ...) are never created; Brain adds ours."""

        agent = SupervisorLoop(
            bus=MessageBus(),
            provider=provider,
            workspace=agent_ws,
            model=model,
            max_iterations=cfg.max_iterations,
            restrict_to_workspace=True,
            tools_config=tools_config,
            session_manager=SessionManager(agent_ws, sessions_root=nb / "sessions"),
        )
        agent.context.build_system_prompt = self._system_prompt
        for name in list(agent.tools.tool_names):  # none expected; kept in case nanobot adds a path
            agent.tools.unregister(name)
        for name in STEERING_TOOLS:
            description, schema = STEERING_SCHEMAS[name]
            agent.tools.register(
                _function_tool(name, description, schema, self._steering_handler(name), read_only=False)
            )
        description, schema = MEMORY_SCHEMAS["remember"]
        agent.tools.register(_function_tool("remember", description, schema, self._remember, read_only=False))
        for name in enabled_read_helpers(cfg.tools):
            description, schema, fn = READ_SCHEMAS[name]
            agent.tools.register(_function_tool(name, description, schema, self._read_handler(fn), read_only=True))
        self._allowed = set(agent.tools.tool_names)
        self._agent = agent
        if servers:
            await self._connect_mcp(agent, servers)
        return agent

    async def _connect_mcp(self, agent: Any, servers: dict[str, Any]) -> None:
        """Connect the template's MCP servers; one that fails is logged and retried next decision."""
        from nanobot.agent.tools.mcp import MCPProvider

        before = set(agent.tools.tool_names)
        self._mcp = MCPProvider(servers, agent.tools, server_loader=lambda: servers)
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

    def _steering_handler(self, name: str) -> Handler:
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

    def _read_handler(self, fn: Callable[..., str]) -> Handler:
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
