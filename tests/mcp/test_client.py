"""`MCPToolset` against real servers: ours over stdio (death, reconnection, timeouts, errors) and in process."""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.server.lowlevel.server import Server

from agentkit import RunContext, ToolFailed
from agentkit.exceptions import ToolTimeout
from agentkit.mcp import MCPServer, MCPToolset
from agentkit.mcp._client import MCPConnectionError
from agentkit.mcp._sdk import tool_value

from .conftest import HERE, PEER, serve_command

pytestmark = pytest.mark.anyio


def peer(env: dict[str, str], **options: Any) -> MCPToolset:
    """The peer server as a stdio command."""
    return MCPToolset(serve_command(), namespace="peer", env=env, cwd=str(HERE), **options)


async def test_tools_are_namespaced_with_their_schemas_and_hints(peer_env: dict[str, str]) -> None:
    """The server's tools arrive as ``namespace_name`` with its input schema, output schema and hints."""
    async with peer(peer_env) as tools:
        assert "peer_calc_add_v2" in tools.names()
        v2 = tools.get("peer_calc_add_v2")
        assert v2.contract.namespace == "peer"
        assert v2.contract.input_schema["required"] == ["a", "b"]
        assert v2.contract.output_schema is not None
        assert v2.contract.annotations.idempotent is True
        assert "mcp" in v2.contract.tags
        assert repr(tools).startswith("MCPToolset(")
        assert "connected" in repr(tools)
        ok = await v2.invoke_json('{"a": 1, "b": 2, "c": 3}')
        plain = await tools.get("peer_calc_add_v1").invoke_json('{"a": 1, "b": 2}')
    assert ok.ok
    assert ok.value == {"sum": 6}
    assert json.loads(ok.content) == {"sum": 6}
    assert plain.content == "3"


async def test_is_error_becomes_tool_failed_and_bad_arguments_are_caught_locally(
    peer_env: dict[str, str],
) -> None:
    """An ``isError`` result is a failed call with the server's text; bad arguments get a local repair hint."""
    async with peer(peer_env) as tools:
        refused = await tools.get("peer_refuse").invoke_json('{"account": "A-9"}')
        bad = await tools.get("peer_calc_add_v1").invoke_json('{"a": "one"}')
    assert refused.status == "failed"  # ToolFailed: the tool's own message, for the model
    assert refused.content == "account A-9 is frozen"
    assert bad.status == "invalid_arguments"
    assert json.loads(bad.content)["tool"] == "peer_calc_add_v1"


async def test_a_dead_server_is_started_again_on_the_next_call(peer_env: dict[str, str]) -> None:
    """The call that kills the server fails; the next call starts a new server process and succeeds."""
    async with peer(peer_env) as tools:
        first = (await tools.get("peer_pid").invoke_json("{}")).value
        died = await tools.get("peer_die").invoke_json("{}")
        assert died.status == "failed"
        assert "closed the connection" in died.content
        second = await tools.get("peer_pid").invoke_json("{}")
        assert tools.connections == 2
        assert tools.last_error is not None
    assert second.ok
    assert int(first) != int(second.value)


async def test_an_idempotent_call_is_retried_once_after_the_server_died(
    peer_env: dict[str, str],
) -> None:
    """A call the server hints is idempotent is sent again on a new connection when the first one died."""
    async with peer(peer_env) as tools:
        outcome = await tools.get("peer_die_once").invoke_json("{}")
        assert tools.connections == 2
    assert outcome.ok
    assert outcome.content == "survived"


async def test_a_call_past_its_timeout_ends_as_a_tool_timeout(peer_env: dict[str, str]) -> None:
    """A call longer than ``call_timeout`` is a timeout outcome, and the connection still serves calls."""
    async with peer(peer_env, call_timeout=0.5) as tools:
        slow = await tools.get("peer_slow").invoke_json('{"seconds": 60}')
        quick = await tools.get("peer_calc_add_v1").invoke_json('{"a": 1, "b": 1}')
        assert tools.connections == 1
    assert slow.status == "timeout"
    assert isinstance(slow.error, ToolTimeout)
    assert quick.content == "2"


async def test_a_server_that_never_answers_fails_to_connect_in_time() -> None:
    """A command that never speaks MCP raises `MCPConnectionError` after ``connect_timeout``."""
    silent = [sys.executable, "-c", "import time; time.sleep(120)"]
    with pytest.raises(MCPConnectionError, match=r"did not connect within 0\.5s"):
        async with MCPToolset(silent, connect_timeout=0.5):
            pass  # pragma: no cover


async def test_a_command_that_exits_fails_to_connect() -> None:
    """A command that exits at once raises `MCPConnectionError` saying so."""
    with pytest.raises(MCPConnectionError, match=r"cannot connect|did not connect"):
        async with MCPToolset([sys.executable, "-c", "pass"], connect_timeout=30):
            pass  # pragma: no cover


async def test_calling_before_entering_is_a_clear_error() -> None:
    """Using the toolset outside ``async with`` says how to use it."""
    tools = MCPToolset("http://127.0.0.1:9/mcp")
    assert tools.names() == []
    with pytest.raises(MCPConnectionError, match="async with MCPToolset"):
        await tools.refresh()
    await tools.aclose()  # closing what never opened is a no-op


def test_an_empty_command_is_refused() -> None:
    """``MCPToolset([])`` names the problem."""
    from agentkit.exceptions import ToolDefinitionError

    with pytest.raises(ToolDefinitionError, match="at least the program"):
        MCPToolset([])


async def test_the_tool_list_follows_list_changed(peer_env: dict[str, str]) -> None:
    """A tool the server adds while connected appears in the toolset after the notification."""
    async with peer(peer_env) as tools:
        await tools.get("peer_grow").invoke_json('{"name": "sprout"}')
        with anyio.fail_after(30):
            while "peer_sprout" not in tools.names():  # noqa: ASYNC110  # names() is what a user polls
                await anyio.sleep(0.01)
        outcome = await tools.get("peer_sprout").invoke_json("{}")
    assert outcome.content == "I am sprout"


async def test_the_tool_list_follows_list_changed_on_a_handshake_era_connection() -> None:
    """In legacy mode the notification comes through the message handler and refreshes the list too."""
    async with MCPToolset(PEER.build().lowlevel, mode="legacy") as tools:
        await tools.get("grow").invoke_json('{"name": "shoot"}')
        with anyio.fail_after(30):
            while "shoot" not in tools.names():  # noqa: ASYNC110  # names() is what a user polls
                await anyio.sleep(0.01)


async def test_progress_reaches_the_calling_run_context() -> None:
    """Progress the server reports arrives at the caller's `RunContext.report_progress`."""
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with MCPToolset(PEER.build().lowlevel) as tools:
        ctx = RunContext(deps=None, progress=on_progress)
        outcome = await tools.get("count").invoke_json('{"to": 2}', ctx)
    assert outcome.content == "counted to 2"
    assert seen == [(1, 2, "1 of 2"), (2, 2, "2 of 2")]


async def test_media_and_resources_come_back_as_agentkit_parts() -> None:
    """Image, audio and embedded documents become agentkit media parts of the outcome."""
    async with MCPToolset(PEER.build().lowlevel) as tools:
        outcome = await tools.get("picture").invoke_json("{}")
    assert outcome.content == "three files"
    assert [part.kind for part in outcome.media] == ["image", "audio", "document"]
    assert outcome.media[0].data == b"\x89PNG"
    assert outcome.media[2].filename == "a.pdf"


def test_other_content_blocks_are_text() -> None:
    """Text resources and resource links read as text; a result with no content at all is empty text."""
    result = types.CallToolResult(
        content=[
            types.EmbeddedResource(
                resource=types.TextResourceContents(uri="file:///a.txt", text="alpha")
            ),
            types.ResourceLink(uri="file:///b.txt", name="b"),
        ]
    )
    assert tool_value(result) == "alpha\nb: file:///b.txt"
    assert tool_value(types.CallToolResult(content=[])) == ""
    with pytest.raises(ToolFailed, match="reported an error"):
        tool_value(types.CallToolResult(content=[], is_error=True))


async def test_malformed_schemas_are_normalised_and_unusable_ones_skipped() -> None:
    """Schemas without ``properties`` or ``items`` are completed; a tool whose schema is invalid is left out."""
    raw = [
        types.Tool(name="bare", input_schema={"type": "object"}),
        types.Tool(
            name="lists",
            input_schema={
                "type": "object",
                "properties": {"ids": {"type": "array"}, "opts": {"type": "object"}},
            },
            output_schema={"type": "object"},
        ),
        types.Tool(
            name="broken", input_schema={"type": "object", "properties": {"x": {"type": 7}}}
        ),
    ]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=raw)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = params.arguments or {}
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(arguments))], structured_content=arguments
        )

    server = Server("raw", on_list_tools=list_tools, on_call_tool=call_tool)
    async with MCPToolset(server) as tools:
        assert tools.names() == ["bare", "lists"]
        assert "broken" in tools.skipped
        bare = tools.get("bare").contract.input_schema
        lists = tools.get("lists").contract.input_schema
        assert bare == {"type": "object", "properties": {}}
        assert lists["properties"]["ids"] == {"type": "array", "items": {}}
        assert lists["properties"]["opts"] == {"type": "object", "properties": {}}
        assert tools.get("lists").contract.output_schema == {"type": "object", "properties": {}}
        outcome = await tools.get("lists").invoke_json('{"ids": [1, "x"]}')
    assert outcome.value == {"ids": [1, "x"]}


async def test_an_mcp_error_reply_is_a_failed_call() -> None:
    """A JSON-RPC error from the server (not ``isError``) is a failed call naming the code."""
    from mcp import MCPError

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[types.Tool(name="t", input_schema={"type": "object"})])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        raise MCPError(code=-32602, message="unknown tool")

    async with MCPToolset(Server("err", on_list_tools=list_tools, on_call_tool=call_tool)) as tools:
        outcome = await tools.get("t").invoke_json("{}")
    assert outcome.status == "failed"
    assert "-32602" in outcome.content


async def test_our_client_against_our_server_in_process_round_trips_versions() -> None:
    """Registry versions served side by side come back as separate tools."""
    async with MCPToolset(MCPServer(PEER.build().toolset).lowlevel, namespace="p") as tools:
        await tools.refresh()
        assert {"p_calc_add_v1", "p_calc_add_v2"} <= set(tools.names())
