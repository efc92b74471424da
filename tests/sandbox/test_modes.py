"""Execution modes: which mode each call runs in, dry runs, mocks, and the mode on every tool-call event."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from agentkit import RunContext, Tool, ToolAnnotations, ToolFailed, tool
from agentkit.events import ToolCallFailed, ToolCallStarted, ToolCallSucceeded, parse_event
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart
from agentkit.registry import Toolset
from agentkit.runtime import Agent
from agentkit.sandbox import (
    MODES,
    DryRunResult,
    IsolationLimits,
    MockNotFound,
    Mocks,
    Mode,
    ModePolicy,
    current_mode,
    declared_mode,
    invoke,
    use_mode,
    with_mode,
)
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio

RAN: list[str] = []


@tool(annotations=ToolAnnotations(destructive=True))
def delete_user(user_id: int) -> str:
    """Delete a user."""
    RAN.append(f"delete {user_id}")
    return f"deleted {user_id}"


@tool(annotations=ToolAnnotations(read_only=True))
def lookup(user_id: int) -> dict[str, Any]:
    """Look a user up."""
    RAN.append(f"lookup {user_id}")
    return {"id": user_id, "name": "Ada", "mode": current_mode()}


def _preview(user_id: int) -> str:
    return f"would delete user {user_id}"


@tool(dry_run=_preview)
def purge(user_id: int) -> str:
    """Purge a user."""
    RAN.append(f"purge {user_id}")
    return "purged"


def _typed_preview(ctx: RunContext[str], count: int) -> int:
    return -count if ctx.deps == "neg" else 0


@tool(dry_run=_typed_preview)
def bump(ctx: RunContext[str], count: int) -> int:
    """Increase a counter."""
    RAN.append("bump")
    return count


class TransferArgs(BaseModel):
    """A transfer."""

    amount: int


class Transfer(Tool[TransferArgs, str]):
    """Move money."""

    def run(self, args: TransferArgs, ctx: RunContext[None]) -> str:
        RAN.append("transfer")
        return "moved"

    async def dry_run(self, args: TransferArgs, ctx: RunContext[None]) -> str:
        return f"would move {args.amount}"


class Sandboxed(Tool[TransferArgs, str]):
    """A tool that declares its own mode."""

    execution_mode = "dry_run"

    def run(self, args: TransferArgs, ctx: RunContext[None]) -> str:
        RAN.append("sandboxed")
        return "ran"


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def _calls(*calls: tuple[str, dict[str, Any]]) -> list[ToolCallPart]:
    return [
        ToolCallPart(id=f"c{n}", name=name, arguments=json.dumps(args))
        for n, (name, args) in enumerate(calls, 1)
    ]


def _modes(events: Any, kind: type[Any] = ToolCallSucceeded) -> dict[str, str]:
    return {e.tool_name: e.mode for e in events if isinstance(e, kind)}


# ------------------------------------------------------------------------------------------------ precedence


def test_policy_rules_apply_in_their_documented_order() -> None:
    """Force beats a named tool, which beats the tool's own mode, then destructive, then the default."""
    own = with_mode(lookup, "isolated")
    assert ModePolicy().mode_for(delete_user) == "live"
    assert ModePolicy(destructive="dry_run").mode_for(delete_user) == "dry_run"
    assert ModePolicy(destructive="dry_run").mode_for(lookup) == "live"
    assert ModePolicy(default="mocked").mode_for(own) == "isolated"
    assert ModePolicy(tools={"lookup": "mocked"}).mode_for(own) == "mocked"
    assert ModePolicy(force="dry_run", tools={"lookup": "mocked"}).mode_for(own) == "dry_run"
    assert ModePolicy().mode_for(Sandboxed()) == "dry_run"
    assert ModePolicy.of("live").force == "live"
    policy = ModePolicy()
    assert ModePolicy.of(policy) is policy


def test_named_tools_match_by_qualified_name_too() -> None:
    """A namespaced tool is named in a policy by its name or its qualified name."""

    @tool(namespace="crm")
    def find(q: str) -> str:
        """Find."""
        return q

    assert ModePolicy(tools={"crm.find": "mocked"}).mode_for(find) == "mocked"
    assert ModePolicy(tools={"find": "dry_run"}).mode_for(find) == "dry_run"


def test_for_evals_dry_runs_destructive_tools_only_when_the_default_has_side_effects() -> None:
    """Evals run destructive tools dry; a mocked or dry-run default applies to them as to the rest."""
    assert ModePolicy.for_evals().mode_for(delete_user) == "dry_run"
    assert ModePolicy.for_evals("isolated").mode_for(delete_user) == "dry_run"
    assert ModePolicy.for_evals("isolated").mode_for(lookup) == "isolated"
    assert ModePolicy.for_evals("mocked").mode_for(delete_user) == "mocked"
    # destructive and read-only together: read-only wins, as in MCP.
    both = tool(annotations=ToolAnnotations(destructive=True, read_only=True), name="both")(
        lambda: "x"
    )
    assert ModePolicy.for_evals().mode_for(both) == "live"


def test_toolset_mode_yields_to_a_tools_own_and_keeps_the_listing_cached() -> None:
    """with_mode on a toolset marks the tools without a mode, the same copies at every step."""
    toolset = with_mode(Toolset([with_mode(lookup, "mocked"), delete_user]), "dry_run")
    first = {t.contract.name: t for t in toolset.tools()}
    second = {t.contract.name: t for t in toolset.tools()}
    assert {n: declared_mode(t) for n, t in first.items()} == {
        "delete_user": "dry_run",
        "lookup": "mocked",
    }
    assert first["delete_user"] is second["delete_user"]
    assert declared_mode(delete_user) is None  # the original is untouched
    listed = with_mode([purge, Transfer, lambda_tool], "isolated")
    assert sorted(listed.names()) == ["purge", "shout", "transfer"]
    assert all(declared_mode(t) == "isolated" for t in listed)


def lambda_tool(text: str) -> str:
    """A plain function, wrapped by with_mode."""
    return text.upper()


lambda_tool.__name__ = "shout"


def test_bad_modes_are_usage_errors_naming_the_valid_ones() -> None:
    """A mode that does not exist is refused where it is given, with the list of modes."""
    with pytest.raises(UsageError, match="'live', 'dry_run', 'mocked', 'isolated'"):
        ModePolicy.of("pretend")  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(UsageError, match=r"ModePolicy.tools\['x'\]"):
        ModePolicy(tools={"x": "nope"})  # type: ignore[dict-item]  # the point of the test
    with pytest.raises(UsageError, match="mode must be one of"):
        Agent(FakeProvider(["x"]), mode="sandbox")  # type: ignore[call-overload]  # the point of the test
    with pytest.raises(UsageError, match="with_mode takes"):
        with_mode([42], "live")  # type: ignore[list-item]  # the point of the test
    with pytest.raises(UsageError, match="timeout must be > 0"):
        IsolationLimits(timeout=0)
    with pytest.raises(UsageError, match="max_memory must be > 0"):
        IsolationLimits(max_memory=0)
    assert set(MODES) == set(Mode.__args__)  # type: ignore[attr-defined]  # a Literal's members


def test_run_mode_beats_use_mode_which_beats_the_agents_default() -> None:
    """The run's own mode, else the innermost use_mode, else the agent's, else live."""

    def mode_of_run(agent_mode: Any, ambient: list[Any], run_mode: Any) -> str:
        provider = FakeProvider([_calls(("lookup", {"user_id": 1})), "ok"])
        agent = Agent(provider, tools=[lookup], mode=agent_mode)
        mocks = Mocks().add("lookup", returns={"id": 1})
        with contextlib_nest(ambient):
            result = agent.run_sync(
                "go", mode=ModePolicy(force=run_mode, mocks=mocks) if run_mode else None
            )
        return _modes(result.events)["lookup"]

    assert mode_of_run(None, [], None) == "live"
    assert mode_of_run("dry_run", [], None) == "dry_run"
    assert mode_of_run("dry_run", ["isolated", "dry_run"], None) == "dry_run"
    assert mode_of_run("live", ["dry_run"], None) == "dry_run"
    assert mode_of_run("live", ["dry_run"], "mocked") == "mocked"


class contextlib_nest:
    """Nested use_mode blocks, outermost first."""

    def __init__(self, modes: list[Any]) -> None:
        self.blocks = [use_mode(m) for m in modes]

    def __enter__(self) -> None:
        for block in self.blocks:
            block.__enter__()

    def __exit__(self, *exc: object) -> None:
        for block in reversed(self.blocks):
            block.__exit__(*exc)


# ------------------------------------------------------------------------------------------------ dry run


def test_dry_run_never_runs_a_tool_and_tells_the_model_so() -> None:
    """In a dry run every call is validated and recorded; the model gets a placeholder saying nothing ran."""
    provider = FakeProvider(
        [_calls(("delete_user", {"user_id": 7}), ("lookup", {"user_id": "7"})), "Done."]
    )
    agent = Agent(provider, tools=[delete_user, lookup])
    result = agent.run_sync("delete 7", mode="dry_run")
    assert RAN == []
    results = [p for m in result.messages if m.role == "tool" for p in m.parts]
    assert all("[dry run] " in p.content and "was not executed" in p.content for p in results)
    assert not any(p.is_error for p in results)
    started = {e.tool_name: e for e in result.events if isinstance(e, ToolCallStarted)}
    assert started["lookup"].arguments == {"user_id": 7}  # validated (coerced), as in a live run
    assert {e.mode for e in started.values()} == {"dry_run"}
    assert _modes(result.events) == {"delete_user": "dry_run", "lookup": "dry_run"}
    # What the model was sent in the next request holds the placeholder.
    second = provider.requests[1].messages[-1]
    assert "[dry run] delete_user was not executed" in second.parts[0].content


def test_dry_run_still_rejects_invalid_arguments_with_a_repair_hint() -> None:
    """Validation is the point of a dry run: bad arguments get the usual hint, and the event says dry_run."""
    provider = FakeProvider([_calls(("delete_user", {"id": 7})), "ok"])
    result = Agent(provider, tools=[delete_user]).run_sync("x", mode="dry_run")
    (rejected,) = [e for e in result.events if e.type == "tool.arguments.rejected"]
    assert rejected.mode == "dry_run"  # type: ignore[attr-defined]  # a ToolArgumentsRejected
    assert '"error":"invalid_arguments"' in result.messages[3].parts[0].content
    assert RAN == []


async def test_a_tools_own_dry_run_answer_is_typed_like_its_result() -> None:
    """``@tool(dry_run=...)`` and a ``dry_run`` method answer instead of the tool, serialized as its result."""
    outcome = await invoke(purge, {"user_id": 3}, "dry_run")
    assert (outcome.status, outcome.content) == ("success", "would delete user 3")
    outcome = await invoke(Transfer(), {"amount": 5}, "dry_run")
    assert outcome.content == "would move 5"
    outcome = await invoke(bump, {"count": 4}, "dry_run", RunContext(deps="neg"))
    assert (outcome.value, outcome.content) == (-4, "-4")
    assert RAN == []


async def test_a_dry_run_answer_of_the_wrong_type_is_an_output_error() -> None:
    """The tool's own answer is checked against its declared result type, like a live result."""

    @tool(dry_run=lambda count: "not an int")
    def counter(count: int) -> int:
        """Count."""
        return count

    outcome = await invoke(counter, {"count": 1}, "dry_run")
    assert outcome.status == "error"
    assert type(outcome.error).__name__ == "ToolOutputError"


async def test_dry_run_placeholder_masks_sensitive_arguments() -> None:
    """The placeholder's arguments are those the events hold: sensitive values masked."""

    @tool(sensitive=["/password"])
    def login(user: str, password: str) -> str:
        """Log in."""
        return "ok"

    outcome = await invoke(login, {"user": "ada", "password": "hunter22"}, "dry_run")
    assert isinstance(outcome.value, DryRunResult)
    assert outcome.value.arguments == {"user": "ada", "password": "***"}
    assert "login" in repr(outcome.value)


async def test_use_mode_sets_the_mode_a_tool_sees() -> None:
    """current_mode() is the mode of the call running now; outside a call it is live."""
    mocks = Mocks().function("lookup", lambda user_id: {"id": user_id, "mode": current_mode()})
    outcome = await invoke(lookup, {"user_id": 2}, ModePolicy(force="mocked", mocks=mocks))
    assert outcome.value == {"id": 2, "mode": "mocked"}
    outcome = await invoke(lookup, {"user_id": 2})
    assert outcome.value["mode"] == "live"
    assert current_mode() == "live"


# ------------------------------------------------------------------------------------------------ mocked


async def test_mocks_match_on_arguments_in_order_and_type_the_answer() -> None:
    """Rules match argument subsets in the order added; answers are serialized and checked as the tool's result."""
    mocks = (
        Mocks()
        .add("lookup", {"user_id": 1}, returns={"id": 1, "name": "One"})
        .add("lookup", {"user_id": 2}, raises=ToolFailed("no such user"))
        .function("lookup", _async_lookup)
    )
    policy = ModePolicy(force="mocked", mocks=mocks)
    first = await invoke(lookup, '{"user_id": "1"}', policy)
    assert (first.status, first.value) == ("success", {"id": 1, "name": "One"})
    second = await invoke(lookup, {"user_id": 2}, policy)
    assert (second.status, second.content) == ("failed", "no such user")
    third = await invoke(lookup, {"user_id": 9}, policy)
    assert third.value == {"id": 9, "name": "async"}
    assert RAN == []
    assert "lookup: 3" in repr(mocks)
    with pytest.raises(UsageError, match="needs a callable"):
        Mocks().function("lookup", 3)  # type: ignore[arg-type]  # the point of the test


async def _async_lookup(user_id: int) -> dict[str, Any]:
    await anyio.lowlevel.checkpoint()
    return {"id": user_id, "name": "async"}


async def test_an_unmatched_mocked_call_is_a_typed_explained_failure() -> None:
    """No answer: MockNotFound with the arguments that do have answers; the model gets a generic failure."""
    from agentkit.events import EventEmitter

    seen: list[Any] = []
    ctx = RunContext(deps=None, events=EventEmitter("r", sinks=[seen.append]), tool_call_id="c1")
    mocks = Mocks().add("lookup", {"user_id": 1}, returns={})
    outcome = await invoke(lookup, {"user_id": 5}, ModePolicy(force="mocked", mocks=mocks), ctx)
    assert isinstance(outcome.error, MockNotFound)
    assert outcome.error.known == [{"user_id": 1}]
    assert str(outcome.error) == (
        'no mocked answer for lookup({"user_id": 5}); answers exist for: {"user_id": 1}'
    )
    (failed,) = [e for e in seen if isinstance(e, ToolCallFailed)]
    assert failed.mode == "mocked"
    assert failed.error_type.endswith("MockNotFound")
    assert "answers exist for" in failed.error_message
    bare = await invoke(lookup, {"user_id": 5}, "mocked")
    assert isinstance(bare.error, MockNotFound)
    assert "there is no answer for this tool" in str(bare.error)
    with pytest.raises(MockNotFound):
        mocks.answer("lookup", {"user_id": 2})
    assert MockNotFound(tool_name="t", arguments={}, known=["any arguments"]).known == [
        "any arguments"
    ]


def test_a_recorded_run_answers_the_same_calls_when_mocked() -> None:
    """Mocks.from_recording replays each recorded call's result for the same tool and arguments."""
    script = [_calls(("lookup", {"user_id": 1}), ("purge", {"user_id": 2})), "ok"]
    live = Agent(FakeProvider(script), tools=[lookup, purge, _failing]).run_sync("x")
    assert RAN == ["lookup 1", "purge 2"] or sorted(RAN) == ["lookup 1", "purge 2"]
    failing = Agent(FakeProvider([_calls(("failing", {"n": 1})), "ok"]), tools=[_failing]).run_sync(
        "x"
    )
    RAN.clear()
    mocks = Mocks.from_recording([*live.events, *failing.events])
    replayed = Agent(FakeProvider(script), tools=[lookup, purge]).run_sync(
        "x", mode=ModePolicy(force="mocked", mocks=mocks)
    )
    assert RAN == []
    assert [m.parts for m in replayed.messages if m.role == "tool"] == [
        m.parts for m in live.messages if m.role == "tool"
    ]
    assert _modes(replayed.events) == {"lookup": "mocked", "purge": "mocked"}
    assert mocks.answer("lookup", {"user_id": 1}) == '{"id":1,"name":"Ada","mode":"live"}'
    with pytest.raises(ToolFailed, match="broken"):
        mocks.answer("failing", {"n": 1})


@tool(name="failing")
def _failing(n: int) -> str:
    """Always fails."""
    raise ToolFailed("broken")


# ------------------------------------------------------------------------------------------------ events


def test_every_tool_call_event_records_its_mode_and_old_events_read_as_live() -> None:
    """Tool-call events carry the mode; a stored event written before modes existed parses as live."""
    provider = FakeProvider([_calls(("lookup", {"user_id": 1}), ("failing", {"n": 1})), "ok"])
    result = Agent(provider, tools=[lookup, _failing]).run_sync("x")
    tool_events = [e for e in result.events if e.type.startswith("tool.")]
    assert tool_events
    assert {getattr(e, "mode", None) for e in tool_events} == {"live"}
    old = {
        "type": "tool.call.started",
        "schema_version": 2,
        "run_id": "r",
        "seq": 0,
        "at": "2025-01-01T00:00:00Z",
        "tool_name": "lookup",
        "tool_version": "1.0.0",
    }
    assert parse_event(json.dumps(old)).mode == "live"  # type: ignore[union-attr]  # a ToolCallStarted
    assert "mode" not in ToolCallStarted.model_fields["arguments"].__repr__()


def test_a_declared_mode_applies_without_any_run_policy() -> None:
    """A tool's own mode holds in a run that chose no mode at all."""
    provider = FakeProvider(
        [_calls(("sandboxed", {"amount": 1}), ("transfer", {"amount": 2})), "ok"]
    )
    result = Agent(provider, tools=[Sandboxed(), with_mode(Transfer(), "dry_run")]).run_sync("x")
    assert RAN == []
    assert _modes(result.events) == {"sandboxed": "dry_run", "transfer": "dry_run"}
    assert "would move 2" in result.messages[3].parts[1].content
