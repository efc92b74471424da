"""Messages API errors: error envelopes inside 200 streams, and rate limits that say when they reset.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.anthropic import AnthropicProvider
    >>> from agentkit.testing._replay import ReplayTransport
    >>> replay = ReplayTransport.from_bodies([(529, {"type": "error", "error": {
    ...     "type": "overloaded_error", "message": "Overloaded"}})])
    >>> provider = AnthropicProvider("claude-haiku-4-5", api_key="k",
    ...                              http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
    Traceback (most recent call last):
    agentkit.exceptions.Overloaded: anthropic (claude-haiku-4-5): Overloaded [HTTP 529]
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from agentkit.providers.anthropic._wire import _ERROR_STATUS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.exceptions import ProviderError
    from agentkit.providers.anthropic._provider import AnthropicProvider


def inline_error(provider: AnthropicProvider, payload: Any) -> ProviderError:
    """The typed error for an error envelope that arrived with HTTP 200 (a stream ``error`` event)."""
    error = payload.get("error") if isinstance(payload, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    status = _ERROR_STATUS.get(kind if isinstance(kind, str) else "", 500)
    body = payload if isinstance(payload, dict) else {"error": {"message": str(payload)}}
    return provider.inline_error_of(status, body)


def reset_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until the exhausted ``anthropic-ratelimit-*`` limit resets (RFC 3339 ``*-reset`` headers)."""
    lower = {k.lower(): v for k, v in headers.items()}
    exhausted: list[float] = []
    every: list[float] = []
    for name, value in lower.items():
        if not (name.startswith("anthropic-ratelimit-") and name.endswith("-reset")):
            continue
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = max(0.0, (when - now).total_seconds())
        every.append(seconds)
        if lower.get(name[: -len("reset")] + "remaining", "").strip() == "0":
            exhausted.append(seconds)
    if exhausted:
        return max(exhausted)
    return min(every) if every else None
