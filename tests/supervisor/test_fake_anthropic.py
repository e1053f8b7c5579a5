"""The scripted fake Messages endpoint speaks the wire format Claude Code expects."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.fakes.fake_anthropic import FakeAnthropic, bash, text, write


def _post(fake: FakeAnthropic, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        fake.url + path, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for chunk in raw.decode().strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def _body(prompt: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": "claude-x",
        "stream": True,
        "tools": [{"name": "Write"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>x</system-reminder>"},
                    {"type": "text", "text": prompt},
                ],
            },
            *extra,
            {"role": "system", "content": [{"type": "text", "text": "- Primary working directory: /w/p"}]},
        ],
    }


def test_tool_call_then_text_by_turn_step(fake: FakeAnthropic) -> None:
    fake.on_prompt("STEP-1", write("a.txt", "hi\n"), text("done"))
    status, headers, raw = _post(fake, "/v1/messages?beta=true", _body("please STEP-1"))
    assert status == 200 and headers["content-type"] == "text/event-stream"
    events = _events(raw)
    assert [e for e, _ in events] == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * (len(events) - 5),
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0][1]["message"]
    assert start["model"] == "claude-x" and start["usage"]["input_tokens"] > 0
    block = events[1][1]["content_block"]
    assert block["type"] == "tool_use" and block["name"] == "Write"
    args = json.loads("".join(d["delta"]["partial_json"] for e, d in events if e == "content_block_delta"))
    assert args == {"file_path": "/w/p/a.txt", "content": "hi\n"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"

    followup = _body(
        "please STEP-1",
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Write", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]},
    )
    events = _events(_post(fake, "/v1/messages?beta=true", followup)[2])
    assert "".join(d["delta"].get("text", "") for e, d in events if e == "content_block_delta") == "done"
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"
    assert events[-2][1]["usage"]["output_tokens"] >= 1

    calls = fake.calls()
    assert [c.turn_step for c in calls] == [0, 1]
    assert calls[1].tool_results[0]["tool_use_id"] == "t"
    assert calls[0].prompt == "please STEP-1" and calls[0].cwd == "/w/p"


def test_errors_with_and_without_retry_header(fake: FakeAnthropic) -> None:
    fake.fail(529, times=1)
    fake.fail(500, times=1, should_retry=False)
    status, headers, raw = _post(fake, "/v1/messages?beta=true", _body("x"))
    assert status == 500 and headers["x-should-retry"] == "false"
    assert json.loads(raw)["error"]["type"] == "api_error"
    status, headers, raw = _post(fake, "/v1/messages?beta=true", _body("x"))
    assert status == 529 and "x-should-retry" not in headers
    assert json.loads(raw)["error"]["type"] == "overloaded_error"
    assert _post(fake, "/v1/messages?beta=true", _body("x"))[0] == 200


def test_title_count_tokens_head_and_default(fake: FakeAnthropic) -> None:
    fake.on_prompt("RUN", bash("ls"))
    title = {
        "model": "m",
        "stream": True,
        "tools": [],
        "system": "Generate a concise title",
        "messages": [{"role": "user", "content": "hello"}],
    }
    events = _events(_post(fake, "/v1/messages?beta=true", title)[2])
    said = "".join(d["delta"].get("text", "") for e, d in events if e == "content_block_delta")
    assert json.loads(said) == {"title": fake.title}
    status, _, raw = _post(fake, "/v1/messages/count_tokens?beta=true", {"messages": []})
    assert status == 200 and json.loads(raw)["input_tokens"] >= 1
    with urllib.request.urlopen(urllib.request.Request(fake.url + "/", method="HEAD"), timeout=5) as r:
        assert r.status == 200
    events = _events(_post(fake, "/v1/messages?beta=true", _body("unscripted"))[2])
    assert "".join(d["delta"].get("text", "") for e, d in events if e == "content_block_delta") == "OK."
    assert [r.method for r in fake.requests] == ["POST", "POST", "HEAD", "POST"]
    assert len(fake.calls()) == 1 and len(fake.calls(main_only=False)) == 2
