"""A scripted fake OpenAI-compatible chat/completions endpoint for driving the supervisor brain offline.

Start it in a background thread, give ``fake.url`` (ending in ``/v1``) to the client as its base
URL and script the model's replies with rules::

    fake = FakeOpenAI().start()
    fake.on_message("STEP-1", call("mark_step_done", summary="tests pass"), reply("Done."))
    ...
    fake.stop()

A rule added with :meth:`FakeOpenAI.on_message` is stateless: the reply is chosen by how many
assistant messages already follow the user message that started the turn, so the first model
call of the turn gets the first reply, the call carrying the first tool result gets the second,
and so on. :meth:`FakeOpenAI.fail` adds a stateful rule that answers the next ``times`` calls
with an HTTP error, :meth:`FakeOpenAI.hang_up` one that closes the connection without an answer,
and :func:`refused_url` gives a base URL where nothing listens (connection refused).

Replies stream as the OpenAI SDK expects with ``stream: true``: ``data: {chunk}`` events with
text or ``tool_calls`` deltas, a last choice chunk with ``finish_reason``, a usage chunk when
``stream_options.include_usage`` asks for it, then ``data: [DONE]``. A request without
``stream`` gets one ``chat.completion`` JSON body.

Every request is recorded in ``fake.requests`` for assertions.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes import scripted

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):020d}"


def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# --------------------------------------------------------------------------- requests


@dataclass
class Request:
    """One HTTP request the fake received, with the chat/completions views a script needs."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.split("?")[0].endswith("/chat/completions")

    @property
    def messages(self) -> list[dict[str, Any]]:
        msgs = self.body.get("messages")
        return [m for m in msgs if isinstance(m, dict)] if isinstance(msgs, list) else []

    @property
    def system_text(self) -> str:
        """Text of every ``system`` (or ``developer``) message, in order."""
        return "\n".join(_text(m) for m in self.messages if m.get("role") in ("system", "developer"))

    @property
    def tools(self) -> list[dict[str, Any]]:
        tools = self.body.get("tools")
        return [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []

    @property
    def tool_names(self) -> list[str]:
        return [str((t.get("function") or {}).get("name", "")) for t in self.tools]

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def include_usage(self) -> bool:
        opts = self.body.get("stream_options")
        return isinstance(opts, dict) and bool(opts.get("include_usage"))

    def _prompt_index(self) -> int | None:
        for i in range(len(self.messages) - 1, -1, -1):
            if self.messages[i].get("role") == "user":
                return i
        return None

    @property
    def prompt(self) -> str:
        """Text of the last ``user`` message: the one that started the current turn."""
        i = self._prompt_index()
        return _text(self.messages[i]) if i is not None else ""

    @property
    def turn_step(self) -> int:
        """How many assistant messages already follow the prompt: 0 on the turn's first call."""
        i = self._prompt_index()
        if i is None:
            return 0
        return sum(1 for m in self.messages[i + 1 :] if m.get("role") == "assistant")

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """The ``tool`` messages after the prompt, in order."""
        i = self._prompt_index()
        start = 0 if i is None else i + 1
        return [m for m in self.messages[start:] if m.get("role") == "tool"]


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


# --------------------------------------------------------------------------- replies


@dataclass
class Text:
    text: str


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | Callable[[Request], dict[str, Any]]


Part = Text | ToolCall


@dataclass
class Reply:
    """What the fake answers to one model call."""

    parts: list[Part] = field(default_factory=list)
    status: int = 200
    error_type: str = "server_error"
    error_message: str = "Internal server error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the response starts
    hang_up: bool = False  # close the connection without answering
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


ReplyLike = Reply | Part | str
Responder = Callable[[Request], ReplyLike | None]


def reply(text: str, **kw: Any) -> Reply:
    """A text answer; the turn ends (finish_reason stop)."""
    return Reply(parts=[Text(text)], **kw)


def call(name: str, *, say: str | None = None, **arguments: Any) -> Reply:
    """One tool call with JSON ``arguments`` (finish_reason tool_calls), after optional text."""
    parts: list[Part] = [Text(say)] if say else []
    parts.append(ToolCall(name, arguments))
    return Reply(parts=parts)


def calls(*replies: Reply, say: str | None = None) -> Reply:
    """Several tool calls in one assistant message (parallel tool calls)."""
    parts: list[Part] = [Text(say)] if say else []
    for r in replies:
        parts.extend(p for p in r.parts if isinstance(p, ToolCall))
    return Reply(parts=parts)


def error(
    status: int = 500, message: str = "Internal server error", *, error_type: str | None = None, **kw: Any
) -> Reply:
    """An HTTP error with an OpenAI-style error body."""
    types = {
        400: "invalid_request_error",
        401: "invalid_request_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_exceeded",
    }
    return Reply(status=status, error_type=error_type or types.get(status, "server_error"), error_message=message, **kw)


def hangup(**kw: Any) -> Reply:
    """Close the connection after reading the request, without a status line."""
    return Reply(hang_up=True, **kw)


def _as_reply(r: ReplyLike) -> Reply:
    if isinstance(r, Reply):
        return r
    if isinstance(r, str):
        return reply(r)
    return Reply(parts=[r])


Rule = scripted.Rule


# --------------------------------------------------------------------------- server


class FakeOpenAI(scripted.ScriptedEndpoint[Request]):
    """The fake endpoint: rules are tried in order, first non-None reply wins."""

    thread_name = "fake-openai"

    def __init__(self, *, default: Responder | None = None, model: str = "gpt-fake") -> None:
        super().__init__()
        self.default: Responder = default or (lambda r: reply("OK."))
        self.model = model
        self.refused_keys: set[str] = set()

    def refuse_key(self, key: str) -> None:
        """Answer 401 to any request whose bearer token is ``key`` (a revoked or mistyped key)."""
        with self._lock:
            self.refused_keys.add(key)

    def refuses(self, req: Request) -> bool:
        token = req.authorization.removeprefix("Bearer ").strip()
        with self._lock:
            return bool(token) and token in self.refused_keys

    @property
    def url(self) -> str:
        """The base URL an OpenAI client expects (with the ``/v1`` suffix)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting
    def on_message(self, needle: str, *replies: ReplyLike) -> Rule[Request]:
        """When the turn's user message contains ``needle``, answer its k-th model call with replies[k].

        After the last reply the rule stops matching, so the default answers.
        """
        return self._turn_rule(needle, replies)

    def fail(
        self, status: int = 500, *, times: int | None = 1, contains: str | None = None, **kw: Any
    ) -> Rule[Request]:
        """Answer the next ``times`` chat calls (all when None; optionally only for a message) with an error."""
        rep = error(status, **kw)
        return self.add(lambda r: contains is None or contains in r.prompt, lambda r: rep, times=times, first=True)

    def hang_up(self, *, times: int | None = 1, contains: str | None = None) -> Rule[Request]:
        """Close the connection on the next ``times`` chat calls (all when None) without answering."""
        rep = hangup()
        return self.add(lambda r: contains is None or contains in r.prompt, lambda r: rep, times=times, first=True)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    # -- inspection
    def calls(self) -> list[Request]:
        """Recorded chat/completions calls, in order."""
        with self._lock:
            reqs = list(self.requests)
        return [r for r in reqs if r.is_chat]

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
        got = self.default(req)
        return _as_reply(got if got is not None else "OK.")


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAI
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
        self.send_header("x-request-id", _next_id("req"))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        req = self._record({})
        if self.owner.refuses(req):
            self._json(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
            )
        elif self.path.split("?")[0].endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.owner.model, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found", "type": "not_found_error"}})

    def do_POST(self) -> None:
        body = self._read_json()
        req = self._record(body)
        try:
            if req.is_chat:
                self._chat(req)
            else:
                self._json(404, {"error": {"message": self.path, "type": "not_found_error"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (cancelled or timed out): nothing to do

    def _chat(self, req: Request) -> None:
        rep = self.owner._choose(req)
        if rep.delay > 0:
            self.owner._stopping.wait(rep.delay)
        if rep.hang_up:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if rep.status != 200:
            self._json(
                rep.status,
                {
                    "error": {
                        "message": rep.error_message,
                        "type": rep.error_type,
                        "param": None,
                        "code": rep.error_type,
                    }
                },
                rep.headers,
            )
            return
        model = str(req.body.get("model") or self.owner.model)
        if not req.stream:
            self._json(200, _completion(req, rep, model), rep.headers)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("x-request-id", _next_id("req"))
        for k, v in rep.headers.items():
            self.send_header(k, v)
        self.end_headers()
        for chunk in _stream_chunks(req, rep, model):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _estimate_tokens(payload: Any) -> int:
    return max(1, len(json.dumps(payload)) // 4)


def _usage(req: Request, rep: Reply, out_chars: int) -> dict[str, int]:
    prompt = rep.prompt_tokens if rep.prompt_tokens is not None else _estimate_tokens(req.body)
    completion = rep.completion_tokens if rep.completion_tokens is not None else max(1, out_chars // 4)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _resolved_calls(req: Request, rep: Reply) -> list[tuple[str, str, str]]:
    """(id, name, JSON arguments) of the reply's tool calls."""
    out = []
    for p in rep.parts:
        if isinstance(p, ToolCall):
            args = p.arguments(req) if callable(p.arguments) else p.arguments
            out.append((_next_id("call"), p.name, json.dumps(args)))
    return out


def _completion(req: Request, rep: Reply, model: str) -> dict[str, Any]:
    text = "".join(p.text for p in rep.parts if isinstance(p, Text))
    tool_calls = [
        {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
        for cid, name, args in _resolved_calls(req, rep)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": _next_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        "usage": _usage(req, rep, len(text) + sum(len(a) for _, _, a in _resolved_calls(req, rep))),
    }


def _stream_chunks(req: Request, rep: Reply, model: str) -> Iterator[dict[str, Any]]:
    cid = _next_id("chatcmpl")
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    out_chars = 0
    for p in rep.parts:
        if isinstance(p, Text):
            for piece in _chunks(p.text, 40):
                yield chunk({"content": piece})
            out_chars += len(p.text)
    tool_calls = _resolved_calls(req, rep)
    for index, (call_id, name, args) in enumerate(tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
                ]
            }
        )
        for piece in _chunks(args, 30):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        out_chars += len(args)
    yield chunk({}, "tool_calls" if tool_calls else "stop")
    if req.include_usage:
        yield {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": _usage(req, rep, out_chars),
        }


def _chunks(s: str, n: int) -> Sequence[str]:
    return [s[i : i + n] for i in range(0, len(s), n)] or [""]


__all__ = [
    "FakeOpenAI",
    "Reply",
    "Request",
    "Rule",
    "Text",
    "ToolCall",
    "call",
    "calls",
    "error",
    "hangup",
    "refused_url",
    "reply",
]


FakeOpenAI.handler_class = _Handler
