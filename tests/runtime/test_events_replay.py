"""Events hold a run's content (schema version 2): the conversation, answers, tool results and fingerprints."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel

from agentkit import Sensitive, tool
from agentkit.events import (
    ModelRequested,
    ModelResponded,
    RunFinished,
    ToolCallFailed,
    ToolCallSucceeded,
)
from agentkit.exceptions import ToolFailed
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent, approve, capture_events
from agentkit.storage._replay import conversation_from_events
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


@tool
def lookup(city: str) -> str:
    """Look up a city."""
    return f"{city}: 3 million"


@tool
def broken(city: str) -> str:
    """Always fails."""
    raise ToolFailed(f"no data for {city}")


@tool
def login(user: str, pin: Annotated[str, Sensitive()]) -> str:
    """Log in."""
    return f"welcome {user}"


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight."""
    return f"booked {flight}"


class Answer(BaseModel):
    """A city's population."""

    population: int


def _calls(*parts: tuple[str, str, str]) -> list[ToolCallPart]:
    return [ToolCallPart(id=i, name=n, arguments=a) for i, n, a in parts]


async def test_events_hold_the_conversation_the_run_ended_with() -> None:
    """Rebuilding the conversation from the events gives exactly the run's messages."""
    provider = FakeProvider(
        [
            _calls(("c1", "lookup", '{"city": "Oslo"}'), ("c2", "broken", '{"city": "Oslo"}')),
            "Done.",
        ]
    )
    with capture_events() as events:
        result = await Agent(provider, tools=[lookup, broken], instructions="Be brief.").run(
            "Oslo?"
        )
    assert conversation_from_events(list(events)) == list(result.messages)
    first, second = events.of_type(ModelRequested)
    assert first.new_messages is not None
    assert len(first.new_messages) == first.messages == 2
    assert second.new_messages is not None
    assert [m.role for m in second.new_messages] == ["tool"]
    assert first.tool_fingerprints == {
        "lookup": lookup.contract.fingerprint,
        "broken": broken.contract.fingerprint,
    }
    responded = events.of_type(ModelResponded)[0]
    assert responded.message == result.messages[2]
    (succeeded,) = events.of_type(ToolCallSucceeded)
    (failed,) = events.of_type(ToolCallFailed)
    assert (succeeded.content, failed.content) == ("Oslo: 3 million", "no data for Oslo")


async def test_tool_output_mode_closing_messages_are_recorded() -> None:
    """The tool message answering a final-output tool call is held by run.finished."""
    provider = FakeProvider([_calls(("o1", "final_result", '{"population": 3}'))])
    with capture_events() as events:
        result = await Agent(provider, output_type=Answer, output_mode="tool").run("Oslo?")
    assert result.output == Answer(population=3)
    (finished,) = events.of_type(RunFinished)
    assert finished.new_messages is not None
    assert [m.role for m in finished.new_messages] == ["tool"]
    assert conversation_from_events(list(events)) == list(result.messages)


async def test_sensitive_arguments_are_masked_in_the_recorded_answer() -> None:
    """A Sensitive argument's value is masked in model.responded, even without a redactor."""
    provider = FakeProvider(
        [_calls(("c1", "login", '{"user": "ann", "pin": "pin-99821"}')), "Logged in."]
    )
    with capture_events() as events:
        await Agent(provider, tools=[login], redactor=False).run("Log in.")
    dumped = "".join(e.model_dump_json() for e in events)
    assert "pin-99821" not in dumped
    call = events.of_type(ModelResponded)[0].message
    assert call is not None
    assert call.tool_calls[0].arguments == '{"user": "ann", "pin": "***"}'


async def test_resumed_run_events_still_hold_the_conversation() -> None:
    """After an approval pause, the paused and resumed events together rebuild the final conversation."""
    provider = FakeProvider([_calls(("b1", "book", '{"flight": "TP1"}')), "Booked."])
    agent = Agent(provider, tools=[book])
    with capture_events() as paused_events:
        paused = await agent.run("Book TP1.")
    assert paused.pending is not None
    with capture_events() as resumed_events:
        result = await agent.resume(paused.pending, {"b1": approve()})
    events = [*paused_events, *resumed_events]
    assert conversation_from_events(events) == list(result.messages)
