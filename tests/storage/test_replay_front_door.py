"""Front door: a real adapter over the loopback server, recorded in a Session on SQLite, replays exactly."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel
import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.exceptions import PromptRenderError, TamperedRun
from agentkit.prompts import Prompt
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from pathlib import Path

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"
HOSTILE = "half \ud83d of an emoji and a NUL \x00 here"


class Vars(BaseModel):
    """The prompt's variables."""

    customer: str


PROMPT = Prompt("support", vars=Vars, version="1.0.0", system="You help {customer}.")


@tool
async def weather(city: str) -> str:
    """The weather in a city."""
    await anyio.lowlevel.checkpoint()  # let the other call start first, as concurrent calls do
    return f"sunny in {city}"


@tool
async def raw_feed(limit: int) -> str:
    """Read the raw feed."""
    await anyio.lowlevel.checkpoint()
    return f"{limit} items: {HOSTILE}"


def _respond(request: ServedRequest) -> Reply:
    """Step 1: two parallel calls and one with bad arguments; step 2: an answer echoing the key."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply(f"Done. By the way the key is {KEY}.")
    return Reply(
        "",
        tool_calls=(
            ("weather", '{"city": "Oslo"}'),
            ("raw_feed", '{"limit": 3}'),
            ("weather", '{"town": "Paris"}'),
        ),
    )


@pytest.mark.anyio
async def test_a_session_run_on_sqlite_replays_exactly_and_a_tampered_one_is_refused(
    tmp_path: Path,
) -> None:
    """Parallel calls, prompt variables, a rejected call, an echoed key and hostile text all replay."""
    path = tmp_path / "runs.sqlite3"
    store = SQLiteStore(path)
    async with FakeProviderServer(responder=_respond) as server:
        adapter = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(adapter, tools=[weather, raw_feed], instructions=PROMPT)
        try:
            result = await Session(store, "s1").run(
                agent, "Weather and feed?", run_id="r1", prompt_vars=Vars(customer="Ada")
            )
        finally:
            await adapter.aclose()
    assert KEY in result.output
    summary = store.get_run("r1")
    assert (summary.status, summary.events) == ("completed", len(result.events))
    stored = store.read("r1")
    assert [e.type for e in stored] == [e.type for e in result.events]
    assert any(HOSTILE in (getattr(e, "content", None) or "") for e in stored)
    assert KEY not in path.read_bytes().decode("latin-1")
    assert any(e.type == "tool.arguments.rejected" for e in stored)

    recording = Recording.load(store, "r1")
    replayed = await replay(agent, recording, prompt_vars=Vars(customer="Ada"))
    assert replayed.output == next(e for e in stored if e.type == "run.finished").output  # type: ignore[union-attr]
    with pytest.raises(PromptRenderError):
        await replay(agent, recording, prompt_vars={"name": "Ada"})

    with closing(sqlite3.connect(path)) as raw, raw:
        (data,) = raw.execute("SELECT data FROM events WHERE run_id = 'r1' AND seq = 3").fetchone()
        edited = json.loads(data)
        edited["at"] = "2020-01-01T00:00:00Z"  # a perfectly valid event, just not the one stored
        raw.execute(
            "UPDATE events SET data = ? WHERE run_id = 'r1' AND seq = 3", (json.dumps(edited),)
        )
    with pytest.raises(TamperedRun) as info:
        Recording.load(store, "r1")
    assert info.value.seq == 3
    store.close()
