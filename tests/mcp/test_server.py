"""The official MCP client against `MCPServer`, in process: listing, every ending of a call, progress, changes."""

from __future__ import annotations

import base64
import json
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client

from agentkit import Registry, RunContext, tool
from agentkit.mcp import MCPServer
from agentkit.registry import Toolset

from .conftest import PEER

pytestmark = pytest.mark.anyio


def text(result: types.CallToolResult) -> str:
    (block,) = [b for b in result.content if isinstance(b, types.TextContent)]
    return block.text


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """The 2026 per-request protocol and the handshake era both work."""
    return str(request.param)


async def test_tools_list_carries_schemas_hints_and_versions_side_by_side(mode: str) -> None:
    """Each major version is listed by the registry's name for it, with the contract's schemas and hints."""
    server = PEER.build()
    async with Client(server.lowlevel, mode=mode) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    assert {"calc_add_v1", "calc_add_v2", "refuse", "count", "grow"} <= set(listed)
    v1, v2 = listed["calc_add_v1"], listed["calc_add_v2"]
    assert v1.input_schema["properties"] == {
        "a": {"type": "integer"},
        "b": {"type": "integer"},
    }
    assert v1.output_schema is None  # an integer result is not an object: text only
    assert v2.output_schema is not None
    assert v2.output_schema["type"] == "object"
    assert v1.annotations is not None
    assert v1.annotations.read_only_hint is True
    assert v2.annotations is not None
    assert v2.annotations.idempotent_hint is True
    assert v1.meta is not None
    assert v1.meta["agentkit/version"] == "1.0.0"
    assert v2.meta is not None
    assert v2.meta["agentkit/version"] == "2.0.0"
    assert str(v2.meta["agentkit/fingerprint"]).startswith("sha256:")


async def test_results_carry_text_and_structured_content(mode: str) -> None:
    """A plain result is text; an object result is text plus ``structuredContent`` matching the output schema."""
    server = PEER.build()
    async with Client(server.lowlevel, mode=mode) as client:
        plain = await client.call_tool("calc_add_v1", {"a": 1, "b": 2})
        structured = await client.call_tool("calc_add_v2", {"a": 1, "b": 2, "c": 3})
    assert not plain.is_error
    assert text(plain) == "3"
    assert plain.structured_content is None
    assert structured.structured_content == {"sum": 6}
    assert json.loads(text(structured)) == {"sum": 6}


async def test_bad_arguments_come_back_as_is_error_with_the_repair_hint(mode: str) -> None:
    """Arguments that do not validate give an ``isError`` result holding agentkit's repair hint."""
    server = PEER.build()
    async with Client(server.lowlevel, mode=mode) as client:
        result = await client.call_tool("calc_add_v1", {"a": 1, "bb": 2})
    assert result.is_error
    hint = json.loads(text(result))
    assert hint["error"] == "invalid_arguments"
    assert {"path": "bb", "did_you_mean": "b"}.items() <= hint["issues"][-1].items()


async def test_tool_failed_and_crashes_are_is_error_without_internals() -> None:
    """``ToolFailed`` reaches the client with its message; a crash only as the generic failure text."""
    server = PEER.build()
    async with Client(server.lowlevel) as client:
        refused = await client.call_tool("refuse", {"account": "A-1"})
        crashed = await client.call_tool("crash", {})
        unknown = await client.call_tool("no_such_tool", {})
    assert refused.is_error
    assert text(refused) == "account A-1 is frozen"
    assert crashed.is_error
    assert "hunter2" not in text(crashed)
    assert "internal error" in text(crashed)
    assert unknown.is_error
    assert "no_such_tool" in text(unknown)


async def test_media_goes_out_as_image_audio_and_resource_parts() -> None:
    """Images, audio and documents a tool returns become MCP image, audio and embedded-resource content."""
    server = PEER.build()
    async with Client(server.lowlevel) as client:
        result = await client.call_tool("picture", {})
    first, image, audio, doc = result.content
    assert isinstance(first, types.TextContent)
    assert first.text == "three files"
    assert isinstance(image, types.ImageContent)
    assert image.mime_type == "image/png"
    assert base64.b64decode(image.data) == b"\x89PNG"
    assert isinstance(audio, types.AudioContent)
    assert audio.mime_type == "audio/wav"
    assert isinstance(doc, types.EmbeddedResource)
    assert isinstance(doc.resource, types.BlobResourceContents)
    assert base64.b64decode(doc.resource.blob) == b"%PDF-1.7"
    assert str(doc.resource.uri).endswith("a.pdf")


async def test_progress_reaches_the_client(mode: str) -> None:
    """``RunContext.report_progress`` inside the tool arrives at the client's progress callback."""
    server = PEER.build()
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(server.lowlevel, mode=mode) as client:
        result = await client.call_tool("count", {"to": 3}, progress_callback=on_progress)
    assert text(result) == "counted to 3"
    assert seen == [(1, 3, "1 of 3"), (2, 3, "2 of 3"), (3, 3, "3 of 3")]


async def test_a_cancelled_call_cancels_the_tool(mode: str) -> None:
    """When the client gives up on a call, the tool running on the server is cancelled."""
    started, cancelled = anyio.Event(), anyio.Event()

    @tool
    async def wait_forever() -> str:
        """Never answers."""
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        return "never"  # pragma: no cover

    server = MCPServer([wait_forever])
    async with Client(server.lowlevel, mode=mode) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "wait_forever", {})
            await started.wait()
            tg.cancel_scope.cancel()
        with anyio.fail_after(10):
            await cancelled.wait()


async def test_list_changed_is_announced_when_the_registry_changes() -> None:
    """A change to the registry reaches listening clients; no change, no announcement."""
    registry = Registry()
    registry.register(tool(name="first", description="First.")(lambda: 1))
    server = MCPServer(registry)
    assert not await server.tools_changed()
    async with Client(server.lowlevel) as client:
        async with client.listen(tools_list_changed=True) as events:
            registry.register(tool(name="second", description="Second.")(lambda: 2))
            assert await server.tools_changed()
            with anyio.fail_after(10):
                event = await events.__anext__()
        assert type(event).__name__ == "ToolsListChanged"
        names = [t.name for t in (await client.list_tools(cache_mode="refresh")).tools]
    assert names == ["first", "second"]


async def test_list_changed_reaches_a_handshake_era_client() -> None:
    """A legacy (initialize) client gets ``notifications/tools/list_changed`` through its message handler."""
    server = PEER.build()
    got = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(getattr(message, "root", message), types.ToolListChangedNotification):
            got.set()

    async with Client(server.lowlevel, mode="legacy", message_handler=on_message) as client:
        assert client.server_capabilities.tools is not None
        assert client.server_capabilities.tools.list_changed is True
        await client.call_tool("grow", {"name": "extra"})
        with anyio.fail_after(10):
            await got.wait()
        names = [t.name for t in (await client.list_tools()).tools]
    assert "extra" in names


async def test_a_toolset_and_a_list_are_served_by_their_own_names() -> None:
    """A `Toolset` keeps its names (prefixes included), and deps reach tools that ask for a context."""

    @tool
    def whoami(ctx: RunContext[str]) -> str:
        """Who is calling."""
        return ctx.deps

    server = MCPServer(Toolset([whoami]).prefixed("me"), deps="ada", name="me")
    assert repr(server) == "MCPServer('me', 1 tools)"
    async with Client(server.lowlevel) as client:
        result = await client.call_tool("me_whoami", {})
    assert text(result) == "ada"
