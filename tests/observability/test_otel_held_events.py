"""Spans nest although model.requested is held back while a tool with Sensitive() fields may learn a secret."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any

import httpx
import pytest

from agentkit import Sensitive, tool
from agentkit.events import ModelRequested
from agentkit.messages import Message
from agentkit.observability import RedactingSink
from agentkit.observability._content import CONTENT_FIELDS
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.runtime._secrets import _CONTENT_FIELDS, HeldSinks
from agentkit.storage import MemoryStore, StoreSink
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

from .conftest import OTelHarness

pytestmark = pytest.mark.anyio

MODEL = "gpt-4.1-mini"
PIN = "8642-1357"


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with its PIN."""
    return f"{door} unlocked"


def _respond(request: ServedRequest) -> Reply:
    """First a call to unlock with the PIN the user typed, then an answer."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply("The front door is open.")
    return Reply("", tool_calls=(("unlock", json.dumps({"door": "front", "pin": PIN})),))


async def _run(sink: Any, *, store: MemoryStore | None = None) -> list[Any]:
    """Run the agent over the loopback server; the spans current at each of its HTTP requests."""
    from opentelemetry import trace

    current_at_request: list[Any] = []

    async def on_request(request: httpx.Request) -> None:
        # The span an httpx instrumentation would parent its request span to.
        current_at_request.append(trace.get_current_span())

    sinks = [sink] if store is None else [sink, StoreSink(store)]
    async with FakeProviderServer(responder=_respond) as server:
        client = httpx.AsyncClient(event_hooks={"request": [on_request]})
        adapter = OpenAIChatProvider(
            MODEL, api_key="sk-test", base_url=server.url + "/v1", http_client=client
        )
        agent = Agent(adapter, tools=[unlock], sinks=sinks)
        try:
            await agent.run(f"Open the front door, the PIN is {PIN}", run_id="r1")
        finally:
            await client.aclose()
    return current_at_request


@pytest.mark.parametrize("capture_content", [False, True], ids=["no-content", "content"])
async def test_http_requests_nest_under_chat_with_a_sensitive_tool(capture_content: bool) -> None:
    """Each request of a run that holds model.requested sees its own chat span current; spans end in order."""
    from opentelemetry import trace

    otel = OTelHarness(capture_content=capture_content)
    with trace.get_tracer("test", tracer_provider=otel.tracer_provider).start_as_current_span(
        "outer"
    ) as outer:
        current_at_request = await _run(otel.sink)
        assert trace.get_current_span() is outer  # every span the run made current was detached
    spans = otel.spans()
    chats = [s for s in spans if s.name.startswith("chat")]
    agent_span = next(s for s in spans if s.name.startswith("invoke_agent"))
    assert len(chats) == len(current_at_request) == 2
    assert [c.get_span_context().span_id for c in current_at_request] == [
        c.context.span_id for c in chats
    ]
    assert all(c.parent.span_id == agent_span.context.span_id for c in chats)
    for chat in chats:
        assert chat.attributes["gen_ai.request.model"] == MODEL
        assert chat.start_time <= chat.end_time
    dumped = otel.dump()
    assert PIN not in dumped
    if capture_content:
        # The held event completed its span: the input messages are there, the PIN masked.
        first_input = json.loads(chats[0].attributes["gen_ai.input.messages"])
        assert first_input[0]["parts"][0]["content"] == "Open the front door, the PIN is ***"
        second_input = json.loads(chats[1].attributes["gen_ai.input.messages"])
        assert [m["role"] for m in second_input] == ["user", "assistant", "tool"]
    else:
        assert all("gen_ai.input.messages" not in s.attributes for s in spans)


async def test_nesting_holds_through_a_redacting_sink_and_the_store_gets_events_in_order() -> None:
    """OTelSink wrapped in a RedactingSink gets the preview too; the store still gets each event once, in order."""
    otel = OTelHarness(capture_content=True)
    store = MemoryStore()
    current_at_request = await _run(RedactingSink(otel.sink), store=store)
    chats = [s for s in otel.spans() if s.name.startswith("chat")]
    assert [c.get_span_context().span_id for c in current_at_request] == [
        c.context.span_id for c in chats
    ]
    stored = store.read("r1")
    assert [e.seq for e in stored] == list(range(len(stored)))
    assert PIN not in "".join(e.model_dump_json() for e in stored)
    assert PIN not in otel.dump()


def test_a_preview_carries_no_content_and_precedes_the_held_event() -> None:
    """While holding, a previewing sink gets the event without messages at once; everyone gets it on release."""
    previews: list[Any] = []
    delivered: list[Any] = []

    class Previewing:
        def __call__(self, event: Any) -> None:
            delivered.append(event)

        def preview(self, event: Any) -> None:
            previews.append(event)

    held = HeldSinks([Previewing()])
    held.hold()
    event = ModelRequested(
        run_id="r",
        seq=1,
        at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        step=1,
        provider="fake",
        messages=1,
        new_messages=[Message.user(f"pin {PIN}")],
    )
    held(event)
    assert delivered == []
    assert [(p.seq, p.new_messages) for p in previews] == [(1, None)]
    held.release()
    assert delivered == [event]


def test_the_preview_strips_every_field_the_content_policy_names() -> None:
    """HeldSinks strips at least the fields agentkit.observability counts as content."""
    assert set(CONTENT_FIELDS) <= set(_CONTENT_FIELDS)
