"""Telemetry of real runs over the loopback fake server: content policy, current spans, attributes, metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from agentkit import tool
from agentkit.events import (
    EventEmitter,
    ModelFailed,
    ModelRequested,
    ModelResponded,
    RetryScheduled,
    RunFinished,
    RunStarted,
)
from agentkit.messages import ToolCallPart, Usage
from agentkit.observability import LoggingSink, Metrics
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, StoreSink
from agentkit.testing import FakeProvider, FakeProviderServer, Reply, ServedRequest

pytestmark = pytest.mark.anyio

MODEL = "gpt-4.1-mini"
# Not "4321": so short a number turns up by chance inside span timestamps and ids, and the check would fail
# for the wrong reason. Eight digits no built-in pattern recognises cannot collide that way in practice.
PIN = "43219876"
LOGGER = "agentkit.test.telemetry"


@tool
def check_pin(pin: str) -> str:
    """Check a card PIN against the bank's records."""
    return f"PIN {pin} matches the card on file."


def _pin_responder(request: ServedRequest) -> Reply:
    """First a call to check_pin with the PIN the user gave, then an answer repeating it."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply(f"Your PIN {PIN} is correct.")
    return Reply("", tool_calls=(("check_pin", json.dumps({"pin": PIN})),))


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything LoggingSink writes at DEBUG on the test logger: message and structured event."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s %(agentkit_event)s"))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield buffer
    logger.removeHandler(handler)


async def _pin_run(*sinks: Any) -> Any:
    async with FakeProviderServer(responder=_pin_responder) as server:
        adapter = OpenAIChatProvider(MODEL, api_key="sk-test", base_url=server.url + "/v1")
        agent = Agent(adapter, tools=[check_pin], sinks=list(sinks))
        try:
            return await agent.run(f"Is my card pin {PIN}?", run_id="r1")
        finally:
            await adapter.aclose()


# --------------------------------------------------------------------------------------------- content policy


async def test_sinks_leaving_the_process_carry_no_content_by_default(
    log_text: io.StringIO, otel: Any
) -> None:
    """The user's PIN reaches the store (replay needs it) but neither the DEBUG log nor the spans."""
    store = MemoryStore()
    result = await _pin_run(StoreSink(store), LoggingSink(LOGGER), otel.sink)
    assert PIN in result.output
    logged = log_text.getvalue()
    assert "check_pin" in logged  # the log is there, with every event's headline
    assert "model.responded" in logged
    assert "tool.call.succeeded" in logged
    assert PIN not in logged
    assert PIN not in otel.dump()
    stored = json.dumps([e.model_dump(mode="json") for e in store.read("r1")])
    assert f"my card pin {PIN}" in stored


async def test_capture_content_opts_in_to_logged_and_traced_content(
    log_text: io.StringIO, otel_content: Any
) -> None:
    """With capture_content=True the log and the spans carry the messages and tool I/O, in the GenAI shape."""
    await _pin_run(LoggingSink(LOGGER, capture_content=True), otel_content.sink)
    assert f"my card pin {PIN}" in log_text.getvalue()
    spans = {s.name: s for s in otel_content.spans()}
    tool_span = spans["execute_tool check_pin"]
    assert json.loads(tool_span.attributes["gen_ai.tool.call.arguments"]) == {"pin": PIN}
    assert PIN in tool_span.attributes["gen_ai.tool.call.result"]
    chats = [s for s in otel_content.spans() if s.name.startswith("chat")]
    last_input = json.loads(chats[-1].attributes["gen_ai.input.messages"])
    assert [m["role"] for m in last_input] == ["user", "assistant", "tool"]
    assert last_input[0]["parts"] == [{"type": "text", "content": f"Is my card pin {PIN}?"}]
    assert last_input[1]["parts"][0]["type"] == "tool_call"
    assert last_input[2]["parts"][0]["type"] == "tool_call_response"
    output = json.loads(chats[-1].attributes["gen_ai.output.messages"])
    assert output == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": f"Your PIN {PIN} is correct."}],
            "finish_reason": "stop",
        }
    ]


# --------------------------------------------------------------------------------------------- current spans


async def test_spans_opened_in_tools_and_http_requests_nest_under_the_run(otel: Any) -> None:
    """A span a tool opens nests under execute_tool, an HTTP request sees chat as current, and context is restored."""
    from opentelemetry import trace

    tracer = otel.tracer_provider.get_tracer("user-code")
    current_at_request: list[Any] = []

    async def on_request(request: httpx.Request) -> None:
        current_at_request.append(
            trace.get_current_span()
        )  # what an httpx instrumentation parents to

    @tool
    async def lookup(city: str) -> str:
        """Look a city up in an instrumented database."""
        with tracer.start_as_current_span(f"db.query {city}"):
            return f"{city}: sunny"

    @tool(blocking=True)
    def geocode(city: str) -> str:
        """Geocode a city (blocking: runs in a worker thread)."""
        with tracer.start_as_current_span(f"geo {city}"):
            return f"{city}: 48.85,2.35"

    def respond(request: ServedRequest) -> Reply:
        if '"role": "tool"' in json.dumps(request.body):
            return Reply("Sunny in Paris and Rome.")
        return Reply(
            "",
            tool_calls=(
                ("lookup", '{"city": "Paris"}'),
                ("lookup", '{"city": "Rome"}'),
                ("geocode", '{"city": "Oslo"}'),
            ),
        )

    with tracer.start_as_current_span("request handler") as outer:
        async with FakeProviderServer(responder=respond) as server:
            client = httpx.AsyncClient(event_hooks={"request": [on_request]})
            adapter = OpenAIChatProvider(
                MODEL, api_key="sk-test", base_url=server.url + "/v1", http_client=client
            )
            agent = Agent(adapter, tools=[lookup, geocode], sinks=[otel.sink])
            try:
                await agent.run("Weather?")
            finally:
                await client.aclose()
        assert trace.get_current_span() is outer  # every span the run made current was detached
    spans = otel.spans()
    by_name = {s.name: s for s in spans}
    agent_span = by_name["invoke_agent agent"]
    assert agent_span.parent.span_id == outer.get_span_context().span_id
    tool_spans = {
        s.attributes["gen_ai.tool.call.id"]: s for s in spans if s.name.startswith("execute_tool")
    }
    assert len(tool_spans) == 3
    for inner_name, call_id in (
        ("db.query Paris", "call_0"),
        ("db.query Rome", "call_1"),
        ("geo Oslo", "call_2"),
    ):
        inner = by_name[inner_name]
        assert inner.parent.span_id == tool_spans[call_id].context.span_id, inner_name
    chats = [s for s in spans if s.name.startswith("chat")]
    assert len(chats) == len(current_at_request) == 2
    assert [c.get_span_context().span_id for c in current_at_request] == [
        c.context.span_id for c in chats
    ]
    assert all(c.parent.span_id == agent_span.context.span_id for c in chats)


async def test_a_cancelled_run_restores_the_callers_context(
    otel: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Cancelling a run mid-way through parallel tools ends their spans and leaves the caller's context intact."""
    import anyio
    from opentelemetry import trace

    started = anyio.Event()
    running: list[str] = []

    @tool
    async def wait(name: str) -> str:
        """Wait for something that never comes."""
        running.append(name)
        if len(running) == 2:
            started.set()
        await anyio.sleep_forever()
        return name  # pragma: no cover - cancelled first

    provider = FakeProvider(
        [
            [
                ToolCallPart(id="c1", name="wait", arguments='{"name": "a"}'),
                ToolCallPart(id="c2", name="wait", arguments='{"name": "b"}'),
            ]
        ]
    )
    agent = Agent(provider, tools=[wait], sinks=[otel.sink])
    tracer = otel.tracer_provider.get_tracer("user-code")
    with tracer.start_as_current_span("caller") as outer:
        async with anyio.create_task_group() as tg:

            async def run() -> None:
                await agent.run("Wait twice.")

            tg.start_soon(run)
            await started.wait()
            tg.cancel_scope.cancel()
        assert trace.get_current_span() is outer
    tools = [s for s in otel.spans() if s.name.startswith("execute_tool")]
    assert [s.attributes["error.type"] for s in tools] == ["cancelled", "cancelled"]
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry")]


# --------------------------------------------------------------------------------------------- attributes


def test_reasoning_tokens_and_structured_output_type(otel: Any) -> None:
    """Reasoning tokens are reported as gen_ai.usage.reasoning.output_tokens; structured output is json."""
    from pydantic import BaseModel

    class Answer(BaseModel):
        value: int

    provider = FakeProvider(
        ['{"value": 3}'], usage=Usage(input_tokens=9, output_tokens=7, reasoning_tokens=5)
    )
    Agent(provider, output_type=Answer, sinks=[otel.sink]).run_sync("1 + 2?")
    chat = next(s for s in otel.spans() if s.name.startswith("chat"))
    assert chat.attributes["gen_ai.usage.reasoning.output_tokens"] == 5
    assert chat.attributes["gen_ai.output.type"] == "json"
    agent_span = next(s for s in otel.spans() if s.name.startswith("invoke_agent"))
    assert agent_span.attributes["gen_ai.usage.reasoning.output_tokens"] == 5


# --------------------------------------------------------------------------------------------- metrics


def _at(second: int) -> datetime:
    return datetime(2026, 1, 1, 0, 0, second, tzinfo=timezone.utc)


def test_metrics_label_the_requested_model_on_success_and_failure() -> None:
    """A dated response model does not split the series: one success and one error read as a 0.5 success rate."""
    metrics = Metrics()
    emitter = EventEmitter("r1", sinks=[metrics])
    emitter.emit(RunStarted, agent="a", provider="openai", model="gpt-4.1", output_type="str")
    emitter.emit(ModelRequested, step=1, provider="openai", model="gpt-4.1", messages=1)
    emitter.emit(ModelResponded, step=1, model="gpt-4.1-2025-04-14", finish_reason="stop")
    emitter.emit(ModelRequested, step=2, provider="openai", model="gpt-4.1", messages=3)
    emitter.emit(
        RetryScheduled,
        provider="openai",
        attempt=1,
        delay_s=0.5,
        error_type="RateLimited",
        error_message="slow down",
    )
    emitter.emit(ModelFailed, step=2, error_type="ProviderTimeout", error_message="too slow")
    emitter.emit(RunFinished, status="failed", steps=2, tool_calls=0)
    assert metrics.success_rate("model", model="gpt-4.1") == 0.5
    assert metrics.counter("agentkit_model_calls_total", model="gpt-4.1-2025-04-14") == 0.0
    assert (
        metrics.counter("agentkit_retries_total", model="gpt-4.1", error_type="RateLimited") == 1.0
    )


def test_per_run_state_is_bounded() -> None:
    """Runs that never finish, and events of unknown runs, cannot grow the sinks' per-run state without bound."""
    metrics = Metrics(max_runs_in_flight=3)
    for i in range(10):
        emitter = EventEmitter(f"r{i}", sinks=[metrics])
        emitter.emit(RunStarted, agent="a", provider="fake", model="m", output_type="str")
    for i in range(10):
        EventEmitter(f"stray{i}", sinks=[metrics]).emit(
            ModelFailed, step=1, error_type="X", error_message="x"
        )
    assert len(metrics._runs) == 3
    assert sorted(metrics._runs) == ["r7", "r8", "r9"]
    finished = EventEmitter("r9", sinks=[metrics], start_seq=1)
    finished.emit(RunFinished, status="completed", steps=0, tool_calls=0)
    assert sorted(metrics._runs) == ["r7", "r8"]


def test_otel_sink_bounds_runs_in_flight(make_otel: Any) -> None:
    """OTelSink ends the oldest unfinished run's spans past max_runs_in_flight."""
    harness = make_otel(max_runs_in_flight=2)
    for i in range(5):
        EventEmitter(f"r{i}", sinks=[harness.sink]).emit(
            RunStarted, agent=f"a{i}", provider="fake", model="m", output_type="str"
        )
    assert repr(harness.sink) == "OTelSink(runs_in_flight=2)"
    assert sorted(s.name for s in harness.spans()) == [f"invoke_agent a{i}" for i in range(3)]


def test_logging_sink_leaves_a_structured_loggers_event_key_alone() -> None:
    """Through an adapter that puts structlog's ``event`` key on records, the event goes under agentkit_event."""

    class StructAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
        def process(
            self, msg: Any, kwargs: MutableMapping[str, Any]
        ) -> tuple[Any, MutableMapping[str, Any]]:
            kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
            return msg, kwargs

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("agentkit.test.structured")
    logger.addHandler(Keep())
    logger.setLevel(logging.DEBUG)
    adapter = StructAdapter(logger, {"event": "checkout-service"})
    sink = LoggingSink(adapter)
    EventEmitter("r1", sinks=[sink]).emit(
        RunStarted, agent="a", provider="fake", model="m", output_type="str"
    )
    (record,) = records
    assert record.event == "checkout-service"  # type: ignore[attr-defined]
    assert record.agentkit_event["type"] == "run.started"  # type: ignore[attr-defined]
    assert repr(sink) == "LoggingSink('agentkit.test.structured')"
