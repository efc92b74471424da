"""Who may call the service: the `AuthChecker` protocol, `APIKeys`, and the explicit opt-out `NoAuth`."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ("APIKeys", "AuthChecker", "NoAuth")


@runtime_checkable
class AuthChecker(Protocol):
    """Decides whether a request's credential is valid, and names the client it belongs to.

    The service reads the credential from ``Authorization: Bearer <token>`` or ``X-API-Key: <key>`` and calls
    `authenticate` with it; a ``None`` answer is a 401. The client's name keys the per-client rate limit. Verify
    JWTs, look keys up in a database...: anything with this method fits (keep it fast, it runs on every request).

    Examples:
        >>> from agentkit.server import APIKeys, AuthChecker
        >>> isinstance(APIKeys({"k-123": "billing"}), AuthChecker)
        True
    """

    def authenticate(self, credential: str) -> str | None:
        """The client's name for a valid ``credential``, else ``None``."""


class APIKeys:
    """Accept a fixed set of API keys (or bearer tokens), compared in constant time.

    Args:
        keys: The accepted keys: a mapping from key to the client's name, or an iterable of keys (each client
            is then named ``client-1``, ``client-2``... in key order, never by the key itself).

    Examples:
        >>> from agentkit.server import APIKeys
        >>> keys = APIKeys({"k-123": "billing"})
        >>> keys.authenticate("k-123"), keys.authenticate("nope")
        ('billing', None)
        >>> keys
        APIKeys(1 key)
    """

    def __init__(self, keys: Mapping[str, str] | Iterable[str]) -> None:
        if isinstance(keys, str):
            raise UsageError(
                "APIKeys needs a collection of keys, not one string; use APIKeys([key])"
            )
        if hasattr(keys, "items"):
            pairs = [(str(k), str(v)) for k, v in keys.items()]
        else:
            pairs = [(str(k), f"client-{i}") for i, k in enumerate(keys, start=1)]
        if not pairs:
            raise UsageError(
                "APIKeys needs at least one key; to serve without authentication pass auth=NoAuth()"
            )
        if any(not key for key, _ in pairs):
            raise UsageError("APIKeys: an API key cannot be empty")
        self._keys = [(key.encode(), name) for key, name in pairs]

    def authenticate(self, credential: str) -> str | None:
        """The client's name when ``credential`` is one of the keys, else ``None``."""
        given = credential.encode()
        found: str | None = None
        for (
            key,
            name,
        ) in self._keys:  # every key is compared, so timing says nothing about which matched
            if hmac.compare_digest(given, key):
                found = name
        return found

    def __repr__(self) -> str:
        count = len(self._keys)
        return f"APIKeys({count} key{'s' if count != 1 else ''})"


class NoAuth:
    """Serve without authentication: the explicit opt-out (``auth=None`` is refused, so it is never an accident).

    Every request is then from the client named by its address, for the rate limit.

    Examples:
        >>> from agentkit.server import NoAuth
        >>> NoAuth()
        NoAuth()
    """

    def __repr__(self) -> str:
        return "NoAuth()"
