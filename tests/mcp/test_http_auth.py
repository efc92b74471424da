"""`MCPToolset` against a URL server that requires a bearer token: headers, auth hooks, and the token kept secret.

The server is our `MCPServer` over streamable HTTP under uvicorn on 127.0.0.1 (in a thread), behind an ASGI guard
that answers 401 unless the request carries the token. Two of its tools misbehave on purpose: one echoes the
token in its result, one in its error.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import ToolFailed, tool
from agentkit.exceptions import UsageError
from agentkit.mcp import MCPServer, MCPToolset
from agentkit.mcp._client import MCPConnectionError
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import Session, SQLiteStore
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx2

pytestmark = pytest.mark.anyio

TOKEN = "mcp-Zq8Lw3Tn5Rb7Yc1VxKe"  # no well-known shape: only the toolset's own masking can hide it
BEARER = f"Bearer {TOKEN}"
# Runs an app under uvicorn on 127.0.0.1 in a thread (tests/_servers.py, loaded by tests/conftest.py).
serving = sys.modules["_agentkit_test_servers"].serving


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def whoami() -> str:
    """Say which credential the request carried (a leaky server)."""
    return f"you sent {TOKEN}"


@tool
def refuse() -> str:
    """Refuse, quoting the credential (a leaky server)."""
    raise ToolFailed(f"token {TOKEN} may not do that")


def guarded(app: Any) -> Any:
    """``app`` behind a check of the ``Authorization`` header: 401 without the bearer token."""

    async def guard(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and dict(scope["headers"]).get(b"authorization") != BEARER.encode()
        ):
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await app(scope, receive, send)

    return guard


@pytest.fixture
def url() -> Iterator[str]:
    """The guarded MCP server's endpoint."""
    app = MCPServer([add, whoami, refuse], name="guarded").http_app(host="127.0.0.1")
    with serving(guarded(app)) as root:
        yield root + "/mcp"


async def test_headers_reach_the_server_and_the_token_never_comes_back(url: str) -> None:
    """With the header the tools work; a result or error quoting the token reads ``***`` instead."""
    with anyio.fail_after(60):
        async with MCPToolset(url, namespace="g", headers={"Authorization": BEARER}) as tools:
            assert tools.names() == ["g_add", "g_refuse", "g_whoami"]
            assert (await tools.get("g_add").invoke_json('{"a": 2, "b": 3}')).content == "5"
            echoed = await tools.get("g_whoami").invoke_json("{}")
            refused = await tools.get("g_refuse").invoke_json("{}")
    assert echoed.ok
    assert echoed.content == "you sent ***"
    assert not refused.ok
    assert refused.content == "token *** may not do that"
    assert tools.secrets() == {BEARER, TOKEN}


async def test_without_the_credential_the_connection_is_refused(url: str) -> None:
    """No header: connecting fails with MCPConnectionError (the server's 401), not a hang."""
    with anyio.fail_after(60), pytest.raises(MCPConnectionError, match="cannot connect"):
        async with MCPToolset(url, connect_timeout=30):
            pass


async def test_an_auth_hook_signs_every_request(url: str) -> None:
    """A function given as ``auth`` adds the header; the token it adds, passed in ``secrets``, is masked."""
    signed: list[str] = []

    def sign(request: httpx2.Request) -> httpx2.Request:
        request.headers["Authorization"] = BEARER
        signed.append(request.method)
        return request

    with anyio.fail_after(60):
        async with MCPToolset(url, auth=sign, secrets=[TOKEN]) as tools:
            echoed = await tools.get("whoami").invoke_json("{}")
    assert echoed.content == "you sent ***"
    assert "POST" in signed
    assert tools.secrets() == {TOKEN}


async def test_credentials_in_the_url_stay_out_of_labels_and_errors() -> None:
    """URL credentials and query values, and an auth pair's password, are secrets, absent from label and errors."""
    leaky = f"http://agent:{TOKEN}@127.0.0.1:9/mcp?key={TOKEN}"
    tools = MCPToolset(leaky, connect_timeout=10)
    assert tools.label == "http://127.0.0.1:9/mcp"
    assert TOKEN not in repr(tools)
    assert tools.secrets() == {TOKEN}
    with anyio.fail_after(60), pytest.raises(MCPConnectionError) as caught:
        async with tools:
            pass
    assert TOKEN not in str(caught.value)
    assert "http://127.0.0.1:9/mcp" in str(caught.value)
    assert MCPToolset("http://127.0.0.1:9/mcp", auth=("agent", TOKEN)).secrets() == {TOKEN}


def test_headers_are_for_url_servers_only() -> None:
    """``headers=`` with a stdio command is refused with the way to pass credentials to it."""
    with pytest.raises(UsageError, match="env="):
        MCPToolset(["some-server"], headers={"Authorization": BEARER})
    with pytest.raises(UsageError, match="collection of secrets"):
        MCPToolset("http://127.0.0.1:9/mcp", secrets=TOKEN)


def respond(request: ServedRequest) -> Reply:
    """Step 1: call both leaky tools; step 2: finish."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply("Done.")
    return Reply("", tool_calls=(("g_whoami", "{}"), ("g_refuse", "{}")))


async def test_an_agent_run_over_the_guarded_server_stores_no_token(
    url: str, tmp_path: Path
) -> None:
    """Through the front door: the run's stored events and the model's requests never contain the token."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    try:
        with anyio.fail_after(120):
            async with (
                FakeProviderServer(responder=respond) as fake,
                MCPToolset(url, namespace="g", headers={"Authorization": BEARER}) as tools,
            ):
                provider = OpenAIChatProvider(
                    "gpt-4.1-mini", api_key="k", base_url=fake.url + "/v1"
                )
                try:
                    agent = Agent(provider, tools=tools)
                    result = await Session(store, "s1").run(agent, "Who am I?", run_id="r1")
                finally:
                    await provider.aclose()
                sent = json.dumps([served.body for served in fake.requests])
        assert result.status == "completed"
        stored = json.dumps([event.model_dump(mode="json") for event in store.read("r1")])
        assert "you sent ***" in stored
        assert "token *** may not do that" in stored
        assert TOKEN not in stored
        assert TOKEN not in sent
    finally:
        store.close()
