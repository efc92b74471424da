"""The OpenTelemetry sink emits GenAI-convention spans and metrics (needs the otel extra: fails, never skips)."""

from __future__ import annotations

import builtins
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from agentkit import tool
from agentkit.exceptions import MissingExtraError, ProviderUnavailable
from agentkit.messages import ToolCallPart, Usage
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider, MockClock


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def crash(x: int) -> int:
    """Crashes."""
    raise ValueError("broken")


def test_spans_follow_genai_conventions(otel: Any) -> None:
    """A run yields invoke_agent, chat and execute_tool spans with the GenAI attributes, properly parented."""
    provider = FakeProvider(
        [[ToolCallPart(id="c1", name="add", arguments='{"a": 1, "b": 2}')], "3"],
        usage=Usage(input_tokens=10, output_tokens=4),
    )
    Agent(provider, tools=[add], name="calc", sinks=[otel.sink]).run_sync("1+2?")
    spans = {s.name: s for s in otel.spans()}
    assert sorted(spans) == ["chat fake-model", "execute_tool add", "invoke_agent calc"]
    agent, chat, tool_span = (
        spans["invoke_agent calc"],
        spans["chat fake-model"],
        spans["execute_tool add"],
    )
    assert agent.kind == SpanKind.INTERNAL
    assert chat.kind == SpanKind.CLIENT
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "calc"
    assert agent.attributes["gen_ai.usage.input_tokens"] == 20
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.provider.name"] == "fake" == chat.attributes["gen_ai.system"]
    assert chat.attributes["gen_ai.request.model"] == "fake-model"
    assert chat.attributes["gen_ai.usage.input_tokens"] == 10
    assert chat.attributes["gen_ai.usage.output_tokens"] == 4
    assert tuple(chat.attributes["gen_ai.response.finish_reasons"]) == ("stop",)
    assert tool_span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool_span.attributes["gen_ai.tool.name"] == "add"
    assert tool_span.attributes["gen_ai.tool.call.id"] == "c1"
    for child in (chat, tool_span):
        assert child.parent.span_id == agent.context.span_id
        assert child.context.trace_id == agent.context.trace_id
    assert agent.start_time <= chat.start_time <= chat.end_time <= agent.end_time


def test_metrics_follow_genai_conventions(otel: Any) -> None:
    """Token usage and operation duration are recorded as histograms with gen_ai.token.type."""
    provider = FakeProvider(["hi"], usage=Usage(input_tokens=7, output_tokens=3))
    Agent(provider, sinks=[otel.sink], clock=MockClock()).run_sync("hello")
    metrics = otel.metrics()
    tokens = {p.attributes["gen_ai.token.type"]: p for p in metrics["gen_ai.client.token.usage"]}
    assert tokens["input"].sum == 7
    assert tokens["output"].sum == 3
    assert tokens["input"].attributes["gen_ai.operation.name"] == "chat"
    assert tokens["input"].attributes["gen_ai.request.model"] == "fake-model"
    assert tokens["input"].explicit_bounds[:3] == (1, 4, 16)
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert duration.explicit_bounds[0] == 0.01


def test_failures_set_error_type(otel: Any) -> None:
    """Failed tool calls, model calls and runs set error.type and an ERROR status."""
    provider = FakeProvider(
        [
            [ToolCallPart(id="c1", name="crash", arguments='{"x": 1}')],
            ProviderUnavailable("down", provider="fake"),
        ]
    )
    with pytest.raises(ProviderUnavailable):
        Agent(provider, tools=[crash], sinks=[otel.sink]).run_sync("go")
    spans = {s.name: s for s in otel.spans()}
    for name, error in (
        ("execute_tool crash", "ValueError"),
        ("invoke_agent agent", "ProviderUnavailable"),
    ):
        assert spans[name].attributes["error.type"] == error
        assert spans[name].status.status_code == StatusCode.ERROR
    failed_chat = [
        s for s in otel.spans() if s.name == "chat fake-model" and "error.type" in s.attributes
    ]
    assert failed_chat[0].attributes["error.type"] == "ProviderUnavailable"
    durations = otel.metrics()["gen_ai.client.operation.duration"]
    assert any(p.attributes.get("error.type") == "ProviderUnavailable" for p in durations)


def test_missing_extra_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without OpenTelemetry, creating the sink raises MissingExtraError with the pip line."""
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("opentelemetry"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    from agentkit.observability import OTelSink

    with pytest.raises(
        MissingExtraError, match=r'pip install "agentkit-contracts\[otel\]"'
    ) as info:
        OTelSink()
    assert info.value.extra == "otel"
    assert info.value.package == "opentelemetry"


def test_lazy_attribute() -> None:
    """OTelSink is reachable from agentkit.observability; unknown names raise AttributeError."""
    import agentkit.observability as observability
    from agentkit.observability.otel import OTelSink, provider_name

    assert observability.OTelSink is OTelSink
    with pytest.raises(AttributeError):
        _ = observability.Nope  # type: ignore[attr-defined]
    assert provider_name("OpenAIChatProvider") == "openai"


def test_two_calls_sharing_an_id_get_a_span_each(otel: Any) -> None:
    """Calls of one answer that share an id and finish out of order each close their own span with their result."""
    import anyio

    from agentkit.observability.otel import OTelSink

    second_done = anyio.Event()

    @tool
    async def wait(label: str) -> str:
        """Finish after the other call when asked to."""
        if label == "first":
            await second_done.wait()
        else:
            second_done.set()
        return f"done {label}"

    sink = OTelSink(
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
        capture_content=True,
    )
    provider = FakeProvider(
        [
            [
                ToolCallPart(id="same", name="wait", arguments='{"label": "first"}'),
                ToolCallPart(id="same", name="wait", arguments='{"label": "second"}'),
            ],
            "ok",
        ]
    )
    Agent(provider, tools=[wait], sinks=[sink]).run_sync("go")
    tool_spans = [s for s in otel.spans() if s.name == "execute_tool wait"]
    assert len(tool_spans) == 2
    by_arguments = {
        s.attributes["gen_ai.tool.call.arguments"]: s.attributes["gen_ai.tool.call.result"]
        for s in tool_spans
    }
    assert by_arguments == {'{"label":"first"}': "done first", '{"label":"second"}': "done second"}
