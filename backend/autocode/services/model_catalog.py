"""Which model ids the agent builder offers, given the providers a user has keys for (pure).

A static list per provider, newest first: asking each provider's `/v1/models` every time the
form opens would be slow, spend the user's rate limit and tie a form to the network, and most
of what OpenAI lists (embeddings, audio, images) is no use to an agent. The ids are offered,
never enforced: the model field still takes any `provider/model`.
"""

from __future__ import annotations

from collections.abc import Iterable

from autocode.models import ModelOptionPublic

# The model an agent names is `provider/model`: Claude Code runs `anthropic/...` models with an
# Anthropic key or a Claude subscription token; the supervisor's brain takes the others too.
KNOWN_MODELS: dict[str, tuple[str, ...]] = {
    "anthropic": ("anthropic/claude-opus-4-6", "anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5"),
    "openai": ("openai/gpt-5.3-codex", "openai/gpt-5.2", "openai/gpt-5-mini"),
    "openrouter": ("openrouter/anthropic/claude-sonnet-4-5", "openrouter/openai/gpt-5.2"),
    "deepseek": ("deepseek/deepseek-chat", "deepseek/deepseek-reasoner"),
}
# A key of this provider opens the models listed under another.
SAME_MODELS = {"claude-code-oauth": "anthropic"}


def models_for(providers: Iterable[str]) -> list[ModelOptionPublic]:
    """The known models of these key providers, each once, in the order the keys came."""
    seen: set[str] = set()
    found: list[ModelOptionPublic] = []
    for provider in providers:
        for model in KNOWN_MODELS.get(SAME_MODELS.get(provider, provider), ()):
            if model not in seen:
                seen.add(model)
                found.append(ModelOptionPublic(id=model, provider=provider))
    return found
