"""What "Test key" asks a provider and what its answer means (pure: a function of its inputs).

The test is one `GET {base}/v1/models` with the key: the cheapest call every provider we know
answers, that spends no tokens and that a refused key fails with 401/403. Anthropic-style
providers take `x-api-key` + `anthropic-version` (a Claude subscription token goes as a bearer
token with the OAuth beta header); everything else gets `Authorization: Bearer`, as OpenAI does.
The verdict is a sentence a user understands; it never contains the key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from autocode.services.git_urls import is_local_host, redact

ANTHROPIC_VERSION = "2023-06-01"
OAUTH_BETA = "oauth-2025-04-20"
MAX_MESSAGE = 200

# Where a provider answers when the key has no base URL of its own. Anthropic-style base URLs
# come without `/v1` (as ANTHROPIC_BASE_URL); OpenAI-style ones with it.
DEFAULT_BASE_URLS: dict[str, str] = {
    "anthropic": "https://api.anthropic.com",
    "claude-code-oauth": "https://api.anthropic.com",
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "groq": "https://api.groq.com/openai/v1",
    "mistral": "https://api.mistral.ai/v1",
}
ANTHROPIC_STYLE = frozenset({"anthropic", "claude-code-oauth"})

TransportFailure = Literal["refused", "timeout", "dns", "tls", "invalid", "other"]


@dataclass(frozen=True)
class Probe:
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str


@dataclass(frozen=True)
class Answered:
    """The provider answered with an HTTP status and a body (bytes read, possibly cut short)."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Unreachable:
    """No HTTP answer: how the connection failed."""

    failure: TransportFailure
    detail: str = ""


Outcome = Answered | Unreachable


class CannotTest(ValueError):
    """The key cannot be tested; the message says why (a verdict, not a server error)."""


def probe_for(*, provider: str, base_url: str | None, secret: str, production: bool) -> Probe:
    """The request that tests a key; raise CannotTest when there is nothing safe to call."""
    base = (base_url or DEFAULT_BASE_URLS.get(provider) or "").strip()
    if not base:
        raise CannotTest(f"There is no known address to test a '{provider}' key; add it again with its base URL")
    try:
        parts = urlsplit(base)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise CannotTest(f"The base URL {base} is not a valid address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CannotTest(f"The base URL {base} is not an http(s) address")
    if production and is_local_host(parts.hostname):
        raise CannotTest(
            f"The base URL {base} names a private, loopback or link-local host: only public providers can be tested"
        )
    path = parts.path.rstrip("/")
    # `.../v1` (or any `/vN`) already names the API version: add only `/models`.
    models_path = f"{path}/models" if re.search(r"/v\d+$", path) else f"{path}/v1/models"
    url = parts._replace(path=models_path, query="", fragment="").geturl()
    headers = {"accept": "application/json"}
    if provider == "claude-code-oauth":
        headers |= {
            "authorization": f"Bearer {secret}",
            "anthropic-version": ANTHROPIC_VERSION,
            "anthropic-beta": OAUTH_BETA,
        }
    elif provider in ANTHROPIC_STYLE:
        headers |= {"x-api-key": secret, "anthropic-version": ANTHROPIC_VERSION}
    else:
        headers |= {"authorization": f"Bearer {secret}"}
    return Probe(url=url, headers=headers)


def verdict(outcome: Outcome, *, url: str, secret: str, timeout: float) -> Verdict:
    """What the provider's answer (or its silence) means for the key."""
    if isinstance(outcome, Unreachable):
        reason = {
            "refused": "connection refused",
            "timeout": f"no answer within {timeout:g} s",
            "dns": "the host name does not resolve",
            "tls": "the TLS connection failed (certificate?)",
            "invalid": "the address is not valid",
            "other": outcome.detail or "the connection failed",
        }[outcome.failure]
        return Verdict(ok=False, message=_clean(f"Could not reach {url}: {reason}", secret))
    status = outcome.status
    said = _provider_message(outcome.body)
    tail = f": {said}" if said else ""
    if 200 <= status < 300:
        count = _model_count(outcome.body)
        if count is None:
            return Verdict(ok=True, message="The key works (the provider answered without a model list)")
        return Verdict(ok=True, message=f"The key works: {count} model{'' if count == 1 else 's'}")
    if status in (401, 403):
        return Verdict(ok=False, message=_clean(f"The provider refused the key ({status}){tail}", secret))
    if status == 404:
        return Verdict(
            ok=False, message=_clean(f"The provider has no model list at {url} (404): check the base URL", secret)
        )
    if status == 429:
        return Verdict(ok=False, message="The provider is rate-limiting this key (429): try again in a minute")
    if 300 <= status < 400:
        return Verdict(ok=False, message=f"The provider redirected the request ({status}): check the base URL")
    if status >= 500:
        return Verdict(ok=False, message=f"The provider had an error ({status}): try again later")
    return Verdict(ok=False, message=_clean(f"The provider answered {status}{tail}", secret))


def _model_count(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    listed = data.get("data") if isinstance(data, dict) else None
    return len(listed) if isinstance(listed, list) else None


def _provider_message(body: bytes) -> str:
    """The provider's own error message (Anthropic and OpenAI both say `error.message`)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error if isinstance(error, str) else None
    if not isinstance(message, str):
        return ""
    return " ".join(message.split())[:MAX_MESSAGE]


def _clean(text: str, secret: str) -> str:
    """The text without the key in it, even when the provider echoed it back."""
    if len(secret) >= 4:
        text = text.replace(secret, "····")
    return redact(text)
