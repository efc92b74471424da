"""What the run's events say about where it runs: the session it belongs to and the server a provider calls."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ("current_session_id", "in_session", "server_of")

_SESSION_ID: ContextVar[str | None] = ContextVar("agentkit_session_id", default=None)
_DEFAULT_PORTS = {"https": 443, "http": 80}


def current_session_id() -> str | None:
    """The id of the `agentkit.storage.Session` running the current task, if any."""
    return _SESSION_ID.get()


@contextlib.contextmanager
def in_session(session_id: str) -> Iterator[None]:
    """Runs started inside the block record ``session_id`` in their ``run.started`` event."""
    token = _SESSION_ID.set(session_id)
    try:
        yield
    finally:
        _SESSION_ID.reset(token)


def server_of(provider: Any) -> tuple[str | None, int | None]:
    """The host and port of the API root a provider calls, looking through wrappers (``.inner``).

    ``(None, None)`` when it has none (a fake, a fallback chain of several providers).
    """
    for _ in range(32):  # wrappers nest a few levels at most; never loop on a cycle
        base_url = getattr(provider, "base_url", None)
        if isinstance(base_url, str) and base_url:
            try:
                parts = urlsplit(base_url)
                port = parts.port
            except ValueError:
                return None, None
            if not parts.hostname:
                return None, None
            return parts.hostname, port if port is not None else _DEFAULT_PORTS.get(parts.scheme)
        inner = getattr(provider, "inner", None)
        if inner is None:
            break
        provider = inner
    return None, None
