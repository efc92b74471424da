"""The one HTTP/SSE driver every adapter plugs into: time and size bounds, hostile bodies, clients, gateways.

Loopback traffic comes from ``agentkit.testing.FakeProviderServer``; the rest is built from the providers'
documented formats (marked *synthetic*) and served through ``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import sys
import types
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from agentkit.exceptions import (
    MalformedResponse,
    ProviderConnectionError,
    ProviderTimeout,
    RateLimited,
    UsageError,
)
from agentkit.messages import Message
from agentkit.providers import ModelRequest, ReasoningDelta, StreamDone, StreamEvent, TextDelta
from agentkit.providers._http import HttpProvider, parse_retry_after
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.gemini import GeminiProvider
from agentkit.providers.openai import OpenAIChatProvider, OpenAICompatibleProvider
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.runtime import Agent
from agentkit.testing import FakeProviderServer, Reply

pytestmark = pytest.mark.anyio

KEY = "sk-driver-test-key-0001"
REQUEST = ModelRequest(messages=[Message.user("hi")])
SSE = {"content-type": "text/event-stream"}

ADAPTERS: dict[str, Callable[..., HttpProvider]] = {
    "openai": lambda **kw: OpenAIChatProvider("gpt-4.1", api_key=KEY, **kw),
    "responses": lambda **kw: OpenAIResponsesProvider("gpt-4.1", api_key=KEY, **kw),
    "anthropic": lambda **kw: AnthropicProvider("claude-haiku-4-5", api_key=KEY, **kw),
    "gemini": lambda **kw: GeminiProvider("gemini-2.5-flash", api_key=KEY, **kw),
}


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def serve(status: int, content: bytes, **headers: str) -> httpx.AsyncClient:
    return mock(lambda request: httpx.Response(status, content=content, headers=headers))


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


# ------------------------------------------------------------------------------------ time bounds (loopback)


async def test_timeout_bounds_the_whole_stream_against_a_trickling_server() -> None:
    """A server that keeps sending (one piece every 50 ms, for 4 s) is cut at ``timeout=0.5``, not waited out."""
    async with FakeProviderServer() as server:
        server.script(Reply(text="x" * 80, chunks=80, chunk_delay=0.05))
        provider = OpenAIChatProvider(
            "gpt-4.1", api_key=KEY, base_url=server.url + "/v1", timeout=0.5
        )
        seen: list[StreamEvent] = []

        async def read() -> None:
            async for event in provider.stream(REQUEST):
                seen.append(event)

        with pytest.raises(ProviderTimeout, match=r"longer than its 0\.5 s timeout"):
            await read()
        await provider.aclose()
    assert seen  # it was streaming, and no piece of silence was long enough to be an idle timeout
    assert not any(isinstance(event, StreamDone) for event in seen)


async def test_idle_timeout_bounds_the_silence_between_chunks() -> None:
    """``idle_timeout`` ends a stream whose server goes quiet, long before the whole-call timeout."""
    async with FakeProviderServer() as server:
        server.script(Reply(text="ab", chunks=2, chunk_delay=3.0))
        provider = AnthropicProvider(
            "claude-haiku-4-5", api_key=KEY, base_url=server.url, timeout=60, idle_timeout=0.3
        )
        with pytest.raises(ProviderTimeout):
            await collect(provider.stream(REQUEST))
        await provider.aclose()


async def test_timeout_bounds_complete_against_a_slow_first_byte() -> None:
    """``complete`` waits no longer than ``timeout`` for an answer that is slow to start."""
    async with FakeProviderServer() as server:
        server.script(Reply(first_byte_delay=3.0))
        provider = OpenAIChatProvider(
            "gpt-4.1", api_key=KEY, base_url=server.url + "/v1", timeout=0.3
        )
        with pytest.raises(ProviderTimeout):
            await provider.complete(REQUEST)
        await provider.aclose()


def test_timeouts_and_caps_must_be_positive() -> None:
    """A zero or negative timeout or size cap is a ``UsageError`` naming the argument."""
    for bad in (
        {"timeout": 0},
        {"idle_timeout": -1.0},
        {"max_body_bytes": 0},
        {"max_line_bytes": -5},
    ):
        with pytest.raises(UsageError, match=next(iter(bad))):
            OpenAIChatProvider("gpt-4.1", api_key=KEY, **bad)


# ------------------------------------------------------------------------------------ size caps (synthetic)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
async def test_a_gzip_bomb_is_refused_at_the_body_cap(name: str) -> None:
    """A 200 that inflates past ``max_body_bytes`` is a ``MalformedResponse``, counted on decoded bytes."""
    bomb = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
    assert len(bomb) < 64 * 1024
    client = serve(200, bomb, **{"content-encoding": "gzip", "content-type": "application/json"})
    provider = ADAPTERS[name](http_client=client, max_body_bytes=1024 * 1024)
    with pytest.raises(MalformedResponse, match="max_body_bytes=1048576"):
        await provider.complete(REQUEST)


async def test_a_huge_error_body_is_cut_at_the_cap_and_still_classified() -> None:
    """A 429 whose body passes the cap still becomes ``RateLimited`` (the status says enough)."""
    body = b'{"error": {"message": "slow down", "type": "rate_limit_error"}}' + b" " * 300_000
    provider = ADAPTERS["openai"](http_client=serve(429, body), max_body_bytes=100_000)
    with pytest.raises(RateLimited):
        await provider.complete(REQUEST)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
async def test_a_stream_line_past_the_cap_is_refused(name: str) -> None:
    """A single SSE line that never ends is refused once it passes ``max_line_bytes``."""
    endless = b"data: " + b"x" * 300_000
    provider = ADAPTERS[name](http_client=serve(200, endless, **SSE), max_line_bytes=65_536)
    with pytest.raises(MalformedResponse, match="max_line_bytes=65536"):
        await collect(provider.stream(REQUEST))


async def test_a_streamed_json_array_element_past_the_cap_is_refused() -> None:
    """Gemini's JSON-array stream holds no element larger than ``max_line_bytes``."""
    endless = b'[{"candidates": [{"content": {"parts": [{"text": "' + b"x" * 300_000
    client = serve(200, endless, **{"content-type": "application/json"})
    provider = ADAPTERS["gemini"](http_client=client, max_line_bytes=65_536)
    with pytest.raises(MalformedResponse, match="max_line_bytes=65536"):
        await collect(provider.stream(REQUEST))


# ------------------------------------------------------------------------------------ hostile bodies (synthetic)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
async def test_deep_nesting_is_a_typed_error(name: str) -> None:
    """A body nested deeper than Python can parse is ``MalformedResponse``, never ``RecursionError``."""
    deep = b'{"a": ' * 200_000 + b"1" + b"}" * 200_000
    provider = ADAPTERS[name](http_client=serve(200, deep))
    with pytest.raises(MalformedResponse, match="nested too deeply"):
        await provider.complete(REQUEST)
    stream = b"data: " + b"[" * 200_000 + b"\n\n"
    provider = ADAPTERS[name](http_client=serve(200, stream, **SSE))
    with pytest.raises(MalformedResponse, match="nested too deeply"):
        await collect(provider.stream(REQUEST))


async def test_lone_surrogates_are_a_typed_error() -> None:
    r"""An escaped lone surrogate (``\ud800``) is ``MalformedResponse``; an escaped pair is an emoji."""
    lone = b'{"choices": [{"message": {"content": "\\ud800"}, "finish_reason": "stop"}]}'
    with pytest.raises(MalformedResponse, match="lone surrogate"):
        await ADAPTERS["openai"](http_client=serve(200, lone)).complete(REQUEST)
    pair = lone.replace(b"\\ud800", b"\\ud83d\\ude00")
    response = await ADAPTERS["openai"](http_client=serve(200, pair)).complete(REQUEST)
    assert response.text == "\U0001f600"
    chunk = b'data: {"choices": [{"index": 0, "delta": {"content": "\\udfff"}}]}\n\n'
    with pytest.raises(MalformedResponse, match="lone surrogate"):
        await collect(ADAPTERS["openai"](http_client=serve(200, chunk, **SSE)).stream(REQUEST))


# ------------------------------------------------------------------------------------ one driver, no drift


@pytest.mark.parametrize("name", sorted(ADAPTERS))
async def test_a_json_answer_to_a_stream_request_carries_no_empty_deltas(name: str) -> None:
    """Replaying a JSON answer as a stream yields no empty text or reasoning deltas, on every adapter."""
    bodies: dict[str, Any] = {
        "openai": {
            "choices": [
                {
                    "message": {"content": "Hi", "reasoning_content": ""},
                    "finish_reason": "stop",
                }
            ]
        },
        "responses": {
            "id": "resp_1",
            "status": "completed",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]},
            ],
        },
        "anthropic": {
            "id": "msg_1",
            "content": [
                {"type": "thinking", "thinking": "", "signature": "c2ln"},
                {"type": "text", "text": "Hi"},
            ],
            "stop_reason": "end_turn",
        },
        "gemini": [
            {"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]}
        ],
    }
    client = serve(200, json.dumps(bodies[name]).encode(), **{"content-type": "application/json"})
    events = await collect(ADAPTERS[name](http_client=client).stream(REQUEST))
    deltas = events[:-1]
    assert deltas == [TextDelta("Hi")]
    assert not any(isinstance(e, ReasoningDelta) and not e.text for e in deltas)
    assert isinstance(events[-1], StreamDone)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
async def test_every_adapter_closes_its_stream_when_abandoned(name: str) -> None:
    """Leaving a stream after the first delta closes the HTTP response at once, on every adapter."""
    closed: list[bool] = []

    class Body(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            frames = {
                "openai": b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n',
                "responses": b'data: {"type":"response.output_text.delta","output_index":0,"delta":"Hi"}\n\n',
                "anthropic": b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                b'"delta":{"type":"text_delta","text":"Hi"}}\n\n',
                "gemini": b'data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}\n\n',
            }
            yield frames[name]
            for _ in range(1000):
                yield b": keep-alive\n\n"

        async def aclose(self) -> None:
            closed.append(True)

    client = mock(lambda request: httpx.Response(200, stream=Body(), headers=SSE))
    stream = ADAPTERS[name](http_client=client).stream(REQUEST)
    first = await stream.__anext__()
    assert first == TextDelta("Hi")
    await stream.aclose()  # type: ignore[attr-defined]
    assert closed == [True]


# ------------------------------------------------------------------------------------ gateways (synthetic)


async def test_an_error_body_framed_as_sse_yields_its_message() -> None:
    """A gateway's 429 sent as ``data: {"error": ...}`` is ``RateLimited`` with the error's own message."""
    framed = b'data: {"error": {"message": "Rate limit exceeded for gpt-4.1", "code": 429}}\n\n'
    provider = ADAPTERS["openai"](http_client=serve(429, framed, **SSE))
    with pytest.raises(RateLimited) as info:
        await collect(provider.stream(REQUEST))
    assert info.value.message == "Rate limit exceeded for gpt-4.1"


async def test_litellm_renamed_retry_after_header_is_honoured() -> None:
    """LiteLLM's ``llm_provider-retry-after`` sets ``retry_after`` when the plain header is absent."""
    body = b'{"error": {"message": "busy", "type": "rate_limit_error"}}'
    client = serve(429, body, **{"llm_provider-retry-after": "17"})
    with pytest.raises(RateLimited) as info:
        await ADAPTERS["openai"](http_client=client).complete(REQUEST)
    assert info.value.retry_after == 17.0
    assert parse_retry_after({"retry-after": "3", "llm_provider-retry-after": "17"}) == 3.0
    assert parse_retry_after({"llm_provider-retry-after-ms": "250"}) == 0.25


async def test_an_adapter_error_hook_receives_the_parsed_body() -> None:
    """``classify_error`` is handed the body already parsed: an adapter never parses it again."""
    seen: list[Any] = []

    class Spy(OpenAIChatProvider):
        def classify_error(self, status: int, headers: Any, body: Any, text: str) -> Any:
            seen.append(body)
            return super().classify_error(status, headers, body, text)

    body = {"error": {"message": "no", "type": "invalid_request_error"}}
    spy = Spy("gpt-4.1", api_key=KEY, http_client=serve(400, json.dumps(body).encode()))
    with pytest.raises(Exception, match="no"):
        await spy.complete(REQUEST)
    assert seen == [body]


# ------------------------------------------------------------------------------------ one client per event loop


def test_run_sync_three_times_with_a_real_adapter() -> None:
    """``run_sync`` works call after call: the owned client follows the event loop, and no warning is left."""
    with FakeProviderServer().running_in_thread() as server:
        for adapter in (
            OpenAIChatProvider("gpt-4.1", api_key=KEY, base_url=server.url + "/v1"),
            AnthropicProvider("claude-haiku-4-5", api_key=KEY, base_url=server.url),
        ):
            agent = Agent(adapter)
            outputs = [agent.run_sync("hi").output for _ in range(3)]
            assert outputs == ["Hello from the fake server."] * 3
    assert len(server.requests) == 6


def test_asyncio_run_three_times_and_aclose_from_a_later_loop() -> None:
    """Three ``asyncio.run`` calls share one provider; ``aclose`` from yet another loop leaves it usable."""
    with FakeProviderServer().running_in_thread() as server:
        provider = OpenAICompatibleProvider("m", server="generic", base_url=server.url + "/v1")
        texts = [asyncio.run(provider.complete(REQUEST)).text for _ in range(3)]
        assert texts == ["Hello from the fake server."] * 3
        asyncio.run(provider.aclose())
        asyncio.run(provider.aclose())  # twice is fine
        assert asyncio.run(provider.complete(REQUEST)).text == "Hello from the fake server."
        asyncio.run(provider.aclose())


async def test_a_given_client_is_used_as_is_on_every_loop() -> None:
    """A caller's client is never replaced or closed by the provider."""
    client = serve(200, b'{"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}')
    provider = ADAPTERS["openai"](http_client=client)
    assert (await provider.complete(REQUEST)).text == "ok"
    await provider.aclose()
    assert provider.client is client
    assert not client.is_closed
    await client.aclose()


# ------------------------------------------------------------------------------------ httpx2 (a stand-in)
# httpx2 itself needs anyio>=4.10, above the lowest anyio agentkit supports, so the suite drives a stand-in that
# behaves as httpx2 does at the seam: its own exception classes (module ``httpx2``), and a client that refuses an
# ``httpx.Timeout`` ("Invalid timeout") but takes a 4-tuple.


def _fake_httpx2(fail: str) -> Any:
    module = types.ModuleType("httpx2")

    def cls(name: str, *bases: type) -> type:
        made = type(name, bases or (Exception,), {"__module__": "httpx2"})
        setattr(module, name, made)
        return made

    http_error = cls("HTTPError")
    transport = cls("TransportError", http_error)
    timeout = cls("TimeoutException", transport)
    read_timeout = cls("ReadTimeout", timeout)
    connect_error = cls("ConnectError", transport)
    seen: list[Any] = []

    class AsyncClient:
        @contextlib.asynccontextmanager
        async def stream(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[Any]:
            if not isinstance(kwargs["timeout"], tuple):
                raise TypeError(
                    "Invalid timeout: expected a number, `None`, a tuple or `httpx2.Timeout`"
                )
            seen.append(kwargs["timeout"])
            if fail == "connect":
                raise connect_error("All connection attempts failed")
            raise read_timeout("timed out")
            yield  # pragma: no cover - never reached

    module.AsyncClient = AsyncClient  # type: ignore[attr-defined]
    module.seen = seen  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    ("fail", "expected"), [("connect", ProviderConnectionError), ("timeout", ProviderTimeout)]
)
async def test_an_httpx2_client_gets_its_timeout_form_and_its_errors_are_translated(
    fail: str, expected: type[Exception]
) -> None:
    """An httpx2-style client is handed a tuple timeout, and its exceptions become the typed errors."""
    httpx2 = _fake_httpx2(fail)
    provider = OpenAIChatProvider(
        "gpt-4.1", api_key=KEY, http_client=httpx2.AsyncClient(), timeout=9
    )
    with pytest.raises(expected):
        await provider.complete(REQUEST)
    with pytest.raises(expected):
        await collect(provider.stream(REQUEST))
    assert httpx2.seen == [(9.0, 9.0, 9.0, 9.0)] * 2


def test_httpx2_is_never_imported_by_the_package() -> None:
    """The providers run with httpx alone: importing every adapter loads no httpx2."""
    code = (
        "import sys, agentkit.providers.openai, agentkit.providers.anthropic, agentkit.providers.gemini, "
        "agentkit.providers.openai_responses; print('httpx2' in sys.modules)"
    )
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
