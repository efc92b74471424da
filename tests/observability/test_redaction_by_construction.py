"""Redaction by construction in a run: off-loop redaction, unreadable arguments, values learned late or earlier."""

from __future__ import annotations

import threading
from typing import Annotated

import anyio
import pytest

from agentkit import Sensitive, tool
from agentkit.events import BaseEvent
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, Recording, ReplayProvider, Session
from agentkit.testing import FakeProvider

PIN = "48213377"


def test_replay_provider_refuses_a_bare_string_of_secrets() -> None:
    """``ReplayProvider(secrets="key")`` raises instead of registering each character."""
    with pytest.raises(UsageError, match="not one string"):
        ReplayProvider(Recording(run_id="r", events=(), steps=()), secrets="sk-key-value")  # type: ignore[arg-type]  # the mistake under test


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door."""
    return f"{door} unlocked"


def test_a_long_tool_output_is_redacted_off_the_event_loop() -> None:
    """A tool output above 64 KiB is redacted in a worker thread, and still masked and in sequence."""
    threads: dict[str, int] = {}

    def spy(event: BaseEvent) -> BaseEvent:
        threads[event.type] = threading.get_ident()
        return event

    @tool
    def dump() -> str:
        """Return a big report."""
        return "x" * 100_000 + " gw7-Qm4tZr81xKc2Lp0vNa5e"

    provider = FakeProvider(
        [[ToolCallPart(id="c1", name="dump", arguments="{}")], "ok"],
        secrets=["gw7-Qm4tZr81xKc2Lp0vNa5e"],
    )
    result = Agent(provider, tools=[dump], redactor=spy).run_sync("go")
    assert threads["tool.call.succeeded"] != threading.get_ident()
    assert threads["tool.call.started"] == threading.get_ident()
    succeeded = next(e for e in result.events if e.type == "tool.call.succeeded")
    assert succeeded.content.endswith(" ***")  # type: ignore[attr-defined]  # a ToolCallSucceeded
    assert [e.seq for e in result.events] == list(range(len(result.events)))


@pytest.mark.parametrize(
    "arguments",
    [
        '{"door": "front", "pin": "' + PIN,  # a stream cut inside the value
        '{"door": "front", "pin": ' + PIN + "7" * 4300 + "}",  # past the integer digit limit
        '{"pin": "'
        + PIN
        + '", "door": '
        + "[" * 100_000,  # nesting deep enough for a RecursionError
    ],
    ids=["cut", "4300-digits", "deep-nesting"],
)
def test_unreadable_arguments_are_masked_by_field_name(arguments: str) -> None:
    """Arguments json cannot read keep their sensitive value out of every event, and the run goes on."""
    provider = FakeProvider([[ToolCallPart(id="c1", name="unlock", arguments=arguments)], "noted"])
    result = Agent(provider, tools=[unlock]).run_sync("open the door")
    assert result.status == "completed"
    dumped = "".join(e.model_dump_json() for e in result.events)
    assert PIN not in dumped
    assert '"pin\\": ***' in dumped or '"pin\\": \\"***' in dumped


def test_a_value_the_user_typed_before_a_tool_marked_it_reaches_no_sink() -> None:
    """The user's message holding the PIN is delivered only once the answer marked the PIN sensitive."""
    seen: list[BaseEvent] = []
    provider = FakeProvider(
        [
            [
                ToolCallPart(
                    id="c1", name="unlock", arguments=f'{{"door": "front", "pin": "{PIN}"}}'
                )
            ],
            "Open.",
        ]
    )
    result = Agent(provider, tools=[unlock], sinks=[seen.append]).run_sync(f"my pin is {PIN}")
    assert PIN in provider.requests[0].messages[-1].text  # the model itself got it
    for events in (seen, result.events):
        assert PIN not in "".join(e.model_dump_json() for e in events)
    assert [e.seq for e in seen] == list(range(len(seen)))  # held events keep their order
    requested = next(e for e in seen if e.type == "model.requested")
    assert "my pin is ***" in requested.model_dump_json()


def test_a_session_masks_what_an_earlier_run_learned_without_storing_it() -> None:
    """Run 2 of a session (another agent and provider) masks run 1's sensitive value; a new Session cannot."""
    store = MemoryStore()
    session = Session(store, "s1")
    first = FakeProvider(
        [[ToolCallPart(id="c1", name="unlock", arguments=f'{{"door": "a", "pin": "{PIN}"}}')], "ok"]
    )
    session.run_sync(Agent(first, tools=[unlock]), "open door a")
    echo = f"Your PIN is {PIN}."
    two = session.run_sync(Agent(FakeProvider([echo])), "what was it?")
    assert two.output == echo
    assert PIN not in "".join(e.model_dump_json() for r in session.runs() for e in store.read(r))
    assert PIN not in repr(session._secrets)
    reopened = Session(
        store, "s1"
    )  # another process: the value was never stored, so it is not known
    three = anyio.run(lambda: reopened.run(Agent(FakeProvider([echo])), "again?"))
    assert PIN in "".join(e.model_dump_json() for e in three.events)
