"""The official MCP client against ``agentkit mcp serve`` in a real process: over stdio, and over streamable HTTP.

The HTTP server is uvicorn on 127.0.0.1 at a free port; the test fails (never skips) if it does not come up.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters

from .conftest import HERE, serve_command

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def http_server(log: Path) -> Iterator[str]:
    """``agentkit mcp serve --http`` on a free loopback port; yields its URL."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            serve_command("--http", f"127.0.0.1:{port}"),
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the MCP HTTP server did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
async def http_url(tmp_path: Path) -> AsyncIterator[str]:
    with http_server(tmp_path / "server.log") as url:
        yield url


def stdio_params() -> StdioServerParameters:
    command = serve_command()
    return StdioServerParameters(command=command[0], args=command[1:], cwd=str(HERE))


async def exercise(client: Client) -> None:
    """List, call, get a repair hint, and see progress, through whatever transport ``client`` uses."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"calc_add_v1", "calc_add_v2", "count"} <= names
    result = await client.call_tool("calc_add_v2", {"a": 2, "b": 3})
    assert result.structured_content == {"sum": 5}
    bad = await client.call_tool("calc_add_v1", {"a": "two"})
    assert bad.is_error
    assert isinstance(bad.content[0], types.TextContent)
    assert json.loads(bad.content[0].text)["error"] == "invalid_arguments"
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    counted = await client.call_tool("count", {"to": 2}, progress_callback=on_progress)
    assert not counted.is_error
    assert seen == [1, 2]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_official_client_over_stdio(mode: str) -> None:
    """``agentkit mcp serve MODULE:NAME`` speaks MCP over stdio to the SDK's own client."""
    with anyio.fail_after(120):
        async with Client(stdio_params(), mode=mode) as client:
            await exercise(client)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_official_client_over_streamable_http(http_url: str, mode: str) -> None:
    """``agentkit mcp serve --http 127.0.0.1:PORT`` serves streamable HTTP (uvicorn) to the SDK's client."""
    with anyio.fail_after(120):
        async with Client(http_url, mode=mode) as client:
            await exercise(client)


async def test_list_changed_over_http(http_url: str) -> None:
    """A tool added while an HTTP client listens is announced, and the next listing has it."""
    with anyio.fail_after(120):
        async with Client(http_url) as client:
            async with client.listen(tools_list_changed=True) as events:
                await client.call_tool("grow", {"name": "sprout"})
                await events.__anext__()
            names = {t.name for t in (await client.list_tools(cache_mode="refresh")).tools}
    assert "sprout" in names
