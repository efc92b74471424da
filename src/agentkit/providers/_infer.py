"""``infer_provider("openai:gpt-4.1")``: one string to a provider, importing only the adapter it needs."""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from agentkit.providers._base import Provider

__all__ = ("PROVIDER_PREFIXES", "infer_provider")

PROVIDER_PREFIXES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "openai": ("agentkit.providers.openai", "OpenAIChatProvider", {}),
    "openai-chat": ("agentkit.providers.openai", "OpenAIChatProvider", {}),
    "openai-responses": ("agentkit.providers.openai_responses", "OpenAIResponsesProvider", {}),
    "anthropic": ("agentkit.providers.anthropic", "AnthropicProvider", {}),
    "gemini": ("agentkit.providers.gemini", "GeminiProvider", {}),
    "google": ("agentkit.providers.gemini", "GeminiProvider", {}),
    "openai-compatible": ("agentkit.providers.openai", "OpenAICompatibleProvider", {}),
    "ollama": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "ollama"}),
    "groq": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "groq"}),
    "mistral": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "mistral"}),
    "openrouter": (
        "agentkit.providers.openai",
        "OpenAICompatibleProvider",
        {"server": "openrouter"},
    ),
    "deepseek": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "deepseek"}),
    "vllm": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "vllm"}),
    "cerebras": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "cerebras"}),
    "gemini-openai": (
        "agentkit.providers.openai",
        "OpenAICompatibleProvider",
        {"server": "gemini-openai"},
    ),
    "huggingface": (
        "agentkit.providers.openai",
        "OpenAICompatibleProvider",
        {"server": "huggingface"},
    ),
}
"""``prefix -> (module, class, extra keyword arguments)``; ``agentkit.providers`` entry points may add more."""

_URL_SUFFIX = re.compile(r"@(?=https?://)")


def infer_provider(spec: str, **options: Any) -> Provider:
    """Build a provider from ``"prefix:model"``, importing only the adapter that prefix needs.

    ``openai-compatible:MODEL@URL`` (and the named servers ``ollama:``, ``vllm:``, ``groq:``...) accept an ``@URL``
    suffix for the base URL. Keyword options (``api_key``, ``http_client``, ``timeout``...) go to the adapter;
    API keys otherwise come from the adapter's environment variable.

    Examples:
        >>> provider = infer_provider("ollama:llama3.2@http://127.0.0.1:11434/v1")
        >>> type(provider).__name__, provider.model, provider.base_url
        ('OpenAICompatibleProvider', 'llama3.2', 'http://127.0.0.1:11434/v1')
    """
    prefix, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise UsageError(
            f"provider spec {spec!r} needs the form 'prefix:model', e.g. 'openai:gpt-4.1'; prefixes: "
            + ", ".join(sorted(PROVIDER_PREFIXES))
        )
    entry = PROVIDER_PREFIXES.get(prefix) or _from_entry_points(prefix)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(prefix, list(PROVIDER_PREFIXES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            f"unknown provider prefix {prefix!r}{hint}; known prefixes: "
            + ", ".join(sorted(PROVIDER_PREFIXES))
        )
    module_name, class_name, extra = entry
    # Only an "@" that starts a URL splits: model names may hold one ("claude-sonnet-4@20250514" on Vertex).
    model, *url = _URL_SUFFIX.split(rest, maxsplit=1)
    if url and "base_url" not in options:
        options["base_url"] = url[0]
    cls = getattr(importlib.import_module(module_name), class_name)
    provider: Provider = cls(model, **{**extra, **options})
    return provider


def _from_entry_points(prefix: str) -> tuple[str, str, dict[str, Any]] | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group="agentkit.providers"):
        if ep.name == prefix:
            module, _, attr = ep.value.partition(":")
            return module, attr, {}
    return None
