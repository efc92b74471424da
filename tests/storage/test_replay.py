"""Sessions and replay: history across runs, identical replays, and readable divergences."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import tool
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent
from agentkit.storage import Recording, ReplayDivergence, Session, replay
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from agentkit.storage import EventStore

CALLS: list[str] = []


@tool
def weather(city: str) -> str:
    """Weather in a city."""
    CALLS.append(city)
    return f"sunny in {city}"


@tool(version="2.0.0")
def weather_v2(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


def _script() -> list[Any]:
    return [
        [ToolCallPart(id="c1", name="weather", arguments='{"city": "Oslo"}')],
        "It is sunny in Oslo.",
    ]


def _agent(provider: Any = None, **overrides: Any) -> Agent[Any, str]:
    options: dict[str, Any] = {"tools": [weather], "instructions": "Be brief."}
    options.update(overrides)
    return Agent(provider or FakeProvider(_script(), model="m1"), **options)


def _recorded(store: EventStore) -> Recording:
    session = Session(store, "s1")
    result = session.run_sync(_agent(), "Weather in Oslo?", run_id="r1")
    assert result.output == "It is sunny in Oslo."
    return Recording.load(store, "r1")


def test_session_carries_history_across_runs(store: EventStore) -> None:
    """The second run of a session sees the first run's conversation, and both runs are stored."""
    session = Session(store, "chat")
    first = FakeProvider(["Hi, Ada."])
    second = FakeProvider(["Your name is Ada."])
    session.run_sync(Agent(first, instructions="Be brief."), "I am Ada.")
    result = session.run_sync(Agent(second, instructions="Be brief."), "Who am I?")
    assert result.output == "Your name is Ada."
    sent = [m.text for m in second.requests[0].messages]
    assert sent == ["Be brief.", "I am Ada.", "Hi, Ada.", "Who am I?"]
    assert len(session.runs()) == 2
    assert [m.text for m in session.history()][-1] == "Your name is Ada."


def test_session_rejects_history_arguments(store: EventStore) -> None:
    """Session supplies message_history itself."""
    with pytest.raises(TypeError, match="message_history"):
        Session(store).run_sync(_agent(), "x", message_history=[])


def test_identical_replay_uses_no_provider_and_no_tools(store: EventStore) -> None:
    """Replaying with the same agent succeeds without calling the model or running the tool."""
    recording = _recorded(store)
    CALLS.clear()
    untouched = FakeProvider([], model="m1")
    result = anyio.run(replay, _agent(untouched), recording)
    assert result.output == "It is sunny in Oslo."
    assert untouched.requests == []
    assert CALLS == []


def test_live_tools_replay(store: EventStore) -> None:
    """With tools="live" the real tool runs and its result must match the recording."""
    recording = _recorded(store)
    CALLS.clear()

    async def main() -> None:
        await replay(_agent(), recording, tools="live")

    anyio.run(main)
    assert CALLS == ["Oslo"]


def test_changed_prompt_diverges_at_step_one(store: EventStore) -> None:
    """A changed system prompt shows as a diff of the first request's messages."""
    recording = _recorded(store)
    with pytest.raises(ReplayDivergence) as info:
        anyio.run(replay, _agent(instructions="Be thorough."), recording)
    error = info.value
    assert (error.step, error.where) == (1, "request messages")
    assert "-[0] system: Be brief." in error.diff
    assert "+[0] system: Be thorough." in error.diff


def test_changed_tool_version_diverges_at_its_call(store: EventStore) -> None:
    """A tool whose contract changed version shows at its tool.call.started event."""
    recording = _recorded(store)
    bumped = weather_v2.contract.model_copy(update={"name": "weather"})
    assert bumped.version == "2.0.0"
    from agentkit.tools import JsonSchemaTool

    changed = JsonSchemaTool(
        name="weather",
        version="2.0.0",
        input_schema=dict(bumped.input_schema),
        handler=lambda args, ctx: f"sunny in {args['city']}",
    )
    with pytest.raises(ReplayDivergence) as info:
        anyio.run(replay, _agent(tools=[changed]), recording)
    assert "tool.call.started" in info.value.where
    assert '-  "tool_version": "1.0.0"' in info.value.diff
    assert '+  "tool_version": "2.0.0"' in info.value.diff


def test_removed_tool_diverges(store: EventStore) -> None:
    """Dropping a tool the run used shows in the tool list of run.started."""
    recording = _recorded(store)
    with pytest.raises(ReplayDivergence) as info:
        anyio.run(replay, _agent(tools=[]), recording)
    assert (info.value.step, info.value.where) == (0, "event #0 (run.started)")
    assert '+  "tool_names": [],' in info.value.diff


def test_changed_model_diverges_at_run_start(store: EventStore) -> None:
    """Another model shows in the first event."""
    recording = _recorded(store)
    with pytest.raises(ReplayDivergence) as info:
        anyio.run(replay, _agent(FakeProvider([], model="m2")), recording)
    assert (info.value.step, info.value.where) == (0, "event #0 (run.started)")
    assert '+  "model": "m2"' in info.value.diff


def test_divergence_pickles() -> None:
    """ReplayDivergence keeps its typed fields through pickle."""
    error = ReplayDivergence(run_id="r", step=2, where="model", expected="a", actual="b")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.step, copy.where, copy.diff) == (2, "model", error.diff)


def test_recording_needs_saved_messages(store: EventStore) -> None:
    """A run stored without its conversation cannot be replayed, and the error says how to fix it."""
    from agentkit.exceptions import UsageError
    from agentkit.storage import StoreSink

    _agent().run_sync("Weather in Oslo?", run_id="bare", sinks=[StoreSink(store)])
    with pytest.raises(UsageError, match="save_messages"):
        Recording.load(store, "bare")
