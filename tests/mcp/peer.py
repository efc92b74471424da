"""The agentkit MCP server the MCP tests talk to: ``agentkit mcp serve peer:server`` from this directory.

Its tools cover every ending of a call (a value, structured output, media, a repair hint, ``ToolFailed``, a crash),
progress, a slow call, a server that dies (always, or once: ``PEER_MARKER`` names the file that remembers it) and
a tool list that grows while clients are connected.
"""

from __future__ import annotations

import os
from typing import Any

import anyio

from agentkit import Registry, RunContext, ToolAnnotations, ToolFailed, tool
from agentkit.mcp import MCPServer
from agentkit.messages import AudioPart, DocumentPart, ImagePart


def build() -> MCPServer:
    """A fresh server with its own registry (tests in one process must not share a growing list)."""
    registry = Registry()

    @registry.tool(namespace="calc", version="1.0.0", annotations=ToolAnnotations(read_only=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @tool(version="2.0.0", annotations=ToolAnnotations(read_only=True, idempotent=True))
    def add_v2(a: int, b: int, c: int = 0) -> dict[str, int]:
        """Add up to three integers."""
        return {"sum": a + b + c}

    registry.register(add_v2.renamed("add"), namespace="calc")

    @registry.tool
    def refuse(account: str) -> str:
        """Close an account."""
        raise ToolFailed(f"account {account} is frozen")

    @registry.tool
    def crash() -> str:
        """Always crashes."""
        raise RuntimeError("database password is hunter2")

    @registry.tool
    def picture() -> list[Any]:
        """A picture, a sound and a document."""
        return [
            "three files",
            ImagePart(data=b"\x89PNG", media_type="image/png"),
            AudioPart(data=b"RIFF", media_type="audio/wav"),
            DocumentPart(data=b"%PDF-1.7", media_type="application/pdf", filename="a.pdf"),
        ]

    @registry.tool
    async def count(to: int, ctx: RunContext[Any]) -> str:
        """Count, reporting progress."""
        for i in range(1, to + 1):
            await ctx.report_progress(i, to, f"{i} of {to}")
        return f"counted to {to}"

    @registry.tool
    async def slow(seconds: float) -> str:
        """Sleep, then answer."""
        await anyio.sleep(seconds)
        return "done"

    @registry.tool
    def pid() -> int:
        """The server's process id."""
        return os.getpid()

    @registry.tool
    def die() -> str:
        """The server process exits at once."""
        os._exit(3)

    @registry.tool(annotations=ToolAnnotations(idempotent=True))
    def die_once() -> str:
        """The first call (per marker file) kills the server; the next answers."""
        marker = os.environ["PEER_MARKER"]
        if not os.path.exists(marker):
            with open(marker, "w") as f:
                f.write("died")
            os._exit(3)
        return "survived"

    @registry.tool
    async def grow(name: str) -> str:
        """Register a new tool, and tell connected clients."""

        def extra() -> str:
            return f"I am {name}"

        registry.register(tool(name=name, description=f"The {name} tool.")(extra))
        await server.tools_changed()
        return "grown"

    server = MCPServer(registry, name="peer")
    return server


server = build()
