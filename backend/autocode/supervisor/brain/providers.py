"""Which nanobot provider serves an agent template's model."""

from __future__ import annotations

from typing import Any

from autocode.supervisor.brain import compat
from autocode.supervisor.brain.contract import BrainConfig, BrainUnavailable


def make_provider(config: BrainConfig) -> tuple[Any, str]:
    """The nanobot provider for the template's model, and the model name to send.

    ``anthropic/<m>`` goes through nanobot's Anthropic provider (base URL honoured); a prefix
    naming one of nanobot's OpenAI-compatible providers (``openai``, ``openrouter``,
    ``deepseek``, ``gemini``, ...) through that provider, sending the model without the prefix;
    anything else needs a base URL and goes, unchanged, to an OpenAI-compatible endpoint.
    """
    prefix, sep, rest = config.model.partition("/")
    if not sep or not rest:
        prefix, rest = "", config.model
    base_url = config.base_url or None
    if prefix == "anthropic":
        return compat.anthropic_provider(api_key=config.api_key, api_base=base_url, model=rest), rest
    spec = compat.provider_spec(prefix) if prefix else None
    if spec is not None and spec.backend == "openai_compat" and spec.name != "custom":
        api_base = base_url or spec.default_api_base or None
        if api_base is None and spec.is_direct:
            raise BrainUnavailable(f"the {prefix} provider needs a base URL")
        provider = compat.openai_compat_provider(
            api_key=config.api_key, api_base=api_base, model=rest, spec=spec, name=spec.name
        )
        return provider, rest
    if base_url is None:
        raise BrainUnavailable(
            f"no provider for the model {config.model!r}: use openai/..., anthropic/... or give a base URL"
        )
    provider = compat.openai_compat_provider(
        api_key=config.api_key,
        api_base=base_url,
        model=config.model,
        spec=compat.provider_spec("custom"),
        name="custom",
    )
    return provider, config.model
