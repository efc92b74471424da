"""``RemoteToolset``: a live service's tools used by an Agent as if local, with retries on transient failures."""

from __future__ import annotations

import anyio
import httpx
import pytest

from agentkit import Registry, ToolFailed
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart
from agentkit.resilience import RetryPolicy, testing_mode
from agentkit.runtime import Agent
from agentkit.server import APIKeys, RemoteToolset, create_app
from agentkit.testing import FakeProvider, MockClock

from .conftest import KEY, serving

registry = Registry()


@registry.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@registry.tool(version="2.0.0", name="add")
def add_v2(a: int, b: int, c: int = 0) -> int:
    """Add two or three integers."""
    return a + b + c


@registry.tool
def refuse(x: int) -> int:
    """Refuses politely."""
    raise ToolFailed("not today")


def test_an_agent_calls_remote_tools_over_http() -> None:
    """The latest versions are offered; calls run remotely; bad arguments and failures reach the model as hints."""
    provider = FakeProvider(
        [
            [
                ToolCallPart(id="c1", name="add", arguments='{"a": 2, "b": 3, "c": 4}'),
                ToolCallPart(id="c2", name="refuse", arguments='{"x": 1}'),
                ToolCallPart(id="c3", name="add", arguments='{"a": "two"}'),
            ],
            "done",
        ]
    )

    async def main() -> tuple[list[str], list[str], str]:
        async with await RemoteToolset.connect(base, api_key=KEY) as remote:
            versions = [t.contract.version for t in remote.tools()]
            result = await Agent(provider, tools=remote).run("add things")
        tool_message = result.messages[3]
        contents = [p.content for p in tool_message.parts]
        return versions, contents, result.output

    with serving(create_app(tools=registry, auth=APIKeys({KEY: "t"}))) as base:
        versions, contents, output = anyio.run(main)
    assert versions == ["2.0.0", "1.0.0"]  # add's latest version, and refuse
    assert "9" in contents[0]
    assert "not today" in contents[1]
    assert '"invalid_arguments"' in contents[2]
    assert output == "done"


def test_transient_failures_are_retried_and_then_reported() -> None:
    """A 503 then success is retried (instantly under testing_mode); persistent 503s become a ToolFailed."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/v1/tools":
            return httpx.Response(
                200, json={"tools": [{"name": "add", "version": "1.0.0", "fingerprint": "x"}]}
            )
        if request.url.path.endswith("/contract"):
            return httpx.Response(
                200, json=registry.get("add", "^1").contract.model_dump(mode="json")
            )
        if len([c for c in calls if c.endswith("/invoke")]) == 1:
            return httpx.Response(503, json={"detail": "busy"})
        if len([c for c in calls if c.endswith("/invoke")]) == 2:
            return httpx.Response(
                200,
                json={
                    "tool": "add",
                    "version": "1.0.0",
                    "status": "success",
                    "content": "5",
                    "is_error": False,
                },
            )
        return httpx.Response(503, json={"detail": "still busy"})

    async def main() -> tuple[str, str, list[float]]:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        remote = RemoteToolset(
            "http://remote.test", http_client=client, retry=RetryPolicy(max_attempts=2, jitter=0)
        )
        with testing_mode(MockClock()) as sleep:
            await remote.refresh()
            tool = remote.get("add")
            first = await tool.invoke_json('{"a": 2, "b": 3}')
            second = await tool.invoke_json('{"a": 2, "b": 3}')
        await client.aclose()
        return first.content, second.content, list(sleep.calls)

    first, second, waits = anyio.run(main)
    assert first == "5"
    assert "HTTP 503" in second
    assert waits == [0.5, 0.5]


def test_tools_must_be_read_first() -> None:
    """Using the toolset before `refresh` says what to do."""
    remote = RemoteToolset("http://127.0.0.1:9", api_key="k-123")
    assert remote.secrets() == frozenset({"k-123"})
    with pytest.raises(UsageError, match="refresh"):
        remote.tools()


def test_a_key_echoed_in_an_error_is_masked() -> None:
    """A service that echoes the caller's key in its error body does not leak it into the raised error."""
    key = "rk-live-0123456789abcdef"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"detail": f"bad credentials: {request.headers['Authorization']}"}
        )

    async def main() -> BaseException:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        remote = RemoteToolset("http://remote.test", api_key=key, http_client=client)
        try:
            await remote.refresh()
        except Exception as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("refresh should fail")

    error = anyio.run(main)
    assert "bad credentials: Bearer ***" in str(error)
    for text in (str(error), repr(error), repr(error.args), repr(vars(error))):
        assert key not in text
