"""Replay names a recorded tool call by its step and position, not by its id: providers reuse ids across steps.

The loopback fake server numbers its call ids ``call_0``, ``call_1``... afresh in every answer (as vLLM, Ollama and
llama.cpp do), and Gemini sends no ids at all (the adapter numbers them ``call_0``... when the answer has no
``responseId``). Each test runs an `Agent` with a real adapter over a loopback server, the default `RetryPolicy`, a
SQLite store, then replays the stored run strictly with the server gone: no provider call, the same outcome.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import RunContext, ToolAnnotations, tool
from agentkit.events import ToolArgumentsRejected, ToolCallStarted
from agentkit.exceptions import ApprovalRequired
from agentkit.messages import ToolCallPart
from agentkit.providers.gemini import GeminiProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent, approve, is_approved, reject
from agentkit.sandbox import ModePolicy
from agentkit.storage import MemoryStore, Recording, SQLiteStore, StoreSink, migrate, replay
from agentkit.testing import FakeProvider, FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence
    from pathlib import Path

    from agentkit.runtime import RunResult
    from agentkit.tools import Tool

pytestmark = pytest.mark.anyio

KEY = "k-reuse-7Qm2xLp9"
DELETED: list[int] = []


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
async def add_now(a: int, b: int) -> int:
    """Add two numbers, finishing before the next call starts."""
    return a + b


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight."""
    return f"booked {flight}"


@tool
def transfer(amount: int, ctx: RunContext) -> str:
    """Transfer money; more than 100 needs a human first."""
    if amount > 100 and not is_approved(ctx):
        raise ApprovalRequired(f"transfer of {amount}")
    return f"sent {amount}"


@tool(annotations=ToolAnnotations(destructive=True))
def delete_account(account_id: int) -> str:
    """Delete an account for good."""
    DELETED.append(account_id)
    return f"account {account_id} deleted"


Calls = tuple[tuple[str, str], ...]


def _scripted(steps: Sequence[Calls]) -> Any:
    """A responder answering step *n* (counted by the assistant messages sent) with ``steps[n]``, then text."""

    def respond(request: ServedRequest) -> Reply:
        sent = (request.body or {}).get("messages", [])
        step = sum(1 for m in sent if m.get("role") == "assistant")
        if step < len(steps):
            return Reply("", tool_calls=steps[step])
        results = [_unframed(str(m["content"])) for m in sent if m.get("role") == "tool"]
        return Reply("Results: " + " | ".join(results))

    return respond


def _unframed(content: str) -> str:
    """A tool result without the ``<tool-output>`` frame the agent puts around it."""
    return re.sub(
        r"^<tool-output tool=\"[^\"]*\">\n(.*)\n</tool-output>$", r"\1", content, flags=re.S
    )


def _results(result: RunResult[Any]) -> list[tuple[str, str, bool]]:
    return [
        (part.tool_call_id, part.content, part.is_error)
        for message in result.messages
        for part in message.tool_results
    ]


async def _recorded(
    tmp_path: Path,
    steps: Sequence[Calls],
    tools: Sequence[Tool[Any, Any]],
    *,
    decisions: Sequence[dict[Any, Any]] = (),
    mode: ModePolicy | None = None,
) -> tuple[Agent[Any, Any], RunResult[Any], Recording]:
    """Run over the loopback server into SQLite (resuming each approval pause with ``decisions``), and load it."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with FakeProviderServer(responder=_scripted(steps)) as server:
        provider = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(RetryPolicy(provider), tools=list(tools))
        try:
            result = await agent.run("Go.", run_id="r1", sinks=[StoreSink(store)], mode=mode)
            for decided in decisions:
                assert result.pending is not None
                result = await agent.resume(
                    result.pending, decided, sinks=[StoreSink(store)], mode=mode
                )
        finally:
            await provider.aclose()
        assert len(server.requests) == len(steps) + 1
    try:
        recording = Recording.load(store, "r1")
    finally:
        store.close()
    return agent, result, recording


async def _replayed(agent: Agent[Any, Any], recording: Recording) -> RunResult[Any]:
    """The strict replay (the server is gone: a provider call would fail)."""
    return await replay(agent, recording, strict=True)


async def test_sequential_steps_reusing_call_0(tmp_path: Path) -> None:
    """Three steps, each with a ``call_0`` whose result differs: every step gets its own result back."""
    steps = [(("add", json.dumps({"a": n, "b": 10})),) for n in range(3)]
    agent, result, recording = await _recorded(tmp_path, steps, [add])
    assert [r[:2] for r in _results(result)] == [
        ("call_0", '<tool-output tool="add">\n10\n</tool-output>'),
        ("call_0", '<tool-output tool="add">\n11\n</tool-output>'),
        ("call_0", '<tool-output tool="add">\n12\n</tool-output>'),
    ]
    replayed = await _replayed(agent, recording)
    assert replayed.output == result.output == "Results: 10 | 11 | 12"
    assert _results(replayed) == _results(result)


async def test_parallel_calls_reusing_ids_across_steps(tmp_path: Path) -> None:
    """Two steps of three parallel calls (``call_0``..``call_2`` in both): six results, each in its place."""
    steps = [
        tuple(("add", json.dumps({"a": n, "b": 100 * (s + 1)})) for n in range(3)) for s in range(2)
    ]
    agent, result, recording = await _recorded(tmp_path, steps, [add])
    assert [r[0] for r in _results(result)] == ["call_0", "call_1", "call_2"] * 2
    replayed = await _replayed(agent, recording)
    assert replayed.output == result.output
    assert "100 | 101 | 102 | 200 | 201 | 202" in replayed.output
    assert _results(replayed) == _results(result)


async def test_rejected_arguments_in_one_step_and_a_good_call_with_its_id_in_another(
    tmp_path: Path,
) -> None:
    """Step 1's ``call_0`` is rejected, step 2's ``call_0`` runs, step 3's is rejected: each replays as it was."""
    steps = [
        (("add", '{"a": 1, "c": 2}'),),
        (("add", '{"a": 1, "b": 2}'),),
        (("add", '{"a": "x", "b": 2}'),),
    ]
    agent, result, recording = await _recorded(tmp_path, steps, [add])
    rejected = [e for e in recording.events if isinstance(e, ToolArgumentsRejected)]
    assert [e.tool_call_id for e in rejected] == ["call_0", "call_0"]
    assert [r[2] for r in _results(result)] == [True, False, True]
    replayed = await _replayed(agent, recording)
    assert replayed.output == result.output
    assert _results(replayed) == _results(result)


@pytest.mark.parametrize("tool_kind", ["requires_approval", "ApprovalRequired"])
async def test_approvals_paused_and_resumed_in_steps_reusing_call_0(
    tmp_path: Path, tool_kind: str
) -> None:
    """Two steps pause on ``call_0`` (approved, then rejected); the replay pauses and resumes the same way."""
    if tool_kind == "requires_approval":
        steps = [(("book", '{"flight": "TP1"}'),), (("book", '{"flight": "TP2"}'),)]
        tools: list[Tool[Any, Any]] = [book]
    else:
        steps = [(("transfer", '{"amount": 500}'),), (("transfer", '{"amount": 700}'),)]
        tools = [transfer]
    decisions: list[dict[Any, Any]] = [{"call_0": approve()}, {0: reject("not twice")}]
    agent, result, recording = await _recorded(tmp_path, steps, tools, decisions=decisions)
    assert result.status == "completed"
    outcomes = _results(result)
    assert outcomes[0][2] is False
    assert outcomes[1][2] is True
    assert "not twice" in outcomes[1][1]
    types = [e.type for e in recording.events]
    assert types.count("run.started") == 3
    assert types.count("approval.resolved") == 2
    replayed = await _replayed(agent, recording)
    assert replayed.status == "completed"
    assert replayed.output == result.output
    assert _results(replayed) == outcomes
    # The result holds the events of the last part: the second resume's.
    assert [type(e).__name__ for e in replayed.events][:2] == ["RunStarted", "ApprovalResolved"]


async def test_a_recording_that_ends_paused_replays_to_the_same_pause(tmp_path: Path) -> None:
    """A run paused and never resumed replays to the same pause, with the same pending call."""
    steps = [(("add", '{"a": 1, "b": 1}'),), (("book", '{"flight": "TP9"}'),)]
    store = SQLiteStore(tmp_path / "paused.sqlite3")
    async with FakeProviderServer(responder=_scripted(steps)) as server:
        provider = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(RetryPolicy(provider), tools=[add, book])
        try:
            paused = await agent.run("Go.", run_id="p1", sinks=[StoreSink(store)])
        finally:
            await provider.aclose()
    try:
        recording = Recording.load(store, "p1")
    finally:
        store.close()
    assert paused.status == "paused"
    replayed = await _replayed(agent, recording)
    assert replayed.status == "paused"
    assert replayed.pending is not None
    assert paused.pending is not None
    assert [(c.tool_call_id, c.arguments) for c in replayed.pending.calls] == [
        (c.tool_call_id, c.arguments) for c in paused.pending.calls
    ]


async def test_sandbox_modes_recorded_per_step(tmp_path: Path) -> None:
    """Step 1's ``call_0`` was dry-run (destructive), step 2's ran live: the replay keeps each call's mode."""
    DELETED.clear()
    steps = [(("delete_account", '{"account_id": 7}'),), (("add", '{"a": 2, "b": 3}'),)]
    agent, result, recording = await _recorded(
        tmp_path, steps, [add, delete_account], mode=ModePolicy.for_evals()
    )
    assert DELETED == []
    started = [(e.tool_call_id, e.mode) for e in recording.events if isinstance(e, ToolCallStarted)]
    assert started == [("call_0", "dry_run"), ("call_0", "live")]
    replayed = await _replayed(agent, recording)
    assert DELETED == []
    assert replayed.output == result.output
    assert [
        (e.tool_call_id, e.mode) for e in replayed.events if isinstance(e, ToolCallStarted)
    ] == started


async def test_live_tools_replay_checks_each_step_s_call(tmp_path: Path) -> None:
    """With ``tools="live"`` each ``call_0`` is checked against its own step's recorded call, and runs."""
    steps = [(("add", json.dumps({"a": n, "b": 1})),) for n in range(3)]
    agent, result, recording = await _recorded(tmp_path, steps, [add])
    replayed = await replay(agent, recording, tools="live")
    assert replayed.output == result.output == "Results: 1 | 2 | 3"


async def test_repeated_id_within_one_step_is_paired_by_position() -> None:
    """Two calls with id ``"0"`` in one step, then again in the next: each position gets its own result.

    Tool events carry no position: calls sharing an id within a step are paired with their events in the order
    they started, which holds for calls that finish in the order they started, as these do.
    """
    answers: list[Any] = [
        [ToolCallPart(id="0", name="add_now", arguments=f'{{"a": {s}{n}, "b": 0}}') for n in (1, 2)]
        for s in (1, 2)
    ]
    agent = Agent(FakeProvider([*answers, "done"]), tools=[add_now], frame_tool_output=False)
    result = await agent.run("Go.")
    assert [c for _, c, _ in _results(result)] == ["11", "12", "21", "22"]
    recording = Recording.from_result(result)
    assert recording.call_results[(2, 1)].content == "22"
    replayed = await replay(agent, recording)
    assert _results(replayed) == _results(result)


async def test_a_hand_built_recording_without_positions_replays_by_id() -> None:
    """A `Recording` made without ``call_results`` (ids unique) still answers each call by its id."""
    answers: list[Any] = [
        [ToolCallPart(id="c1", name="add", arguments='{"a": 1, "b": 2}')],
        [ToolCallPart(id="c2", name="add", arguments='{"a": 3, "b": 4}')],
        "done",
    ]
    agent = Agent(FakeProvider(answers), tools=[add])
    result = await agent.run("Go.")
    recording = dataclasses.replace(Recording.from_result(result), call_results={})
    replayed = await replay(agent, recording)
    assert _results(replayed) == _results(result)


def _as_v1(data: dict[str, Any]) -> dict[str, Any]:
    """An event as agentkit wrote it before event schema version 2: no content."""
    for name in ("new_messages", "tool_fingerprints", "message", "content", "messages"):
        if name in data and (name != "messages" or data["type"] == "run.finished"):
            data.pop(name)
    data["schema_version"] = 1
    return data


async def test_an_old_recording_with_reused_ids_replays_from_its_saved_conversation(
    tmp_path: Path,
) -> None:
    """A version 1 log (no content in events, the conversation saved beside it) with ``call_0`` in every step."""
    steps = [(("add", json.dumps({"a": n, "b": 5})),) for n in range(3)]
    agent, result, _ = await _recorded(tmp_path, steps, [add])
    store = MemoryStore()
    store.append("r1", [migrate(_as_v1(e.model_dump(mode="json"))) for e in result.events])
    store.save_messages("r1", result.messages)
    recording = Recording.load(store, "r1", verify=False)
    assert len(recording.call_results) == 3
    replayed = await _replayed(agent, recording)
    assert replayed.output == result.output == "Results: 5 | 6 | 7"


# ------------------------------------------------------------------------------------------------- Gemini


def _gemini_answer(step: int) -> dict[str, Any]:
    """A generateContent answer without ``responseId``: the adapter numbers its calls ``call_0``..."""
    if step < 2:
        parts: list[dict[str, Any]] = [
            {"functionCall": {"name": "add", "args": {"a": step, "b": 20}}},
            {"functionCall": {"name": "add", "args": {"a": step, "b": 30}}},
        ]
        finish = "STOP"
    else:
        parts = [{"text": "Added."}]
        finish = "STOP"
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2},
        "modelVersion": "gemini-2.5-flash",
    }


async def _gemini_server(served: list[dict[str, Any]]) -> AsyncIterator[str]:
    """A loopback HTTP server answering every POST with `_gemini_answer` for the step the body reaches."""
    from anyio.streams.buffered import BufferedByteReceiveStream

    async def handle(stream: Any) -> None:
        async with stream:
            reader = BufferedByteReceiveStream(stream)
            while True:
                try:
                    head = await reader.receive_until(b"\r\n\r\n", 65536)
                except (anyio.EndOfStream, anyio.IncompleteRead):
                    return
                length = 0
                for line in head.decode().split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = json.loads(await reader.receive_exactly(length)) if length else {}
                served.append(body)
                step = sum(1 for c in body.get("contents", []) if c.get("role") == "model")
                data = json.dumps(_gemini_answer(step)).encode()
                await stream.send(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(data)}\r\n\r\n".encode()
                    + data
                )

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        yield f"http://127.0.0.1:{port}/v1beta"
        tg.cancel_scope.cancel()


async def test_gemini_calls_without_ids_replay_per_step(tmp_path: Path) -> None:
    """Gemini sends no ids: two steps of ``call_0``/``call_1`` from GeminiProvider replay each in its place."""
    import contextlib

    served: list[dict[str, Any]] = []
    store = SQLiteStore(tmp_path / "gemini.sqlite3")
    server = contextlib.asynccontextmanager(_gemini_server)(served)
    async with server as url:
        provider = GeminiProvider("gemini-2.5-flash", api_key=KEY, base_url=url)
        agent = Agent(RetryPolicy(provider), tools=[add], frame_tool_output=False)
        try:
            result = await agent.run("Add.", run_id="g1", sinks=[StoreSink(store)])
        finally:
            await provider.aclose()
    assert len(served) == 3
    assert [(i, c) for i, c, _ in _results(result)] == [
        ("call_0", "20"),
        ("call_1", "30"),
        ("call_0", "21"),
        ("call_1", "31"),
    ]
    try:
        recording = Recording.load(store, "g1")
    finally:
        store.close()
    replayed = await _replayed(agent, recording)
    assert replayed.output == result.output == "Added."
    assert _results(replayed) == _results(result)
    assert len(served) == 3
