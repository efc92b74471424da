"""``MCPServer``: a registry or toolset served to MCP clients over stdio or streamable HTTP."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import anyio

from agentkit.registry import Registry, Toolset
from agentkit.tools import RunContext, Tool
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import Iterable

    import mcp_types as types
    from mcp.server.context import ServerRequestContext
    from mcp.server.lowlevel.server import Server
    from mcp.server.session import ServerSession
    from starlette.applications import Starlette

__all__ = ("MCPServer",)

VERSION_META = "agentkit/version"
"""``_meta`` key of a listed tool holding its contract version."""
FINGERPRINT_META = "agentkit/fingerprint"
"""``_meta`` key of a listed tool holding its contract fingerprint."""


class MCPServer:
    """Serve agentkit tools to any MCP client: input and output schemas, hints, content, errors, progress.

    A `agentkit.registry.Registry` is served with every major version side by side, named as
    ``Registry.toolset(qualify=True, majors="all")`` names them (``travel_search_v1``, ``travel_search_v2``);
    a `agentkit.registry.Toolset` or a list of tools is served by the names it gives. Each call is validated by
    the tool itself: bad arguments come back as an ``isError`` result holding agentkit's repair hint, a
    ``ToolFailed`` as an ``isError`` result with its message, a crash as the generic failure text. A successful
    result carries its text, ``structuredContent`` when the contract has an object output schema, and images,
    audio and documents as MCP content parts. The tool's `agentkit.RunContext` reports progress to the
    client (`agentkit.RunContext.report_progress`), and a client's cancellation cancels the tool.

    Args:
        tools: What to serve.
        name: The server name clients see.
        version: The server version clients see (default: agentkit's).
        instructions: Instructions for the client's model.
        deps: ``RunContext.deps`` handed to tools that ask for a context.

    Examples:
        >>> import anyio
        >>> from mcp import Client
        >>> from agentkit import tool
        >>> from agentkit.mcp import MCPServer
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> async def main():
        ...     async with Client(MCPServer([add]).lowlevel) as client:
        ...         listed = await client.list_tools()
        ...         result = await client.call_tool("add", {"a": 1, "b": 2})
        ...         return [t.name for t in listed.tools], result.content[0].text
        >>> anyio.run(main)
        (['add'], '3')
    """

    def __init__(
        self,
        tools: Registry | Toolset | Iterable[Tool[Any, Any]],
        *,
        name: str = "agentkit",
        version: str | None = None,
        instructions: str | None = None,
        deps: Any = None,
    ) -> None:
        # The SDK is needed from here on: without the extra this raises MissingExtraError.
        from agentkit.mcp import _sdk

        if isinstance(tools, Registry):
            self.toolset = tools.toolset(qualify=True, majors="all")
        elif isinstance(tools, Toolset):
            self.toolset = tools
        else:
            self.toolset = Toolset(tools)
        self.deps = deps
        if version is None:
            from agentkit import __version__

            version = __version__
        self._bus = _sdk.InMemorySubscriptionBus()
        self._sessions: weakref.WeakSet[ServerSession] = weakref.WeakSet()
        self._listed: tuple[tuple[str, str], ...] = self._signature()
        self.lowlevel: Server[Any] = _sdk.LowLevelServer(
            name,
            version=version,
            instructions=instructions,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
            on_subscriptions_listen=_sdk.ListenHandler(self._bus),
        )
        """The underlying ``mcp.server.lowlevel.Server`` (for ``mcp.Client(server.lowlevel)`` in tests)."""

    # ------------------------------------------------------------------------------------------ tools/list

    def _signature(self) -> tuple[tuple[str, str], ...]:
        return tuple((t.contract.name, t.contract.fingerprint) for t in self.toolset.tools())

    def describe(self) -> list[types.Tool]:
        """The MCP ``Tool`` objects ``tools/list`` answers with (compiled by the ``mcp`` dialect).

        Examples:
            >>> from agentkit import ToolAnnotations, tool
            >>> from agentkit.mcp import MCPServer
            >>> @tool(annotations=ToolAnnotations(read_only=True))
            ... def now() -> str:
            ...     '''The time.'''
            ...     return "12:00"
            >>> listed = MCPServer([now]).describe()[0]
            >>> listed.name, listed.annotations.read_only_hint, listed.meta["agentkit/version"]
            ('now', True, '1.0.0')
        """
        from agentkit.mcp import _sdk

        dialect = get_dialect("mcp")
        out = []
        for item in self.toolset.tools():
            definition = dict(dialect.compile(item.contract).definition)
            definition["_meta"] = {
                VERSION_META: item.contract.version,
                FINGERPRINT_META: item.contract.fingerprint,
            }
            out.append(_sdk.types.Tool.model_validate(_thaw(definition)))
        return out

    async def _list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        from agentkit.mcp import _sdk

        self._sessions.add(ctx.session)
        return _sdk.types.ListToolsResult(tools=self.describe())

    # ------------------------------------------------------------------------------------------ tools/call

    async def _call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        from agentkit.mcp import _sdk

        self._sessions.add(ctx.session)
        try:
            item = self.toolset.get(params.name)
        except Exception as exc:  # ToolNotFoundError, with its "did you mean"
            return _sdk.error_result(str(exc))
        session = ctx.session

        async def progress(done: float, total: float | None, message: str | None) -> None:
            await session.report_progress(done, total, message)

        run_ctx: RunContext[Any] = RunContext(
            deps=self.deps,
            tool_call_id=None if ctx.request_id is None else str(ctx.request_id),
            progress=progress,
        )
        outcome = await item.invoke(params.arguments or {}, run_ctx)
        return _sdk.call_result(item, outcome)

    # ------------------------------------------------------------------------------------------ changes

    async def tools_changed(self) -> bool:
        """Tell connected clients the tool list changed, if it did since the last check.

        Call it after registering or removing tools while the server runs (`serve_stdio` and `serve_http`
        also check every ``watch_interval`` seconds). Returns whether a change was announced.

        Examples:
            >>> import anyio
            >>> from agentkit import Registry
            >>> from agentkit.mcp import MCPServer
            >>> registry = Registry()
            >>> server = MCPServer(registry)
            >>> _ = registry.register(lambda: "pong", namespace="ops") if False else None
            >>> anyio.run(server.tools_changed)
            False
        """
        signature = self._signature()
        if signature == self._listed:
            return False
        from agentkit.mcp import _sdk

        self._listed = signature
        await self._bus.publish(_sdk.ToolsListChanged())
        for session in list(self._sessions):
            await self._tell(session)
        return True

    async def _tell(self, session: ServerSession) -> None:
        try:
            await session.send_tool_list_changed()
        except Exception:  # a client that went away: nothing to tell
            self._sessions.discard(session)

    async def _watch(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            await self.tools_changed()

    # ------------------------------------------------------------------------------------------ transports

    async def serve_stdio(self, *, watch_interval: float | None = 1.0) -> None:
        """Serve over standard input and output until the client closes them.

        Args:
            watch_interval: Seconds between checks for a changed tool list (``None``: only `tools_changed`).
        """
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read, write), anyio.create_task_group() as tg:
            if watch_interval is not None:
                tg.start_soon(self._watch, watch_interval)
            await self.lowlevel.run(read, write, self.lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()

    def http_app(self, *, path: str = "/mcp", host: str = "127.0.0.1") -> Starlette:
        """A Starlette (ASGI) app serving streamable HTTP at ``path``; run it with any ASGI server.

        ``host`` is where it will listen: for a loopback host, DNS-rebinding protection admits only loopback
        ``Host`` and ``Origin`` headers.
        """
        return self.lowlevel.streamable_http_app(streamable_http_path=path, host=host)

    async def serve_http(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        path: str = "/mcp",
        watch_interval: float | None = 1.0,
    ) -> None:
        """Serve streamable HTTP with uvicorn at ``http://host:port/path`` until cancelled."""
        import uvicorn

        config = uvicorn.Config(
            self.http_app(path=path, host=host),
            host=host,
            port=port,
            log_level="warning",
            ws="none",  # streamable HTTP needs no websockets (nor their import's deprecation warnings)
        )
        async with anyio.create_task_group() as tg:
            if watch_interval is not None:
                tg.start_soon(self._watch, watch_interval)
            await uvicorn.Server(config).serve()
            tg.cancel_scope.cancel()

    def __repr__(self) -> str:
        return f"MCPServer({self.lowlevel.name!r}, {len(self.toolset)} tools)"


def _thaw(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_thaw(v) for v in value]
    return value
