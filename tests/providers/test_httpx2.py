"""Real ``httpx2`` clients (the httpx fork openai, anthropic and mcp moved to) plug into every adapter.

``http_client=`` accepts an ``httpx2.AsyncClient`` beside an ``httpx.AsyncClient``; the core never imports httpx2.
httpx2 needs Python >= 3.11 (tests/conftest.py leaves this file out on 3.10, where it cannot be installed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.abc
import httpx2
import pytest

from agentkit.exceptions import ProviderConnectionError, ProviderTimeout
from agentkit.messages import Message
from agentkit.providers import ModelRequest, StreamDone, StreamEvent
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.testing import FakeProviderServer, Reply

pytestmark = pytest.mark.anyio

KEY = "sk-httpx2-test-key-0001"
REQUEST = ModelRequest(messages=[Message.user("hi")])


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def test_an_httpx2_client_is_accepted() -> None:
    """An ``httpx2.AsyncClient`` works for ``complete`` and ``stream`` over loopback (no ``Invalid timeout``)."""
    async with FakeProviderServer() as server, httpx2.AsyncClient() as client:
        provider = AnthropicProvider(
            "claude-haiku-4-5", api_key=KEY, base_url=server.url, http_client=client, timeout=30
        )
        assert (await provider.complete(REQUEST)).text == "Hello from the fake server."
        events = await collect(provider.stream(REQUEST))
        assert isinstance(events[-1], StreamDone)
        assert events[-1].response.text == "Hello from the fake server."


async def test_httpx2_failures_are_translated() -> None:
    """httpx2's connection errors and timeouts become the typed errors, not a raw exception."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens there any more: the connection is refused
    async with httpx2.AsyncClient() as client:
        provider = OpenAIChatProvider(
            "gpt-4.1", api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", http_client=client
        )
        with pytest.raises(ProviderConnectionError):
            await provider.complete(REQUEST)
        with pytest.raises(ProviderConnectionError):
            await collect(provider.stream(REQUEST))
    async with FakeProviderServer() as server, httpx2.AsyncClient() as client:
        server.script(Reply(text="ab", chunks=2, chunk_delay=3.0))
        provider = OpenAIChatProvider(
            "gpt-4.1",
            api_key=KEY,
            base_url=server.url + "/v1",
            http_client=client,
            idle_timeout=0.3,
        )
        with pytest.raises(ProviderTimeout):
            await collect(provider.stream(REQUEST))
