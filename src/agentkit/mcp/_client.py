"""``MCPToolset``: an MCP server's tools as an agentkit toolset, with timeouts and reconnection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import anyio

from agentkit._redact import SecretRedactor, secret_values
from agentkit.exceptions import (
    AgentkitError,
    ToolDefinitionError,
    ToolFailed,
    ToolTimeout,
    UsageError,
)
from agentkit.mcp._schema import normalise, normalise_schema
from agentkit.registry import Toolset
from agentkit.tools import JsonSchemaTool, RunContext, Tool, ToolAnnotations

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType

    import httpx2
    import mcp_types as types
    from anyio.abc import TaskGroup, TaskStatus
    from mcp import Client

__all__ = ("MCPConnectionError", "MCPToolset")

_LOST = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError)


class MCPConnectionError(AgentkitError):
    """An MCP server could not be reached (it did not start, answer or finish the handshake in time).

    Examples:
        >>> from agentkit.mcp._client import MCPConnectionError
        >>> str(MCPConnectionError("no answer from 'time' within 5s"))
        "no answer from 'time' within 5s"
    """

    _fields: ClassVar[tuple[str, ...]] = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MCPToolset(Toolset):
    """The tools of an MCP server as an agentkit `agentkit.registry.Toolset`, for an `agentkit.Agent`.

    ``server`` is a URL (streamable HTTP) or a command (a list: program and arguments) started over stdio. Use it
    as an async context manager: entering connects (within ``connect_timeout``) and lists the tools; the toolset
    then follows the server's ``tools/list_changed`` notifications. Tools are named ``namespace_name`` and keep
    the server's input schema (normalised by `normalise_schema`) and hints; arguments are validated locally with
    agentkit's repair hints before they are sent. A call that takes longer than ``call_timeout`` ends as a tool
    timeout, an ``isError`` result becomes ``ToolFailed`` with the server's text, and a server that died is
    started (or reconnected) again on the next call; a read-only or idempotent call is retried once at once.
    Every call is a tool call of the run, with its events (and spans, through the telemetry sinks).

    A URL server may need ``headers`` (``{"Authorization": "Bearer ..."}``) or an ``auth`` hook. Header values,
    ``secrets`` and credentials or query values in the URL are masked in every error message and tool result
    the toolset produces (so a server that echoes a token does not put it in the run's events); `label` shows the
    URL without them, and `secrets` returns them for your own redactor. A credential an ``auth`` hook adds is
    unknown to the toolset: pass it in ``secrets`` too.

    Args:
        server: An ``http(s)://`` URL, or the command and its arguments.
        namespace: Tool names become ``namespace_name``, and the contracts carry the namespace.
        env: Environment variables for a stdio server (added to the SDK's safe default environment).
        cwd: Working directory for a stdio server.
        headers: HTTP headers sent with every request to a URL server (authentication, tenant, ...).
        auth: An authentication hook for a URL server, used by the SDK's HTTP client (``httpx2``): an
            ``httpx2.Auth`` (OAuth flows, token refresh), a ``(user, password)`` pair, or a function that takes the
            ``httpx2.Request`` and returns it (adding a header, signing it).
        secrets: More values to mask like the headers' (the token an ``auth`` function adds, a credential a
            stdio server gets in ``env``).
        connect_timeout: Seconds to start, connect and list tools.
        call_timeout: Seconds one call may take (``None``: no limit).
        mode: The SDK's protocol negotiation (``"auto"``, ``"legacy"`` or a protocol version).

    Examples:
        >>> import anyio
        >>> from agentkit import tool
        >>> from agentkit.mcp import MCPServer, MCPToolset
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> async def main():
        ...     async with MCPToolset(MCPServer([add]).lowlevel, namespace="calc") as tools:
        ...         outcome = await tools.get("calc_add").invoke_json('{"a": 2, "b": 3}')
        ...         return tools.names(), outcome.content
        >>> anyio.run(main)
        (['calc_add'], '5')
    """

    def __init__(
        self,
        server: str | Sequence[str] | Any,
        *,
        namespace: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        connect_timeout: float = 30.0,
        call_timeout: float | None = 60.0,
        mode: str = "auto",
        headers: Mapping[str, str] | None = None,
        auth: httpx2.Auth
        | tuple[str, str]
        | Callable[[httpx2.Request], httpx2.Request]
        | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        # The SDK is needed from here on: without the extra this raises MissingExtraError.
        from agentkit.mcp import _sdk

        super().__init__(self._current)
        if isinstance(server, Sequence) and not isinstance(server, str):
            if not server:
                raise ToolDefinitionError("an MCP server command needs at least the program")
            command = [str(part) for part in server]
            self._target: Any = _sdk.StdioServerParameters(
                command=command[0],
                args=command[1:],
                env=None if env is None else {**_sdk.get_default_environment(), **env},
                cwd=cwd,
            )
            label = command[0]
        else:
            self._target = server
            label = _bare_url(server) if isinstance(server, str) else type(server).__name__
        if (headers or auth is not None) and not isinstance(self._target, str):
            raise UsageError(
                f"headers= and auth= are for an MCP server at a URL, not {label!r}; "
                "a stdio server takes its credentials in env="
            )
        self.label = label
        """The server as errors and ``repr`` name it: the program, or the URL without credentials or query."""
        self._headers = dict(headers or {})
        self._auth = auth
        self._redactor = SecretRedactor(
            secrets=[
                *_secrets_of(server if isinstance(server, str) else None, self._headers, auth),
                *secret_values(secrets, owner="MCPToolset(secrets=...)"),
            ],
            builtin_patterns=False,
        )
        self.namespace = namespace
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self.mode = mode
        self.connections = 0
        """How many times a connection was opened (1 after entering; more after reconnections)."""
        self.last_error: BaseException | None = None
        """What ended the last connection, when it did not end by closing the toolset."""
        self.skipped: dict[str, str] = {}
        """Server tools left out, by server name, with the reason (a schema agentkit cannot validate with)."""
        self._tools: list[Tool[Any, Any]] = []
        self._client: Client | None = None
        self._drop: anyio.Event | None = None
        self._lock = anyio.Lock()
        self._stack: AsyncExitStack | None = None
        self._tg: TaskGroup | None = None

    def secrets(self) -> frozenset[str]:
        """The values masked in this toolset's errors and results (header values, URL credentials), for redaction.

        Examples:
            >>> from agentkit.mcp import MCPToolset
            >>> tools = MCPToolset("https://mcp.example/mcp", headers={"Authorization": "Bearer tok-1234"})
            >>> sorted(tools.secrets())
            ['Bearer tok-1234', 'tok-1234']
            >>> tools
            MCPToolset('https://mcp.example/mcp', not connected, 0 tools)
        """
        return frozenset(self._redactor.secrets)

    def _mask(self, text: str) -> str:
        return self._redactor.redact_text(text) if self._redactor.secrets else text

    # ------------------------------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> MCPToolset:
        stack = AsyncExitStack()
        self._tg = await stack.enter_async_context(anyio.create_task_group())
        self._stack = stack
        try:
            await self.connect()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection (and stop a stdio server)."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if self._drop is not None:
            self._drop.set()
        assert self._tg is not None
        self._tg.cancel_scope.cancel()
        await stack.aclose()
        self._tg = None

    async def connect(self) -> None:
        """Connect (when not connected) and list the tools; `MCPConnectionError` if that takes too long."""
        async with self._lock:
            if self._client is not None:
                return
            if self._tg is None:
                raise MCPConnectionError(
                    f"use 'async with MCPToolset(...)' before calling the tools of {self.label!r}"
                )
            try:
                with anyio.fail_after(self.connect_timeout):
                    self._client, self._drop = await self._tg.start(self._hold)
                    await self._refresh(self._client)
            except TimeoutError:
                self._lost()
                raise MCPConnectionError(
                    f"MCP server {self.label!r} did not connect within {self.connect_timeout:g}s"
                ) from None
            except Exception as exc:
                self._lost()
                cause = _first(exc)
                raise MCPConnectionError(
                    self._mask(
                        f"cannot connect to MCP server {self.label!r}: {type(cause).__name__}: {cause}"
                    )
                ) from exc

    async def _hold(self, *, task_status: TaskStatus[tuple[Client, anyio.Event]]) -> None:
        from agentkit.mcp import _sdk

        drop = anyio.Event()
        started = False
        client: Client | None = None
        try:
            async with AsyncExitStack() as stack:
                client = _sdk.Client(
                    await self._transport(stack), mode=self.mode, message_handler=self._on_message
                )
                await stack.enter_async_context(client)
                tg = await stack.enter_async_context(anyio.create_task_group())
                self.connections += 1
                tools = client.server_capabilities.tools
                if (
                    client.protocol_version in _sdk.MODERN_PROTOCOL_VERSIONS
                    and tools
                    and tools.list_changed
                ):
                    await tg.start(self._listen, client)
                task_status.started((client, drop))
                started = True
                await drop.wait()
                tg.cancel_scope.cancel()
        except Exception as exc:
            if not started:
                raise
            self.last_error = exc  # the server died: the next call reconnects
        finally:
            if client is not None and self._client is client:
                self._lost()

    async def _transport(self, stack: AsyncExitStack) -> Any:
        """What ``mcp.Client`` connects to: the target, or for a URL with headers or auth, an HTTP transport."""
        if not (self._headers or self._auth is not None):
            return self._target
        from agentkit.mcp import _sdk

        http = await stack.enter_async_context(
            _sdk.create_mcp_http_client(headers=self._headers or None)
        )
        if self._auth is not None:
            http.auth = (
                self._auth
            )  # the client's setter takes every form (the factory only an Auth)
        return _sdk.streamable_http_client(self._target, http_client=http)

    async def _listen(self, client: Client, *, task_status: TaskStatus[None]) -> None:
        async with client.listen(tools_list_changed=True) as events:
            task_status.started()
            async for _ in events:
                await self._refresh(client)

    async def _on_message(self, message: Any) -> None:
        from agentkit.mcp import _sdk

        root = getattr(message, "root", message)
        if isinstance(root, _sdk.types.ToolListChangedNotification) and self._client is not None:
            client = self._client
            assert self._tg is not None
            self._tg.start_soon(self._refresh, client)

    def _lost(self) -> None:
        self._client = None
        if self._drop is not None:
            self._drop.set()
            self._drop = None

    # ------------------------------------------------------------------------------------------ tools

    def _current(self) -> list[Tool[Any, Any]]:
        return self._tools

    async def refresh(self) -> None:
        """List the server's tools again (done by itself on ``tools/list_changed``)."""
        await self.connect()
        assert self._client is not None
        await self._refresh(self._client)

    async def _refresh(self, client: Client) -> None:
        listed: list[types.Tool] = []
        cursor: str | None = None
        while True:
            page = await client.list_tools(cursor=cursor, cache_mode="refresh")
            listed.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        tools: list[Tool[Any, Any]] = []
        skipped: dict[str, str] = {}
        for remote in listed:
            wrapped = self._wrap_or_reason(remote)
            if isinstance(wrapped, str):
                skipped[remote.name] = wrapped
            else:
                tools.append(wrapped)
        self._tools = tools
        self.skipped = skipped

    def _wrap_or_reason(self, remote: types.Tool) -> Tool[Any, Any] | str:
        try:
            return self._wrap(remote)
        except ToolDefinitionError as exc:
            return str(exc)

    def _wrap(self, remote: types.Tool) -> Tool[Any, Any]:
        hints = remote.annotations
        annotations = None
        if hints is not None:
            annotations = ToolAnnotations(
                read_only=hints.read_only_hint,
                destructive=hints.destructive_hint,
                idempotent=hints.idempotent_hint,
                open_world=hints.open_world_hint,
            )
        output = remote.output_schema
        if output is not None:
            output = normalise(output)
        name = f"{self.namespace}_{remote.name}" if self.namespace else remote.name
        retry = bool(hints and (hints.read_only_hint or hints.idempotent_hint))
        remote_name = remote.name

        async def call(arguments: dict[str, Any], ctx: RunContext[Any]) -> Any:
            return await self._call(name, remote_name, arguments, ctx, retry=retry)

        return JsonSchemaTool(
            name=name,
            namespace=self.namespace,
            description=remote.description or remote.title or remote.name,
            input_schema=normalise_schema(remote.input_schema),
            output_schema=output,
            annotations=annotations,
            tags=("mcp",),
            handler=call,
        )

    async def _call(
        self,
        name: str,
        remote_name: str,
        arguments: dict[str, Any],
        ctx: RunContext[Any],
        *,
        retry: bool,
    ) -> Any:
        from agentkit.mcp import _sdk

        for attempt in (1, 2):
            await self.connect()
            client = self._client
            assert client is not None

            async def progress(progress: float, total: float | None, message: str | None) -> None:
                await ctx.report_progress(progress, total, message)

            try:
                result = await client.call_tool(
                    remote_name,
                    arguments,
                    read_timeout_seconds=self.call_timeout,
                    progress_callback=progress,
                )
            except _sdk.MCPError as exc:
                if exc.code == _sdk.REQUEST_TIMEOUT and self.call_timeout is not None:
                    raise ToolTimeout(tool_name=name, timeout=self.call_timeout) from exc
                if exc.code != _sdk.CONNECTION_CLOSED:
                    raise ToolFailed(self._mask(f"MCP error {exc.code}: {exc.message}")) from exc
                lost: BaseException = exc
            except _LOST as exc:
                lost = exc
            else:
                if not self._redactor.secrets:
                    return _sdk.tool_value(result)
                try:
                    return self._redactor.redact_value(_sdk.tool_value(result))
                except ToolFailed as failed:
                    raise ToolFailed(self._mask(str(failed))) from None
            self.last_error = lost
            if self._client is client:
                self._lost()
            if not retry or attempt == 2:
                raise ToolFailed(
                    f"the MCP server {self.label!r} closed the connection during the call; "
                    "it is reconnected for the next call"
                ) from lost
        raise AssertionError("unreachable")  # pragma: no cover

    def __repr__(self) -> str:
        state = "connected" if self._client is not None else "not connected"
        return f"MCPToolset({self.label!r}, {state}, {len(self._tools)} tools)"


def _first(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (what a reader needs to see), else the exception itself."""
    inner = getattr(exc, "exceptions", None)  # an exception group (a builtin from Python 3.11 on)
    while isinstance(inner, tuple) and inner and isinstance(inner[0], BaseException):
        exc = inner[0]
        inner = getattr(exc, "exceptions", None)
    return exc


def _bare_url(url: str) -> str:
    """``url`` without user information, query or fragment (what may carry a credential)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _secrets_of(url: str | None, headers: Mapping[str, str], auth: Any) -> list[str]:
    """The values to mask: header values (and the credential after an auth scheme), URL credentials and query."""
    found: list[str] = []
    for value in headers.values():
        found.append(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.isalpha():
            found.append(credential.strip())
    if isinstance(auth, tuple):
        found.extend(str(part) for part in auth[1:])
    if url is not None:
        parts = urlsplit(url)
        if parts.password:
            found.append(parts.password)
        found.extend(value for _, value in parse_qsl(parts.query))
    return sorted({value for value in found if len(value) >= 4})
