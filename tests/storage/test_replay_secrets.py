"""A stored run whose tool output holds a secret replays exactly; a genuinely different output still diverges."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import pytest

from agentkit import Sensitive, tool
from agentkit.events import ToolCallSucceeded
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import (
    Recording,
    ReplayDivergence,
    Session,
    SQLiteStore,
    replay,
)
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # the provider's key, of no well-known shape
PASSWORD = "correct-horse-battery-staple-1977"


@tool
def show_config(section: str) -> str:
    """Show a configuration section."""
    return f"[{section}] endpoint=https://llm.internal key={KEY} retries=3"


@tool
def login(user: str, password: Annotated[str, Sensitive()]) -> str:
    """Log a user in."""
    return f"{user} logged in with {password}, welcome back"


def _respond(request: ServedRequest) -> Reply:
    if '"role": "tool"' in json.dumps(request.body):
        return Reply("All set.")
    return Reply(
        "",
        tool_calls=(
            ("show_config", '{"section": "llm"}'),
            ("login", json.dumps({"user": "ada", "password": PASSWORD})),
        ),
    )


async def _record(tmp_path: Path) -> tuple[SQLiteStore, Agent[None, str]]:
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with FakeProviderServer(responder=_respond) as server:
        adapter = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(adapter, tools=[show_config, login])
        try:
            result = await Session(store, "s1").run(
                agent, "Check the config and log me in", run_id="r1"
            )
        finally:
            await adapter.aclose()
    assert result.output == "All set."
    return store, agent


async def test_a_run_whose_tool_outputs_hold_secrets_replays_exactly_from_sqlite(
    tmp_path: Path,
) -> None:
    """The stored count is of the masked output (no secret's length leaks); recorded and live replays match."""
    store, agent = await _record(tmp_path)
    succeeded = [e for e in store.read("r1") if isinstance(e, ToolCallSucceeded)]
    assert {e.tool_name: e.content for e in succeeded} == {
        "show_config": "[llm] endpoint=https://llm.internal key=*** retries=3",
        "login": "ada logged in with ***, welcome back",
    }
    assert [e.output_chars for e in succeeded] == [len(e.content or "") for e in succeeded]
    store.close()
    raw = (tmp_path / "runs.sqlite3").read_bytes()
    assert KEY.encode() not in raw
    assert PASSWORD.encode() not in raw

    store = SQLiteStore(tmp_path / "runs.sqlite3")
    recording = Recording.load(store, "r1")
    replayed = await replay(agent, recording)
    assert replayed.output == "All set."
    # The live tools run again (on the masked arguments) and echo the key: masked and counted as recorded.
    live = await replay(agent, recording, tools="live")
    again = {e.tool_name: e for e in live.events if isinstance(e, ToolCallSucceeded)}
    assert again["show_config"].output_chars == len(again["show_config"].content or "")
    assert KEY not in (again["show_config"].content or "")
    store.close()


async def test_a_genuinely_different_tool_output_still_diverges(tmp_path: Path) -> None:
    """A live tool answering otherwise, or a stored count that is not the stored output's, is a divergence."""
    store, agent = await _record(tmp_path)
    recording = Recording.load(store, "r1")

    @tool(name="show_config")
    def changed_config(section: str) -> str:
        """Show a configuration section."""
        return f"[{section}] endpoint=https://llm.internal key={KEY} retries=5"

    changed = Agent(agent.provider, tools=[changed_config, login])
    with pytest.raises(ReplayDivergence, match=r"tool\.call\.succeeded") as info:
        await replay(changed, recording, tools="live")
    assert "retries=3" in info.value.expected
    assert "retries=5" in info.value.actual
    assert KEY not in str(info.value)

    # Only the count differs: still caught (output_chars is compared, not left out).
    events = [
        e.model_copy(update={"output_chars": e.output_chars + 1})
        if isinstance(e, ToolCallSucceeded) and e.tool_name == "login"
        else e
        for e in recording.events
    ]
    tampered = Recording.build("r1", events)
    with pytest.raises(ReplayDivergence, match=r"tool\.call\.succeeded") as info:
        await replay(agent, tampered)
    assert '"output_chars"' in info.value.diff
    store.close()
