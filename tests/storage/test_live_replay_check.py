"""A live replay checks each tool call against the recorded call with its id before the tool runs."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from agentkit import tool
from agentkit.events import ModelResponded
from agentkit.messages import Message, ToolCallPart
from agentkit.runtime import Agent
from agentkit.storage import Recording, ReplayDivergence, replay
from agentkit.testing import FakeProvider

RAN: list[tuple[str, str]] = []


@tool
def delete(path: str) -> str:
    """Delete a file."""
    RAN.append(("delete", path))
    return f"deleted {path}"


@tool
def wipe(path: str) -> str:
    """Wipe a whole disk."""
    RAN.append(("wipe", path))
    return f"wiped {path}"


def _recorded() -> tuple[Agent[Any, str], Any]:
    script: list[Any] = [
        [ToolCallPart(id="c1", name="delete", arguments='{"path": "/tmp/old.log"}')],
        "Deleted.",
    ]
    result = Agent(FakeProvider(script), tools=[delete, wipe]).run_sync("clean up")
    RAN.clear()
    return Agent(FakeProvider([]), tools=[delete, wipe]), result


def _tamper_call(message: Message, **change: str) -> Message:
    parts = tuple(
        p.model_copy(update=change) if isinstance(p, ToolCallPart) else p for p in message.parts
    )
    return message.model_copy(update={"parts": parts})


def _tampered_events(result: Any, **change: str) -> list[Any]:
    events = list(result.events)
    for index, event in enumerate(events):
        if isinstance(event, ModelResponded) and event.message is not None and event.tool_calls:
            events[index] = event.model_copy(
                update={"message": _tamper_call(event.message, **change)}
            )
    return events


def test_an_untampered_live_replay_runs_the_tools() -> None:
    """The recorded call matches: the live tool runs again and the replay passes."""
    agent, result = _recorded()
    replayed = anyio.run(lambda: replay(agent, Recording.from_result(result), tools="live"))
    assert replayed.output == "Deleted."
    assert RAN == [("delete", "/tmp/old.log")]


@pytest.mark.parametrize(
    ("change", "shown"),
    [({"arguments": '{"path": "/"}'}, '"/"'), ({"name": "wipe"}, '"wipe"')],
    ids=["arguments", "tool name"],
)
def test_a_tampered_call_is_refused_before_the_tool_runs(
    change: dict[str, str], shown: str
) -> None:
    """Recording.build on edited events: the call differs from the recorded one, and no tool ran."""
    agent, result = _recorded()
    recording = Recording.build(result.run_id, _tampered_events(result, **change))
    with pytest.raises(ReplayDivergence, match="before it ran") as caught:
        anyio.run(lambda: replay(agent, recording, tools="live"))
    assert shown in caught.value.actual
    assert '"/tmp/old.log"' in caught.value.expected
    assert RAN == []


def test_a_tampered_conversation_given_to_build_is_refused_before_the_tool_runs() -> None:
    """The from_result path (events plus the conversation): an edited call in the conversation never runs."""
    agent, result = _recorded()
    messages = [
        _tamper_call(m, arguments='{"path": "/etc"}') if m.role == "assistant" else m
        for m in result.messages
    ]
    recording = Recording.build(result.run_id, result.events, messages)
    with pytest.raises(ReplayDivergence, match="before it ran"):
        anyio.run(lambda: replay(agent, recording, tools="live"))
    assert RAN == []
