"""Two calls of one answer share an id and finish out of order: the recording pairs each with its own events.

Some OpenAI-compatible servers (and Gemini without ``responseId``) repeat a call id within one answer, and a
provider may send empty ids (the adapters number those). Tool events carry the call's position in its step, so the recorder pairs
``tool.call.started`` and its end with the right call even when the first call finishes after the second, and a
strict replay gives each call its own recorded output. Each test runs an `Agent` with `OpenAIChatProvider` over
the loopback fake server (answers rewritten to repeat the id), the default `RetryPolicy` and a SQLite store, then
replays the stored run with the server gone.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import RunContext, tool
from agentkit.events import (
    ApprovalRequested,
    ApprovalResolved,
    ToolCallStarted,
    ToolCallSucceeded,
    parse_event,
)
from agentkit.exceptions import ApprovalRequired
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent, approve, is_approved, reject
from agentkit.storage import MemoryStore, Recording, SQLiteStore, StoreSink, migrate, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from agentkit.runtime import RunResult
    from agentkit.tools import Tool

pytestmark = pytest.mark.anyio

KEY = "k-same-id-4Rv8Nq2W"


class SameIdServer(FakeProviderServer):
    """The loopback fake provider, giving every tool call of an answer the same id (``call_id``)."""

    def __init__(self, call_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call_id = call_id

    def _json_reply(self, request: ServedRequest, reply: Reply) -> dict[str, Any]:
        data = super()._json_reply(request, reply)
        for call in data["choices"][0]["message"].get("tool_calls", ()):
            call["id"] = self.call_id
        return data


def _scripted(*steps: tuple[tuple[str, str], ...]) -> Any:
    """Answer step *n* (counted by the assistant messages sent) with ``steps[n]``, then list the results."""

    def respond(request: ServedRequest) -> Reply:
        sent = (request.body or {}).get("messages", [])
        step = sum(1 for m in sent if m.get("role") == "assistant")
        if step < len(steps):
            return Reply("", tool_calls=steps[step])
        return Reply(
            "Results: " + " | ".join(str(m["content"]) for m in sent if m["role"] == "tool")
        )

    return respond


def _results(result: RunResult[Any]) -> list[tuple[str, str, str, bool]]:
    return [
        (part.tool_call_id, part.name, part.content, part.is_error)
        for message in result.messages
        for part in message.tool_results
    ]


def _outputs(events: Sequence[Any]) -> dict[int | None, str | None]:
    """Each successful call's output by its position, from the events."""
    return {e.position: e.content for e in events if isinstance(e, ToolCallSucceeded)}


def _gated(kind: str) -> tuple[list[Tool[Any, Any]], tuple[tuple[str, str], ...]]:
    """Tools where the first call waits until the second has run (so the second finishes first), and the calls.

    ``kind``: ``"same tool"`` (one async tool, two arguments), ``"two tools"`` (two async tools) or ``"threads"``
    (one blocking sync tool: both calls run in worker threads).
    """
    gates: dict[str, anyio.Event] = {}

    async def gate(ctx: RunContext, key: str) -> None:
        opened = gates.setdefault(ctx.run_id or "", anyio.Event())  # made in the running loop
        if key == "first":
            await opened.wait()
        else:
            opened.set()

    if kind == "same tool":

        @tool
        async def lookup(key: str, ctx: RunContext) -> str:
            """Look a key up."""
            await gate(ctx, key)
            return f"value of {key}"

        return [lookup], (("lookup", '{"key": "first"}'), ("lookup", '{"key": "second"}'))
    if kind == "two tools":

        @tool
        async def slow(key: str, ctx: RunContext) -> str:
            """Look a key up slowly."""
            await gate(ctx, key)
            return f"slow value of {key}"

        @tool
        async def fast(key: str, ctx: RunContext) -> str:
            """Look a key up quickly."""
            await gate(ctx, key)
            return f"fast value of {key}"

        return [slow, fast], (("slow", '{"key": "first"}'), ("fast", '{"key": "second"}'))
    second_ran = threading.Event()

    @tool
    def lookup_blocking(key: str) -> str:
        """Look a key up (blocking)."""
        if key == "first":
            assert second_ran.wait(timeout=60), "the second call never ran"
        else:
            second_ran.set()
        return f"value of {key}"

    return [lookup_blocking], (
        ("lookup_blocking", '{"key": "first"}'),
        ("lookup_blocking", '{"key": "second"}'),
    )


async def _record(
    tmp_path: Path,
    tools: Sequence[Tool[Any, Any]],
    *steps: tuple[tuple[str, str], ...],
    call_id: str = "call_0",
    decisions: Sequence[dict[Any, Any]] = (),
) -> tuple[Agent[Any, Any], RunResult[Any], Recording]:
    """Run over the loopback server into SQLite (resuming each pause with ``decisions``) and load the run."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with SameIdServer(call_id, responder=_scripted(*steps)) as server:
        provider = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(RetryPolicy(provider), tools=list(tools))
        try:
            result = await agent.run("Go.", run_id="r1", sinks=[StoreSink(store)])
            for decided in decisions:
                assert result.pending is not None
                result = await agent.resume(result.pending, decided, sinks=[StoreSink(store)])
        finally:
            await provider.aclose()
        assert len(server.requests) == len(steps) + 1
    try:
        recording = Recording.load(store, "r1")
    finally:
        store.close()
    return agent, result, recording


@pytest.mark.parametrize("kind", ["same tool", "two tools", "threads"])
async def test_calls_sharing_an_id_that_finish_out_of_order_replay_each_its_own_output(
    tmp_path: Path, kind: str
) -> None:
    """The first of two same-id calls finishes last: replay still gives each call exactly its recorded output."""
    tools, calls = _gated(kind)
    call_id = "call_0"
    agent, result, recording = await _record(tmp_path, tools, calls, call_id=call_id)
    names = [name for name, _ in calls]
    slow, fast = ("slow ", "fast ") if kind == "two tools" else ("", "")
    first, second = f"{slow}value of first", f"{fast}value of second"
    assert [(i, n, c) for i, n, c, _ in _results(result)] == [
        (call_id, names[0], f'<tool-output tool="{names[0]}">\n{first}\n</tool-output>'),
        (call_id, names[1], f'<tool-output tool="{names[1]}">\n{second}\n</tool-output>'),
    ]
    # The second call finished first, and every tool event names its call's position.
    ended = [(e.position, e.content) for e in recording.events if isinstance(e, ToolCallSucceeded)]
    assert ended == [(1, second), (0, first)]
    started = [
        (e.position, e.arguments) for e in recording.events if isinstance(e, ToolCallStarted)
    ]
    assert started == [(0, {"key": "first"}), (1, {"key": "second"})]

    replayed = await replay(agent, recording, strict=True)
    assert _results(replayed) == _results(result)
    assert _outputs(replayed.events) == {0: first, 1: second}
    assert replayed.output == result.output
    assert first in replayed.output
    assert replayed.output.index(first) < replayed.output.index(second)


async def test_live_replay_checks_each_same_id_call_against_its_own_record(tmp_path: Path) -> None:
    """With ``tools="live"`` the gated tools run again; each call is checked against its position's record."""
    tools, calls = _gated("two tools")
    agent, result, recording = await _record(tmp_path, tools, calls)
    replayed = await replay(agent, recording, tools="live")
    assert _results(replayed) == _results(result)
    assert _outputs(replayed.events) == {0: "slow value of first", 1: "fast value of second"}


async def test_tool_output_truncated_for_the_model_replays_from_its_own_full_output(
    tmp_path: Path,
) -> None:
    """The model saw each output truncated: replay re-truncates the right call's full output, not its twin's."""
    tools, calls = _gated("same tool")
    store = SQLiteStore(tmp_path / "cut.sqlite3")
    async with SameIdServer("call_0", responder=_scripted(calls)) as server:
        provider = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(
            RetryPolicy(provider), tools=tools, max_tool_output_chars=12, frame_tool_output=False
        )
        try:
            result = await agent.run("Go.", run_id="cut", sinks=[StoreSink(store)])
        finally:
            await provider.aclose()
    try:
        recording = Recording.load(store, "cut")
    finally:
        store.close()
    contents = [c for _, _, c, _ in _results(result)]
    assert [c.split("\n")[0] for c in contents] == ["value of fir", "value of sec"]
    assert all("truncated to its first 12" in c for c in contents)
    replayed = await replay(agent, recording, strict=True)
    assert _results(replayed) == _results(result)
    assert _outputs(replayed.events) == {0: "value of first", 1: "value of second"}


async def test_same_id_calls_pausing_for_approval_resume_and_replay_by_position(
    tmp_path: Path,
) -> None:
    """Two of three same-id calls ask for approval, the third one first: the pause lists them in step order.

    The first is approved and the third rejected on resume; the replay pauses the same way and decides each the
    same (the decisions are recorded by position).
    """
    gates: dict[str, anyio.Event] = {}

    @tool
    async def transfer(amount: int, ctx: RunContext) -> str:
        """Transfer money; 100 or more needs a human first."""
        opened = gates.setdefault(ctx.run_id or "", anyio.Event())
        if amount == 700:
            opened.set()
        elif amount == 500 and not is_approved(ctx):
            await opened.wait()  # asks only after the third call asked
        if amount >= 100 and not is_approved(ctx):
            raise ApprovalRequired(f"transfer of {amount}")
        return f"sent {amount}"

    calls = (
        ("transfer", '{"amount": 500}'),
        ("transfer", '{"amount": 5}'),
        ("transfer", '{"amount": 700}'),
    )
    decisions: list[dict[Any, Any]] = [{0: approve(), 2: reject("too much")}]
    agent, result, recording = await _record(tmp_path, [transfer], calls, decisions=decisions)
    outcomes = [(c, e) for _, _, c, e in _results(result)]
    assert outcomes[0] == ('<tool-output tool="transfer">\nsent 500\n</tool-output>', False)
    assert outcomes[1] == ('<tool-output tool="transfer">\nsent 5\n</tool-output>', False)
    assert outcomes[2][1] is True
    assert "too much" in outcomes[2][0]
    paused = [(e.position, e.reason) for e in recording.events if isinstance(e, ApprovalRequested)]
    assert paused == [(0, "transfer of 500"), (2, "transfer of 700")]
    resolved = [
        (e.position, e.approved) for e in recording.events if isinstance(e, ApprovalResolved)
    ]
    assert resolved == [(0, True), (2, False)]
    replayed = await replay(agent, recording, strict=True)
    assert _results(replayed) == _results(result)
    assert replayed.output == result.output


# ------------------------------------------------------------------------------------------- older logs


def _without_positions(data: dict[str, Any]) -> dict[str, Any]:
    """An event as agentkit wrote it before tool events carried their call's position."""
    data.pop("position", None)
    return data


async def test_events_stored_without_positions_still_replay(tmp_path: Path) -> None:
    """A log written before positions existed (same-id calls finishing in order) replays as it did then."""

    @tool
    async def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    calls = (("add", '{"a": 1, "b": 2}'), ("add", '{"a": 30, "b": 4}'))
    agent, result, recording = await _record(tmp_path, [add], calls, (("add", '{"a": 5, "b": 5}'),))
    assert {e.position for e in recording.events if isinstance(e, ToolCallStarted)} == {0, 1}
    store = MemoryStore()
    old = [migrate(_without_positions(e.model_dump(mode="json"))) for e in recording.events]
    store.append("r1", old)
    assert all(getattr(e, "position", None) is None for e in store.read("r1"))
    legacy = Recording.load(store, "r1", verify=False)
    replayed = await replay(agent, legacy, strict=True)
    assert _results(replayed) == _results(result)
    assert (
        replayed.output
        == result.output
        == "Results: "
        + " | ".join(f'<tool-output tool="add">\n{n}\n</tool-output>' for n in (3, 34, 10))
    )


def test_a_tool_event_without_position_reads_as_none_and_round_trips_with_one() -> None:
    """JSON without ``position`` parses to ``None``; an event with one survives the JSON round trip."""
    old = parse_event(
        json.dumps(
            {
                "type": "tool.call.succeeded",
                "run_id": "r",
                "seq": 4,
                "at": "2026-01-01T00:00:00Z",
                "tool_name": "t",
                "tool_call_id": "0",
                "duration_s": 0.1,
                "output_chars": 2,
                "content": "ok",
            }
        )
    )
    assert isinstance(old, ToolCallSucceeded)
    assert old.position is None
    new = old.model_copy(update={"position": 3})
    assert parse_event(new.model_dump_json()) == new
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        parse_event({**old.model_dump(mode="json"), "position": -1})


async def test_approvals_stored_without_positions_replay_in_their_recorded_order(
    tmp_path: Path,
) -> None:
    """A log from before positions: two same-id calls paused, one approved, one rejected; decided in order."""

    @tool(requires_approval=True)
    def book(flight: str) -> str:
        """Book a flight."""
        return f"booked {flight}"

    calls = (("book", '{"flight": "TP1"}'), ("book", '{"flight": "TP2"}'))
    decisions: list[dict[Any, Any]] = [{0: approve(), 1: reject("one is enough")}]
    agent, result, recording = await _record(tmp_path, [book], calls, decisions=decisions)
    store = MemoryStore()
    store.append(
        "r1", [migrate(_without_positions(e.model_dump(mode="json"))) for e in recording.events]
    )
    legacy = Recording.load(store, "r1", verify=False)
    assert not any(getattr(e, "position", None) is not None for e in legacy.events)
    replayed = await replay(agent, legacy, strict=True)
    assert _results(replayed) == _results(result)
    assert [e for _, _, _, e in _results(replayed)] == [False, True]
