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
    from collections.abc import Mapping, Sequence

    from fastapi import FastAPI

    from agentkit.registry import Registry, Toolset
    from agentkit.runtime import Agent
    from agentkit.storage import EventStore
    from agentkit.tools import Tool

__all__ = ("APIKeys", "AuthChecker", "NoAuth", "RemoteToolset", "ServerLimits", "create_app")


def create_app(
    *,
    tools: Registry | Toolset | Sequence[Tool[Any, Any]] | None = None,
    agents: Agent[Any, Any]
    | Mapping[str, Agent[Any, Any]]
    | Sequence[Agent[Any, Any]]
    | None = None,
    store: EventStore | None = None,
    auth: AuthChecker | NoAuth | None,
    limits: ServerLimits | None = None,
    cors_origins: Sequence[str] = (),
    title: str = "agentkit",
) -> FastAPI:
    """A FastAPI application serving tools and agent runs over HTTP.

    Tool endpoints (``/v1/tools``) list the tools, return a contract in any schema dialect and invoke a tool
    with the outcome model of ``Tool.invoke_json``; the OpenAPI document (``/openapi.json``) has one operation
    per tool version, its request body the contract's input schema. Agent endpoints (``/v1/runs``,
    ``/v1/sessions``) start runs in the background, stream their events as server-sent events, take approval
    decisions for paused runs and read stored runs; the ``store`` is the source of truth, so another process
    (or a restarted one) on the same store can read and resume the runs.

    Defaults are the production ones: every ``/v1`` request needs a credential the ``auth`` checker accepts
    (``Authorization: Bearer ...`` or ``X-API-Key``); request bodies are capped and each client is rate-limited
    (`ServerLimits`); CORS is off unless ``cors_origins`` names origins; every error is an RFC 9457 problem
    (``application/problem+json``) without a stack trace; responses and event streams pass through a redactor
    that knows the API keys and the agents' provider secrets. On shutdown, running runs get
    ``limits.shutdown_grace`` seconds to finish, then are cancelled with their events stored.

    Args:
        tools: The tools to serve: a `agentkit.Registry` (every version), a `agentkit.Toolset` or a list.
        agents: The agents to run: one, a list (keyed by ``agent.name``) or a mapping from name to agent.
        store: Where runs are kept (a `agentkit.storage.SQLiteStore` to survive restarts); a
            `agentkit.storage.MemoryStore` when omitted.
        auth: Who may call: `APIKeys`, your own `AuthChecker`, or `NoAuth` to opt out explicitly. Required.
        limits: Body size, rate and concurrency limits, and the shutdown grace period.
        cors_origins: Origins allowed to call from a browser (none by default: CORS off).
        title: The OpenAPI document's title.

    Raises:
        UsageError: ``auth`` is ``None`` (pass `NoAuth` to serve without authentication), or two agents share
            a name.

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.server import APIKeys, create_app
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> app = create_app(tools=[add], auth=APIKeys({"k-1": "me"}))
        >>> sorted(app.openapi()["paths"])[:3]
        ['/health', '/v1/runs', '/v1/runs/{run_id}']
        >>> "/v1/tools/add/versions/1.0.0/invoke" in app.openapi()["paths"]
        True
    """
    # FastAPI loads only when an app is built: this module (and RemoteToolset) imports without the extra.
    from agentkit.server._app import create_app as build

    return build(
        tools=tools,
        agents=agents,
        store=store,
        auth=auth,
        limits=limits,
        cors_origins=cors_origins,
        title=title,
    )
