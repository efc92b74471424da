"""Durable runs through the front door, compared with local runs of the same agent.

An agent on a real adapter over the loopback fake provider server, served by an in-process worker of a real
Temporal dev server, stores its events in SQLite; they are compared with a local run's and replayed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import anyio
import pytest
from temporalio.api.enums.v1 import EventType

from agentkit.exceptions import AuthenticationFailed, UsageError
from agentkit.runtime import approve, reject
from agentkit.storage import Recording, SQLiteStore, replay
from agentkit.temporal import attach, replayer, start, worker
from agentkit.testing import FakeProviderServer, Fault, Reply

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

    from temporalio.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]

CHARGE = Reply("", tool_calls=(("charge", '{"amount": 5}'),))
REFUND = Reply("", tool_calls=(("refund", '{"amount":3}'),))


def _types(store: SQLiteStore, run_id: str) -> list[str]:
    return [e.type for e in store.read(run_id)]


async def _local(app: ModuleType, tmp_path: Path, *replies: Any) -> list[str]:
    """The event types of the same conversation run locally (``Agent.run``, then ``resume`` on a pause)."""
    state = tmp_path / "local"
    state.mkdir()
    async with FakeProviderServer() as server:
        server.script(*replies)
        agent = app.build(server.url, state)
        result = await agent.run("Charge me 5 euros.", run_id="local")
        if result.status == "paused":
            assert result.pending is not None
            await agent.resume(result.pending, {0: True})
    with SQLiteStore(state / "store.sqlite3") as store:
        return _types(store, "local")


async def _wait_status(run: Any, status: str) -> Any:
    with anyio.fail_after(60):
        while True:
            state = await run.state()
            if state.status == status:
                return state
            await anyio.sleep(0.05)


async def test_durable_run_stores_the_events_of_a_local_run(
    client: Client, app: ModuleType, task_queue: str, tmp_path: Path
) -> None:
    """A durable run answers like a local one, stores the same events once, and replays from its store."""
    async with FakeProviderServer() as server:
        server.script(CHARGE, Reply("Charged."))
        agent = app.build(server.url, tmp_path)
        async with worker(client, [agent], task_queue=task_queue):
            run = await start(client, agent, "Charge me 5 euros.", task_queue=task_queue)
            result = await run.result(output_type=str)
            state = await run.state()
        assert len(server.requests) == 2
    assert (result.output, result.steps, result.tool_calls) == ("Charged.", 2, 1)
    assert [m.role for m in result.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert state.status == "completed"
    local = await _local(app, tmp_path, CHARGE, Reply("Charged."))
    with SQLiteStore(tmp_path / "store.sqlite3") as store:
        assert _types(store, run.run_id) == local
        assert store.verify(run.run_id)
        assert store.get_run(run.run_id).status == "completed"
        replayed = await replay(agent, Recording.load(store, run.run_id))
    assert replayed.output == "Charged."


async def test_the_workflow_history_replays_deterministically(
    client: Client, app: ModuleType, task_queue: str, tmp_path: Path
) -> None:
    """Temporal's replayer runs the recorded history through the sandboxed workflow without a divergence."""
    async with FakeProviderServer() as server:
        server.script(CHARGE, REFUND, Reply("Done."))
        agent = app.build(server.url, tmp_path)
        async with worker(client, [agent], task_queue=task_queue):
            run = await start(client, agent, "Charge 5, refund 3.", task_queue=task_queue)
            await _wait_status(run, "paused")
            await run.approve({"call_0": approve()})
            assert (await run.result()).output == "Done."
            history = await client.get_workflow_handle(run.run_id).fetch_history()
    await replayer([agent]).replay_workflow(history)


async def test_approval_is_a_signal_and_the_state_a_query(
    client: Client, app: ModuleType, task_queue: str, tmp_path: Path
) -> None:
    """A paused run says what waits in its state; a rejection reaches the model as the tool's result."""
    async with FakeProviderServer() as server:
        server.script(REFUND, Reply("No refund then."))
        agent = app.build(server.url, tmp_path)
        async with worker(client, [agent], task_queue=task_queue):
            run = await start(client, "shop", "Refund me 3 euros.", task_queue=task_queue)
            paused = await _wait_status(run, "paused")
            assert paused.pending is not None
            assert [(c.tool_name, c.arguments) for c in paused.pending.calls] == [
                ("refund", '{"amount":3}')
            ]
            await run.approve({"no-such-call": True})  # ignored: the run keeps waiting
            assert (await run.state()).status == "paused"
            await attach(client, run.run_id).approve({"call_0": reject("not today")})
            result = await run.result()
        last_request = server.requests[-1].body
    assert result.output == "No refund then."
    tool_message = last_request["messages"][-1]
    assert "not today" in tool_message["content"]
    assert not (tmp_path / "effects.sqlite3").exists() or _refunds(tmp_path) == 0


def _refunds(state: Path) -> int:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(state / "effects.sqlite3")) as db, db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        return (
            db.execute("SELECT COUNT(*) FROM refunds").fetchone()[0] if "refunds" in tables else 0
        )


async def test_retry_after_is_honoured_by_temporal_retries(
    client: Client, app: ModuleType, task_queue: str, tmp_path: Path
) -> None:
    """A 429 with Retry-After fails the model activity with that delay; Temporal's second attempt succeeds."""
    async with FakeProviderServer() as server:
        server.script(Fault.rate_limited(retry_after="1"), Reply("Hello."))
        agent = app.build(server.url, tmp_path)
        async with worker(client, [agent], task_queue=task_queue):
            run = await start(client, agent, "Hi.", task_queue=task_queue)
            assert (await run.result()).output == "Hello."
            history = await client.get_workflow_handle(run.run_id).fetch_history()
        assert (
            len(server.requests) == 2
        )  # the adapter's RetryPolicy did not retry inside the activity
    started = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert 2 in started
    failures = [
        e.activity_task_started_event_attributes.last_failure.application_failure_info
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.attempt == 2
    ]
    assert failures[0].type == "RateLimited"
    assert failures[0].next_retry_delay.ToTimedelta().total_seconds() == 1.0


async def test_a_permanent_error_fails_the_run_at_once_with_its_type(
    client: Client, app: ModuleType, task_queue: str, tmp_path: Path
) -> None:
    """A 401 is not retried: the client raises the adapter's typed error and the store says failed."""
    async with FakeProviderServer() as server:
        server.script(Fault.server_error(401))
        agent = app.build(server.url, tmp_path)
        async with worker(client, [agent], task_queue=task_queue):
            run = await start(client, agent, "Hi.", task_queue=task_queue)
            with pytest.raises(AuthenticationFailed):
                await run.result()
            assert (await run.state()).status == "failed"
        assert len(server.requests) == 1
    with SQLiteStore(tmp_path / "store.sqlite3") as store:
        events = store.read(run.run_id)
    assert [e.type for e in events][-2:] == ["model.failed", "run.finished"]
    assert events[-1].status == "failed"  # type: ignore[attr-defined]


async def test_a_run_keeps_the_tool_version_it_started_with(
    client: Client, app: ModuleType, task_queue: str, tmp_path: Path
) -> None:
    """Redeployed with a changed tool, the worker runs the old version for a run started before (or fails)."""
    from agentkit import tool
    from agentkit.registry import Toolset

    async with FakeProviderServer() as server:
        server.script(REFUND, Reply("Refunded."), REFUND)
        old = app.build(server.url, tmp_path)
        async with worker(client, [old], task_queue=task_queue):
            run = await start(client, old, "Refund me 3 euros.", task_queue=task_queue)
            await _wait_status(run, "paused")

        @tool(requires_approval=True, version="2.0.0")
        def refund(amount: int, currency: str = "EUR") -> str:
            """Refund the customer, in any currency."""
            return f"refunded {amount} {currency} (v2)"

        new = app.build(server.url, tmp_path)
        new.toolset = Toolset([*(t for t in new.toolset.tools() if t.name != "refund"), refund])
        old_refund = old.toolset.get("refund")
        async with worker(client, [new], task_queue=task_queue, tools=[old_refund]):
            await run.approve({0: True})
            assert (await run.result()).output == "Refunded."
        tool_message = server.requests[-1].body["messages"][-1]
        assert "refunded 3 EUR" in tool_message["content"]
        assert "(v2)" not in tool_message["content"]
        # Without the old version, the worker refuses to run a changed tool: the run fails and says why.
        queue = task_queue + "-strict"
        rid = uuid.uuid4().hex
        async with worker(client, [old], task_queue=queue):
            second = await start(client, old, "Refund me 3 euros.", task_queue=queue, run_id=rid)
            await _wait_status(second, "paused")
        async with worker(client, [new], task_queue=queue):
            await second.approve({0: True})
            with pytest.raises(
                UsageError, match=r"tool 'refund': the run started with the contract"
            ):
                await second.result()
