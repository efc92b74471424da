"""A paused run resumed from the store continues exactly as the runtime's own resume would, and run admission."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from agentkit import tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.server import APIKeys, ServerLimits, create_app
from agentkit.storage import SQLiteStore
from agentkit.testing import FakeProviderServer, Fault, Reply, ServedRequest

from .conftest import KEY, run_events, serving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HEADERS = {"X-API-Key": KEY}


@tool
def weather(city: str) -> str:
    """The weather in a city (a long report)."""
    return f"{city}: " + "sunny and mild, " * 20


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight (a human approves each booking)."""
    return f"booked {flight}"


def _respond(request: ServedRequest) -> Reply:
    """Bad arguments first; then two calls in one step (one needs approval); then the answer."""
    tools = [m for m in request.body["messages"] if m["role"] == "tool"]
    if not tools:
        return Reply("", tool_calls=(("weather", '{"town": "Oslo"}'),))
    if len(tools) == 1:
        return Reply(
            "", tool_calls=(("weather", '{"city": "Oslo"}'), ("book", '{"flight": "TP1"}'))
        )
    return Reply("all set")


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """The loopback fake provider."""
    with FakeProviderServer(responder=_respond).running_in_thread() as server:
        yield server


def _agent(fake: FakeProviderServer, name: str = "planner") -> Agent[Any, str]:
    provider = OpenAIChatProvider("gpt-4.1-mini", api_key="pk-Tz5Yh1", base_url=fake.url + "/v1")
    return Agent(provider, tools=[weather, book], name=name, max_tool_output_chars=40)


def test_resume_from_the_store_matches_the_runtime_resume(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    """After a restart, the model gets the same conversation (truncated, framed sibling result included)."""
    agent = _agent(fake)
    paused = anyio.run(agent.run, "plan a trip")
    assert paused.pending is not None
    [call] = paused.pending.calls
    direct = anyio.run(agent.resume, paused.pending, {call.index: True})
    expected = fake.requests[-1].body["messages"]
    assert direct.output == "all set"

    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        started = httpx.post(base + "/v1/runs", json={"input": "plan a trip"}, headers=HEADERS)
        run_id = started.json()["run_id"]
        first = run_events(base, run_id, HEADERS)
        pending = httpx.get(f"{base}/v1/runs/{run_id}", headers=HEADERS).json()["pending"]
    store.close()
    store = SQLiteStore(path)
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        decision = {"tool_call_id": pending[0]["tool_call_id"], "approved": True}
        approved = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals", json={"decisions": [decision]}, headers=HEADERS
        )
        rest = run_events(base, run_id, HEADERS, after=first[-1]["seq"])
    summary = store.get_run(run_id)
    store.close()
    assert approved.status_code == 202
    assert [p["tool_name"] for p in pending] == ["book"]
    assert "tool.arguments.rejected" in [e["type"] for e in first]
    assert rest[-1]["status"] == "completed"
    assert summary.output == "all set"
    assert fake.requests[-1].body["messages"] == expected
    truncated = [m["content"] for m in expected if m["role"] == "tool" and "Oslo:" in m["content"]]
    assert len(truncated) == 1
    assert "truncated to its first 40" in truncated[0]


def test_which_agent_runs_and_how_many_at_once(fake: FakeProviderServer) -> None:
    """Several agents need a name; an unknown one is a 404; past the concurrency limit a start is a 429."""
    fake.script(Fault.hang(30))
    app = create_app(
        agents=[_agent(fake, "planner"), _agent(fake, "booker")],
        auth=APIKeys({KEY: "t"}),
        limits=ServerLimits(max_concurrent_runs=1, shutdown_grace=0.0),
    )
    with serving(app) as base:
        unnamed = httpx.post(base + "/v1/runs", json={"input": "hi"}, headers=HEADERS)
        unknown = httpx.post(
            base + "/v1/runs", json={"input": "hi", "agent": "nobody"}, headers=HEADERS
        )
        first = httpx.post(
            base + "/v1/runs", json={"input": "hi", "agent": "booker"}, headers=HEADERS
        )
        second = httpx.post(
            base + "/v1/runs", json={"input": "hi", "agent": "planner"}, headers=HEADERS
        )
        running = httpx.get(f"{base}/v1/runs/{first.json()['run_id']}", headers=HEADERS).json()
    assert unnamed.status_code == 422
    assert "booker, planner" in unnamed.json()["detail"]
    assert unknown.status_code == 404
    assert first.status_code == 202
    assert second.status_code == 429
    assert second.headers["retry-after"] == "1"
    assert running["status"] == "running"
    assert running["agent"] == "booker"


def test_a_service_without_agents_answers_404_to_runs() -> None:
    """A tools-only service has no runs to start."""
    with serving(create_app(tools=[weather], auth=APIKeys({KEY: "t"}))) as base:
        started = httpx.post(base + "/v1/runs", json={"input": "hi"}, headers=HEADERS)
    assert started.status_code == 404
    assert started.json()["type"].endswith("/agent-not-found")
