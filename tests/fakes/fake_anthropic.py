"""A scripted fake Anthropic Messages endpoint for driving the real Claude Code CLI offline.

Start it in a background thread, point ``ANTHROPIC_BASE_URL`` at ``fake.url`` and script the
model's replies with rules::

    fake = FakeAnthropic().start()
    fake.on_prompt("STEP-1", write("a.txt", "hello\\n"), text("done"))
    ...
    fake.stop()

A rule added with :meth:`FakeAnthropic.on_prompt` is stateless: the reply is chosen by how many
assistant messages already follow the user prompt that started the turn, so the first model
call of the turn gets the first reply, the call carrying the first tool_result gets the second,
and so on. :meth:`FakeAnthropic.fail` adds a stateful rule that answers the next ``times``
matching calls with an HTTP error (Claude Code retries 500/529 by itself).

Every request is recorded in ``fake.requests`` for assertions.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import PurePosixPath
from typing import Any

from tests.fakes import scripted

_CWD_RE = re.compile(r"Primary working directory: (\S+)")
_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):020d}"


# --------------------------------------------------------------------------- requests


@dataclass
class Request:
    """One HTTP request the fake received, with the Messages-API views a script needs."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)

    @property
    def messages(self) -> list[dict[str, Any]]:
        msgs = self.body.get("messages")
        return msgs if isinstance(msgs, list) else []

    @property
    def system_text(self) -> str:
        system = self.body.get("system")
        if isinstance(system, str):
            return system
        if isinstance(system, list):
            return "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
        return ""

    @property
    def cwd(self) -> str | None:
        """The ``Primary working directory`` announced in the system prompt.

        Recent releases put the environment in a trailing ``role: "system"`` message rather
        than the ``system`` field, so both are searched.
        """
        m = _CWD_RE.search(self.system_text)
        if m:
            return m.group(1)
        for msg in reversed(self.messages):
            m = _CWD_RE.search(_texts(msg))
            if m:
                return m.group(1)
        return None

    @property
    def is_messages(self) -> bool:
        return self.method == "POST" and self.path.split("?")[0] == "/v1/messages"

    @property
    def is_title(self) -> bool:
        """The once-per-session side request asking for a JSON title (``tools: []``)."""
        tools = self.body.get("tools")
        return (
            self.is_messages
            and (tools == [] or tools is None)
            and "title" in (self.system_text + self.last_user_text).lower()
        )

    @property
    def is_compaction(self) -> bool:
        """The summarisation call of ``/compact`` or auto-compaction."""
        t = self.last_user_text
        return self.is_messages and "<summary>" in t and "Do NOT call any tools" in t

    @property
    def tool_names(self) -> list[str]:
        tools = self.body.get("tools") or []
        return [t.get("name", "") for t in tools if isinstance(t, dict)]

    def _user_indexes(self) -> list[int]:
        return [i for i, m in enumerate(self.messages) if m.get("role") == "user"]

    @property
    def last_user_text(self) -> str:
        """Text of the last ``user`` message (the request may end with a system message)."""
        idx = self._user_indexes()
        return _texts(self.messages[idx[-1]]) if idx else ""

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """tool_result blocks of the last user message."""
        idx = self._user_indexes()
        if not idx:
            return []
        content = self.messages[idx[-1]].get("content")
        if not isinstance(content, list):
            return []
        return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]

    def _prompt_index(self) -> int | None:
        for i in reversed(self._user_indexes()):
            if _prompt_texts(self.messages[i]):
                return i
        return None

    @property
    def prompt(self) -> str:
        """The human prompt that started the current turn (system reminders left out)."""
        i = self._prompt_index()
        return _prompt_texts(self.messages[i]) if i is not None else ""

    @property
    def turn_step(self) -> int:
        """How many assistant messages already follow the prompt: 0 on the turn's first call."""
        i = self._prompt_index()
        if i is None:
            return 0
        return sum(1 for m in self.messages[i + 1 :] if m.get("role") == "assistant")


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _texts(message: dict[str, Any]) -> str:
    return "\n".join(b.get("text", "") for b in _blocks(message) if b.get("type") == "text")


_PASTED_RE = re.compile(r"<pasted_content[^>]*>(.*?)(?:</pasted_content>|$)", re.S)


def _prompt_texts(message: dict[str, Any]) -> str:
    """What the human typed or pasted; system reminders and other tagged context left out."""
    parts = []
    for b in _blocks(message):
        if b.get("type") != "text":
            continue
        t = b.get("text", "")
        pasted = _PASTED_RE.findall(t)
        if pasted:
            parts.extend(pasted)  # a bracketed paste arrives wrapped in <pasted_content>
        elif not t.lstrip().startswith("<"):
            parts.append(t)
    return "\n".join(p for p in parts if p.strip())


# --------------------------------------------------------------------------- replies


@dataclass
class Text:
    text: str


@dataclass
class ToolUse:
    name: str
    input: dict[str, Any] | Callable[[Request], dict[str, Any]]


Block = Text | ToolUse


@dataclass
class Reply:
    """What the fake answers to one model call."""

    blocks: list[Block] = field(default_factory=list)
    status: int = 200
    error_type: str = "api_error"
    error_message: str = "Internal server error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the response starts
    stream_delay: float = 0.0  # after message_start, before the first block (spinner shows)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


ReplyLike = Reply | Block | str
Responder = Callable[[Request], ReplyLike | None]


def text(t: str, **kw: Any) -> Reply:
    """A reply with one text block; the turn ends (stop_reason end_turn)."""
    return Reply(blocks=[Text(t)], **kw)


def _abs(path: str, req: Request) -> str:
    if PurePosixPath(path).is_absolute():
        return path
    return str(PurePosixPath(req.cwd or "/tmp") / path)


def write(path: str, content: str, *, say: str | None = None, **kw: Any) -> Reply:
    """A Write tool call; a relative path is made absolute against the request's cwd."""
    blocks: list[Block] = [Text(say)] if say else []
    blocks.append(ToolUse("Write", lambda r: {"file_path": _abs(path, r), "content": content}))
    return Reply(blocks=blocks, **kw)


def read(path: str, **kw: Any) -> Reply:
    """A Read tool call (Edit and overwriting Write need one first)."""
    return Reply(blocks=[ToolUse("Read", lambda r: {"file_path": _abs(path, r)})], **kw)


def edit(path: str, old: str, new: str, **kw: Any) -> Reply:
    """An Edit tool call replacing ``old`` by ``new``."""
    return Reply(
        blocks=[
            ToolUse(
                "Edit",
                lambda r: {"file_path": _abs(path, r), "old_string": old, "new_string": new},
            )
        ],
        **kw,
    )


def bash(command: str, description: str = "Run a command", **kw: Any) -> Reply:
    """A Bash tool call."""
    return Reply(blocks=[ToolUse("Bash", {"command": command, "description": description})], **kw)


def error(
    status: int = 500,
    message: str = "Internal server error",
    *,
    should_retry: bool | None = None,
    error_type: str | None = None,
    **kw: Any,
) -> Reply:
    """An HTTP error; ``should_retry=False`` sends ``x-should-retry: false``."""
    types = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    headers = dict(kw.pop("headers", {}))
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    return Reply(
        status=status,
        error_type=error_type or types.get(status, "api_error"),
        error_message=message,
        headers=headers,
        **kw,
    )


def usage_limit(resets_at: int, *, claim: str = "five_hour", **kw: Any) -> Reply:
    """The 429 a Claude subscription gets at its usage limit, as Claude Code reads it.

    Claude Code (logged in with a subscription token) takes the limit's kind and its reset
    (epoch seconds) from the ``anthropic-ratelimit-unified-*`` headers, shows
    ``You've hit your 5-hour limit · resets 6:15pm (UTC)``, records ``resetsAt`` in its
    transcript and does not retry. With an API key the same answer is only a rate limit.
    """
    window = {"five_hour": "5h", "seven_day": "7d"}.get(claim, claim)
    headers = {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": str(resets_at),
        "anthropic-ratelimit-unified-representative-claim": claim,
        f"anthropic-ratelimit-unified-{window}-status": "rejected",
        f"anthropic-ratelimit-unified-{window}-reset": str(resets_at),
        f"anthropic-ratelimit-unified-{window}-utilization": "1.0",
        "anthropic-ratelimit-unified-fallback-percentage": "0.5",
        **kw.pop("headers", {}),
    }
    return error(
        429,
        "This request would exceed your account's rate limit. Please try again later.",
        headers=headers,
        **kw,
    )


def _as_reply(r: ReplyLike) -> Reply:
    if isinstance(r, Reply):
        return r
    if isinstance(r, str):
        return text(r)
    return Reply(blocks=[r])


Rule = scripted.Rule


# --------------------------------------------------------------------------- server


class FakeAnthropic(scripted.ScriptedEndpoint[Request]):
    """The fake endpoint: rules are tried in order, first non-None reply wins."""

    thread_name = "fake-anthropic"

    def __init__(
        self,
        *,
        default: Responder | None = None,
        title: str = "Scripted session",
        model: str = "claude-sonnet-4-5",
    ) -> None:
        super().__init__()
        self.default: Responder = default or (lambda r: text("OK."))
        self.title = title
        self.model = model
        self.refused_keys: set[str] = set()

    def refuse_key(self, key: str) -> None:
        """Answer 401 to any request carrying ``key`` (as ``x-api-key`` or a bearer token)."""
        with self._lock:
            self.refused_keys.add(key)

    def refuses(self, req: Request) -> bool:
        given = {req.headers.get("x-api-key", ""), req.headers.get("authorization", "").removeprefix("Bearer ")}
        with self._lock:
            return bool(given & self.refused_keys)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting
    def on_prompt(self, needle: str, *replies: ReplyLike) -> Rule[Request]:
        """When the turn's prompt contains ``needle``, answer its k-th model call with replies[k].

        After the last reply the rule stops matching, so the default answers.
        """
        return self._turn_rule(needle, replies)

    def fail(
        self,
        status: int = 500,
        *,
        times: int = 1,
        contains: str | None = None,
        **kw: Any,
    ) -> Rule[Request]:
        """Answer the next ``times`` main-loop model calls (optionally only for a prompt) with an error."""
        rep = error(status, **kw)
        return self.add(
            lambda r: not r.is_title and (contains is None or contains in r.prompt),
            lambda r: rep,
            times=times,
            first=True,
        )

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    # -- inspection
    def calls(self, *, main_only: bool = True) -> list[Request]:
        """Recorded Messages calls; with ``main_only`` the title requests are left out."""
        with self._lock:
            reqs = list(self.requests)
        return [r for r in reqs if r.is_messages and not (main_only and r.is_title)]

    def wait_for(self, predicate: Callable[[list[Request]], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                reqs = list(self.requests)
            if predicate(reqs):
                return True
            time.sleep(0.05)
        return False

    def _choose(self, req: Request) -> Reply:
        if req.is_title:
            return text(json.dumps({"title": self.title}))
        with self._lock:
            rules = list(self.rules)
        for rule in rules:
            with self._lock:
                if rule.times is not None and rule.used >= rule.times:
                    continue
            if not rule.match(req):
                continue
            got = rule.respond(req)
            if got is None:
                continue
            with self._lock:
                rule.used += 1
            return _as_reply(got)
        if req.is_compaction:
            return text("<analysis>Scripted.</analysis>\n<summary>Scripted summary of the conversation.</summary>")
        got = self.default(req)
        return _as_reply(got if got is not None else "OK.")


class _Handler(BaseHTTPRequestHandler):
    owner: FakeAnthropic
    protocol_version = "HTTP/1.0"  # close after each response: no chunking, SSE ends on close

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self, body: dict[str, Any]) -> Request:
        req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with self.owner._lock:
            self.owner.requests.append(req)
        return req

    def _read_json(self) -> dict[str, Any]:
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {"_raw": raw.decode("utf-8", "replace")}
        return data if isinstance(data, dict) else {"_body": data}

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", _next_id("req"))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self) -> None:
        self._record({})
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        req = self._record({})
        if self.owner.refuses(req):
            self._json(
                401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            )
        elif self.path.split("?")[0] == "/v1/models":
            self._json(
                200,
                {
                    "data": [
                        {"type": "model", "id": m, "display_name": m}
                        for m in (self.owner.model, "claude-opus-4-6", "claude-haiku-4-5")
                    ],
                    "has_more": False,
                },
            )
        else:
            self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}})

    def do_POST(self) -> None:
        body = self._read_json()
        req = self._record(body)
        route = self.path.split("?")[0]
        try:
            if route == "/v1/messages/count_tokens":
                self._json(200, {"input_tokens": _estimate_tokens(body)})
            elif route == "/v1/messages":
                self._messages(req)
            else:
                self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": route}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the CLI hung up (interrupt): nothing to do

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.owner._stopping.wait(seconds)

    def _messages(self, req: Request) -> None:
        reply = self.owner._choose(req)
        self._sleep(reply.delay)
        if reply.status != 200:
            self._json(
                reply.status,
                {"type": "error", "error": {"type": reply.error_type, "message": reply.error_message}},
                reply.headers,
            )
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", _next_id("req"))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        for event, data in _sse_events(req, reply, self.owner.model, self._sleep):
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()


def _estimate_tokens(body: dict[str, Any]) -> int:
    return max(1, len(json.dumps(body)) // 4)


def _sse_events(
    req: Request, reply: Reply, default_model: str, sleep: Callable[[float], None]
) -> Iterator[tuple[str, dict[str, Any]]]:
    model = str(req.body.get("model") or default_model)
    input_tokens = reply.input_tokens if reply.input_tokens is not None else _estimate_tokens(req.body)
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": reply.cache_creation_input_tokens,
        "cache_read_input_tokens": reply.cache_read_input_tokens,
        "output_tokens": 1,
    }
    yield (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": _next_id("msg"),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage,
            },
        },
    )
    sleep(reply.stream_delay)
    out_chars = 0
    has_tool = False
    for index, block in enumerate(reply.blocks):
        if isinstance(block, Text):
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                },
            )
            for chunk in _chunks(block.text, 40):
                yield (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": chunk},
                    },
                )
            out_chars += len(block.text)
        else:
            has_tool = True
            args = block.input(req) if callable(block.input) else block.input
            raw = json.dumps(args)
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "tool_use", "id": _next_id("toolu"), "name": block.name, "input": {}},
                },
            )
            for chunk in _chunks(raw, 60):
                yield (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": chunk},
                    },
                )
            out_chars += len(raw)
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    output_tokens = reply.output_tokens if reply.output_tokens is not None else max(1, out_chars // 4)
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use" if has_tool else "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def _chunks(s: str, n: int) -> Sequence[str]:
    return [s[i : i + n] for i in range(0, len(s), n)] or [""]


__all__ = [
    "FakeAnthropic",
    "Reply",
    "Request",
    "Rule",
    "Text",
    "ToolUse",
    "bash",
    "edit",
    "error",
    "read",
    "text",
    "usage_limit",
    "write",
]


FakeAnthropic.handler_class = _Handler
