"""Sessions and replay: history across runs, identical replays, and readable divergences."""

from __future__ import annotations

import functools
import pickle
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import pytest

from agentkit import tool
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent
from agentkit.storage import Recording, ReplayDivergence, Session, replay
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from pathlib import Path

    from agentkit.events import BaseEvent
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


@tool(name="weather", description="Weather, in any city.")
def weather_reworded(city: str) -> str:
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


def test_changed_tool_version_diverges_at_its_contract(store: EventStore) -> None:
    """A tool whose contract changed version shows as a changed fingerprint in the first request."""
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
    assert (info.value.step, info.value.where) == (1, "tool contracts")
    assert f"-weather: {weather.contract.fingerprint}" in info.value.diff
    assert f"+weather: {changed.contract.fingerprint}" in info.value.diff


def test_changed_tool_description_diverges_at_its_contract(store: EventStore) -> None:
    """A tool changed without a version bump (here its description) is caught by its fingerprint."""
    recording = _recorded(store)
    reworded = weather_reworded
    assert reworded.contract.version == weather.contract.version
    with pytest.raises(ReplayDivergence) as info:
        anyio.run(replay, _agent(tools=[reworded]), recording)
    assert (info.value.step, info.value.where) == (1, "tool contracts")


def test_non_strict_replay_ignores_changed_fingerprints(store: EventStore) -> None:
    """With strict=False a changed contract is served the recorded answers anyway."""
    recording = _recorded(store)
    reworded = weather_reworded
    result = anyio.run(functools.partial(replay, _agent(tools=[reworded]), recording, strict=False))
    assert result.output == "It is sunny in Oslo."


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


def test_events_alone_replay(store: EventStore) -> None:
    """A run stored through a bare StoreSink (no saved conversation) replays from its events."""
    from agentkit.storage import StoreSink

    _agent().run_sync("Weather in Oslo?", run_id="bare", sinks=[StoreSink(store)])
    assert store.load_messages("bare") is None
    recording = Recording.load(store, "bare")
    assert [m.text for m in recording.input] == ["Weather in Oslo?"]
    assert recording.tool_outputs == {"c1": "sunny in Oslo"}
    CALLS.clear()
    assert anyio.run(replay, _agent(FakeProvider([], model="m1")), recording).output == (
        "It is sunny in Oslo."
    )
    assert CALLS == []


def test_session_saves_no_conversation(store: EventStore) -> None:
    """Session stores events only; history and replay come from them."""
    _recorded(store)
    assert store.load_messages("r1") is None
    texts = [m.text for m in Session(store, "s1").history()]
    assert texts[-1] == "It is sunny in Oslo."


def _as_v1(event: BaseEvent) -> dict[str, Any]:
    data = event.model_dump(mode="json")
    for name in ("new_messages", "tool_fingerprints", "message", "content", "messages"):
        if name in data and (name != "messages" or data["type"] == "run.finished"):
            data.pop(name)
    data["schema_version"] = 1
    return data


def test_v1_log_replays_with_its_saved_conversation() -> None:
    """Events of schema version 1 hold no content: the saved conversation supplies it."""
    from agentkit.exceptions import UsageError
    from agentkit.storage import MemoryStore, migrate

    result = _agent().run_sync("Weather in Oslo?", run_id="old")
    events = [migrate(_as_v1(e)) for e in result.events]
    assert all(e.schema_version == 2 for e in events)
    store = MemoryStore()
    store.append("old", events)
    with pytest.raises(UsageError, match="save_messages"):
        Recording.load(store, "old")
    store.save_messages("old", result.messages)
    recording = Recording.load(store, "old")
    assert [s.response.text for s in recording.steps] == ["", "It is sunny in Oslo."]
    assert all(not s.tool_fingerprints for s in recording.steps)
    assert anyio.run(replay, _agent(), recording).output == "It is sunny in Oslo."


def test_hand_written_v1_event_migrates_with_empty_content() -> None:
    """A version 1 model.responded event reads as version 2 with no message."""
    from agentkit.events import ModelResponded
    from agentkit.storage import migrate

    raw = {
        "schema_version": 1,
        "type": "model.responded",
        "run_id": "r",
        "seq": 2,
        "at": "2025-06-01T00:00:00Z",
        "step": 1,
        "finish_reason": "stop",
        "text_chars": 3,
    }
    event = migrate(raw)
    assert isinstance(event, ModelResponded)
    assert (event.schema_version, event.message, event.text_chars) == (2, None, 3)


def test_sqlite_file_holds_no_secret_after_a_session(tmp_path: Path) -> None:
    """After session runs with a Sensitive argument and a secret-shaped tool result, no byte of the store leaks."""
    from agentkit import Sensitive
    from agentkit.storage import SQLiteStore

    pin = "canary-pin-55821"
    token = "sk-proj-CANARYtoolRESULT0123456789"

    @tool
    def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
        """Unlock a door."""
        return f"unlocked {door}; api_key={token}"

    provider = FakeProvider(
        [
            [
                ToolCallPart(
                    id="c1", name="unlock", arguments=f'{{"door": "front", "pin": "{pin}"}}'
                )
            ],
            f"Unlocked with {pin}; key {token}.",
            "Yes.",
        ]
    )
    agent = Agent(provider, tools=[unlock])
    path = tmp_path / "runs.sqlite3"
    with SQLiteStore(path) as store:
        session = Session(store, "s")
        session.run_sync(agent, "Open the front door.")
        session.run_sync(agent, "Is it open?")
        history = session.history()
        recording = Recording.load(store, session.runs()[0])
    assert [m.role for m in history][-2:] == ["user", "assistant"]
    assert "***" in recording.steps[0].response.tool_calls[0].arguments
    second = provider.requests[-1].messages
    assert all(pin not in m.model_dump_json() for m in second)
    files = list(tmp_path.iterdir())
    assert files
    for file in files:
        data = file.read_bytes()
        assert pin.encode() not in data, file.name
        assert token.encode() not in data, file.name
