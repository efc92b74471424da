"""The fake provider server itself: routing, recording, the responder, thread mode, bounded hangs."""

from __future__ import annotations

import anyio
import httpx
import pytest

from agentkit.testing._server import FakeProviderServer, Fault, Reply, ServedRequest

pytestmark = pytest.mark.anyio


async def test_records_requests_and_answers_both_wire_formats() -> None:
    """Each request is recorded with its wire format, stream flag, headers and body."""
    async with (
        FakeProviderServer(default=Reply("hey", chunks=1)) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        openai = await client.post(
            "/v1/chat/completions",
            json={"model": "gpt", "messages": []},
            headers={"authorization": "Bearer t"},
        )
        anthropic = await client.post("/v1/messages", json={"model": "claude", "stream": True})
        missing = await client.post("/v2/other", json={})
    assert openai.json()["choices"][0]["message"]["content"] == "hey"
    assert "event: message_stop" in anthropic.text
    assert missing.status_code == 404
    first, second, third = server.requests
    assert (first.wire, first.stream, first.headers["authorization"]) == (
        "openai",
        False,
        "Bearer t",
    )
    assert (second.wire, second.stream, second.body["model"]) == ("anthropic", True, "claude")
    assert third.wire == "unknown"
    assert "FakeProviderServer" in repr(server)


async def test_script_comes_first_then_the_responder_then_the_default() -> None:
    """Scripted actions are used in order; the responder decides after them; None means the default."""
    asked: list[int] = []

    def responder(request: ServedRequest) -> Fault | None:
        asked.append(request.index)
        return Fault.server_error(502) if request.index == 1 else None

    async with FakeProviderServer(responder=responder) as server:
        server.script(Fault.rate_limited("3"))
        assert server.pending == 1
        async with httpx.AsyncClient(base_url=server.url) as client:
            statuses = [(await client.post("/v1/messages", json={})).status_code for _ in range(3)]
            limited = server.requests[0]
    assert statuses == [429, 502, 200]
    assert asked == [1, 2]
    assert isinstance(limited.action, Fault)
    assert limited.action.retry_after == "3"


async def test_a_hang_ends_when_the_server_stops() -> None:
    """A hung response does not outlive the server: the client sees the connection end."""
    outcome: list[str] = []

    async def client_call(url: str) -> None:
        async with httpx.AsyncClient(timeout=20) as client:
            try:
                await client.post(url + "/v1/messages", json={})
            except httpx.HTTPError as exc:
                outcome.append(type(exc).__name__)

    def responder(request: ServedRequest) -> Fault:
        arrived.set()
        return Fault.hang(60)

    arrived = anyio.Event()
    with anyio.fail_after(10):
        async with (
            anyio.create_task_group() as tg,
            FakeProviderServer(responder=responder) as server,
        ):
            tg.start_soon(client_call, server.url)
            await arrived.wait()
    assert outcome == ["RemoteProtocolError"]


def test_runs_in_a_background_thread() -> None:
    """running_in_thread serves synchronous clients and stops at the end of the block."""
    with FakeProviderServer().running_in_thread() as server:
        server.script(Fault.html_page(503))
        page = httpx.post(server.url + "/v1/chat/completions", json={})
        ok = httpx.post(server.url + "/v1/chat/completions", json={"stream": True})
    assert page.status_code == 503
    assert page.headers["content-type"] == "text/html"
    assert ok.text.endswith("data: [DONE]\n\n")
