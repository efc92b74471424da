"""Streaming runs, and the integrity of every run's event log."""

from __future__ import annotations

import anyio
import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.events import (
    BaseEvent,
    ModelRequested,
    ModelResponded,
    RunFinished,
    RunStarted,
    ToolCallStarted,
    ToolCallSucceeded,
    parse_event,
)
from agentkit.exceptions import RateLimited
from agentkit.messages import ToolCallPart, Usage
from agentkit.providers import TextDelta, ToolCallDelta
from agentkit.runtime import Agent, CapturedEvents, capture_events
from agentkit.testing import FakeProvider, MockClock

pytestmark = pytest.mark.anyio


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCallPart:
    return ToolCallPart(id=id, name=name, arguments=arguments)


@tool
def weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


async def test_stream_yields_text_deltas_tool_progress_and_the_final_output() -> None:
    """A streamed run yields tool-call deltas, tool events, text deltas, then holds the final result."""
    provider = FakeProvider([[call("weather", '{"city": "Lisbon"}')], "It is sunny in Lisbon."])
    items: list[object] = []
    async with Agent(provider, tools=[weather]).run_stream("weather?") as stream:
        async for item in stream:
            items.append(item)
    assert stream.result is not None
    assert stream.result.output == "It is sunny in Lisbon."
    text = "".join(i.text for i in items if isinstance(i, TextDelta))
    assert text == "It is sunny in Lisbon."
    assert any(isinstance(i, ToolCallDelta) and i.name == "weather" for i in items)
    kinds = CapturedEvents(i for i in items if isinstance(i, BaseEvent)).types()
    assert kinds.index("tool.call.started") < kinds.index("tool.call.succeeded")
    assert kinds[-1] == "run.finished"
    first_text = next(n for n, i in enumerate(items) if isinstance(i, TextDelta))
    tool_done = next(n for n, i in enumerate(items) if isinstance(i, ToolCallSucceeded))
    assert tool_done < first_text
    assert all(e.stream for e in stream.result.events if isinstance(e, ModelRequested))


async def test_stream_get_result_and_errors() -> None:
    """``get_result`` drains the stream; a failing run raises its error from the stream."""
    async with Agent(FakeProvider(["ok"])).run_stream("go") as stream:
        result = await stream.get_result()
    assert result.output == "ok"
    with pytest.raises(RateLimited):
        async with Agent(FakeProvider([RateLimited("no", provider="fake")])).run_stream(
            "go"
        ) as stream:
            await stream.get_result()


async def test_leaving_a_stream_early_cancels_the_run() -> None:
    """Breaking out of the stream cancels the run; nothing hangs."""
    started = anyio.Event()

    @tool
    async def hang() -> str:
        """Hang."""
        started.set()
        await anyio.sleep_forever()
        return ""

    with capture_events() as events:
        async with Agent(FakeProvider([[call("hang")]]), tools=[hang]).run_stream("go") as stream:
            async for item in stream:
                if isinstance(item, ToolCallStarted):
                    break
    assert events.of_type(RunFinished)[-1].status == "cancelled"


async def test_structured_output_streams_too() -> None:
    """A streamed run with a structured output type validates the streamed answer."""

    class Answer(BaseModel):
        value: int

    async with Agent(FakeProvider(['{"value": 3}']), output_type=Answer).run_stream("go") as stream:
        result = await stream.get_result()
    assert result.output == Answer(value=3)


async def test_event_log_shape_run_id_and_seq() -> None:
    """A run's events share its run id, number 0..n-1, and follow the steps in order."""
    clock = MockClock(tick=0.5)
    provider = FakeProvider(
        [[call("weather", '{"city": "Porto"}')], "sunny"],
        usage=Usage(input_tokens=7, output_tokens=3),
    )
    seen: list[BaseEvent] = []
    with capture_events() as events:
        result = await Agent(
            provider, tools=[weather], name="travel", clock=clock, sinks=[seen.append]
        ).run("go", run_id="run-42")
    assert events.types() == [
        "run.started",
        "model.requested",
        "model.responded",
        "tool.call.started",
        "tool.call.succeeded",
        "model.requested",
        "model.responded",
        "run.finished",
    ]
    assert list(result.events) == list(events) == seen
    assert events.run_ids() == ["run-42"]
    assert [e.seq for e in events] == list(range(len(events)))
    started = events.of_type(RunStarted)[0]
    assert (started.agent, started.provider, started.model, started.tool_names) == (
        "travel",
        "fake",
        "fake-model",
        ["weather"],
    )
    responded = events.of_type(ModelResponded)
    assert responded[0].tool_calls == ["weather"]
    assert responded[0].usage["input_tokens"] == 7
    assert responded[0].duration_s > 0  # measured with the injected clock
    finished = events.of_type(RunFinished)[0]
    assert (finished.status, finished.output, finished.usage["output_tokens"]) == (
        "completed",
        "sunny",
        6,
    )
    times = [e.at for e in events]
    assert times == sorted(times)
    for event in events:
        assert parse_event(event.model_dump_json()) == event


async def test_concurrent_runs_keep_their_own_logs() -> None:
    """Two runs at once never mix their events: each has its own run id and sequence."""
    agent = Agent(FakeProvider(["a", "b"]))
    with capture_events() as events:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: agent.run("x", run_id="one"))
            tg.start_soon(lambda: agent.run("y", run_id="two"))
    assert sorted(events.run_ids()) == ["one", "two"]
    for run_id in ("one", "two"):
        assert [e.seq for e in events.for_run(run_id)] == [0, 1, 2, 3]


async def test_model_events_carry_the_messages_redacted() -> None:
    """Model events hold the messages (so a run replays from its events), with secret-shaped text masked."""
    secret = "sk-proj-NOTAREALKEY0123456789abcdef"
    with capture_events() as events:
        await Agent(FakeProvider(["noted"])).run(f"my key is {secret}")
    dumped = "".join(e.model_dump_json() for e in events)
    assert secret not in dumped
    assert "my key is" in dumped
    assert "noted" in dumped
