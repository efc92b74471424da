"""MCP both ways, on the official SDK (``pip install "agentkit-contracts[mcp]"``).

`MCPServer` serves a `agentkit.registry.Registry` or `agentkit.registry.Toolset` to MCP clients over stdio or
streamable HTTP; `MCPToolset` imports an MCP server's tools (a command started over stdio, or a URL) as an
agentkit toolset that an `agentkit.Agent` uses like any other.

This module imports (and ``help()`` renders it) without the ``mcp`` extra: the SDK is imported when a
`MCPServer` or `MCPToolset` is created, which raises `agentkit.exceptions.MissingExtraError` with the install
hint when it is missing. `normalise_schema` needs no SDK at all.

Examples:
    >>> from agentkit import tool
    >>> from agentkit.mcp import MCPServer
    >>> @tool
    ... def ping() -> str:
    ...     '''Check the service is up.'''
    ...     return "pong"
    >>> MCPServer([ping], name="ops")
    MCPServer('ops', 1 tools)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.mcp._schema import normalise_schema

if TYPE_CHECKING:
    from agentkit.mcp._client import MCPToolset
    from agentkit.mcp._server import MCPServer

__all__ = ("MCPServer", "MCPToolset", "normalise_schema")


def __getattr__(name: str) -> Any:
    # The classes' modules are light (the SDK loads when an instance is made); they load on first use, so
    # ``import agentkit.mcp`` costs nothing beyond the core.
    if name == "MCPServer":
        from agentkit.mcp._server import MCPServer

        return MCPServer
    if name == "MCPToolset":
        from agentkit.mcp._client import MCPToolset

        return MCPToolset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # List the lazy classes too, so help(), inspect.getmembers and IDEs see the whole public surface.
    return sorted(set(globals()) | set(__all__))
