"""``infer_provider("openai:gpt-4.1")``: one string to a provider, importing only the adapter it needs."""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any, Literal

from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from agentkit.providers._base import Provider
    from agentkit.resilience import RetryPolicy

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
    "xai": ("agentkit.providers.openai", "OpenAICompatibleProvider", {"server": "xai"}),
}
"""``prefix -> (module, class, extra keyword arguments)``; ``agentkit.providers`` entry points may add more."""

_URL_SUFFIX = re.compile(r"@(?=https?://)")


def infer_provider(
    spec: str, *, retry: RetryPolicy | Literal["default"] | None = "default", **options: Any
) -> Provider:
    """Build a provider from ``"prefix:model"``, importing only the adapter it needs, with a default retry policy.

    ``openai-compatible:MODEL@URL`` (and the named servers ``ollama:``, ``vllm:``, ``groq:``...) accept an ``@URL``
    suffix for the base URL. Keyword options (``api_key``, ``http_client``, ``timeout``...) go to the adapter;
    API keys otherwise come from the adapter's environment variable.

    Like the vendor SDKs, the provider retries what may succeed a moment later: HTTP 408, 409, 429 (not an
    exhausted quota), 5xx and 529, timeouts and connection failures; up to 3 attempts in all, honouring
    ``Retry-After`` (up to 60 s), otherwise backing off exponentially from 0.5 s to at most 8 s with random
    jitter, within 120 s in all, and never past the deadline of the run it is in (a wait that would pass it
    fails at once with ``DeadlineExceeded``). Each retry is logged at INFO on the ``agentkit.retry`` logger and
    is a ``retry.scheduled`` event of the run. The adapter itself is ``provider.inner``.

    Args:
        spec: ``"prefix:model"`` (``"openai:gpt-4.1"``, ``"anthropic:claude-sonnet-4-5"``...).
        retry: ``"default"`` for the policy above; ``None`` for the bare adapter (no retries); or a
            ``RetryPolicy`` built without a provider (``RetryPolicy(max_attempts=5, seed=0)``), which wraps
            the adapter instead.
        **options: Keyword arguments for the adapter's constructor.

    Raises:
        UsageError: An unknown prefix, a spec without a model, or a ``retry`` policy that already wraps a provider.

    Examples:
        >>> provider = infer_provider("ollama:llama3.2@http://127.0.0.1:11434/v1")
        >>> provider
        RetryPolicy(OpenAICompatibleProvider(...))
        >>> adapter = provider.inner
        >>> type(adapter).__name__, adapter.model, adapter.base_url
        ('OpenAICompatibleProvider', 'llama3.2', 'http://127.0.0.1:11434/v1')
        >>> type(infer_provider("ollama:llama3.2", retry=None)).__name__
        'OpenAICompatibleProvider'
    """
    if retry is not None and retry != "default" and retry.bound:
        raise UsageError(
            f"infer_provider(retry=...) takes a RetryPolicy built without a provider, got {retry!r}; "
            "write RetryPolicy(max_attempts=...) and infer_provider wraps the adapter in it"
        )
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
    if retry is None:
        return provider
    from agentkit.resilience import RetryPolicy

    if retry == "default":
        return RetryPolicy(provider, max_attempts=3, max_delay=8.0)
    return retry.wrap(provider)


def _from_entry_points(prefix: str) -> tuple[str, str, dict[str, Any]] | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group="agentkit.providers"):
        if ep.name == prefix:
            module, _, attr = ep.value.partition(":")
            return module, attr, {}
    return None
