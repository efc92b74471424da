"""MCP both ways, on the official SDK (``pip install "agentkit-contracts[mcp]"``).

`MCPServer` serves a `agentkit.registry.Registry` or `agentkit.registry.Toolset` to MCP clients over stdio or
streamable HTTP; `MCPToolset` imports an MCP server's tools (a command started over stdio, or a URL) as an
agentkit toolset that an `agentkit.Agent` uses like any other.

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

from agentkit.exceptions import MissingExtraError

try:
    import mcp  # noqa: F401  # the extra's presence, checked once with the install hint
except ImportError as exc:  # pragma: no cover - the test sessions install the extra
    raise MissingExtraError(extra="mcp", package="mcp") from exc

from agentkit.mcp._client import MCPToolset, normalise_schema
from agentkit.mcp._server import MCPServer

__all__ = ("MCPServer", "MCPToolset", "normalise_schema")
