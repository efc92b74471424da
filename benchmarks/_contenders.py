"""Adapters: how each contender defines the representative tool and turns a model's raw JSON into model-facing text.

Every adapter exposes the same four hooks, each built once, outside the timed loop:

* ``valid_async()`` / ``valid_sync()`` / ``invalid()`` return ``async def call(raw: str) -> str`` — from the raw
  JSON arguments a model sent to the text the model gets back (the serialized result, or the error it would see);
* ``define()`` returns ``def define() -> dict``: define the tool from the function with the contender's decorator
  and produce the JSON schema sent to the model.

Each peer uses its own public way to do this (see the README for the exact calls). A peer that cannot be imported
or built is reported as unavailable with the reason, and the run goes on without it.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import _tool
import anyio.to_thread
from pydantic import ValidationError

AsyncCall = Callable[[str], Awaitable[str]]
DefineCall = Callable[[], Any]

__all__ = ("Contender", "build_contenders")


@dataclass
class Contender:
    """One row of the tables: a name, its package versions, and a factory per scenario (``None`` = not run)."""

    name: str
    versions: dict[str, str]
    valid_async: Callable[[], AsyncCall] | None = None
    valid_sync: Callable[[], AsyncCall] | None = None
    invalid: Callable[[], AsyncCall] | None = None
    define: Callable[[], DefineCall] | None = None
    unavailable: str | None = None
    notes: list[str] = field(default_factory=list)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:160]


# ----------------------------------------------------------------------------------------------------- floor


def _floor() -> Contender:
    """pydantic-core ``validate_json`` on the raw string, call the function, ``dump_json`` of the result."""
    validate_json = _tool.BookTripArgs.__pydantic_validator__.validate_json
    to_json = _tool.Booking.__pydantic_serializer__.to_json

    def valid_async() -> AsyncCall:
        fn = _tool.book_trip

        async def call(raw: str) -> str:
            args = validate_json(raw)
            return to_json(await fn(**args.__dict__)).decode()

        return call

    def valid_sync() -> AsyncCall:
        fn = _tool.book_trip_sync

        async def call(raw: str) -> str:
            args = validate_json(raw)
            return to_json(fn(**args.__dict__)).decode()

        return call

    def invalid() -> AsyncCall:
        async def call(raw: str) -> str:
            try:
                validate_json(raw)
            except ValidationError as exc:
                return exc.json(include_url=False)
            raise AssertionError("the invalid payload validated")

        return call

    def define() -> DefineCall:
        return _tool.define_floor

    return Contender(
        "floor (bare pydantic)",
        {"pydantic": _version("pydantic"), "pydantic-core": _version("pydantic-core")},
        valid_async,
        valid_sync,
        invalid,
        define,
    )


def _floor_thread() -> Contender:
    """The floor with the sync function sent to a worker thread: the price of not blocking the event loop."""
    validate_json = _tool.BookTripArgs.__pydantic_validator__.validate_json
    to_json = _tool.Booking.__pydantic_serializer__.to_json
    run_sync = anyio.to_thread.run_sync

    def valid_sync() -> AsyncCall:
        fn = _tool.book_trip_sync

        async def call(raw: str) -> str:
            kwargs = validate_json(raw).__dict__
            return to_json(await run_sync(lambda: fn(**kwargs))).decode()

        return call

    return Contender("floor + worker thread", {"anyio": _version("anyio")}, valid_sync=valid_sync)


# ----------------------------------------------------------------------------------------------------- agentkit


def _agentkit(*, blocking: bool) -> Contender:
    """``@tool`` + ``await tool.invoke_json(raw)`` → ``outcome.content``."""
    from agentkit import tool

    def make(fn: Callable[..., Any], **options: Any) -> AsyncCall:
        t = tool(**options)(fn) if options else tool(fn)
        invoke_json = t.invoke_json

        async def call(raw: str) -> str:
            return (await invoke_json(raw)).content

        return call

    def define() -> DefineCall:
        def run() -> Any:
            return tool(_tool.book_trip).contract.input_schema

        return run

    versions = {"agentkit": _version("agentkit-contracts")}
    if blocking:
        return Contender(
            "agentkit",
            versions,
            valid_async=lambda: make(_tool.book_trip),
            valid_sync=lambda: make(_tool.book_trip_sync),
            invalid=lambda: make(_tool.book_trip),
            define=define,
            notes=["sync tools run in a worker thread (the default, blocking=True)"],
        )
    return Contender(
        "agentkit (blocking=False)",
        versions,
        valid_sync=lambda: make(_tool.book_trip_sync, blocking=False),
        notes=["sync tool declared non-blocking: runs inline on the event loop"],
    )


# ----------------------------------------------------------------------------------------------------- peers


def _pydantic_ai() -> Contender:
    """``pydantic_ai.Tool(fn)``; its function schema validates the raw JSON and calls the function.

    The result becomes model text through ``ToolReturnPart.model_response_str()``; a validation error through a
    ``ToolReturnPart(outcome="retried")`` carrying ``exc.errors(...)``, as pydantic-ai's own tool manager builds it.
    """
    from pydantic_ai import Tool
    from pydantic_ai.messages import ToolReturnPart

    def make(fn: Callable[..., Any]) -> AsyncCall:
        t = Tool(fn, takes_ctx=False)
        schema = t.function_schema
        validate_json = schema.validator.validate_json
        call_fn = schema.call
        name = t.name

        async def call(raw: str) -> str:
            try:
                args = validate_json(raw or "{}", allow_partial="off")
            except ValidationError as exc:
                errors = exc.errors(include_url=False, include_context=False)
                part = ToolReturnPart(
                    tool_name=name, content=errors, tool_call_id="call_1", outcome="retried"
                )
                return part.model_response_str()
            result = await call_fn(args, None)  # type: ignore[arg-type]  # takes_ctx=False: ctx unused
            part = ToolReturnPart(tool_name=name, content=result, tool_call_id="call_1")
            return part.model_response_str()

        return call

    def define() -> DefineCall:
        def run() -> Any:
            return Tool(_tool.book_trip, takes_ctx=False).tool_def.parameters_json_schema

        return run

    return Contender(
        "pydantic-ai-slim",
        {"pydantic-ai-slim": _version("pydantic-ai-slim")},
        valid_async=lambda: make(_tool.book_trip),
        valid_sync=lambda: make(_tool.book_trip_sync),
        invalid=lambda: make(_tool.book_trip),
        define=define,
        notes=["sync tools run in a worker thread"],
    )


def _openai_agents() -> Contender:
    """``agents.function_tool(fn)`` + ``await tool.on_invoke_tool(ToolContext(...), raw)``.

    The output becomes model text through ``ItemHelpers.tool_call_output_item`` (what the runner sends back); an
    invalid call comes back from ``on_invoke_tool`` as the default failure-error text.
    """
    import logging

    from agents import ItemHelpers, function_tool, set_tracing_disabled
    from agents.tool_context import ToolContext
    from openai.types.responses import ResponseFunctionToolCall

    set_tracing_disabled(True)  # no exporter, no network: we measure the tool path only
    # Its per-error log line would flood stderr during the invalid-arguments scenario.
    logging.getLogger("openai.agents").setLevel(logging.CRITICAL)

    def make(fn: Callable[..., Any]) -> AsyncCall:
        t = function_tool(fn)
        on_invoke = t.on_invoke_tool
        name = t.name

        async def call(raw: str) -> str:
            ctx = ToolContext(
                context=None, tool_name=name, tool_call_id="call_1", tool_arguments=raw
            )
            output = await on_invoke(ctx, raw)
            if isinstance(output, str):
                return output
            tool_call = ResponseFunctionToolCall(
                arguments=raw, call_id="call_1", name=name, type="function_call"
            )
            item = ItemHelpers.tool_call_output_item(tool_call, output)
            return str(item["output"])

        return call

    def define() -> DefineCall:
        def run() -> Any:
            return function_tool(_tool.book_trip).params_json_schema

        return run

    return Contender(
        "openai-agents",
        {"openai-agents": _version("openai-agents")},
        valid_async=lambda: make(_tool.book_trip),
        valid_sync=lambda: make(_tool.book_trip_sync),
        invalid=lambda: make(_tool.book_trip),
        define=define,
        notes=[
            "arguments parsed with json.loads then validated from the dict; sync tools run via asyncio.to_thread",
            "a non-str result is sent as str(result), not JSON",
        ],
    )


def _langchain() -> Contender:
    """``langchain_core.tools.tool(fn)`` + ``await t.ainvoke(tool_call)`` with the arguments ``json.loads``-ed.

    Chat models hand langchain tools a parsed ``dict`` (``AIMessage.tool_calls``), so ``json.loads`` is part of its
    path. Invoked with a ``ToolCall`` the tool returns a ``ToolMessage`` whose ``content`` is the model text. A
    validation error raises; the text is what LangGraph's ``ToolNode`` sends by default.
    """
    from langchain_core.tools import tool
    from langchain_core.utils.function_calling import convert_to_openai_tool

    def make(fn: Callable[..., Any]) -> AsyncCall:
        t = tool(fn)
        ainvoke = t.ainvoke
        name = t.name
        loads = json.loads

        async def call(raw: str) -> str:
            tool_call = {"name": name, "args": loads(raw), "id": "call_1", "type": "tool_call"}
            try:
                message = await ainvoke(tool_call)
            except ValidationError as exc:
                return f"Error: {exc!r}\n Please fix your mistakes."
            return (
                message.content if isinstance(message.content, str) else json.dumps(message.content)
            )

        return call

    def define() -> DefineCall:
        def run() -> Any:
            return convert_to_openai_tool(tool(_tool.book_trip))

        return run

    return Contender(
        "langchain-core",
        {"langchain-core": _version("langchain-core")},
        valid_async=lambda: make(_tool.book_trip),
        valid_sync=lambda: make(_tool.book_trip_sync),
        invalid=lambda: make(_tool.book_trip),
        define=define,
        notes=[
            "arguments parsed with json.loads; sync tools run in an executor under ainvoke",
            "unknown fields are dropped silently (no error for them)",
        ],
    )


def _mcp() -> Contender:
    """The MCP SDK's server: ``MCPServer`` (``FastMCP`` before mcp 2) ``.tool()`` + ``await server.call_tool``.

    ``call_tool`` runs the tool manager's ``Tool.run`` with ``convert_result=True`` and returns the
    ``CallToolResult`` the client receives; the model text is its content. JSON-RPC hands the server parsed
    arguments, so ``json.loads`` is part of the path. A validation error raises ``ToolError``, whose message the
    server sends back as an error result.
    """
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError:  # mcp < 2
        from mcp.server.fastmcp import FastMCP as MCPServer  # type: ignore[no-redef]
    try:
        from mcp.server.mcpserver.exceptions import ToolError
        from mcp.server.mcpserver.tools import Tool as McpTool
    except ImportError:  # mcp < 2
        from mcp.server.fastmcp.exceptions import ToolError  # type: ignore[no-redef]
        from mcp.server.fastmcp.tools import Tool as McpTool  # type: ignore[no-redef]

    def make(fn: Callable[..., Any]) -> AsyncCall:
        server = MCPServer("bench")
        server.tool()(fn)
        call_tool = server.call_tool
        name = fn.__name__
        loads = json.loads

        async def call(raw: str) -> str:
            try:
                result = await call_tool(name, loads(raw))
            except ToolError as exc:
                return str(exc)
            if isinstance(result, tuple):  # mcp 1.x: (content blocks, structured content)
                result = result[0]
                return "".join(getattr(block, "text", "") for block in result)
            return "".join(getattr(block, "text", "") for block in result.content)

        return call

    def define() -> DefineCall:
        def run() -> Any:
            return McpTool.from_function(_tool.book_trip).parameters

        return run

    return Contender(
        "mcp (MCPServer/FastMCP)",
        {"mcp": _version("mcp")},
        valid_async=lambda: make(_tool.book_trip),
        valid_sync=lambda: make(_tool.book_trip_sync),
        invalid=lambda: make(_tool.book_trip),
        define=define,
        notes=["arguments parsed with json.loads; sync tools run in a worker thread"],
    )


def build_contenders() -> list[Contender]:
    """All contenders, the floor first; peers that cannot be imported come back marked unavailable."""
    contenders = [_floor(), _floor_thread()]
    factories: list[tuple[str, str, Callable[[], Contender]]] = [
        ("agentkit", "agentkit", lambda: _agentkit(blocking=True)),
        ("agentkit (blocking=False)", "agentkit", lambda: _agentkit(blocking=False)),
        ("pydantic-ai-slim", "pydantic-ai-slim", _pydantic_ai),
        ("openai-agents", "openai-agents", _openai_agents),
        ("langchain-core", "langchain-core", _langchain),
        ("mcp (MCPServer/FastMCP)", "mcp", _mcp),
    ]
    for name, dist, factory in factories:
        try:
            contenders.append(factory())
        # Any import or build failure is reported, never crashes the run.
        except Exception as exc:  # noqa: PERF203 - once per peer, at start-up
            contenders.append(Contender(name, {dist: _version(dist)}, unavailable=_reason(exc)))
    return contenders
