"""A dry run through the front door: a real adapter over the loopback server, a store, and a replay."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from agentkit import ToolAnnotations, tool
from agentkit.events import ToolCallStarted, ToolCallSucceeded
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent
from agentkit.sandbox import ModePolicy, use_mode
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

DELETED: list[int] = []


@tool(annotations=ToolAnnotations(destructive=True))
def delete_account(account_id: int) -> str:
    """Delete an account for good."""
    DELETED.append(account_id)
    return f"account {account_id} deleted"


@tool(annotations=ToolAnnotations(read_only=True))
def balance(account_id: int) -> str:
    """An account's balance."""
    return f"{account_id}: 120 EUR"


def _respond(request: ServedRequest) -> Reply:
    """First, two calls; then an answer quoting what the tools said."""
    body = request.body or {}
    tools = [m for m in body.get("messages", []) if m.get("role") == "tool"]
    if tools:
        return Reply("Results: " + " | ".join(str(m["content"]) for m in tools))
    return Reply(
        "",
        tool_calls=(("balance", '{"account_id": 7}'), ("delete_account", '{"account_id": 7}')),
    )


@pytest.mark.parametrize("how", ["run", "use_mode"])
async def test_an_eval_policy_dry_runs_the_destructive_call_stores_and_replays(
    tmp_path: Path, how: str
) -> None:
    """The destructive call is not executed, the model is told so, the events say so, and the run replays."""
    DELETED.clear()
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with FakeProviderServer(responder=_respond) as server:
        provider = OpenAIChatProvider(
            "gpt-4.1-mini", api_key="k-test-0001", base_url=server.url + "/v1"
        )
        agent = Agent(RetryPolicy(provider, max_attempts=2), tools=[balance, delete_account])
        try:
            if how == "run":
                result = await Session(store, "s1").run(
                    agent, "Close account 7", run_id="r1", mode=ModePolicy.for_evals()
                )
            else:
                with use_mode(ModePolicy.for_evals()):
                    result = await Session(store, "s1").run(agent, "Close account 7", run_id="r1")
        finally:
            await provider.aclose()
        second = server.requests[1].body
    assert DELETED == []
    sent = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    assert any("7: 120 EUR" in text for text in sent)  # the read-only tool ran
    assert any("[dry run] delete_account was not executed" in text for text in sent)
    assert "[dry run] delete_account" in result.output
    stored = store.read("r1")
    modes = {e.tool_name: e.mode for e in stored if isinstance(e, ToolCallSucceeded)}
    assert modes == {"balance": "live", "delete_account": "dry_run"}
    assert {e.tool_name: e.mode for e in stored if isinstance(e, ToolCallStarted)} == modes
    assert json.loads(stored[-1].model_dump_json())["status"] == "completed"

    # Replayed from the store: the same run, modes and all, with nothing executed.
    replayed = await replay(agent, Recording.load(store, "r1"))
    assert replayed.output == result.output
    assert DELETED == []
    store.close()
