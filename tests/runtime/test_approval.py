"""Human approval: pause, serialize, resume with approve or reject, in-process or after a JSON round trip."""

from __future__ import annotations

import json

import pytest

from agentkit import RunContext, tool
from agentkit.events import ApprovalRequested, ApprovalResolved, RunFinished, RunStarted
from agentkit.exceptions import ApprovalRequired, UsageError
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent, PendingApproval, approve, capture_events, is_approved, reject
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio

booked: list[str] = []


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight."""
    booked.append(flight)
    return f"booked {flight}"


@tool
def search(to: str) -> list[str]:
    """Search flights."""
    return [f"TP1 to {to}"]


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCallPart:
    return ToolCallPart(id=id, name=name, arguments=arguments)


def script(secrets: tuple[str, ...] = ()) -> FakeProvider:
    return FakeProvider(
        [
            [call("search", '{"to": "LIS"}', id="s1"), call("book", '{"flight": "TP1"}', id="b1")],
            "All done.",
        ],
        secrets=secrets,
    )


@pytest.fixture(autouse=True)
def _reset() -> None:
    booked.clear()


async def test_pause_round_trip_and_approve() -> None:
    """A call needing approval pauses the run; after a JSON round trip, approving it runs the tool."""
    provider = script()
    agent = Agent(provider, tools=[search, book])
    with capture_events() as events:
        paused = await agent.run("Book me to Lisbon")
    assert paused.status == "paused"
    assert booked == []
    state = paused.pending
    assert state is not None
    assert [(c.tool_call_id, c.tool_name) for c in state.calls] == [("b1", "book")]
    assert [r.tool_call_id for r in state.results] == ["s1"]  # the other call already ran
    stored = json.dumps(json.loads(state.model_dump_json()))  # e.g. into a database and back
    restored = PendingApproval.model_validate_json(stored)
    assert restored == state

    with capture_events() as resumed_events:
        result = await Agent(provider, tools=[search, book]).resume(stored, {"b1": approve()})
    assert result.output == "All done."
    assert booked == ["TP1"]
    tool_message = result.messages[-2]
    assert [p.tool_call_id for p in tool_message.tool_results] == ["s1", "b1"]
    assert "booked TP1" in tool_message.tool_results[1].content
    assert result.run_id == paused.run_id

    (requested,) = events.of_type(ApprovalRequested)
    assert requested.tool_call_id == "b1"
    assert events.of_type(RunFinished)[-1].status == "paused"
    (resolved,) = resumed_events.of_type(ApprovalResolved)
    assert resolved.approved
    assert resumed_events.of_type(RunStarted)[0].resumed
    # The sequence continues across the pause: one run, one strictly increasing seq.
    seqs = [e.seq for e in [*events, *resumed_events]]
    assert seqs == list(range(len(seqs)))
    assert {e.run_id for e in [*events, *resumed_events]} == {paused.run_id}


async def test_reject_tells_the_model_and_does_not_run_the_tool() -> None:
    """Rejecting a call answers it with the reason, without running the tool."""
    provider = script()
    agent = Agent(provider, tools=[search, book])
    paused = await agent.run("Book")
    assert paused.pending is not None
    result = await agent.resume(paused.pending, {"b1": reject("too expensive")})
    assert booked == []
    answer = result.messages[-2].tool_results[1]
    assert answer.is_error
    assert "rejected" in answer.content
    assert "too expensive" in answer.content
    assert result.output == "All done."


async def test_a_rejection_reason_never_carries_a_credential_to_the_model() -> None:
    """A reviewer's reason that quotes the provider's key reaches the model masked, and the events too."""
    key = "sk-proj-Zq81LmN4vT7xKc2Wp0aB5e9R"
    provider = script(secrets=(key,))
    agent = Agent(provider, tools=[search, book])
    paused = await agent.run("Book")
    assert paused.pending is not None
    with capture_events() as events:
        result = await agent.resume(paused.pending, {"b1": reject(f"not with key {key}")})
    sent = json.dumps([m.model_dump(mode="json") for m in provider.requests[-1].messages])
    assert key not in sent
    assert "not with key" in sent
    assert key not in json.dumps([e.model_dump(mode="json") for e in events])
    assert result.output == "All done."


async def test_bool_decisions_and_dict_state() -> None:
    """Decisions may be plain bools, and the state may be given as a dict."""
    provider = script()
    agent = Agent(provider, tools=[search, book])
    paused = await agent.run("Book")
    assert paused.pending is not None
    result = await agent.resume(paused.pending.model_dump(mode="json"), {"b1": False})
    assert booked == []
    assert result.status == "completed"


async def test_missing_or_unknown_decisions_are_usage_errors() -> None:
    """Every pending call needs a decision, and decisions must name pending calls."""
    agent = Agent(script(), tools=[search, book])
    paused = await agent.run("Book")
    assert paused.pending is not None
    with pytest.raises(UsageError, match="no decision for pending call"):
        await agent.resume(paused.pending, {})
    with pytest.raises(UsageError, match="not pending"):
        await agent.resume(paused.pending, {"b1": True, "zz": True})


async def test_tool_raising_approval_required_pauses_and_runs_once_approved() -> None:
    """A tool raising ApprovalRequired pauses the run with its reason; once approved, is_approved lets it run."""

    @tool
    def refund(ctx: RunContext[None], amount: float) -> str:
        """Refund an amount."""
        if amount > 100 and not is_approved(ctx):
            raise ApprovalRequired("refund above 100", details={"amount": amount})
        return f"refunded {amount}"

    provider = FakeProvider([[call("refund", '{"amount": 250}', id="r1")], "Refunded."])
    agent = Agent(provider, tools=[refund])
    paused = await agent.run("refund me")
    assert paused.pending is not None
    (pending,) = paused.pending.calls
    assert (pending.reason, pending.details) == ("refund above 100", {"amount": 250})
    result = await agent.resume(paused.pending.model_dump_json(), {"r1": approve()})
    assert "refunded 250" in result.messages[-2].tool_results[0].content
    assert result.output == "Refunded."


async def test_budgets_used_before_the_pause_still_count() -> None:
    """Steps and tool calls made before the pause count against the limits after it."""
    from agentkit.runtime import BudgetExceeded, Limits

    provider = FakeProvider(
        [
            [call("book", '{"flight": "A"}', id="b1")],
            [call("search", '{"to": "X"}', id="s")],
            "done",
        ]
    )
    agent = Agent(provider, tools=[search, book], limits=Limits(max_steps=1))
    paused = await agent.run("go")
    assert paused.pending is not None
    assert paused.pending.steps == 1
    with pytest.raises(BudgetExceeded, match="max_steps"):
        await agent.resume(paused.pending, {"b1": True})
