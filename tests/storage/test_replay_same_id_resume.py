"""A service resumes a paused step whose calls share one id from its stored events, each result in its place.

The service rebuilds a paused run's state from the store (`agentkit.server`): the paused calls from their
``approval.requested`` events, the step's other results from their ``tool.call.succeeded`` events. When the calls
of one answer share an id and finish out of order, the events' positions say which result is whose.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from agentkit import RunContext, tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.server import APIKeys, create_app
from agentkit.server._runs import pending_from_events
from agentkit.storage import SQLiteStore
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY = "srv-same-id-Vb3Kq9Wz7Tn"
HEADERS = {"X-API-Key": KEY}
# Run an app under uvicorn on 127.0.0.1 in a thread (tests/_servers.py, loaded by tests/conftest.py).
serving = sys.modules["_agentkit_test_servers"].serving
run_events = sys.modules["_agentkit_test_servers"].run_events
GATES: dict[str, anyio.Event] = {}


async def _gate(ctx: RunContext, key: str) -> None:
    """The first call waits until the second has run: the second finishes first."""
    opened = GATES.setdefault(ctx.run_id or "", anyio.Event())  # made in the loop running the tool
    if key == "first":
        await opened.wait()
    else:
        opened.set()


@tool
async def slow(key: str, ctx: RunContext) -> str:
    """Look a key up slowly."""
    await _gate(ctx, key)
    return f"slow value of {key}"


@tool
async def fast(key: str, ctx: RunContext) -> str:
    """Look a key up quickly."""
    await _gate(ctx, key)
    return f"fast value of {key}"


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight (a human approves each booking)."""
    return f"booked {flight}"


class SameIdServer(FakeProviderServer):
    """The loopback fake provider, giving every tool call of an answer the id ``call_0``."""

    def _json_reply(self, request: ServedRequest, reply: Reply) -> dict[str, Any]:
        data = super()._json_reply(request, reply)
        for call in data["choices"][0]["message"].get("tool_calls", ()):
            call["id"] = "call_0"
        return data


def _respond(request: ServedRequest) -> Reply:
    """Three calls sharing an id (the last needs approval), then the answer."""
    if not any(m["role"] == "tool" for m in request.body["messages"]):
        return Reply(
            "",
            tool_calls=(
                ("slow", '{"key": "first"}'),
                ("fast", '{"key": "second"}'),
                ("book", '{"flight": "TP1"}'),
            ),
        )
    return Reply("all set")


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """The loopback fake provider."""
    with SameIdServer(responder=_respond).running_in_thread() as server:
        yield server


def _agent(fake: FakeProviderServer) -> Agent[Any, str]:
    provider = OpenAIChatProvider("gpt-4.1-mini", api_key="pk-Qm4Jd8", base_url=fake.url + "/v1")
    return Agent(provider, tools=[slow, fast, book], name="planner")


def test_a_restarted_service_resumes_same_id_calls_each_with_its_own_result(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    """The paused call is the third (not the first with its id), and the model gets what a direct resume sends."""
    agent = _agent(fake)
    paused = anyio.run(agent.run, "plan a trip")
    assert paused.pending is not None
    assert [(c.tool_name, c.index) for c in paused.pending.calls] == [("book", 2)]
    direct = anyio.run(agent.resume, paused.pending, {2: True})
    expected = fake.requests[-1].body["messages"]
    assert direct.output == "all set"
    assert [(m["tool_call_id"], m["content"]) for m in expected if m["role"] == "tool"] == [
        ("call_0", '<tool-output tool="slow">\nslow value of first\n</tool-output>'),
        ("call_0", '<tool-output tool="fast">\nfast value of second\n</tool-output>'),
        ("call_0", '<tool-output tool="book">\nbooked TP1\n</tool-output>'),
    ]

    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        started = httpx.post(base + "/v1/runs", json={"input": "plan a trip"}, headers=HEADERS)
        run_id = started.json()["run_id"]
        first = run_events(base, run_id, HEADERS)
        pending = httpx.get(f"{base}/v1/runs/{run_id}", headers=HEADERS).json()["pending"]
    ended = [(e["position"], e["content"]) for e in first if e["type"] == "tool.call.succeeded"]
    assert ended == [(1, "fast value of second"), (0, "slow value of first")]
    state = pending_from_events(store.read(run_id), _agent(fake))
    assert [(r.name, r.content) for r in state.results] == [
        ("slow", '<tool-output tool="slow">\nslow value of first\n</tool-output>'),
        ("fast", '<tool-output tool="fast">\nfast value of second\n</tool-output>'),
    ]
    store.close()
    store = SQLiteStore(path)
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        approved = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals",
            json={"decisions": [{"index": 2, "approved": True}]},
            headers=HEADERS,
        )
        rest = run_events(base, run_id, HEADERS, after=first[-1]["seq"])
    store.close()
    assert [(p["tool_name"], p["index"], json.loads(p["arguments"])) for p in pending] == [
        ("book", 2, {"flight": "TP1"})
    ]
    assert approved.status_code == 202
    assert rest[-1]["status"] == "completed"
    assert fake.requests[-1].body["messages"] == expected


def test_paused_calls_are_named_by_position_and_by_id_in_older_events() -> None:
    """``approval.requested`` names its call by position; without one, by id; a position that fits no call is dropped."""
    from datetime import datetime, timezone

    from agentkit.events import ApprovalRequested, ModelResponded
    from agentkit.messages import Message, ToolCallPart
    from agentkit.server._runs import pending_calls

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    calls = tuple(
        ToolCallPart(id="0", name="book", arguments=json.dumps({"flight": f"TP{n}"}))
        for n in range(3)
    )
    messages = [Message.user("Go."), Message(role="assistant", parts=calls)]

    def asked(*positions: int | None) -> list[Any]:
        head = ModelResponded(run_id="r", seq=0, at=at, step=1, finish_reason="tool_calls")
        return [head] + [
            ApprovalRequested(
                run_id="r", seq=n + 1, at=at, tool_name="book", tool_call_id="0", position=p
            )
            for n, p in enumerate(positions)
        ]

    assert [c.index for c in pending_calls(asked(2, 0), messages)] == [2, 0]
    assert [c.index for c in pending_calls(asked(None, None), messages)] == [0, 1]
    assert [c.index for c in pending_calls(asked(7, 1, 1), messages)] == [1]
