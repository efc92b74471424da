"""Responses API errors: error objects sent with HTTP 200, and codes OpenAI files under another type.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.openai_responses import OpenAIResponsesProvider
    >>> from agentkit.testing._replay import ReplayTransport
    >>> replay = ReplayTransport.from_bodies([(429, {"error": {"type": "insufficient_quota",
    ...     "code": "insufficient_quota", "message": "You exceeded your current quota."}})])
    >>> provider = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test",
    ...                                    http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> try:
    ...     anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
    ... except Exception as exc:
    ...     print(type(exc).__name__, exc.retryable)
    RateLimited False
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.providers.openai_responses._wire import _PROMOTED_CODES

if TYPE_CHECKING:
    from agentkit.exceptions import ProviderError
    from agentkit.providers.openai_responses._provider import OpenAIResponsesProvider


def payload_error(provider: OpenAIResponsesProvider, error: Any) -> ProviderError:
    """The typed error for an error object sent with HTTP 200 (``response.failed``, an ``error`` event).

    Examples:
        >>> from agentkit.providers.openai_responses import OpenAIResponsesProvider
        >>> p = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test")
        >>> type(payload_error(p, {"code": "rate_limit_exceeded", "message": "slow down"})).__name__
        'RateLimited'
    """
    err = error if isinstance(error, dict) else {"message": str(error or "the response failed")}
    code = str(err.get("code") or err.get("type") or "").lower()
    if "quota" in code or "rate_limit" in code:
        status = 429
    elif code == "server_error" or not code:
        status = 500
    elif "not_found" in code:
        status = 404
    else:
        status = 400
    message = err.get("message") if isinstance(err.get("message"), str) else None
    payload = {
        "error": {
            "message": message or f"the response failed ({code or 'no error code'})",
            "type": err.get("type") or err.get("code"),
            "code": err.get("code"),
        }
    }
    return provider.inline_error_of(status, payload)


def promoted(body: Any) -> Any:
    """``body`` with a code the generic classifier knows by name (``model_not_found``...) as its error type.

    OpenAI files them under type ``invalid_request_error``.

    Examples:
        >>> promoted({"error": {"type": "invalid_request_error", "code": "model_not_found"}})["error"]["type"]
        'model_not_found'
    """
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") in _PROMOTED_CODES:
        assert isinstance(body, dict)  # narrowed with error
        body = {**body, "error": {**error, "type": error["code"]}}
    return body
