"""Chat Completions errors: error objects inside 200 answers and streams, and OpenRouter's upstream words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.exceptions import ProviderError
    from agentkit.providers.openai._provider import OpenAIChatProvider


def inline_error(
    provider: OpenAIChatProvider, error: Any, *, default_status: int = 500
) -> ProviderError:
    """The typed error for an error object that came with HTTP 200 (inside a body or a stream).

    Its status comes from a numeric code in the object, else from words in its type or code.

    Examples:
        >>> from agentkit.providers.openai import OpenAIChatProvider
        >>> p = OpenAIChatProvider("gpt-4.1", api_key="sk-test")
        >>> type(inline_error(p, {"message": "slow down", "type": "rate_limit_exceeded"})).__name__
        'RateLimited'
    """
    err = error if isinstance(error, dict) else {"message": str(error)}
    status = 0
    for key in ("status_code", "code", "status"):
        value = err.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 400 <= value < 600:
            status = value
            break
    if not status:
        kind = str(err.get("type") or err.get("code") or "").lower()
        if "rate_limit" in kind or "quota" in kind:
            status = 429
        elif "auth" in kind or "permission" in kind:
            status = 401
        elif "invalid" in kind or "tool_use_failed" in kind:
            status = 400
        else:
            status = default_status
    return provider.inline_error_of(status, {"error": err})


def with_upstream_words(body: Any) -> Any:
    """``body`` with OpenRouter's upstream message (``error.metadata.raw``) added to the error's message.

    Examples:
        >>> with_upstream_words({"error": {"message": "Provider returned error", "metadata": {
        ...     "raw": "model overloaded", "provider_name": "Groq"}}})["error"]["message"]
        'Provider returned error (Groq: model overloaded)'
    """
    error = body.get("error") if isinstance(body, dict) else None
    metadata = error.get("metadata") if isinstance(error, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("raw"), str):
        assert isinstance(error, dict)  # narrowed with metadata
        assert isinstance(body, dict)  # narrowed with error
        upstream = metadata.get("provider_name")
        prefix = f"{upstream}: " if isinstance(upstream, str) else ""
        error = {**error, "message": f"{error.get('message')} ({prefix}{metadata['raw']})"}
        body = {**body, "error": error}
    return body
