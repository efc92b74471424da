"""Approvals address calls by position when a model gives several calls of one step the same id."""

from __future__ import annotations

import json

import pytest

from agentkit import RunContext, tool
from agentkit.exceptions import AmbiguousApproval, ApprovalRequired, UsageError
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent, PendingApproval, approve, is_approved, reject
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio

ran: list[str] = []


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight."""
    ran.append(flight)
    return f"booked {flight}"


@tool
def transfer(amount: int, ctx: RunContext) -> str:
    """Transfer money; large amounts need a human first."""
    if amount > 100 and not is_approved(ctx):
        raise ApprovalRequired(f"transfer of {amount}")
    ran.append(f"transfer {amount}")
    return f"sent {amount}"


def two_calls(name: str, first: str, second: str) -> FakeProvider:
    """A model answering with two calls that both have id "0", then a final text."""
    return FakeProvider(
        [
            [
                ToolCallPart(id="0", name=name, arguments=first),
                ToolCallPart(id="0", name=name, arguments=second),
            ],
            "Done.",
        ]
    )


@pytest.fixture(autouse=True)
def _reset() -> None:
    ran.clear()


async def test_approve_one_and_reject_the_other_after_a_json_round_trip() -> None:
    """Two paused calls with id "0": position 1 approved, position 0 rejected; only the approved one runs."""
    agent = Agent(two_calls("book", '{"flight": "TP1"}', '{"flight": "TP2"}'), tools=[book])
    paused = await agent.run("Book both", run_id="r1")
    assert paused.status == "paused"
    assert paused.pending is not None
    assert [(c.tool_call_id, c.index) for c in paused.pending.calls] == [("0", 0), ("0", 1)]
    stored = paused.pending.model_dump_json()
    resumed = await agent.resume(stored, {0: reject("not that one"), 1: approve()})
    assert resumed.status == "completed"
    assert ran == ["TP2"]
    results = list(resumed.messages[-2].parts)
    assert [r.tool_call_id for r in results] == ["0", "0"]  # type: ignore[union-attr]
    assert results[0].is_error  # type: ignore[union-attr]
    assert "rejected" in results[0].content  # type: ignore[union-attr]
    assert "booked TP2" in results[1].content  # type: ignore[union-attr]


async def test_an_id_only_decision_for_a_repeated_id_is_refused() -> None:
    """A decision keyed by the shared id is ambiguous: a typed error naming the positions, nothing runs."""
    agent = Agent(two_calls("book", '{"flight": "TP1"}', '{"flight": "TP2"}'), tools=[book])
    paused = await agent.run("Book both")
    assert paused.pending is not None
    with pytest.raises(AmbiguousApproval) as caught:
        await agent.resume(paused.pending, {"0": approve()})
    assert isinstance(caught.value, UsageError)
    assert (caught.value.tool_call_id, caught.value.indices) == ("0", (0, 1))
    assert "decisions={0: approve(), 1: reject()}" in str(caught.value)
    assert ran == []


async def test_an_answered_call_sharing_an_id_with_a_paused_one_does_not_run_again() -> None:
    """Call 0 (small) ran before the pause, call 1 (large) waits; approving call 1 runs only call 1."""
    agent = Agent(two_calls("transfer", '{"amount": 5}', '{"amount": 500}'), tools=[transfer])
    paused = await agent.run("Pay both")
    assert ran == ["transfer 5"]
    assert paused.pending is not None
    assert [(c.tool_call_id, c.index) for c in paused.pending.calls] == [("0", 1)]
    state = PendingApproval.model_validate_json(paused.pending.model_dump_json())
    # The only pending call with id "0": an id-only decision is unambiguous here.
    resumed = await agent.resume(state, {"0": True})
    assert ran == ["transfer 5", "transfer 500"]
    contents = [p.content for p in resumed.messages[-2].parts]  # type: ignore[union-attr]
    assert "sent 5" in contents[0]
    assert "sent 500" in contents[1]


async def test_a_state_saved_without_indices_resumes_by_id() -> None:
    """A paused state from before PendingCall.index (unique ids) still resumes with decisions by id."""
    provider = FakeProvider(
        [
            [
                ToolCallPart(id="a", name="book", arguments='{"flight": "TP1"}'),
                ToolCallPart(id="b", name="book", arguments='{"flight": "TP2"}'),
            ],
            "Done.",
        ]
    )
    agent = Agent(provider, tools=[book])
    paused = await agent.run("Book both")
    assert paused.pending is not None
    old = json.loads(paused.pending.model_dump_json())
    for item in old["calls"]:
        del item["index"]
    resumed = await agent.resume(json.dumps(old), {"a": approve(), "b": False})
    assert resumed.status == "completed"
    assert ran == ["TP1"]


async def test_decisions_keyed_twice_or_by_an_unknown_position_are_refused() -> None:
    """The same call decided by id and by position, or a position nothing waits at, is a UsageError."""
    provider = FakeProvider([[ToolCallPart(id="a", name="book", arguments='{"flight": "TP1"}')]])
    agent = Agent(provider, tools=[book])
    paused = await agent.run("Book")
    assert paused.pending is not None
    with pytest.raises(UsageError, match="second decision"):
        await agent.resume(paused.pending, {"a": True, 0: True})
    with pytest.raises(UsageError, match="not pending"):
        await agent.resume(paused.pending, {0: True, 3: False})
    assert ran == []
