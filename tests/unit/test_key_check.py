"""What "Test key" asks each provider, and what each kind of answer means to the user."""

from __future__ import annotations

import json
import re

import pytest

from autocode.services.key_check import (
    Answered,
    CannotTest,
    Outcome,
    Unreachable,
    probe_for,
    verdict,
)
from autocode.services.model_catalog import models_for

SECRET = "sk-test-SECRET-value-wxyz"


@pytest.mark.parametrize(
    ("provider", "base_url", "url", "auth"),
    [
        ("anthropic", None, "https://api.anthropic.com/v1/models", ("x-api-key", SECRET)),
        ("anthropic", "https://gw.example/", "https://gw.example/v1/models", ("x-api-key", SECRET)),
        ("claude-code-oauth", None, "https://api.anthropic.com/v1/models", ("authorization", f"Bearer {SECRET}")),
        ("openai", None, "https://api.openai.com/v1/models", ("authorization", f"Bearer {SECRET}")),
        (
            "openai",
            "http://127.0.0.1:8080/v1",
            "http://127.0.0.1:8080/v1/models",
            ("authorization", f"Bearer {SECRET}"),
        ),
        ("openrouter", None, "https://openrouter.ai/api/v1/models", ("authorization", f"Bearer {SECRET}")),
        (
            "mine",
            "https://llm.example/api/v2/",
            "https://llm.example/api/v2/models",
            ("authorization", f"Bearer {SECRET}"),
        ),
        (
            "mine",
            "https://llm.example/api?x=1",
            "https://llm.example/api/v1/models",
            ("authorization", f"Bearer {SECRET}"),
        ),
    ],
)
def test_probe(provider: str, base_url: str | None, url: str, auth: tuple[str, str]) -> None:
    probe = probe_for(provider=provider, base_url=base_url, secret=SECRET, production=False)
    assert probe.url == url
    assert probe.headers[auth[0]] == auth[1]
    anthropic_style = provider in ("anthropic", "claude-code-oauth")
    assert ("anthropic-version" in probe.headers) == anthropic_style


@pytest.mark.parametrize(
    ("provider", "base_url", "production", "words"),
    [
        ("mine", None, False, "no known address"),
        ("openai", "ftp://x.example/v1", False, "not an http(s) address"),
        ("openai", "http://[", False, "not a valid address"),
        ("openai", "http://x.example:99999/v1", False, "not a valid address"),
        ("openai", "http://127.0.0.1:8080/v1", True, "private, loopback"),
        ("anthropic", "https://localhost:9000", True, "private, loopback"),
        ("openai", "http://10.0.0.7/v1", True, "private, loopback"),
        ("openai", "http://[::1]:80/v1", True, "private, loopback"),
        ("openai", "http://169.254.169.254/v1", True, "private, loopback"),
        ("openai", "http://2130706433/v1", True, "private, loopback"),
    ],
)
def test_cannot_test(provider: str, base_url: str | None, production: bool, words: str) -> None:
    with pytest.raises(CannotTest, match=re.escape(words)):
        probe_for(provider=provider, base_url=base_url, secret=SECRET, production=production)


def test_public_addresses_pass_in_production() -> None:
    probe = probe_for(provider="openai", base_url=None, secret=SECRET, production=True)
    assert probe.url == "https://api.openai.com/v1/models"


URL = "https://api.example/v1/models"


def answer(status: int, payload: object) -> Answered:
    return Answered(status=status, body=json.dumps(payload).encode())


@pytest.mark.parametrize(
    ("outcome", "ok", "message"),
    [
        (answer(200, {"data": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}), True, "The key works: 3 models"),
        (answer(200, {"data": [{"id": "a"}]}), True, "The key works: 1 model"),
        (Answered(200, b"<html>hello</html>"), True, "The key works (the provider answered without a model list)"),
        (
            answer(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
            False,
            "The provider refused the key (401): invalid x-api-key",
        ),
        (
            answer(401, {"error": {"message": f"Incorrect API key provided: {SECRET}"}}),
            False,
            "The provider refused the key (401): Incorrect API key provided: ····",
        ),
        (Answered(403, b""), False, "The provider refused the key (403)"),
        (Answered(404, b"not here"), False, f"The provider has no model list at {URL} (404): check the base URL"),
        (
            answer(429, {"error": {"message": "slow down"}}),
            False,
            "The provider is rate-limiting this key (429): try again in a minute",
        ),
        (Answered(301, b""), False, "The provider redirected the request (301): check the base URL"),
        (Answered(503, b"busy"), False, "The provider had an error (503): try again later"),
        (answer(400, {"error": "bad\nrequest"}), False, "The provider answered 400: bad request"),
        (Unreachable("refused"), False, f"Could not reach {URL}: connection refused"),
        (Unreachable("timeout"), False, f"Could not reach {URL}: no answer within 10 s"),
        (Unreachable("dns"), False, f"Could not reach {URL}: the host name does not resolve"),
        (Unreachable("tls"), False, f"Could not reach {URL}: the TLS connection failed (certificate?)"),
        (Unreachable("invalid"), False, f"Could not reach {URL}: the address is not valid"),
        (Unreachable("other", "RemoteProtocolError"), False, f"Could not reach {URL}: RemoteProtocolError"),
    ],
)
def test_verdict(outcome: Outcome, ok: bool, message: str) -> None:
    found = verdict(outcome, url=URL, secret=SECRET, timeout=10.0)
    assert (found.ok, found.message) == (ok, message)
    assert SECRET not in found.message


def test_verdict_masks_credentials_in_the_address() -> None:
    found = verdict(Unreachable("refused"), url="https://me:pw@gw.example/v1/models", secret=SECRET, timeout=10.0)
    assert "pw" not in found.message and "***@gw.example" in found.message


def test_provider_message_is_bounded() -> None:
    found = verdict(answer(401, {"error": {"message": "x" * 5000}}), url=URL, secret=SECRET, timeout=10.0)
    assert len(found.message) < 300


@pytest.mark.parametrize(
    ("providers", "first", "count"),
    [
        ([], None, 0),
        (["anthropic"], "anthropic/claude-opus-4-6", 3),
        (["claude-code-oauth"], "anthropic/claude-opus-4-6", 3),
        (["anthropic", "claude-code-oauth"], "anthropic/claude-opus-4-6", 3),  # each model once
        (["openai", "anthropic"], "openai/gpt-5.3-codex", 6),
        (["mine"], None, 0),  # an unknown provider: nothing to offer, the field stays free
    ],
)
def test_models_for(providers: list[str], first: str | None, count: int) -> None:
    found = models_for(providers)
    assert len(found) == count
    assert (found[0].id if found else None) == first
    assert len({m.id for m in found}) == count
