"""Gemini errors: google.rpc error objects inside 200 streams, and a rejected API key (HTTP 400)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.exceptions import AuthenticationFailed
from agentkit.providers.gemini._wire import _RPC_STATUS, _key_rejected, _rpc_message

if TYPE_CHECKING:
    from agentkit.exceptions import ProviderError
    from agentkit.providers.gemini._provider import GeminiProvider


def inline_error(provider: GeminiProvider, error: Any) -> ProviderError:
    """The typed error for a google.rpc error object that came with HTTP 200 (see `GeminiProvider.inline_error`)."""
    err = error if isinstance(error, dict) else {"message": str(error)}
    code = err.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
        status = code
    else:
        status = _RPC_STATUS.get(str(err.get("status", "")).upper(), 500)
    return provider.inline_error_of(status, {"error": err})


def key_rejected(provider: GeminiProvider, status: int, body: Any) -> AuthenticationFailed | None:
    """``AuthenticationFailed`` when ``body`` says the API key is invalid or expired, else ``None``.

    Gemini answers a bad key with HTTP 400 ``INVALID_ARGUMENT`` whose ``google.rpc.ErrorInfo`` reason is
    ``API_KEY_INVALID`` (or ``API_KEY_EXPIRED``).
    """
    if not _key_rejected(body):
        return None
    return AuthenticationFailed(
        _rpc_message(body) or "the API key was rejected",
        provider=provider.system,
        model=provider.model,
        status_code=status,
    )
