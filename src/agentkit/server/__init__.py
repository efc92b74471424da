"""Tools and agent runs over HTTP: a FastAPI service (``agentkit-contracts[server]``) and a client toolset for it.

`create_app` serves a registry's tools (list, contracts in any dialect, invoke; an OpenAPI operation per tool
version) and agents' runs (start, stream events as SSE, approve paused calls, read stored runs, continue
sessions), with authentication, size and rate limits, problem-details errors and redaction by default.
`RemoteToolset` uses another agentkit service's tools as if they were local (it needs only httpx).

Examples:
    >>> from agentkit import tool
    >>> from agentkit.server import APIKeys, create_app
    >>> @tool
    ... def echo(text: str) -> str:
    ...     '''Echo text back.'''
    ...     return text
    >>> app = create_app(tools=[echo], auth=APIKeys({"secret-key-1": "me"}))
    >>> app.title
    'agentkit'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.server._auth import APIKeys, AuthChecker, NoAuth
from agentkit.server._limits import ServerLimits
from agentkit.server._remote import RemoteToolset

if TYPE_CHECKING:
    from agentkit.server._app import create_app

__all__ = ("APIKeys", "AuthChecker", "NoAuth", "RemoteToolset", "ServerLimits", "create_app")


def __getattr__(name: str) -> Any:
    # FastAPI loads only when the app is built: RemoteToolset needs httpx alone.
    if name == "create_app":
        from agentkit.server._app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # List the lazy create_app too, so help(), inspect.getmembers and IDEs see the whole public surface.
    return sorted(set(globals()) | set(__all__))
