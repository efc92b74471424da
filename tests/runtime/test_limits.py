"""Run limits (steps, tokens, tool calls, deadline) and cancellation: typed errors, valid history, events."""

from __future__ import annotations

import pickle

import anyio
import pytest

from agentkit import tool
from agentkit.events import BudgetExceededEvent, RunFinished, ToolCallCancelled
from agentkit.messages import Message, ToolCallPart, Usage
from agentkit.providers import ModelSettings
from agentkit.runtime import Agent, BudgetExceeded, Limits, capture_events
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCallPart:
    return ToolCallPart(id=id, name=name, arguments=arguments)


@tool
def noop() -> str:
    """Do nothing."""
    return "ok"


def assert_every_call_answered(messages: list[Message]) -> None:
    """Every tool call in the history has exactly one result, in the message right after it."""
    for index, message in enumerate(messages):
        ids = [c.id for c in message.tool_calls]
        if ids:
            answers = [p.tool_call_id for p in messages[index + 1].tool_results]
            assert answers == ids


async def test_max_steps_stops_a_model_that_never_answers() -> None:
    """A model that calls tools forever is stopped at max_steps, with the history still valid."""
    provider = FakeProvider([[call("noop", id=f"c{i}")] for i in range(10)])
    transcript: list[Message] = []
    with capture_events() as events, pytest.raises(BudgetExceeded) as info:
        await Agent(provider, tools=[noop], max_steps=3).run("go", transcript=transcript)
    assert (info.value.limit, info.value.maximum, info.value.used) == ("max_steps", 3, 3)
    assert len(provider.requests) == 3
    assert_every_call_answered(transcript)
    (budget,) = events.of_type(BudgetExceededEvent)
    assert budget.limit == "max_steps"
    finished = events.of_type(RunFinished)[-1]
    assert (finished.status, finished.error_type) == ("failed", "BudgetExceeded")


@pytest.mark.parametrize(
    ("limits", "name", "used"),
    [
        (Limits(max_input_tokens=150), "input_tokens", 200),
        (Limits(max_output_tokens=15), "output_tokens", 20),
        (Limits(max_total_tokens=200), "total_tokens", 220),
    ],
)
async def test_token_budgets(limits: Limits, name: str, used: int) -> None:
    """Token budgets are checked after each model call against the run's summed usage."""
    provider = FakeProvider(
        [[call("noop")], [call("noop", id="c2")], "done"],
        usage=Usage(input_tokens=100, output_tokens=10),
    )
    transcript: list[Message] = []
    with pytest.raises(BudgetExceeded) as info:
        await Agent(provider, tools=[noop], limits=limits).run("go", transcript=transcript)
    assert (info.value.limit, info.value.used) == (name, used)
    assert_every_call_answered(transcript)
    assert "not executed" in transcript[-1].tool_results[0].content


async def test_tool_call_budget() -> None:
    """The tool-call budget counts every call the model makes."""
    provider = FakeProvider(
        [[call("noop", id="a"), call("noop", id="b")], [call("noop", id="c")], "x"]
    )
    transcript: list[Message] = []
    with pytest.raises(BudgetExceeded) as info:
        await Agent(provider, tools=[noop], limits=Limits(max_tool_calls=2)).run(
            "go", transcript=transcript
        )
    assert (info.value.limit, info.value.maximum, info.value.used) == ("tool_calls", 2, 3)
    assert_every_call_answered(transcript)


async def test_deadline_stops_a_hung_tool_and_answers_its_call() -> None:
    """The run deadline cancels a hung tool, raises BudgetExceeded('deadline'), and the call still has a result."""

    @tool
    async def hang() -> str:
        """Hang."""
        await anyio.sleep_forever()
        return "never"

    provider = FakeProvider([[call("hang", id="a"), call("noop", id="b")]])
    transcript: list[Message] = []
    with capture_events() as events, pytest.raises(BudgetExceeded) as info:
        await Agent(provider, tools=[hang, noop], limits=Limits(timeout=0.05)).run(
            "go", transcript=transcript
        )
    assert info.value.limit == "deadline"
    assert_every_call_answered(transcript)
    answers = {p.tool_call_id: p for p in transcript[-1].tool_results}
    assert answers["a"].is_error
    assert "cancelled" in answers["a"].content
    assert not answers["b"].is_error
    (cancelled,) = events.of_type(ToolCallCancelled)
    assert (cancelled.tool_call_id, cancelled.reason) == ("a", "the run's deadline passed")


async def test_remaining_time_is_propagated_to_the_provider() -> None:
    """With a deadline, every request carries the time left as its timeout (never more than configured)."""
    provider = FakeProvider(["ok"])
    await Agent(provider, limits=Limits(timeout=30), settings=ModelSettings(timeout=5)).run("go")
    assert provider.requests[0].settings.timeout == 5
    provider = FakeProvider(["ok"])
    await Agent(provider, limits=Limits(timeout=30)).run("go")
    timeout = provider.requests[0].settings.timeout
    assert timeout is not None
    assert 0 < timeout <= 30
    provider = FakeProvider(["ok"])
    await Agent(provider).run("go")
    assert provider.requests[0].settings.timeout is None


async def test_cancellation_mid_tool_answers_every_call_and_records_it() -> None:
    """Cancelling the caller's scope mid-tool records cancelled results for every open call, then propagates."""
    started = anyio.Event()

    @tool
    async def slow(n: int) -> int:
        """Slow."""
        started.set()
        await anyio.sleep_forever()
        return n

    provider = FakeProvider([[call("slow", '{"n": 1}', id="a"), call("slow", '{"n": 2}', id="b")]])
    transcript: list[Message] = []
    agent = Agent(provider, tools=[slow])
    with capture_events() as events:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: agent.run("go", transcript=transcript))
            await started.wait()
            tg.cancel_scope.cancel()
    assert_every_call_answered(transcript)
    assert all(p.is_error and "cancelled" in p.content for p in transcript[-1].tool_results)
    cancelled = events.of_type(ToolCallCancelled)
    assert sorted(e.tool_call_id or "" for e in cancelled) == ["a", "b"]
    assert events.of_type(RunFinished)[-1].status == "cancelled"


async def test_provider_errors_end_the_run_with_a_model_failed_event() -> None:
    """A provider error propagates unchanged, after a model.failed and a failed run.finished event."""
    from agentkit.exceptions import RateLimited

    provider = FakeProvider([RateLimited("slow down", provider="fake", retry_after=2.0)])
    with capture_events() as events, pytest.raises(RateLimited):
        await Agent(provider).run("go")
    assert events.types() == ["run.started", "model.requested", "model.failed", "run.finished"]


def test_budget_exceeded_pickles_with_its_fields() -> None:
    """BudgetExceeded keeps its typed fields through pickle."""
    err = pickle.loads(pickle.dumps(BudgetExceeded(limit="deadline", maximum=2.0, used=2.0)))
    assert (err.limit, err.maximum, err.used, str(err)) == (
        "deadline",
        2.0,
        2.0,
        "run limit 'deadline' exceeded: used 2, limit 2",
    )
